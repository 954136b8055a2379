//! Timestamps: RFC 3339 (and the space-separated variant some log pipelines write) to
//! microseconds since the Unix epoch, and back. No allocation, no time-zone database.

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

pub const SECOND: Micros = 1_000_000;
pub const MINUTE: Micros = 60 * SECOND;
pub const HOUR: Micros = 60 * MINUTE;

/// Parses `2026-11-23T18:30:07.558878Z`, `2018-10-26T13:38:34Z`, `...+02:00`, and
/// `2022-11-29 00:09:04.38` (no zone: UTC). Fractions beyond microseconds are truncated.
pub fn parse(s: &str) -> Option<Micros> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |from: usize, len: usize| -> Option<i64> {
        let mut v = 0i64;
        for &c in b.get(from..from + len)? {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, min, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut micros = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let mut digits = 0;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            if digits < 6 {
                micros = micros * 10 + i64::from(c - b'0');
            }
            digits += 1;
            i += 1;
        }
        if digits == 0 {
            return None;
        }
        for _ in digits..6 {
            micros *= 10;
        }
    }
    let offset_secs = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
            let h = num(i + 1, 2)?;
            let m = num(i + 4, 2)?;
            let o = h * 3600 + m * 60;
            if sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec - offset_secs;
    Some(secs * SECOND + micros)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2026-11-23T18:30:07.558878Z` (microseconds always written).
pub fn format(t: Micros) -> String {
    let secs = t.div_euclid(SECOND);
    let micros = t.rem_euclid(SECOND);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A duration like `30s`, `10m`, `1h`, `1h30m`, `500ms` in microseconds.
pub fn parse_duration(s: &str) -> Option<Micros> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total: Micros = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = match &rest[..unit_len] {
            "ms" => 1_000,
            "s" => SECOND,
            "m" => MINUTE,
            "h" => HOUR,
            "d" => 24 * HOUR,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// `1h30m`, `10m`, `45s`, `1.5s` style rendering of a duration.
pub fn format_duration(d: Micros) -> String {
    if d < SECOND {
        return format!("{}ms", d / 1000);
    }
    let s = d / SECOND;
    let (h, m, s) = (s / 3600, s % 3600 / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_shapes_seen_in_audit_logs() {
        let t = parse("2026-11-23T18:30:07.558878Z").unwrap();
        assert_eq!(format(t), "2026-11-23T18:30:07.558878Z");
        assert_eq!(parse("2018-10-26T13:38:34Z").unwrap() % SECOND, 0);
        assert_eq!(
            parse("2022-11-29 00:09:04.38").unwrap(),
            parse("2022-11-29T00:09:04.380000Z").unwrap()
        );
        assert_eq!(
            parse("2024-11-13 23:50:32.672347000").unwrap(),
            parse("2024-11-13T23:50:32.672347Z").unwrap()
        );
        assert_eq!(
            parse("2026-11-23T20:30:07+02:00").unwrap(),
            parse("2026-11-23T18:30:07Z").unwrap()
        );
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(format(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            parse("2000-02-29T00:00:00Z").map(format).as_deref(),
            Some("2000-02-29T00:00:00.000000Z")
        );
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2026-11-23",
            "2026-13-01T00:00:00Z",
            "2026-11-23T18:30:07.Z",
            "x026-11-23T18:30:07Z",
            "2026-11-23T18:30:07Zjunk",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10m"), Some(10 * MINUTE));
        assert_eq!(parse_duration("1h30m"), Some(90 * MINUTE));
        assert_eq!(parse_duration("500ms"), Some(500_000));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(format_duration(90 * MINUTE), "1h30m");
        assert_eq!(format_duration(3 * SECOND), "3s");
    }
}
