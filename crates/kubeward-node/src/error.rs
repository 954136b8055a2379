//! Errors: a problem with one input file (with its line when known), and the errors that stop a
//! check altogether.

use serde::Serialize;
use std::fmt;

/// A problem with one input: an unreadable or malformed file. `line` and `column` are 0 when
/// the problem concerns the whole file. Never contains a secret value: messages name fields,
/// not what they hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl Problem {
    pub fn new(
        file: impl Into<String>,
        line: u32,
        column: u32,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            file: file.into(),
            line,
            column,
            message: message.into(),
        }
    }

    /// A problem with a whole file.
    pub fn file(file: impl Into<String>, message: impl Into<String>) -> Self {
        Problem::new(file, 0, 0, message)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.file, self.message),
            (l, 0) => write!(f, "{}:{l}: {}", self.file, self.message),
            (l, c) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for Problem {}

/// Errors that stop a node check or an etcd check.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Input(#[from] Problem),
    #[error("--root {path}: {message}")]
    Root { path: String, message: String },
    #[error(
        "nothing to check under {root}: no kube-apiserver, etcd or kubelet configuration \
         (static pod manifests in /etc/kubernetes/manifests, kubelet systemd unit) and no \
         such running process"
    )]
    NothingFound { root: String },
    #[error("{0}")]
    Usage(String),
    #[error("etcd: {0}")]
    Etcd(String),
}
