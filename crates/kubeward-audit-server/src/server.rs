//! The HTTPS endpoint for the API server's audit webhook backend.
//!
//! `POST /` (or any path but the two below) takes an `audit.k8s.io/v1` `EventList`; the batch
//! is appended to the [`Queue`] and `fsync`ed before the answer: 200 when durable, 429 (with
//! `Retry-After`) when the queue is over its limit, 401 without a valid client certificate or
//! bearer token, 400 when the body is not an EventList, 413 over the body limit, 500 when the
//! queue cannot be written. `GET /healthz` and `GET /metrics` need no authentication.

use crate::metrics::Metrics;
use crate::queue::{AppendError, Queue};
use crate::tls::{Certs, TlsError};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How the API server proves who it is.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    /// A client certificate signed by this CA.
    pub client_ca: Option<PathBuf>,
    /// Or this bearer token.
    pub token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub listen: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub auth: Auth,
    pub max_body: usize,
    pub cert_reload: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error(
        "neither --client-ca nor --token-file given: the receiver must authenticate the API server"
    )]
    NoAuth,
}

struct State {
    queue: Arc<Queue>,
    metrics: Arc<Metrics>,
    token: Option<String>,
    client_ca: bool,
    max_body: usize,
}

/// A running receiver.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub async fn start(
        opts: ServerOptions,
        queue: Arc<Queue>,
        metrics: Arc<Metrics>,
    ) -> Result<Server, ServeError> {
        if opts.auth.client_ca.is_none() && opts.auth.token.is_none() {
            return Err(ServeError::NoAuth);
        }
        let certs = Certs::load(&opts.cert, &opts.key)?;
        let config = certs.server_config(opts.auth.client_ca.as_deref())?;
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|e| ServeError::Listen(opts.listen, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ServeError::Listen(opts.listen, e))?;
        let state = Arc::new(State {
            queue,
            metrics,
            token: opts.auth.token.clone(),
            client_ca: opts.auth.client_ca.is_some(),
            max_body: opts.max_body,
        });
        let (stop, stop_rx) = watch::channel(false);
        tokio::spawn(reload_certs(certs, opts.cert_reload, stop_rx.clone()));
        let task = tokio::spawn(accept(listener, acceptor, state, stop_rx));
        Ok(Server { addr, stop, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting and waits (bounded) for requests in flight.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn reload_certs(certs: Arc<Certs>, period: Duration, mut stop: watch::Receiver<bool>) {
    let period = period.max(Duration::from_millis(10));
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(period) => {}
        }
        let c = certs.clone();
        match tokio::task::spawn_blocking(move || c.reload_if_changed()).await {
            Ok(Ok(true)) => eprintln!("kubeward audit: serving certificate reloaded"),
            Ok(Err(e)) => eprintln!("kubeward audit: keeping the old certificate: {e}"),
            _ => {}
        }
    }
}

async fn accept(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
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
        let Ok((tcp, _peer)) = accepted else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let state = state.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
            else {
                return;
            };
            // The verifier already checked any certificate against --client-ca.
            let has_cert = tls
                .get_ref()
                .1
                .peer_certificates()
                .is_some_and(|c| !c.is_empty());
            let service = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(handle(state, has_cert, req).await) }
            });
            let conn = builder
                .serve_connection(TokioIo::new(tls), service)
                .into_owned();
            let _ = watcher.watch(conn).await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(30), graceful.shutdown()).await;
}

fn text(status: StatusCode, body: impl Into<String>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.into())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authorised(state: &State, has_cert: bool, req: &Request<Incoming>) -> bool {
    if state.client_ca && has_cert {
        return true;
    }
    let Some(token) = &state.token else {
        return false;
    };
    req.headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| same(t.trim().as_bytes(), token.as_bytes()))
}

#[derive(serde::Deserialize)]
struct EventList {
    #[serde(default)]
    kind: Option<String>,
    items: Vec<serde::de::IgnoredAny>,
}

async fn handle(
    state: Arc<State>,
    has_cert: bool,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => return text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/metrics") => {
            let mut r = text(
                StatusCode::OK,
                state
                    .metrics
                    .render(state.queue.depth(), state.queue.limit()),
            );
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            return r;
        }
        (&Method::POST, _) => {}
        _ => return text(StatusCode::NOT_FOUND, "POST an audit.k8s.io/v1 EventList\n"),
    }
    let m = &state.metrics;
    if !authorised(&state, has_cert, &req) {
        Metrics::inc(&m.batches_rejected, 1);
        return text(
            StatusCode::UNAUTHORIZED,
            "a client certificate or bearer token is required\n",
        );
    }
    let body = match Limited::new(req.into_body(), state.max_body)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            Metrics::inc(&m.batches_rejected, 1);
            if e.is::<http_body_util::LengthLimitError>() {
                return text(StatusCode::PAYLOAD_TOO_LARGE, "batch over the body limit\n");
            }
            return text(StatusCode::BAD_REQUEST, "cannot read the body\n");
        }
    };
    let n = match serde_json::from_slice::<EventList>(&body) {
        Ok(l) if l.kind.as_deref().is_none_or(|k| k == "EventList") => l.items.len() as u64,
        _ => {
            Metrics::inc(&m.batches_rejected, 1);
            return text(StatusCode::BAD_REQUEST, "not an audit.k8s.io EventList\n");
        }
    };
    let queue = state.queue.clone();
    let res = tokio::task::spawn_blocking(move || queue.append(&body)).await;
    match res {
        Ok(Ok(_)) => {
            Metrics::inc(&m.batches_accepted, 1);
            Metrics::inc(&m.events_received, n);
            state.queue.wake();
            text(StatusCode::OK, "")
        }
        Ok(Err(AppendError::Full { .. })) => {
            Metrics::inc(&m.batches_throttled, 1);
            Metrics::inc(&m.events_dropped, n);
            let mut r = text(StatusCode::TOO_MANY_REQUESTS, "queue full, retry later\n");
            r.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("1"),
            );
            r
        }
        Ok(Err(AppendError::Io(e))) => {
            Metrics::inc(&m.queue_errors, 1);
            eprintln!("kubeward audit: cannot queue a batch: {e}");
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot queue the batch\n",
            )
        }
        Err(_) => {
            Metrics::inc(&m.queue_errors, 1);
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot queue the batch\n",
            )
        }
    }
}
