//! The HTTPS server: `POST /validate`, `GET /healthz`, `GET /readyz`, `GET /metrics`.
//!
//! - HTTPS only (rustls; HTTP/2 and HTTP/1.1), with the certificate reloaded when its files
//!   change ([`crate::tls`]).
//! - Bounded: at most `max_in_flight` requests to `/validate` at once (more are answered 503
//!   at once), at most `workers` evaluations of large requests at once (the others wait their
//!   turn within their deadline), bodies larger than `max_body` are refused with 413 before they are read, slow
//!   bodies with 408, and TLS handshakes and request headers must arrive within 10 seconds.
//! - A deadline per request: a request not answered within `deadline` (body read to
//!   response) gets 504, and the webhook's `failurePolicy` decides (Ignore: allowed, Fail:
//!   refused), as for any webhook failure: the server never guesses an answer.
//! - Ordinary requests (up to 256 KiB) are decoded and judged on the thread that read them
//!   (well under a millisecond); larger ones on the blocking pool, `workers` at a time, so one
//!   huge object cannot stall the connections and the deadline can abandon it.
//! - Graceful shutdown: `/readyz` fails at once, the listener stays open for `shutdown_delay`
//!   (while endpoints are updated), then closes; requests in flight are finished (up to
//!   `shutdown_grace`) before the server stops.

use crate::judge::{Decision, Facts, Judge, NamespaceLabels, Outcome, RoleRef};
use crate::metrics::{ErrorReason, Metrics};
use crate::namespaces::{Lookup, Namespaces};
use crate::review;
use crate::tls::{Certs, TlsError};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use kubeward_core::Node;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};

/// How long a TLS handshake, and a request's headers, may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request's body may take to arrive.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Open connections at most (idle keep-alive ones included).
const MAX_CONNECTIONS: usize = 4096;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Largest request body accepted.
    pub max_body: usize,
    /// From a request's arrival to its answer.
    pub deadline: Duration,
    /// Requests to `/validate` handled at once; more are answered 503.
    pub max_in_flight: usize,
    /// Evaluations at once.
    pub workers: usize,
    /// How often the certificate files are checked for changes.
    pub cert_reload: Duration,
    /// How often the namespaces' labels are listed again.
    pub namespace_refresh: Duration,
    /// After a shutdown begins: how long to keep accepting connections (readiness already
    /// failing), so that the Service stops sending requests here first.
    pub shutdown_delay: Duration,
    /// How long requests in flight may take to finish once the listener is closed.
    pub shutdown_grace: Duration,
    /// Write denials to standard error.
    pub log_denials: bool,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            listen: SocketAddr::from(([0, 0, 0, 0], 8443)),
            cert: PathBuf::from("tls.crt"),
            key: PathBuf::from("tls.key"),
            max_body: 8 << 20,
            deadline: Duration::from_secs(2),
            max_in_flight: 1024,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            cert_reload: Duration::from_secs(10),
            namespace_refresh: Duration::from_secs(30),
            shutdown_delay: Duration::ZERO,
            shutdown_grace: Duration::from_secs(20),
            log_denials: true,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("serving certificate: {0}")]
    Tls(#[from] TlsError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("{0}")]
    Api(String),
}

struct State {
    judge: Arc<Judge>,
    namespaces: Arc<Namespaces>,
    metrics: Arc<Metrics>,
    opts: ServeOptions,
    in_flight: Arc<Semaphore>,
    workers: Arc<Semaphore>,
    /// The first namespace list was attempted.
    namespaces_ready: AtomicBool,
    shutting_down: AtomicBool,
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    state: Arc<State>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Loads the certificate, binds, and starts serving (on the current runtime).
    pub async fn start(
        opts: ServeOptions,
        judge: Arc<Judge>,
        namespaces: Arc<Namespaces>,
    ) -> Result<Server, ServeError> {
        let certs = Certs::load(&opts.cert, &opts.key)?;
        let acceptor = tokio_rustls::TlsAcceptor::from(certs.server_config(None)?);
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: opts.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: opts.listen,
            source,
        })?;
        let metrics = Arc::new(Metrics::new());
        let state = Arc::new(State {
            in_flight: Arc::new(Semaphore::new(opts.max_in_flight.max(1))),
            workers: Arc::new(Semaphore::new(opts.workers.max(1))),
            namespaces_ready: AtomicBool::new(!namespaces.online()),
            shutting_down: AtomicBool::new(false),
            judge,
            namespaces,
            metrics,
            opts,
        });
        let (stop, stop_rx) = watch::channel(false);
        tokio::spawn(reload_certs(certs, state.clone(), stop_rx.clone()));
        if state.namespaces.online() {
            tokio::spawn(refresh_namespaces(state.clone(), stop_rx.clone()));
        }
        let task = tokio::spawn(accept(listener, acceptor, state.clone(), stop_rx));
        Ok(Server {
            addr,
            state,
            stop,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn metrics(&self) -> Arc<Metrics> {
        self.state.metrics.clone()
    }

    /// Stops gracefully: readiness fails, the listener closes after `shutdown_delay`, and
    /// requests in flight finish (within `shutdown_grace`).
    pub async fn shutdown(self) {
        self.state.shutting_down.store(true, Ordering::SeqCst);
        if !self.state.opts.shutdown_delay.is_zero() {
            tokio::time::sleep(self.state.opts.shutdown_delay).await;
        }
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Accepts connections until told to stop, then waits for open connections to finish.
async fn accept(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HANDSHAKE_TIMEOUT);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    loop {
        let accepted = tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, _peer) = match accepted {
            Ok(a) => a,
            Err(_) => {
                // Out of file descriptors, or a connection reset before it was accepted.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let state = state.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
            else {
                return;
            };
            let service = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(handle(state, req).await) }
            });
            let conn = builder
                .serve_connection(TokioIo::new(tls), service)
                .into_owned();
            let _ = watcher.watch(conn).await;
        });
    }
    drop(listener);
    let grace = state.opts.shutdown_grace;
    let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
}

async fn reload_certs(certs: Arc<Certs>, state: Arc<State>, mut stop: watch::Receiver<bool>) {
    let period = state.opts.cert_reload.max(Duration::from_millis(10));
    let mut last_error = String::new();
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(period) => {}
        }
        let c = certs.clone();
        let outcome = tokio::task::spawn_blocking(move || c.reload_if_changed()).await;
        match outcome {
            Ok(Ok(true)) => {
                last_error.clear();
                state.metrics.cert_reloaded();
                eprintln!(
                    "kubeward admission: loaded a new serving certificate from {}",
                    state.opts.cert.display()
                );
            }
            Ok(Ok(false)) => last_error.clear(),
            Ok(Err(e)) => {
                let text = e.to_string();
                if text != last_error {
                    state.metrics.error(ErrorReason::CertReload);
                    eprintln!(
                        "kubeward admission: warning: keeping the current certificate: {text}"
                    );
                    last_error = text;
                }
            }
            Err(_) => state.metrics.error(ErrorReason::CertReload),
        }
    }
}

async fn refresh_namespaces(state: Arc<State>, mut stop: watch::Receiver<bool>) {
    let mut last_error = String::new();
    loop {
        match state.namespaces.refresh().await {
            Ok(n) => {
                state.metrics.namespaces_known(n);
                last_error.clear();
            }
            Err(e) => {
                state.metrics.error(ErrorReason::NamespaceList);
                let text = e.to_string();
                if text != last_error {
                    eprintln!(
                        "kubeward admission: warning: {text}; namespaces keep the labels last read (unknown ones get the default level)"
                    );
                    last_error = text;
                }
            }
        }
        state.namespaces_ready.store(true, Ordering::SeqCst);
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(state.opts.namespace_refresh.max(Duration::from_millis(10))) => {}
        }
    }
}

fn text(status: StatusCode, body: impl Into<String>) -> Response<Full<Bytes>> {
    let mut body: String = body.into();
    if !body.ends_with('\n') {
        body.push('\n');
    }
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    match (req.method(), path) {
        (&Method::POST, "/validate") => {
            let started = Instant::now();
            let r = validate(&state, req, started).await;
            state.metrics.observe(started.elapsed());
            r
        }
        (_, "/validate") => {
            let mut r = text(
                StatusCode::METHOD_NOT_ALLOWED,
                "POST an admission.k8s.io/v1 AdmissionReview to /validate",
            );
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            r
        }
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok"),
        (&Method::GET, "/readyz") => {
            if state.shutting_down.load(Ordering::SeqCst) {
                text(StatusCode::SERVICE_UNAVAILABLE, "shutting down")
            } else if !state.namespaces_ready.load(Ordering::SeqCst) {
                text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "reading the namespaces' labels",
                )
            } else {
                text(StatusCode::OK, "ready")
            }
        }
        (&Method::GET, "/metrics") => {
            let mut r = text(StatusCode::OK, state.metrics.render());
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            r
        }
        _ => text(
            StatusCode::NOT_FOUND,
            format!("no {path} here: POST /validate, GET /healthz, /readyz, /metrics"),
        ),
    }
}

/// A request answered without an AdmissionReview.
struct Failure {
    status: StatusCode,
    reason: ErrorReason,
    message: String,
}

impl Failure {
    fn new(status: StatusCode, reason: ErrorReason, message: impl Into<String>) -> Failure {
        Failure {
            status,
            reason,
            message: message.into(),
        }
    }
}

/// Decrements the in-flight gauge when dropped.
struct InFlight(Arc<Metrics>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight(-1);
    }
}

async fn validate(
    state: &Arc<State>,
    req: Request<Incoming>,
    started: Instant,
) -> Response<Full<Bytes>> {
    match answer(state, req, started).await {
        Ok(decision) => {
            state.metrics.decision(&decision);
            if state.opts.log_denials && decision.outcome == Outcome::Denied && !decision.dry_run {
                log_denial(&decision);
            }
            let mut r = Response::new(Full::new(Bytes::from(decision.response.to_bytes())));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Err(f) => {
            state.metrics.error(f.reason);
            let mut r = text(f.status, f.message);
            if f.status == StatusCode::SERVICE_UNAVAILABLE {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            r
        }
    }
}

fn log_denial(d: &Decision) {
    let codes: Vec<&str> = d
        .violations
        .iter()
        .filter(|v| v.action == crate::config::Action::Enforce)
        .map(|v| v.rule.code)
        .collect();
    eprintln!(
        "kubeward admission: denied {} {} (user {}): {} uid={}",
        d.operation.as_str(),
        d.subject,
        d.user,
        codes.join(","),
        d.response.uid
    );
}

async fn answer(
    state: &Arc<State>,
    req: Request<Incoming>,
    started: Instant,
) -> Result<Decision, Failure> {
    let Ok(_slot) = state.in_flight.clone().try_acquire_owned() else {
        return Err(Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorReason::Overloaded,
            format!(
                "kubeward is handling {} requests already (--max-in-flight); the webhook's failurePolicy decides",
                state.opts.max_in_flight
            ),
        ));
    };
    state.metrics.in_flight(1);
    let _gauge = InFlight(state.metrics.clone());
    if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or_default().to_ascii_lowercase();
        if !ct.starts_with("application/json") {
            return Err(Failure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorReason::UnsupportedMediaType,
                format!("Content-Type is `{ct}`; expected application/json"),
            ));
        }
    }
    let max = state.opts.max_body;
    let too_large = |size: String| {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorReason::BodyTooLarge,
            format!("the request body is {size}; the limit is {max} bytes (--max-body-size)"),
        )
    };
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > max as u64
    {
        return Err(too_large(format!("{len} bytes")));
    }
    let body = match tokio::time::timeout(
        BODY_TIMEOUT,
        Limited::new(req.into_body(), max).collect(),
    )
    .await
    {
        Err(_) => {
            return Err(Failure::new(
                StatusCode::REQUEST_TIMEOUT,
                ErrorReason::BodyTimeout,
                format!("the request body did not arrive within {BODY_TIMEOUT:?}"),
            ));
        }
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(too_large("larger".to_string()));
        }
        Ok(Err(e)) => {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                ErrorReason::BadRequest,
                format!("reading the request body failed: {e}"),
            ));
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let deadline = tokio::time::Instant::from_std(started + state.opts.deadline);
    match tokio::time::timeout_at(deadline, decide(state.clone(), body, deadline)).await {
        Ok(result) => result,
        Err(_) => Err(Failure::new(
            StatusCode::GATEWAY_TIMEOUT,
            ErrorReason::Deadline,
            format!(
                "kubeward could not answer within its deadline of {:?} (--deadline); the webhook's failurePolicy decides",
                state.opts.deadline
            ),
        )),
    }
}

enum Step {
    Done(Decision),
    /// The API server must be asked first: the namespace's labels (when not known) and the
    /// role a binding names.
    Lookup {
        review: Box<review::Review>,
        namespace: Option<String>,
        labels: Option<NamespaceLabels>,
        role: Option<RoleRef>,
    },
}

/// Bodies up to this size are decoded and judged on the thread that read them: that takes
/// well under a millisecond (a 10 KB Deployment: about 60 µs), and saves two thread switches
/// per request. Larger ones go to the blocking pool, where the deadline can abandon them.
const INLINE_MAX: usize = 256 << 10;

/// Decodes the request and decides it if nothing must be read from the API server first.
fn first_step(state: &State, body: &[u8]) -> Result<Step, Failure> {
    let review = review::decode(body).map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            ErrorReason::BadRequest,
            e.to_string(),
        )
    })?;
    let mut unknown = None;
    let labels = match state.judge.namespace_needed(&review) {
        None => None,
        Some(ns) => match state.namespaces.get(ns) {
            Lookup::Known(labels) => Some(labels),
            Lookup::Absent => None,
            Lookup::Unknown => {
                unknown = Some(ns.to_string());
                None
            }
        },
    };
    let role = state
        .judge
        .role_needed(&review)
        .filter(|_| state.namespaces.online());
    if unknown.is_none() && role.is_none() {
        let facts = Facts { labels, role: None };
        return Ok(Step::Done(state.judge.decide(review, &facts)));
    }
    Ok(Step::Lookup {
        review: Box::new(review),
        namespace: unknown,
        labels,
        role,
    })
}

/// Runs `f` on the blocking pool, one of `workers` at a time.
async fn on_worker<T: Send + 'static>(
    state: &Arc<State>,
    f: impl FnOnce(&State) -> T + Send + 'static,
) -> Result<T, Failure> {
    let permit = state.workers.clone().acquire_owned().await.map_err(|_| {
        Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorReason::Overloaded,
            "shutting down",
        )
    })?;
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f(&st)
    })
    .await
    .map_err(|e| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorReason::Internal,
            format!("evaluation failed: {e}"),
        )
    })
}

/// Runs `f`, turning a panic (a bug in a rule) into a 500 for this request only.
fn guarded<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorReason::Internal,
            "kubeward failed while judging this request (a bug: please report it); the webhook's failurePolicy decides",
        ))
    })
}

async fn decide(
    state: Arc<State>,
    body: Bytes,
    deadline: tokio::time::Instant,
) -> Result<Decision, Failure> {
    let inline = body.len() <= INLINE_MAX;
    let step = if inline {
        guarded(|| first_step(&state, &body))?
    } else {
        on_worker(&state, move |st| first_step(st, &body)).await??
    };
    let (review, namespace, mut labels, role) = match step {
        Step::Done(d) => return Ok(d),
        Step::Lookup {
            review,
            namespace,
            labels,
            role,
        } => (review, namespace, labels, role),
    };
    // Half of the time left, so that a slow API server leaves time to answer.
    let left = deadline.saturating_duration_since(tokio::time::Instant::now()) / 2;
    let ns_lookup = async {
        match &namespace {
            None => None,
            Some(ns) => Some(state.namespaces.fetch(ns, left).await),
        }
    };
    let role_lookup = async {
        match &role {
            None => None,
            Some(r) => Some(state.namespaces.fetch_role(r, left).await),
        }
    };
    let (ns_result, role_result) = tokio::join!(ns_lookup, role_lookup);
    match ns_result {
        Some(Ok(found)) => labels = found,
        Some(Err(e)) => {
            state.metrics.error(ErrorReason::NamespaceLookup);
            eprintln!(
                "kubeward admission: warning: {e}; namespace {} gets the default level",
                review.namespace
            );
        }
        None => {}
    }
    let role = match role_result {
        Some(Ok(found)) => found.map(|v| Node::from_json(&v)),
        Some(Err(e)) => {
            state.metrics.error(ErrorReason::RoleLookup);
            eprintln!("kubeward admission: warning: {e}; the binding is judged without its role");
            None
        }
        None => None,
    };
    let facts = Facts { labels, role };
    if inline {
        guarded(|| Ok(state.judge.decide(*review, &facts)))
    } else {
        on_worker(&state, move |st| st.judge.decide(*review, &facts)).await
    }
}

/// Runs the server on a runtime of its own until SIGTERM or Ctrl-C, then shuts down
/// gracefully. `namespaces` is built on that runtime (kube-rs clients need one); an error
/// there stops before serving.
pub fn run_until_signal<F, Fut>(
    opts: ServeOptions,
    judge: Arc<Judge>,
    namespaces: F,
) -> Result<(), ServeError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Arc<Namespaces>, ServeError>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.workers.clamp(1, 64))
        .max_blocking_threads(opts.workers.clamp(1, 64) + 4)
        .thread_name("kubeward-admission")
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(async move {
        let namespaces = namespaces().await?;
        let server = Server::start(opts.clone(), judge, namespaces).await?;
        eprintln!(
            "kubeward admission: serving https://{}/validate (deadline {:?}, body limit {} bytes, {} workers)",
            server.addr(),
            opts.deadline,
            opts.max_body,
            opts.workers
        );
        wait_for_signal().await;
        eprintln!("kubeward admission: shutting down: finishing requests in flight");
        server.shutdown().await;
        eprintln!("kubeward admission: stopped");
        Ok(())
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
