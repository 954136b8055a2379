//! Command lines as the components parse them (Go's `pflag` for the Kubernetes components,
//! `flag` for etcd): `--name=value`, `--name value`, a bare boolean `--name`, a single leading
//! dash accepted too; the last occurrence of a flag wins, except list flags
//! (`--enable-admission-plugins`, `--authorization-mode`, `--tls-cipher-suites`, ...), whose
//! occurrences add up, and `--feature-gates`, whose occurrences merge key by key.

use crate::origin::{Origin, Setting};

/// One word of a command line and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub origin: Origin,
}

impl Token {
    pub fn new(text: impl Into<String>, origin: Origin) -> Token {
        Token {
            text: text.into(),
            origin,
        }
    }
}

/// One flag occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Without leading dashes.
    pub name: String,
    /// `None` for a bare `--name`.
    pub value: Option<String>,
    pub origin: Origin,
}

/// Boolean flags of kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
/// kube-proxy and etcd that the checks read or that could be followed by a word: a bare
/// `--profiling` is `true` and does not take the next word as its value.
const BOOL_FLAGS: &[&str] = &[
    "allow-privileged",
    "anonymous-auth",
    "authentication-token-webhook",
    "auto-tls",
    "client-cert-auth",
    "debug",
    "enable-aggregator-routing",
    "enable-bootstrap-token-auth",
    "enable-debugging-handlers",
    "enable-garbage-collector",
    "enable-grpc-gateway",
    "enable-pprof",
    "enable-priority-and-fairness",
    "enable-server",
    "enable-v2",
    "encryption-provider-config-automatic-reload",
    "experimental-initial-corrupt-check",
    "fail-swap-on",
    "force-new-cluster",
    "leader-elect",
    "logtostderr",
    "make-iptables-util-chains",
    "peer-auto-tls",
    "peer-client-cert-auth",
    "profiling",
    "protect-kernel-defaults",
    "rotate-certificates",
    "rotate-server-certificates",
    "seccomp-default",
    "service-account-extend-token-expiration",
    "service-account-lookup",
    "strict-reconfig-check",
    "use-service-account-credentials",
];

/// String-slice flags: repeated occurrences append.
const LIST_FLAGS: &[&str] = &[
    "admission-control",
    "authorization-mode",
    "disable-admission-plugins",
    "enable-admission-plugins",
    "tls-cipher-suites",
];

/// A parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandLine {
    /// The program (argument 0).
    pub program: Option<Token>,
    pub flags: Vec<Flag>,
    /// Words that are not flags or flag values.
    pub positionals: Vec<Token>,
}

impl CommandLine {
    /// Parses words; the first is the program.
    pub fn parse(tokens: Vec<Token>) -> CommandLine {
        let mut out = CommandLine::default();
        let mut it = tokens.into_iter().peekable();
        out.program = it.next();
        let mut only_positionals = false;
        while let Some(tok) = it.next() {
            if only_positionals || tok.text == "-" || !tok.text.starts_with('-') {
                out.positionals.push(tok);
                continue;
            }
            if tok.text == "--" {
                only_positionals = true;
                continue;
            }
            let body = tok
                .text
                .strip_prefix("--")
                .or_else(|| tok.text.strip_prefix('-'))
                .unwrap_or(&tok.text);
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => {
                    let takes_next = !BOOL_FLAGS.contains(&body)
                        && it.peek().is_some_and(|n| !n.text.starts_with('-'));
                    let value = if takes_next {
                        it.next().map(|n| n.text)
                    } else {
                        None
                    };
                    (body.to_string(), value)
                }
            };
            out.flags.push(Flag {
                name,
                value,
                origin: tok.origin,
            });
        }
        out
    }

    /// Is the flag given at all?
    pub fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f.name == name)
    }

    /// The effective value of a flag, with the origin of its last occurrence. A bare boolean
    /// flag is `true`; list flags are the comma-joined union of their occurrences;
    /// `--feature-gates` occurrences merge (later keys win).
    pub fn get(&self, name: &str) -> Option<Setting> {
        let occurrences: Vec<&Flag> = self.flags.iter().filter(|f| f.name == name).collect();
        let last = occurrences.last()?;
        let value_of = |f: &Flag| f.value.clone().unwrap_or_else(|| "true".into());
        let value = if LIST_FLAGS.contains(&name) {
            occurrences
                .iter()
                .map(|f| value_of(f))
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
                .join(",")
        } else if name == "feature-gates" {
            let mut merged: Vec<(String, String)> = Vec::new();
            for f in &occurrences {
                for (k, v) in parse_gates(&value_of(f)) {
                    match merged.iter_mut().find(|(mk, _)| *mk == k) {
                        Some(e) => e.1 = v,
                        None => merged.push((k, v)),
                    }
                }
            }
            merged
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        } else {
            value_of(last)
        };
        Some(Setting::new(value, last.origin.clone()))
    }

    /// The program's file name (`/usr/bin/kubelet` → `kubelet`).
    pub fn program_name(&self) -> Option<&str> {
        self.program
            .as_ref()
            .map(|p| p.text.rsplit('/').next().unwrap_or(&p.text))
    }

    /// The words after the program, as text (to compare two sources of one command line).
    pub fn words(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in &self.flags {
            match &f.value {
                Some(v) => out.push(format!("--{}={v}", f.name)),
                None => out.push(format!("--{}", f.name)),
            }
        }
        out.extend(self.positionals.iter().map(|t| t.text.clone()));
        out
    }
}

/// `A=true,B=false` → pairs (keys and values trimmed; malformed items skipped).
pub fn parse_gates(s: &str) -> Vec<(String, String)> {
    s.split(',')
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            let k = k.trim();
            (!k.is_empty()).then(|| (k.to_string(), v.trim().to_ascii_lowercase()))
        })
        .collect()
}

/// A comma-separated list, items trimmed, empty ones dropped.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Go's `strconv.ParseBool`: `1 t T TRUE true True` / `0 f F FALSE false False`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cl(words: &[&str]) -> CommandLine {
        CommandLine::parse(
            words
                .iter()
                .enumerate()
                .map(|(i, w)| Token::new(*w, Origin::file("/x", i as u32 + 1)))
                .collect(),
        )
    }

    #[test]
    fn forms_and_precedence() {
        let c = cl(&[
            "kube-apiserver",
            "--profiling",
            "--authorization-mode=Node",
            "--audit-log-path",
            "/var/log/a.log",
            "-token-auth-file=/t",
            "--authorization-mode",
            "RBAC",
            "--audit-log-maxage=1",
            "--audit-log-maxage=30",
            "--feature-gates=A=true,B=false",
            "--feature-gates=B=true",
        ]);
        assert_eq!(c.program_name(), Some("kube-apiserver"));
        assert_eq!(c.get("profiling").unwrap().value, "true");
        assert_eq!(c.get("audit-log-path").unwrap().value, "/var/log/a.log");
        assert_eq!(c.get("token-auth-file").unwrap().value, "/t");
        assert_eq!(c.get("authorization-mode").unwrap().value, "Node,RBAC");
        let age = c.get("audit-log-maxage").unwrap();
        assert_eq!(age.value, "30");
        assert_eq!(age.source.to_string(), "/x:10");
        assert_eq!(c.get("feature-gates").unwrap().value, "A=true,B=true");
        assert!(c.get("anonymous-auth").is_none());
    }

    #[test]
    fn a_bare_bool_does_not_swallow_a_positional() {
        let c = cl(&["etcd", "--client-cert-auth", "extra", "--", "--not-a-flag"]);
        assert_eq!(c.get("client-cert-auth").unwrap().value, "true");
        let pos: Vec<&str> = c.positionals.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(pos, ["extra", "--not-a-flag"]);
    }

    #[test]
    fn helpers() {
        assert_eq!(parse_bool("False"), Some(false));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(split_list(" a, ,b "), ["a", "b"]);
        assert_eq!(
            parse_gates("X=true, Y = FALSE ,bad"),
            [("X".into(), "true".into()), ("Y".into(), "false".into())]
        );
    }
}
