//! Protocols, ports and connection sets: what a NetworkPolicy allows between two endpoints.

use crate::ranges::RangeSet;
use std::fmt;

/// The protocols a NetworkPolicy governs, in the order connection sets are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Sctp,
    Tcp,
    Udp,
}

impl Protocol {
    pub const ALL: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sctp => "SCTP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    /// `TCP`, `UDP` or `SCTP` as Kubernetes spells them (case-sensitive, like the API server).
    pub fn parse(s: &str) -> Option<Protocol> {
        match s {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const MIN_PORT: u16 = 1;
pub const MAX_PORT: u16 = 65535;

/// A set of (protocol, port) pairs: for each of TCP, UDP and SCTP, a set of ports in 1..=65535.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnSet {
    ports: [RangeSet; 3],
}

impl ConnSet {
    /// No connection.
    pub fn none() -> ConnSet {
        ConnSet::default()
    }

    /// Every port of every protocol.
    pub fn all() -> ConnSet {
        let full = RangeSet::range(MIN_PORT.into(), MAX_PORT.into());
        ConnSet {
            ports: [full.clone(), full.clone(), full],
        }
    }

    /// Every port of one protocol.
    pub fn protocol(p: Protocol) -> ConnSet {
        ConnSet::ports(p, MIN_PORT, MAX_PORT)
    }

    /// Ports `start..=end` of one protocol.
    pub fn ports(p: Protocol, start: u16, end: u16) -> ConnSet {
        let mut c = ConnSet::none();
        c.ports[p.index()] = RangeSet::range(start.into(), end.into());
        c
    }

    pub fn is_empty(&self) -> bool {
        self.ports.iter().all(RangeSet::is_empty)
    }

    pub fn is_all(&self) -> bool {
        let full = u128::from(MAX_PORT - MIN_PORT) + 1;
        self.ports.iter().all(|r| r.len() == full)
    }

    pub fn contains(&self, p: Protocol, port: u16) -> bool {
        self.ports[p.index()].contains(port.into())
    }

    /// The ports of one protocol as inclusive ranges.
    pub fn ranges(&self, p: Protocol) -> impl Iterator<Item = (u16, u16)> + '_ {
        self.ports[p.index()]
            .ranges()
            .iter()
            .map(|&(s, e)| (s as u16, e as u16))
    }

    pub fn union_with(&mut self, other: &ConnSet) {
        for (a, b) in self.ports.iter_mut().zip(&other.ports) {
            a.union_with(b);
        }
    }

    pub fn intersect(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            ports: [
                self.ports[0].intersect(&other.ports[0]),
                self.ports[1].intersect(&other.ports[1]),
                self.ports[2].intersect(&other.ports[2]),
            ],
        }
    }

    pub fn subtract(&self, other: &ConnSet) -> ConnSet {
        ConnSet {
            ports: [
                self.ports[0].subtract(&other.ports[0]),
                self.ports[1].subtract(&other.ports[1]),
                self.ports[2].subtract(&other.ports[2]),
            ],
        }
    }

    pub fn is_subset(&self, other: &ConnSet) -> bool {
        self.subtract(other).is_empty()
    }
}

impl fmt::Display for ConnSet {
    /// `All Connections`, `No Connections`, or e.g. `SCTP 9003,TCP 80,8080-8090,UDP 53`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first = true;
        for p in Protocol::ALL {
            let mut ranges = self.ranges(p).peekable();
            if ranges.peek().is_none() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{p} ")?;
            let mut sep = "";
            for (s, e) in ranges {
                if s == e {
                    write!(f, "{sep}{s}")?;
                } else {
                    write!(f, "{sep}{s}-{e}")?;
                }
                sep = ",";
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_like_the_connection_lists() {
        assert_eq!(ConnSet::all().to_string(), "All Connections");
        assert_eq!(ConnSet::none().to_string(), "No Connections");
        let mut c = ConnSet::ports(Protocol::Tcp, 80, 80);
        c.union_with(&ConnSet::ports(Protocol::Tcp, 8080, 8090));
        c.union_with(&ConnSet::ports(Protocol::Udp, 53, 53));
        c.union_with(&ConnSet::ports(Protocol::Sctp, 9003, 9003));
        assert_eq!(c.to_string(), "SCTP 9003,TCP 80,8080-8090,UDP 53");
        let mut every = ConnSet::protocol(Protocol::Tcp);
        every.union_with(&ConnSet::protocol(Protocol::Udp));
        assert!(!every.is_all());
        every.union_with(&ConnSet::protocol(Protocol::Sctp));
        assert!(every.is_all());
    }

    #[test]
    fn intersection_and_containment() {
        let a = ConnSet::ports(Protocol::Tcp, 1, 100);
        let b = ConnSet::ports(Protocol::Tcp, 50, 200);
        assert_eq!(a.intersect(&b), ConnSet::ports(Protocol::Tcp, 50, 100));
        assert!(a.contains(Protocol::Tcp, 1) && !a.contains(Protocol::Udp, 1));
        assert!(ConnSet::ports(Protocol::Tcp, 60, 70).is_subset(&a));
        assert!(a.intersect(&ConnSet::protocol(Protocol::Udp)).is_empty());
        assert_eq!(
            ConnSet::all()
                .subtract(&ConnSet::ports(Protocol::Udp, 53, 53))
                .to_string(),
            "SCTP 1-65535,TCP 1-65535,UDP 1-52,54-65535"
        );
    }
}
