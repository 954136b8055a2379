//! One GET against the API server, the way a careful client makes it: through a client-side
//! rate limit, with a deadline, retried on 429 (after the server's `Retry-After`) and on 5xx and
//! dropped connections (exponential backoff with jitter), and counted.

use http_body_util::BodyExt;
use kube::client::Body;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// What the server answered.
#[derive(Debug)]
pub(crate) enum Reply {
    /// 2xx with its body.
    Ok(Vec<u8>),
    /// Any other status, with what its `Status` body says.
    Failed(Failure),
}

/// A non-2xx answer.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub code: u16,
    pub reason: String,
    pub message: String,
}

impl Failure {
    fn from_body(code: u16, body: &[u8]) -> Failure {
        let status: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let text = |key: &str| status.get(key).and_then(|v| v.as_str()).map(str::to_string);
        Failure {
            code,
            reason: text("reason").unwrap_or_else(|| {
                http::StatusCode::from_u16(code)
                    .ok()
                    .and_then(|c| c.canonical_reason())
                    .unwrap_or("error")
                    .replace(' ', "")
            }),
            message: text("message").unwrap_or_default(),
        }
    }
}

/// A request that got no HTTP answer.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Transport(String),
}

/// A token bucket: `qps` requests per second on average, bursts of `burst`.
#[derive(Debug)]
struct RateLimiter {
    qps: f64,
    burst: f64,
    state: tokio::sync::Mutex<(f64, Instant)>,
}

impl RateLimiter {
    fn new(qps: f64, burst: u32) -> RateLimiter {
        let burst = f64::from(burst.max(1));
        RateLimiter {
            qps,
            burst,
            state: tokio::sync::Mutex::new((burst, Instant::now())),
        }
    }

    async fn acquire(&self) {
        if self.qps <= 0.0 {
            return;
        }
        loop {
            let wait = {
                let mut state = self.state.lock().await;
                let now = Instant::now();
                let (tokens, last) = &mut *state;
                *tokens =
                    (*tokens + now.duration_since(*last).as_secs_f64() * self.qps).min(self.burst);
                *last = now;
                if *tokens >= 1.0 {
                    *tokens -= 1.0;
                    return;
                }
                (1.0 - *tokens) / self.qps
            };
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
    }
}

/// Makes requests for one collection.
pub(crate) struct Fetcher {
    client: kube::Client,
    limiter: RateLimiter,
    timeout: Duration,
    retries: u32,
    requests: AtomicU64,
    retried: AtomicU64,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("limiter", &self.limiter)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("requests", &self.requests)
            .finish_non_exhaustive()
    }
}

/// Longest wait a `Retry-After` may impose.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

impl Fetcher {
    pub fn new(
        client: kube::Client,
        qps: f64,
        burst: u32,
        timeout: Duration,
        retries: u32,
    ) -> Self {
        Fetcher {
            client,
            limiter: RateLimiter::new(qps, burst),
            timeout,
            retries,
            requests: AtomicU64::new(0),
            retried: AtomicU64::new(0),
        }
    }

    /// Requests sent so far (retries included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests that were retries.
    pub fn retried(&self) -> u64 {
        self.retried.load(Ordering::Relaxed)
    }

    /// GETs `path_and_query`, retrying what is worth retrying.
    pub async fn get(&self, path_and_query: &str, accept: &str) -> Result<Reply, FetchError> {
        self.get_with(path_and_query, accept, self.retries).await
    }

    /// GETs once more than `retries` times at most.
    pub async fn get_with(
        &self,
        path_and_query: &str,
        accept: &str,
        retries: u32,
    ) -> Result<Reply, FetchError> {
        let mut attempt = 0;
        loop {
            let outcome = self.once(path_and_query, accept).await;
            let wait = match &outcome {
                Ok((Reply::Failed(f), retry_after)) if f.code == 429 => {
                    Some(retry_after.unwrap_or_else(|| backoff(attempt)))
                }
                Ok((Reply::Failed(f), _)) if matches!(f.code, 500 | 502 | 503 | 504) => {
                    Some(backoff(attempt))
                }
                Ok(_) => None,
                Err(_) => Some(backoff(attempt)),
            };
            match wait {
                Some(wait) if attempt < retries => {
                    attempt += 1;
                    self.retried.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(wait.min(MAX_RETRY_AFTER)).await;
                }
                _ => return outcome.map(|(reply, _)| reply),
            }
        }
    }

    async fn once(
        &self,
        path_and_query: &str,
        accept: &str,
    ) -> Result<(Reply, Option<Duration>), FetchError> {
        self.limiter.acquire().await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let request = http::Request::get(path_and_query)
            .header(http::header::ACCEPT, accept)
            .body(Body::empty())
            .map_err(|e| FetchError::Transport(format!("bad request {path_and_query}: {e}")))?;
        let call = async {
            let response = self
                .client
                .send(request)
                .await
                .map_err(|e| FetchError::Transport(describe(&e)))?;
            let status = response.status();
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| FetchError::Transport(describe(&e)))?
                .to_bytes()
                .to_vec();
            Ok(if status.is_success() {
                (Reply::Ok(body), None)
            } else {
                (
                    Reply::Failed(Failure::from_body(status.as_u16(), &body)),
                    retry_after,
                )
            })
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Timeout(self.timeout)),
        }
    }
}

/// 200 ms doubling per attempt up to 5 s, with up to 50% jitter.
fn backoff(attempt: u32) -> Duration {
    let base = 200u64.saturating_mul(1 << attempt.min(5)).min(5_000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let jitter = u64::from(nanos) % (base / 2 + 1);
    Duration::from_millis(base + jitter)
}

/// The innermost cause of a client error, which is the one a person can act on
/// ("Connection refused", "invalid peer certificate: UnknownIssuer").
pub(crate) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !s.is_empty() && !text.contains(&s) {
            text = s;
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) >= Duration::from_millis(200));
        assert!(backoff(0) <= Duration::from_millis(301));
        assert!(backoff(3) >= Duration::from_millis(1600));
        assert!(backoff(30) <= Duration::from_millis(7_501));
    }

    #[test]
    fn failure_reads_status_bodies() {
        let body = br#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets is forbidden: User \"alice\" cannot list resource \"secrets\" in API group \"\" in the namespace \"prod\"","reason":"Forbidden","details":{"kind":"secrets"},"code":403}"#;
        let f = Failure::from_body(403, body);
        assert_eq!(f.reason, "Forbidden");
        assert!(f.message.starts_with("secrets is forbidden"));
        let f = Failure::from_body(502, b"<html>bad gateway</html>");
        assert_eq!(f.reason, "BadGateway");
        assert_eq!(f.message, "");
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn rate_limiter_spaces_requests_after_the_burst() {
        let limiter = RateLimiter::new(10.0, 2);
        let start = tokio::time::Instant::now();
        for _ in 0..4 {
            limiter.acquire().await;
        }
        // Two from the burst, then two at 100 ms each.
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(190), "{waited:?}");
    }
}
