//! Kubernetes API server audit logs: parsing, detections and reports.
//!
//! The pipeline is a stream: a [`source`] reads audit records from files (JSON lines, JSON
//! arrays, `EventList`s, gzip, and the managed-cloud wrappers of EKS, GKE and AKS) and hands
//! each [`Event`] to a callback as soon as it is parsed; the [`detect::Engine`] takes events one
//! at a time (stateless detections plus windowed, stateful ones) and emits [`detect::Alert`]s;
//! the [`report::Report`] aggregates what happened. Nothing holds the whole log: memory is
//! bounded by the largest record, the windows and the aggregates, not by the file size.
//!
//! Events borrow from the line they were parsed from (`Cow<str>` and `&RawValue` for the
//! request and response bodies, which are only parsed when a detection needs them), so parsing
//! a Metadata-level event allocates little or nothing.

#![forbid(unsafe_code)]

pub mod analyze;
pub mod config;
pub mod csr;
pub mod detect;
pub mod event;
pub mod expr;
pub mod html;
pub mod ip;
pub mod patch;
pub mod report;
pub mod source;
pub mod time;
mod wrappers;

pub use config::{AuditConfig, ConfigError};
pub use detect::{Alert, AlertEvent, Detection, Engine};
pub use event::{Event, Stage};
pub use report::Report;
pub use source::{ParseError, ReadStats, Record};
