//! The list of allowed connections: every (source, destination) pair that may talk, with the
//! ports. Connections of a workload to itself and between two external ranges are left out.

use crate::conn::ConnSet;
use crate::engine::{Analysis, Endpoint, Matrix};
use crate::model::Model;

pub type End = Endpoint;

/// One allowed connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub conns: ConnSet,
}

/// `ns/name[Kind]` for a workload, `first-last[External]` for an address range.
pub fn end_name(model: &Model<'_>, e: &Endpoint) -> String {
    match e {
        Endpoint::Workload(w) => model.workload_name(*w),
        Endpoint::External(r) => format!("{r}[External]"),
    }
}

/// Every allowed connection, sorted by source then destination name.
pub fn connections(analysis: &Analysis<'_, '_>, matrix: &Matrix) -> Vec<Connection> {
    let model = analysis.model;
    let n = model.workloads.len();
    let mut out = Vec::new();
    for (x, r) in matrix.sources.iter().enumerate() {
        for d in 0..n {
            let c = matrix.from_external(x, d);
            if !c.is_empty() {
                out.push(Connection {
                    src: Endpoint::External(*r),
                    dst: Endpoint::Workload(d),
                    conns: c.clone(),
                });
            }
        }
    }
    for s in 0..n {
        for d in 0..n {
            if s == d {
                continue;
            }
            let c = matrix.between(s, d);
            if !c.is_empty() {
                out.push(Connection {
                    src: Endpoint::Workload(s),
                    dst: Endpoint::Workload(d),
                    conns: c.clone(),
                });
            }
        }
        for (y, r) in matrix.destinations.iter().enumerate() {
            let c = matrix.to_external(s, y);
            if !c.is_empty() {
                out.push(Connection {
                    src: Endpoint::Workload(s),
                    dst: Endpoint::External(*r),
                    conns: c.clone(),
                });
            }
        }
    }
    let mut keyed: Vec<(String, String, Connection)> = out
        .into_iter()
        .map(|c| (end_name(model, &c.src), end_name(model, &c.dst), c))
        .collect();
    keyed.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    keyed.into_iter().map(|(_, _, c)| c).collect()
}
