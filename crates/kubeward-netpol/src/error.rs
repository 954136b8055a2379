//! Errors in the input: every one names the file, line and column, the object, and what was
//! expected.

use kubeward_core::{Location, Object};
use std::fmt;

/// One problem with one object of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub location: Location,
    /// `NetworkPolicy shop/allow-web`.
    pub object: String,
    /// JSON pointer of the offending field.
    pub pointer: String,
    pub message: String,
}

impl Error {
    pub fn at(obj: &Object, pointer: &str, message: impl Into<String>) -> Error {
        Error {
            location: obj.locate(pointer),
            object: describe(obj),
            pointer: pointer.to_string(),
            message: message.into(),
        }
    }
}

/// `Kind namespace/name` (or `Kind name` for cluster-scoped objects).
pub fn describe(obj: &Object) -> String {
    match &obj.namespace {
        Some(ns) => format!("{} {}/{}", obj.kind, ns, obj.name),
        None if is_namespaced(&obj.kind) => format!("{} default/{}", obj.kind, obj.name),
        None => format!("{} {}", obj.kind, obj.name),
    }
}

fn is_namespaced(kind: &str) -> bool {
    !matches!(
        kind,
        "Namespace" | "AdminNetworkPolicy" | "BaselineAdminNetworkPolicy" | "Node"
    )
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.location;
        if l.line == 0 {
            write!(f, "{}", l.file)?;
        } else {
            write!(f, "{}:{}:{}", l.file, l.line, l.column)?;
        }
        write!(f, ": {}", self.object)?;
        if !self.pointer.is_empty() {
            write!(f, " ({})", self.pointer)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for Error {}

/// Everything wrong with the input; the analysis does not run on a partly understood input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errors(pub Vec<Error>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for e in &self.0 {
            write!(f, "{sep}{e}")?;
            sep = "\n";
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}
