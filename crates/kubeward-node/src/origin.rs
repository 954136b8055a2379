//! Where a configuration value came from: a line of a file on the node, an argument of a
//! running process, or a component's built-in default.

use serde::{Serialize, Serializer};
use std::fmt;

/// The source of one value. Paths are the node's paths (`/etc/kubernetes/...`), never the
/// `--root` directory they were read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A line of a file (1-based; 0 when the whole file is meant).
    File { path: String, line: u32 },
    /// Argument `arg` (0 = the program) of a running process.
    Process { pid: u32, arg: usize },
    /// Not set anywhere: the component's default, described.
    Default(&'static str),
}

impl Origin {
    pub fn file(path: impl Into<String>, line: u32) -> Origin {
        Origin::File {
            path: path.into(),
            line,
        }
    }

    /// Is this a default (nothing set it)?
    pub fn is_default(&self) -> bool {
        matches!(self, Origin::Default(_))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line: 0 } => f.write_str(path),
            Origin::File { path, line } => write!(f, "{path}:{line}"),
            Origin::Process { pid, arg } => write!(f, "/proc/{pid}/cmdline (argument {arg})"),
            Origin::Default(what) => write!(f, "default: {what}"),
        }
    }
}

impl Serialize for Origin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub value: String,
    pub source: Origin,
}

impl Setting {
    pub fn new(value: impl Into<String>, source: Origin) -> Setting {
        Setting {
            value: value.into(),
            source,
        }
    }
}
