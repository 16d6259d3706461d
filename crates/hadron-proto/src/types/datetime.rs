//! Dates and times (RFC 3501 §9 `date`, `date-time`).

use std::fmt;

use crate::types::ValidationError;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The three-letter English month name of `month` (1-12).
pub(crate) fn month_name(month: u8) -> &'static str {
    MONTHS[usize::from(month - 1)]
}

/// The month (1-12) named by a case-insensitive three-letter abbreviation.
pub(crate) fn month_from_name(name: &[u8]) -> Option<u8> {
    MONTHS
        .iter()
        .position(|m| m.as_bytes().eq_ignore_ascii_case(name))
        .map(|i| i as u8 + 1)
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A calendar date: `date-text = date-day "-" date-month "-" date-year`,
/// as used by SEARCH `SINCE`/`BEFORE`/`ON`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// A validated date (year 1-9999, real day of month).
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, ValidationError> {
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(ValidationError::BadDate);
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(ValidationError::BadDate);
        }
        Ok(Date { year, month, day })
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1-12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1-31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        )
    }
}

impl fmt::Display for Date {
    /// The wire form, `1-Feb-1994`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}-{:04}",
            self.day,
            month_name(self.month),
            self.year
        )
    }
}

/// A timestamp with its zone: `date-time = DQUOTE date-day-fixed "-"
/// date-month "-" date-year SP time SP zone DQUOTE` (INTERNALDATE, APPEND).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
    /// Offset from UTC in minutes (`-0500` is -300).
    zone_minutes: i16,
}

impl DateTime {
    /// A validated timestamp. `zone_minutes` must be within ±99:59.
    pub fn new(
        date: Date,
        hour: u8,
        minute: u8,
        second: u8,
        zone_minutes: i16,
    ) -> Result<Self, ValidationError> {
        // A leap second (60) is admitted, as in RFC 5322.
        if hour > 23 || minute > 59 || second > 60 || zone_minutes.abs() > 99 * 60 + 59 {
            return Err(ValidationError::BadDate);
        }
        Ok(DateTime {
            date,
            hour,
            minute,
            second,
            zone_minutes,
        })
    }

    /// The timestamp `unix_seconds` seen in the zone `zone_minutes` east of UTC.
    pub fn from_unix(unix_seconds: i64, zone_minutes: i16) -> Result<Self, ValidationError> {
        let local = unix_seconds + i64::from(zone_minutes) * 60;
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let year = u16::try_from(year).map_err(|_| ValidationError::BadDate)?;
        DateTime::new(
            Date::new(year, month, day)?,
            (secs / 3600) as u8,
            (secs / 60 % 60) as u8,
            (secs % 60) as u8,
            zone_minutes,
        )
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn to_unix(self) -> i64 {
        self.date.days_since_epoch() * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.zone_minutes) * 60
    }

    /// The local calendar date.
    pub fn date(self) -> Date {
        self.date
    }

    /// Hour, minute and second of the local time.
    pub fn time(self) -> (u8, u8, u8) {
        (self.hour, self.minute, self.second)
    }

    /// Offset from UTC in minutes.
    pub fn zone_minutes(self) -> i16 {
        self.zone_minutes
    }
}

impl fmt::Display for DateTime {
    /// The wire form without quotes, ` 1-Feb-1994 21:52:25 -0800`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.zone_minutes < 0 { '-' } else { '+' };
        let zone = self.zone_minutes.unsigned_abs();
        write!(
            f,
            "{:>2}-{}-{:04} {:02}:{:02}:{:02} {sign}{:02}{:02}",
            self.date.day,
            month_name(self.date.month),
            self.date.year,
            self.hour,
            self.minute,
            self.second,
            zone / 60,
            zone % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_calendar() {
        assert!(Date::new(2024, 2, 29).is_ok());
        assert!(Date::new(2023, 2, 29).is_err());
        assert!(Date::new(1900, 2, 29).is_err());
        assert!(Date::new(2000, 2, 29).is_ok());
        assert!(Date::new(2024, 13, 1).is_err());
        assert!(Date::new(0, 1, 1).is_err());
    }

    #[test]
    fn unix_round_trip() {
        let d = DateTime::new(Date::new(1994, 2, 1).unwrap(), 21, 52, 25, -480).unwrap();
        assert_eq!(d.to_unix(), 760_168_345);
        assert_eq!(DateTime::from_unix(760_168_345, -480).unwrap(), d);
        assert_eq!(d.to_string(), " 1-Feb-1994 21:52:25 -0800");
    }

    #[test]
    fn month_names() {
        assert_eq!(month_from_name(b"jUL"), Some(7));
        assert_eq!(month_from_name(b"Foo"), None);
        assert_eq!(Date::new(2024, 7, 4).unwrap().to_string(), "4-Jul-2024");
    }
}
