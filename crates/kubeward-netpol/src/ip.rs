//! IP address sets: `ipBlock` (`cidr` minus `except`), external address ranges, and the split of
//! the address space into ranges no policy can tell apart.

use crate::ranges::RangeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    fn max(self) -> u128 {
        match self {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }

    fn bits(self) -> u32 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }
}

/// A set of addresses of both families.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct IpSet {
    pub v4: RangeSet,
    pub v6: RangeSet,
}

impl IpSet {
    /// Every address of one family.
    pub fn all(family: Family) -> IpSet {
        let mut s = IpSet::default();
        *s.family_mut(family) = RangeSet::range(0, family.max());
        s
    }

    pub fn family(&self, family: Family) -> &RangeSet {
        match family {
            Family::V4 => &self.v4,
            Family::V6 => &self.v6,
        }
    }

    fn family_mut(&mut self, family: Family) -> &mut RangeSet {
        match family {
            Family::V4 => &mut self.v4,
            Family::V6 => &mut self.v6,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let (f, v) = addr_value(addr);
        self.family(f).contains(v)
    }

    pub fn contains_range(&self, r: &IpRange) -> bool {
        RangeSet::range(r.start, r.end).is_subset(self.family(r.family))
    }

    pub fn overlaps_range(&self, r: &IpRange) -> bool {
        RangeSet::range(r.start, r.end).overlaps(self.family(r.family))
    }

    pub fn subtract(&self, other: &IpSet) -> IpSet {
        IpSet {
            v4: self.v4.subtract(&other.v4),
            v6: self.v6.subtract(&other.v6),
        }
    }

    pub fn union_with(&mut self, other: &IpSet) {
        self.v4.union_with(&other.v4);
        self.v6.union_with(&other.v6);
    }

    /// The maximal contiguous ranges of the set.
    pub fn ranges(&self) -> impl Iterator<Item = IpRange> + '_ {
        let v4 = self.v4.ranges().iter().map(|&(s, e)| IpRange {
            family: Family::V4,
            start: s,
            end: e,
        });
        let v6 = self.v6.ranges().iter().map(|&(s, e)| IpRange {
            family: Family::V6,
            start: s,
            end: e,
        });
        v4.chain(v6)
    }
}

/// One contiguous range of addresses, printed `first-last` (`0.0.0.0-255.255.255.255`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpRange {
    pub family: Family,
    pub start: u128,
    pub end: u128,
}

impl IpRange {
    pub fn first(&self) -> IpAddr {
        value_addr(self.family, self.start)
    }

    pub fn last(&self) -> IpAddr {
        value_addr(self.family, self.end)
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let (f, v) = addr_value(addr);
        f == self.family && self.start <= v && v <= self.end
    }

    /// The CIDR this range is exactly, if it is one (`10.0.0.0/8`).
    pub fn as_cidr(&self) -> Option<String> {
        let size = self.end - self.start;
        let host_bits = if size == u128::MAX {
            128
        } else {
            let n = size + 1;
            if !n.is_power_of_two() {
                return None;
            }
            n.trailing_zeros()
        };
        if host_bits > self.family.bits()
            || (host_bits < 128 && !self.start.is_multiple_of(1u128 << host_bits))
        {
            return None;
        }
        Some(format!(
            "{}/{}",
            self.first(),
            self.family.bits() - host_bits
        ))
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first(), self.last())
    }
}

fn addr_value(addr: IpAddr) -> (Family, u128) {
    match addr {
        IpAddr::V4(a) => (Family::V4, u128::from(u32::from(a))),
        IpAddr::V6(a) => (Family::V6, u128::from(a)),
    }
}

fn value_addr(family: Family, v: u128) -> IpAddr {
    match family {
        Family::V4 => IpAddr::V4(Ipv4Addr::from(v as u32)),
        Family::V6 => IpAddr::V6(Ipv6Addr::from(v)),
    }
}

/// Parses `10.0.0.0/8` or `fd00::/8`. Like Go's `net.ParseCIDR` (which the API server uses),
/// host bits may be set: `10.1.2.3/8` is `10.0.0.0/8`.
pub fn parse_cidr(s: &str) -> Result<(Family, RangeSet), String> {
    let Some((addr, len)) = s.split_once('/') else {
        return Err(format!(
            "`{s}` is not a CIDR (expected an address/prefix, e.g. 10.0.0.0/8)"
        ));
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| format!("`{s}` is not a CIDR: `{addr}` is not an IP address"))?;
    let (family, value) = addr_value(addr);
    let len: u32 = match len.parse() {
        Ok(n) if n <= family.bits() && !len.starts_with('+') => n,
        _ => {
            return Err(format!(
                "`{s}` is not a CIDR: the prefix length must be 0-{}",
                family.bits()
            ));
        }
    };
    let host_bits = family.bits() - len;
    let (start, end) = if host_bits >= 128 {
        (0, u128::MAX)
    } else {
        let mask = (1u128 << host_bits) - 1;
        (value & !mask, (value & !mask) | mask)
    };
    Ok((family, RangeSet::range(start, end)))
}

/// Splits the address space into the fewest contiguous ranges such that each given block
/// either contains a range entirely or not at all: the external endpoints no policy can tell
/// apart. IPv4 is always covered (`0.0.0.0/0`); IPv6 only when a block uses it.
pub fn partition(blocks: &[&IpSet]) -> Vec<IpRange> {
    let mut out = Vec::new();
    for family in [Family::V4, Family::V6] {
        let used = blocks.iter().any(|b| !b.family(family).is_empty());
        if family == Family::V6 && !used {
            continue;
        }
        // Every boundary where membership in some block may change.
        let mut cuts: Vec<u128> = vec![0];
        for b in blocks {
            for &(s, e) in b.family(family).ranges() {
                cuts.push(s);
                if e < family.max() {
                    cuts.push(e + 1);
                }
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        // Elementary ranges, then merge neighbours that belong to exactly the same blocks.
        let mut prev: Option<(u128, u128, Vec<bool>)> = None;
        for (i, &start) in cuts.iter().enumerate() {
            let end = cuts.get(i + 1).map_or(family.max(), |&n| n - 1);
            let member: Vec<bool> = blocks
                .iter()
                .map(|b| b.family(family).contains(start))
                .collect();
            match &mut prev {
                Some((_, pe, pm)) if *pm == member => *pe = end,
                _ => {
                    if let Some((s, e, _)) = prev.take() {
                        out.push(IpRange {
                            family,
                            start: s,
                            end: e,
                        });
                    }
                    prev = Some((start, end, member));
                }
            }
        }
        if let Some((s, e, _)) = prev {
            out.push(IpRange {
                family,
                start: s,
                end: e,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(cidr: &str, except: &[&str]) -> IpSet {
        let (f, r) = parse_cidr(cidr).unwrap();
        let mut s = IpSet::default();
        *s.family_mut(f) = r;
        for e in except {
            let (f, r) = parse_cidr(e).unwrap();
            *s.family_mut(f) = s.family(f).subtract(&r);
        }
        s
    }

    #[test]
    fn cidrs_parse_like_go() {
        let (f, r) = parse_cidr("10.1.2.3/8").unwrap();
        assert_eq!(f, Family::V4);
        assert_eq!(r.ranges(), &[(10 << 24, (11 << 24) - 1)]);
        assert!(parse_cidr("0.0.0.0/0").is_ok());
        assert!(parse_cidr("::/0").is_ok());
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("10.0.0.0").is_err());
        assert!(parse_cidr("10.0.0/8").is_err());
        assert!(parse_cidr("fd00::/129").is_err());
        let (_, r) = parse_cidr("169.254.169.254/32").unwrap();
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn partition_splits_the_space_like_the_policies_see_it() {
        // 0.0.0.0/0 except 10.0.0.0/8, 172.21.0.0/16, 172.30.0.0/16 (np-guard's ipblockstest).
        let b = block(
            "0.0.0.0/0",
            &["10.0.0.0/8", "172.21.0.0/16", "172.30.0.0/16"],
        );
        let parts: Vec<String> = partition(&[&b]).iter().map(ToString::to_string).collect();
        assert_eq!(
            parts,
            [
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.255.255.255",
                "11.0.0.0-172.20.255.255",
                "172.21.0.0-172.21.255.255",
                "172.22.0.0-172.29.255.255",
                "172.30.0.0-172.30.255.255",
                "172.31.0.0-255.255.255.255",
            ]
        );
        // No block: one range, the whole IPv4 space.
        let all: Vec<String> = partition(&[]).iter().map(ToString::to_string).collect();
        assert_eq!(all, ["0.0.0.0-255.255.255.255"]);
        // Adjacent blocks stay apart; IPv6 appears when used.
        let a = block("10.0.0.0/16", &[]);
        let c = block("10.1.0.0/16", &[]);
        let v6 = block("fd00::/8", &[]);
        let parts: Vec<String> = partition(&[&a, &c, &v6])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            parts,
            [
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.0.255.255",
                "10.1.0.0-10.1.255.255",
                "10.2.0.0-255.255.255.255",
                "::-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "fe00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ]
        );
    }

    #[test]
    fn ranges_know_their_cidr() {
        let r = IpRange {
            family: Family::V4,
            start: 10 << 24,
            end: (11 << 24) - 1,
        };
        assert_eq!(r.as_cidr().as_deref(), Some("10.0.0.0/8"));
        let all = IpRange {
            family: Family::V4,
            start: 0,
            end: u32::MAX.into(),
        };
        assert_eq!(all.as_cidr().as_deref(), Some("0.0.0.0/0"));
        let odd = IpRange {
            family: Family::V4,
            start: 1,
            end: 2,
        };
        assert_eq!(odd.as_cidr(), None);
        assert!(all.contains("169.254.169.254".parse().unwrap()));
        assert!(!all.contains("::1".parse().unwrap()));
    }
}
