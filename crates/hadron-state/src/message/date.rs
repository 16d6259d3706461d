//! Tolerant parsing of the `Date:` header (RFC 5322 §3.3, plus the
//! obsolete and broken forms seen in real mail) to Unix seconds, for
//! SEARCH SENTBEFORE/SENTON/SENTSINCE.
//!
//! The value is split into words; the month is the first word naming one,
//! the time the first word with a colon, the zone a `+hhmm`/`-hhmm` word or
//! a named zone, numbers of three or more digits the year, smaller ones the
//! day and then the (two-digit) year. That accepts RFC 5322, asctime
//! (`Mon Jan  2 15:04:05 2006`) and most misorderings. A missing zone is
//! UTC; a missing time is midnight.

const MONTHS: [&[u8]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

fn month(word: &[u8]) -> Option<u32> {
    if word.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| word[..3].eq_ignore_ascii_case(m))
        .map(|i| i as u32 + 1)
}

fn zone(word: &[u8]) -> Option<i64> {
    if let [sign @ (b'+' | b'-'), d @ ..] = word
        && d.len() == 4
        && d.iter().all(u8::is_ascii_digit)
    {
        let n = |i: usize| i64::from(d[i] - b'0');
        let minutes = (n(0) * 10 + n(1)) * 60 + n(2) * 10 + n(3);
        return Some(if *sign == b'-' { -minutes } else { minutes } * 60);
    }
    let hours = match word.to_ascii_uppercase().as_slice() {
        b"UT" | b"UTC" | b"GMT" | b"Z" => 0,
        b"EDT" => -4,
        b"EST" | b"CDT" => -5,
        b"CST" | b"MDT" => -6,
        b"MST" | b"PDT" => -7,
        b"PST" => -8,
        _ => return None,
    };
    Some(hours * 3600)
}

fn number(word: &[u8]) -> Option<i64> {
    if word.is_empty() || word.len() > 9 || !word.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(word).ok()?.parse().ok()
}

fn time(word: &[u8]) -> Option<i64> {
    let mut parts = word.split(|&b| b == b':');
    let h = number(parts.next()?)?;
    let m = number(parts.next()?)?;
    let s = match parts.next() {
        Some(s) => number(s.split(|&b| b == b'.').next()?)?,
        None => 0,
    };
    (h < 24 && m < 60 && s <= 60).then_some(h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses a Date value to Unix seconds (UTC); `None` when no day, month
/// and year can be found.
pub(crate) fn parse(v: &[u8]) -> Option<i64> {
    parse_zoned(v).map(|(utc, _)| utc)
}

/// Parses a Date value to Unix seconds (UTC) and the zone offset written
/// in it (seconds east of UTC; 0 when missing).
pub(crate) fn parse_zoned(v: &[u8]) -> Option<(i64, i64)> {
    let mut mon = None;
    let mut secs = None;
    let mut tz = None;
    let mut day = None;
    let mut year = None;
    let words = v
        .split(|&b| b.is_ascii_whitespace() || b == b',')
        .filter(|w| !w.is_empty());
    let mut in_comment = false;
    for w in words {
        if in_comment || w.starts_with(b"(") {
            in_comment = !w.ends_with(b")");
            continue;
        }
        if mon.is_none()
            && let Some(m) = month(w)
        {
            mon = Some(m);
        } else if secs.is_none() && w.contains(&b':') {
            secs = time(w);
        } else if tz.is_none()
            && let Some(z) = zone(w)
        {
            tz = Some(z);
        } else if let Some(n) = number(w) {
            if w.len() >= 3 {
                year.get_or_insert(n);
            } else if day.is_none() {
                day = Some(n);
            } else {
                year.get_or_insert(if n < 50 { 2000 + n } else { 1900 + n });
            }
        }
    }
    let (mon, day, year) = (mon?, day?, year?);
    if !(1..=31).contains(&day) || !(1000..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, mon, day as u32);
    let tz = tz.unwrap_or(0);
    Some((days * 86_400 + secs.unwrap_or(0) - tz, tz))
}

#[cfg(test)]
mod tests {
    use super::{parse, parse_zoned};

    #[test]
    fn zoned_keeps_the_offset() {
        assert_eq!(
            parse_zoned(b"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)"),
            Some((837_595_405, -7 * 3600))
        );
        assert_eq!(parse_zoned(b"1 Jan 1970 00:00:00"), Some((0, 0)));
        assert_eq!(
            parse_zoned(b"1 Jan 1970 01:00:00 +0130"),
            Some((-1800, 5400))
        );
    }

    #[test]
    fn rfc5322_and_zones() {
        // RFC 3501 §8 example date.
        assert_eq!(
            parse(b"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)"),
            Some(837_595_405)
        );
        assert_eq!(parse(b"Thu, 1 Jan 1970 00:00:00 +0000"), Some(0));
        assert_eq!(parse(b"1 Jan 1970 01:00:00 +0100"), Some(0));
        assert_eq!(parse(b"Sat, 28 Nov 2026 13:00:00 GMT"), Some(1_795_870_800));
        assert_eq!(
            parse(b"Fri, 27 Nov 2026 20:00:00 PST"),
            parse(b"28 Nov 2026 04:00:00 +0000")
        );
    }

    #[test]
    fn tolerant_forms() {
        // asctime
        assert_eq!(parse(b"Thu Jan  1 00:00:10 1970"), Some(10));
        // two-digit year, no zone, no seconds, lower case month
        assert_eq!(parse(b"1 jan 70 00:01"), Some(60));
        assert_eq!(
            parse(b"1 Jan 05 00:00:00 +0000"),
            parse(b"1 Jan 2005 00:00:00 +0000")
        );
        // no time
        assert_eq!(parse(b"2 Jan 1970"), Some(86_400));
        assert_eq!(parse(b"garbage"), None);
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"99 Jan 2000"), None);
    }
}
