//! Continue tokens, as `k8s.io/apiserver/pkg/storage` encodes and decodes them.
//!
//! A token is unpadded URL-safe base64 of `{"v":"meta.k8s.io/v1","rv":<list RV>,"start":<key>}`
//! where `start` is the etcd key of the last returned object, relative to the list's key prefix,
//! followed by a NUL byte (`prod/node-shell\u0000` for a cluster-wide pod list,
//! `node-shell\u0000` for a list in namespace `prod`). Decoding failures give the exact texts of
//! `storage.DecodeContinue`, which the etcd3 store wraps as `invalid continue token: ...`.

use crate::gojson;
use base64::Engine;

/// Builds the token for a page that ends at `last_key` (relative to the list prefix).
pub(crate) fn encode(last_key_relative: &str, rv: i64) -> String {
    encode_start(&format!("{last_key_relative}\0"), rv)
}

/// Builds a token resuming at `start` (relative to the list prefix, NUL included).
pub(crate) fn encode_start(start: &str, rv: i64) -> String {
    let json = format!(
        "{{\"v\":\"meta.k8s.io/v1\",\"rv\":{rv},\"start\":{}}}",
        crate::json::string(start)
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.as_bytes())
}

/// A decoded token: where to resume (relative to the list prefix) and the list RV.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Resume {
    pub start: String,
    pub rv: i64,
}

/// `storage.DecodeContinue`, returning the message of the 400 BadRequest on failure.
pub(crate) fn decode(token: &str) -> Result<Resume, String> {
    const INVALID: &str = "continue key is not valid";
    let wrap = |e: String| format!("invalid continue token: {e}");
    let data = gojson::decode_raw_url_base64(token).map_err(|e| wrap(format!("{INVALID}: {e}")))?;
    let c = gojson::unmarshal_continue_token(&data).map_err(|e| wrap(format!("{INVALID}: {e}")))?;
    if c.version != "meta.k8s.io/v1" {
        return Err(wrap(format!(
            "{INVALID}: server does not recognize this encoded version {}",
            c.version
        )));
    }
    if c.rv == 0 {
        return Err(wrap(format!(
            "{INVALID}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        )));
    }
    if c.start.is_empty() {
        return Err(wrap(format!(
            "{INVALID}: encoded start key empty (version meta.k8s.io/v1)"
        )));
    }
    // Defence against path traversal, as the real server: the key must already be clean.
    let key = if c.start.starts_with('/') {
        c.start.clone()
    } else {
        format!("/{}", c.start)
    };
    let cleaned = clean_path(&key);
    if cleaned != key {
        return Err(wrap(format!("{INVALID}: {}", c.start)));
    }
    Ok(Resume {
        start: cleaned[1..].to_string(),
        rv: c.rv,
    })
}

/// Go's `path.Clean` for a rooted path.
fn clean_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_recording() {
        assert_eq!(
            encode("prod/node-shell", 301),
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MzAxLCJzdGFydCI6InByb2Qvbm9kZS1zaGVsbFx1MDAwMCJ9"
        );
        assert_eq!(
            encode("prod/node-shell", -1),
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTEsInN0YXJ0IjoicHJvZC9ub2RlLXNoZWxsXHUwMDAwIn0"
        );
    }

    #[test]
    fn decodes_and_rejects_like_the_real_server() {
        let r = decode(
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MzAxLCJzdGFydCI6InByb2Qvbm9kZS1zaGVsbFx1MDAwMCJ9",
        )
        .unwrap();
        assert_eq!(
            r,
            Resume {
                start: "prod/node-shell\0".into(),
                rv: 301
            }
        );
        assert_eq!(
            decode("bm90LWEtdmFsaWQtY29udGludWUtdG9rZW4").unwrap_err(),
            "invalid continue token: continue key is not valid: invalid character 'o' in literal null (expecting 'u')"
        );
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        assert_eq!(
            decode(&b64(r#"{"v":"meta.k8s.io/v1","rv":1,"start":"../x"}"#)).unwrap_err(),
            "invalid continue token: continue key is not valid: ../x"
        );
        assert_eq!(
            decode(&b64(r#"{"v":"meta.k8s.io/v1","rv":0,"start":"x"}"#)).unwrap_err(),
            "invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        );
        assert_eq!(
            decode(&b64(r#"{"v":"v2","rv":1,"start":"x"}"#)).unwrap_err(),
            "invalid continue token: continue key is not valid: server does not recognize this encoded version v2"
        );
        assert_eq!(
            decode("%%%").unwrap_err(),
            "invalid continue token: continue key is not valid: illegal base64 data at input byte 0"
        );
    }
}
