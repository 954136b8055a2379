//! Credential detectors shared by the secrets rules: does a name (an env var, a ConfigMap key, a
//! key inside a config file) name a credential, does a value look like one, and where in a
//! multi-line config file is one written.
//!
//! Everything here works on borrowed text and allocates nothing: the rules call it on every env
//! var and ConfigMap entry of a large scan, and almost all of them are not credentials.

use regex::{Regex, RegexSet};
use std::sync::LazyLock;

/// A kind of secret-looking value, identified by its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    AwsAccessKey,
    PrivateKey,
    GithubToken,
    GitlabToken,
    SlackToken,
    GoogleApiKey,
    StripeKey,
    Jwt,
    UrlCredentials,
}

impl ValueKind {
    /// What the value looks like, for messages ("an AWS access key id").
    pub fn describe(self) -> &'static str {
        match self {
            ValueKind::AwsAccessKey => "an AWS access key id",
            ValueKind::PrivateKey => "a private key",
            ValueKind::GithubToken => "a GitHub token",
            ValueKind::GitlabToken => "a GitLab token",
            ValueKind::SlackToken => "a Slack token",
            ValueKind::GoogleApiKey => "a Google API key",
            ValueKind::StripeKey => "a Stripe secret key",
            ValueKind::Jwt => "a JSON Web Token",
            ValueKind::UrlCredentials => "a URL with a user and password",
        }
    }
}

/// The value patterns, in the order they are tried. The URL pattern captures the password so a
/// `$(VAR)` reference in its place is not reported.
const PATTERNS: &[(ValueKind, &str)] = &[
    (
        ValueKind::PrivateKey,
        r"-{3,}\s*BEGIN(?: [A-Z0-9]+)* PRIVATE KEY(?: BLOCK)?\s*-{3,}",
    ),
    (
        ValueKind::AwsAccessKey,
        r"(?-u:\b)(?:AKIA|ASIA)[0-9A-Z]{16}(?-u:\b)",
    ),
    (
        ValueKind::GithubToken,
        r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
    ),
    (ValueKind::GitlabToken, r"(?-u:\b)glpat-[A-Za-z0-9_-]{20,}"),
    (
        ValueKind::SlackToken,
        r"(?-u:\b)xox[baprs]-[A-Za-z0-9-]{10,}",
    ),
    (ValueKind::GoogleApiKey, r"(?-u:\b)AIza[0-9A-Za-z_-]{35}"),
    (ValueKind::StripeKey, r"(?-u:\b)[sr]k_live_[0-9A-Za-z]{20,}"),
    (
        ValueKind::Jwt,
        r"(?-u:\b)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
    ),
    (
        ValueKind::UrlCredentials,
        r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@",
    ),
];

/// One set to ask "does anything match?" in a single pass; the per-pattern regexes run only
/// when it says yes.
static ANY: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(PATTERNS.iter().map(|(_, p)| *p)).expect("valid credential patterns")
});

static EACH: LazyLock<Vec<(ValueKind, Regex)>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .map(|(k, p)| (*k, Regex::new(p).expect("valid credential pattern")))
        .collect()
});

/// A secret-looking value found in text: its kind and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueHit {
    pub kind: ValueKind,
    pub start: usize,
    pub end: usize,
}

/// Finds the first secret-looking value in `text` (by format, regardless of any name).
pub fn find_secret_value(text: &str) -> Option<ValueHit> {
    if !ANY.is_match(text) {
        return None;
    }
    let mut best: Option<ValueHit> = None;
    for (kind, re) in EACH.iter() {
        let hit = if *kind == ValueKind::UrlCredentials {
            re.captures_iter(text).find_map(|c| {
                let password = c.get(1)?;
                let whole = c.get(0)?;
                is_literal_value(password.as_str()).then_some((whole.start(), whole.end()))
            })
        } else {
            re.find(text).map(|m| (m.start(), m.end()))
        };
        if let Some((start, end)) = hit
            && best.is_none_or(|b| start < b.start)
        {
            best = Some(ValueHit {
                kind: *kind,
                start,
                end,
            });
        }
    }
    best
}

/// What a credential-looking name names, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Password,
    Secret,
    Token,
    Key,
    Credentials,
}

impl NameKind {
    pub fn describe(self) -> &'static str {
        match self {
            NameKind::Password => "password",
            NameKind::Secret => "secret",
            NameKind::Token => "token",
            NameKind::Key => "key",
            NameKind::Credentials => "credentials",
        }
    }
}

/// Words that, as a name's last word, say the name is about a credential rather than the
/// credential itself: `PASSWORD_FILE`, `TOKEN_URL`, `SECRET_NAME`, `TOKEN_TTL`, `ACCESS_KEY_ID`.
const METADATA_SUFFIXES: &[&str] = &[
    "file",
    "files",
    "path",
    "paths",
    "dir",
    "directory",
    "url",
    "uri",
    "endpoint",
    "host",
    "hostname",
    "port",
    "name",
    "names",
    "namespace",
    "ref",
    "mount",
    "location",
    "provider",
    "store",
    "backend",
    "version",
    "type",
    "ttl",
    "expiry",
    "expiration",
    "expires",
    "lifetime",
    "timeout",
    "interval",
    "duration",
    "seconds",
    "header",
    "length",
    "size",
    "enabled",
    "disabled",
    "enable",
    "disable",
    "required",
    "issuer",
    "audience",
    "algorithm",
    "alg",
    "format",
    "prefix",
    "suffix",
    "id",
    "region",
    "mode",
    "policy",
    "rotation",
    "kind",
    "source",
    "field",
    "param",
    "count",
    "max",
    "min",
    "limit",
    "retries",
    "user",
    "username",
    "login",
    "scope",
    "scopes",
    "method",
    "env",
    "var",
    "cache",
    "store",
    "hash",
    "salt",
    "strength",
    "complexity",
    "reset",
    "change",
    "changed",
    "regex",
    "pattern",
    "label",
];

/// Words that, before `KEY`, make it a credential: `API_KEY`, `AZURE_BATCH_KEY`, `OCI_CLI_KEY`.
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "private",
    "secret",
    "encryption",
    "encrypt",
    "crypt",
    "master",
    "signing",
    "sign",
    "auth",
    "account",
    "client",
    "shared",
    "storage",
    "batch",
    "cli",
    "app",
    "consumer",
    "session",
    "webhook",
    "hmac",
    "ssh",
    "license",
    "subscription",
    "deploy",
    "aes",
    "rsa",
    "jwt",
    "cookie",
    "primary",
    "secondary",
    "admin",
    "service",
];

/// Words that, after `KEY`, make it key material: `OCI_CLI_KEY_CONTENT`, `SIGNING_KEY_PEM`.
const KEY_CONTENT: &[&str] = &["content", "data", "material", "pem", "base64", "b64"];

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.len() >= needle.len()
        && hay
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The words of an identifier: split on anything not alphanumeric and at camelCase boundaries
/// (`dbPassword` → `db`, `Password`; `APIKey` → `API`, `Key`).
fn words(name: &str) -> impl Iterator<Item = &str> {
    let b = name.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && !b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let start = i;
        i += 1;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            let c = b[i];
            let prev = b[i - 1];
            let next_lower = b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            if c.is_ascii_uppercase()
                && (prev.is_ascii_lowercase()
                    || prev.is_ascii_digit()
                    || (prev.is_ascii_uppercase() && next_lower))
            {
                break;
            }
            i += 1;
        }
        // Only ASCII bytes are ever split on, so the slice is on char boundaries.
        name.get(start..i)
    })
}

/// Does `name` name a credential (`DB_PASSWORD`, `apiKey`, `AWS_SECRET_ACCESS_KEY`,
/// `spring.datasource.password`)? Names of things *about* a credential (`PASSWORD_FILE`,
/// `TOKEN_URL`, `SECRET_NAME`, `ACCESS_KEY_ID`) are not.
pub fn credential_name(name: &str) -> Option<NameKind> {
    let mut found: Option<NameKind> = None;
    let mut prev: Option<&str> = None;
    let mut last: &str = "";
    let mut n = 0usize;
    let mut pending_pass = false;
    for w in words(name) {
        n += 1;
        pending_pass = false;
        let kind = if contains_ci(w, "password") || contains_ci(w, "passwd") || eq(w, "passphrase")
        {
            Some(NameKind::Password)
        } else if eq(w, "pwd") || eq(w, "pass") {
            // `PWD` alone is the working directory, `PASS_THROUGH` is not a password: these
            // count only as the last word of a longer name (`DB_PASS`, `SMTP_PWD`).
            pending_pass = true;
            None
        } else if eq(w, "secret") || eq(w, "secrets") || eq(w, "secretkey") {
            Some(NameKind::Secret)
        } else if eq(w, "token") || eq(w, "tokens") || eq(w, "accesstoken") || eq(w, "authtoken") {
            Some(NameKind::Token)
        } else if eq(w, "credential") || eq(w, "credentials") || eq(w, "creds") {
            Some(NameKind::Credentials)
        } else if eq(w, "apikey")
            || eq(w, "privatekey")
            || eq(w, "accesskey")
            || (eq(w, "key") && prev.is_some_and(|p| KEY_QUALIFIERS.iter().any(|q| eq(p, q))))
            || (KEY_CONTENT.iter().any(|c| eq(w, c)) && prev.is_some_and(|p| eq(p, "key")))
        {
            Some(NameKind::Key)
        } else {
            None
        };
        if found.is_none() {
            found = kind;
        }
        prev = Some(w);
        last = w;
    }
    if pending_pass && n > 1 && found.is_none() {
        found = Some(NameKind::Password);
    }
    let found = found?;
    if METADATA_SUFFIXES.iter().any(|s| eq(last, s)) {
        return None;
    }
    Some(found)
}

/// Is `value` a literal that could be a credential, rather than nothing, a reference to one
/// (`$(DB_PASSWORD)`, `${DB_PASSWORD}`, `{{ .Values.password }}`, `<password>`), a file path,
/// a boolean, or a masked value (`****`)?
pub fn is_literal_value(value: &str) -> bool {
    let t = value.trim();
    if t.is_empty() {
        return false;
    }
    let wrapped = |open: &str, close: &str| t.starts_with(open) && t.ends_with(close);
    if wrapped("$(", ")")
        || wrapped("${", "}")
        || wrapped("{{", "}}")
        || wrapped("<", ">")
        || wrapped("ENC(", ")")
        || wrapped("%(", ")s")
        || t.starts_with("vault:")
        || t.starts_with("ref+")
        || t.bytes().all(|b| b == b'*')
    {
        return false;
    }
    if t.starts_with('/') && !t.bytes().any(|b| b.is_ascii_whitespace()) {
        return false;
    }
    const WORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "null", "none", "nil", "~", "\"\"", "''",
    ];
    !WORDS.iter().any(|w| eq(t, w))
}

/// Is `key` the name of a file that holds credentials (`id_rsa`, `.pgpass`, `tls.key`,
/// `keystore.jks`)?
pub fn credential_file_name(key: &str) -> bool {
    const NAMES: &[&str] = &[
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
        ".pgpass",
        ".netrc",
        ".git-credentials",
        ".dockerconfigjson",
        ".dockercfg",
        "htpasswd",
        ".htpasswd",
        "tls.key",
        "ssh-privatekey",
        "credentials.json",
        "service-account.json",
        "service_account.json",
    ];
    const SUFFIXES: &[&str] = &[".key", ".p12", ".pfx", ".jks", ".keystore", ".ppk"];
    let ends_ci = |s: &str| {
        key.len() > s.len()
            && key
                .get(key.len() - s.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(s))
    };
    NAMES.iter().any(|n| eq(key, n)) || SUFFIXES.iter().any(|s| ends_ci(s))
}

/// A credential found in a multi-line text (a config file kept in a ConfigMap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextHit<'a> {
    /// 1-based line within the text.
    pub line: usize,
    pub what: TextFind<'a>,
}

/// What was found on the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFind<'a> {
    /// A value of a recognised secret format, `len` bytes long.
    Value { kind: ValueKind, len: usize },
    /// An assignment `key: value` / `key=value` of a literal to a credential-named key.
    Assignment {
        key: &'a str,
        kind: NameKind,
        len: usize,
    },
}

/// Finds the first credential in a config-file-like text: secret-format values anywhere, and
/// assignments of literals to credential-named keys (`password: x`, `db.password=x`,
/// `"apiKey": "x"`, `export TOKEN=x`).
pub fn scan_text(text: &str) -> Option<TextHit<'_>> {
    let value_hit = find_secret_value(text).map(|v| {
        let line = text.get(..v.start).map_or(0, |s| s.matches('\n').count()) + 1;
        (v, line)
    });
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if let Some((v, line_of_value)) = value_hit
            && line_of_value == line
        {
            return Some(TextHit {
                line,
                what: TextFind::Value {
                    kind: v.kind,
                    len: v.end - v.start,
                },
            });
        }
        if let Some((key, value)) = assignment(raw)
            && let Some(kind) = credential_name(key)
            && is_literal_value(value)
        {
            return Some(TextHit {
                line,
                what: TextFind::Assignment {
                    key,
                    kind,
                    len: value.chars().count(),
                },
            });
        }
    }
    None
}

/// Splits a config line into key and value: `key: value`, `key = value`, `"key": "value",`,
/// `export KEY=value`, `- key: value`. `None` for comments, prose and block starts.
fn assignment(raw: &str) -> Option<(&str, &str)> {
    let mut t = raw.trim();
    if t.starts_with('#') || t.starts_with(';') || t.starts_with("//") || t.starts_with("--") {
        return None;
    }
    t = t.strip_prefix("- ").unwrap_or(t).trim_start();
    t = t.strip_prefix("export ").unwrap_or(t).trim_start();
    let sep = t.find([':', '='])?;
    let key = unquote(t.get(..sep)?.trim());
    if key.is_empty() || key.bytes().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let mut value = t.get(sep + 1..)?.trim();
    value = value.trim_end_matches([',', ';']).trim_end();
    let value = unquote(value);
    if value.is_empty() || value.starts_with(['|', '>', '{', '[', '&', '*']) {
        return None;
    }
    Some((key, value))
}

fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for n in [
            "DB_PASSWORD",
            "password",
            "my_password",
            "MYSQL_ROOT_PASSWORD",
            "dbPassword",
            "AWS_SECRET_ACCESS_KEY",
            "AZURE_BATCH_KEY",
            "OCI_CLI_KEY_CONTENT",
            "GITHUB_TOKEN",
            "apiKey",
            "APIKey",
            "API_KEY",
            "JWT_SECRET",
            "client_secret",
            "SMTP_PASS",
            "DB_PWD",
            "spring.datasource.password",
            "GOOGLE_APPLICATION_CREDENTIALS_JSON",
            "SECRET_KEY_BASE",
            "PRIVATE_KEY",
        ] {
            assert!(
                credential_name(n).is_some(),
                "{n} should be a credential name"
            );
        }
        for n in [
            "PASSWORD_FILE",
            "DB_PASSWORD_PATH",
            "TOKEN_URL",
            "SECRET_NAME",
            "TOKEN_TTL",
            "AWS_ACCESS_KEY_ID",
            "PWD",
            "PASS_THROUGH",
            "CACHE_KEY",
            "PARTITION_KEY",
            "greeting",
            "user_name",
            "SECRETARY",
            "TOKENIZER",
            "GOOGLE_APPLICATION_CREDENTIALS_FILE",
            "KEYCLOAK_TOKEN_AUDIENCE",
            "PASSWORD_MIN_LENGTH",
            "",
            "__",
        ] {
            assert!(
                credential_name(n).is_none(),
                "{n} should not be a credential name"
            );
        }
    }

    #[test]
    fn literal_values() {
        for v in ["abc123", "xxx", "s3cr3t with space"] {
            assert!(is_literal_value(v), "{v}");
        }
        for v in [
            "",
            "  ",
            "$(DB_PASSWORD)",
            "${DB_PASSWORD}",
            "{{ .Values.password }}",
            "<your password>",
            "/run/secrets/db",
            "true",
            "****",
            "ENC(abc)",
        ] {
            assert!(!is_literal_value(v), "{v}");
        }
    }

    #[test]
    fn values() {
        let kind = |t: &str| find_secret_value(t).map(|h| h.kind);
        assert_eq!(kind("AKIAIOSFODNN7EXAMPLE"), Some(ValueKind::AwsAccessKey));
        assert_eq!(kind("xAKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(kind("AKIAIOSFODNN7EXAMPL"), None);
        assert_eq!(
            kind("-----BEGIN RSA PRIVATE KEY-----\nMIIE"),
            Some(ValueKind::PrivateKey)
        );
        assert_eq!(
            kind("---BEGIN OPENSSH PRIVATE KEY---"),
            Some(ValueKind::PrivateKey)
        );
        assert_eq!(
            kind("-----BEGIN PRIVATE KEY-----"),
            Some(ValueKind::PrivateKey)
        );
        assert_eq!(kind("-----BEGIN CERTIFICATE-----"), None);
        assert_eq!(
            kind("ghp_0123456789abcdefghijABCDEFGHIJ012345"),
            Some(ValueKind::GithubToken)
        );
        assert_eq!(
            kind("xoxb-1234567890-abcdefghij"),
            Some(ValueKind::SlackToken)
        );
        assert_eq!(
            kind("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig_nature"),
            Some(ValueKind::Jwt)
        );
        assert_eq!(
            kind("postgres://app:hunter2@db:5432/app"),
            Some(ValueKind::UrlCredentials)
        );
        assert_eq!(kind("postgres://app:$(DB_PASSWORD)@db:5432/app"), None);
        assert_eq!(kind("postgres://app@db:5432/app"), None);
        assert_eq!(kind("https://example.com:8443/path"), None);
        assert_eq!(kind("hello world"), None);
        assert_eq!(
            kind("héllo AKIAIOSFODNN7EXAMPLE"),
            Some(ValueKind::AwsAccessKey)
        );
    }

    #[test]
    fn text() {
        let t = "server:\n  port: 8080\ndatabase:\n  password: hunter2\n";
        let hit = scan_text(t).expect("hit");
        assert_eq!(hit.line, 4);
        assert!(matches!(
            hit.what,
            TextFind::Assignment {
                key: "password",
                len: 7,
                ..
            }
        ));
        let t = "spring.datasource.url=jdbc:mysql://db/app\nspring.datasource.password = s3cret\n";
        assert_eq!(scan_text(t).map(|h| h.line), Some(2));
        let t = "{\n  \"apiKey\": \"abcd\",\n}";
        assert_eq!(scan_text(t).map(|h| h.line), Some(2));
        let t = "a: 1\nkey: |\n  -----BEGIN EC PRIVATE KEY-----\n  xx\n";
        assert!(matches!(
            scan_text(t),
            Some(TextHit {
                line: 3,
                what: TextFind::Value {
                    kind: ValueKind::PrivateKey,
                    ..
                }
            })
        ));
        for t in [
            "password: ${DB_PASSWORD}\n",
            "# password: hunter2\n",
            "password_file: /etc/secret\n",
            "password:\n",
            "Enter the password: below",
            "token: |\n",
        ] {
            assert_eq!(scan_text(t), None, "{t}");
        }
    }

    #[test]
    fn file_names() {
        assert!(credential_file_name("id_rsa"));
        assert!(credential_file_name("server.KEY"));
        assert!(credential_file_name("keystore.jks"));
        assert!(!credential_file_name("key"));
        assert!(!credential_file_name("nginx.conf"));
    }
}
