//! Sets of integers kept as sorted, disjoint, non-adjacent inclusive ranges: the ports of a
//! protocol (`1..=65535`) and the addresses of an IP family.

/// A set of `u128` values as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RangeSet {
    ranges: Vec<(u128, u128)>,
}

impl RangeSet {
    pub const fn new() -> RangeSet {
        RangeSet { ranges: Vec::new() }
    }

    /// The set `start..=end` (empty when `start > end`).
    pub fn range(start: u128, end: u128) -> RangeSet {
        let mut s = RangeSet::new();
        s.insert(start, end);
        s
    }

    pub fn ranges(&self) -> &[(u128, u128)] {
        &self.ranges
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn contains(&self, v: u128) -> bool {
        // Ranges are sorted: the candidate is the last range starting at or before `v`.
        let i = self.ranges.partition_point(|&(s, _)| s <= v);
        i > 0 && self.ranges[i - 1].1 >= v
    }

    /// Adds `start..=end`, merging with overlapping or adjacent ranges.
    pub fn insert(&mut self, start: u128, end: u128) {
        if start > end {
            return;
        }
        let (mut s, mut e) = (start, end);
        // First range that could touch: its end + 1 >= start.
        let lo = self
            .ranges
            .partition_point(|&(_, re)| re.saturating_add(1) < s);
        let mut hi = lo;
        while hi < self.ranges.len() && self.ranges[hi].0 <= e.saturating_add(1) {
            s = s.min(self.ranges[hi].0);
            e = e.max(self.ranges[hi].1);
            hi += 1;
        }
        self.ranges.splice(lo..hi, [(s, e)]);
    }

    pub fn union(&self, other: &RangeSet) -> RangeSet {
        let mut out = self.clone();
        out.union_with(other);
        out
    }

    pub fn union_with(&mut self, other: &RangeSet) {
        if other.ranges.is_empty() {
            return;
        }
        if self.ranges.is_empty() {
            self.ranges.clone_from(&other.ranges);
            return;
        }
        for &(s, e) in &other.ranges {
            self.insert(s, e);
        }
    }

    pub fn intersect(&self, other: &RangeSet) -> RangeSet {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a0, a1) = self.ranges[i];
            let (b0, b1) = other.ranges[j];
            let s = a0.max(b0);
            let e = a1.min(b1);
            if s <= e {
                out.push((s, e));
            }
            if a1 < b1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        RangeSet { ranges: out }
    }

    pub fn subtract(&self, other: &RangeSet) -> RangeSet {
        let mut out = Vec::new();
        let mut j = 0;
        for &(s0, e0) in &self.ranges {
            let mut s = s0;
            let mut done = false;
            while j < other.ranges.len() && other.ranges[j].1 < s {
                j += 1;
            }
            let mut k = j;
            while k < other.ranges.len() && other.ranges[k].0 <= e0 {
                let (b0, b1) = other.ranges[k];
                if b0 > s {
                    out.push((s, b0 - 1));
                }
                if b1 >= e0 {
                    done = true;
                    break;
                }
                s = b1 + 1;
                k += 1;
            }
            if !done {
                out.push((s, e0));
            }
        }
        RangeSet { ranges: out }
    }

    /// Is every value of `self` in `other`?
    pub fn is_subset(&self, other: &RangeSet) -> bool {
        self.subtract(other).is_empty()
    }

    pub fn overlaps(&self, other: &RangeSet) -> bool {
        !self.intersect(other).is_empty()
    }

    /// Number of values (saturating).
    pub fn len(&self) -> u128 {
        self.ranges.iter().fold(0u128, |n, &(s, e)| {
            n.saturating_add(e - s).saturating_add(1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(r: &[(u128, u128)]) -> RangeSet {
        let mut s = RangeSet::new();
        for &(a, b) in r {
            s.insert(a, b);
        }
        s
    }

    #[test]
    fn insert_merges_overlapping_and_adjacent_ranges() {
        let s = set(&[(10, 20), (30, 40), (21, 25), (5, 9)]);
        assert_eq!(s.ranges(), &[(5, 25), (30, 40)]);
        let s = set(&[(1, 3), (7, 9), (2, 8)]);
        assert_eq!(s.ranges(), &[(1, 9)]);
        let s = set(&[(u128::MAX - 1, u128::MAX), (0, 0)]);
        assert_eq!(s.ranges(), &[(0, 0), (u128::MAX - 1, u128::MAX)]);
        assert!(set(&[(5, 4)]).is_empty());
    }

    #[test]
    fn set_operations() {
        let a = set(&[(1, 10), (20, 30)]);
        let b = set(&[(5, 25)]);
        assert_eq!(a.intersect(&b).ranges(), &[(5, 10), (20, 25)]);
        assert_eq!(a.union(&b).ranges(), &[(1, 30)]);
        assert_eq!(a.subtract(&b).ranges(), &[(1, 4), (26, 30)]);
        assert_eq!(b.subtract(&a).ranges(), &[(11, 19)]);
        assert!(set(&[(6, 8)]).is_subset(&a));
        assert!(!b.is_subset(&a));
        assert!(a.contains(1) && a.contains(30) && !a.contains(15) && !a.contains(0));
        assert_eq!(a.len(), 21);
        let full = set(&[(0, u128::MAX)]);
        assert_eq!(full.subtract(&set(&[(0, 0)])).ranges(), &[(1, u128::MAX)]);
        assert!(full.subtract(&full).is_empty());
    }
}
