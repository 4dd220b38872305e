//! Time: instants as milliseconds UTC, calendar dates as days.
//!
//! The caller supplies the clock; the library never reads one. chrono does
//! the calendar arithmetic. In JSON both appear as text (RFC 3339 and
//! `YYYY-MM-DD`); in the ledger as zigzag varints.

use core::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant: milliseconds since 1970-01-01T00:00:00Z, no leap seconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

/// A calendar date (production date, expiry): days since 1970-01-01.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Date(pub i32);

const EPOCH_DAYS_FROM_CE: i32 = 719_163;

impl Timestamp {
    /// Milliseconds in an hour, for response-time arithmetic.
    pub const HOUR: i64 = 3_600_000;

    /// From a chrono instant (sub-millisecond precision is dropped).
    #[must_use]
    pub fn from_datetime(t: DateTime<Utc>) -> Self {
        Self(t.timestamp_millis())
    }

    /// As a chrono instant; `None` outside chrono's range.
    #[must_use]
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(self.0)
    }

    /// Parses RFC 3339 text such as `2026-03-01T08:00:00Z` or `...+01:00`.
    ///
    /// # Errors
    /// When the text is not RFC 3339.
    pub fn parse_rfc3339(text: &str) -> Result<Self, chrono::ParseError> {
        DateTime::parse_from_rfc3339(text).map(|t| Self(t.timestamp_millis()))
    }

    /// The UTC calendar date this instant falls on (saturating far outside
    /// the calendar's range).
    #[must_use]
    pub fn date(self) -> Date {
        let days = self.0.div_euclid(24 * Self::HOUR);
        Date(i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX }))
    }

    /// Milliseconds from `earlier` to `self` (negative when `self` is earlier).
    #[must_use]
    pub const fn since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl Date {
    /// From a chrono date.
    #[must_use]
    pub fn from_naive(d: NaiveDate) -> Self {
        Self(d.num_days_from_ce() - EPOCH_DAYS_FROM_CE)
    }

    /// From year, month and day; `None` when there is no such date.
    #[must_use]
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, day).map(Self::from_naive)
    }

    /// As a chrono date; `None` outside chrono's range.
    #[must_use]
    pub fn to_naive(self) -> Option<NaiveDate> {
        NaiveDate::from_num_days_from_ce_opt(self.0.checked_add(EPOCH_DAYS_FROM_CE)?)
    }

    /// The instant this date starts, UTC.
    #[must_use]
    pub fn start(self) -> Timestamp {
        Timestamp(i64::from(self.0) * 24 * Timestamp::HOUR)
    }
}

/// The first and past-the-last instants of years 0000 to 9999, which
/// [`Timestamp`]'s `Display` writes without chrono.
const FOUR_DIGIT_YEARS: core::ops::Range<i64> = -62_167_219_200_000..253_402_300_800_000;

/// The proleptic Gregorian (year, month, day) of `days` since 1970-01-01
/// (H. Hinnant's `civil_from_days`, the calendar chrono uses).
#[expect(clippy::cast_possible_truncation, reason = "day 1 to 31, month 1 to 12")]
const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + (month <= 2) as i64, month, day)
}

impl fmt::Display for Timestamp {
    /// RFC 3339 with milliseconds, always UTC: `2026-03-01T08:00:00.000Z`.
    #[expect(clippy::cast_possible_truncation, reason = "parts of one day, and year 0 to 9999")]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if FOUR_DIGIT_YEARS.contains(&self.0) {
            // Exports write millions of these: digits, without the
            // formatting machinery (`display_matches_chrono` checks it).
            const DAY: i64 = 24 * Timestamp::HOUR;
            let (y, mo, d) = civil_from_days(self.0.div_euclid(DAY));
            let ms = self.0.rem_euclid(DAY);
            let y = y.clamp(0, 9999) as u32;
            let (h, mi, s, milli) = (
                (ms / Self::HOUR) as u32,
                (ms / 60_000 % 60) as u32,
                (ms / 1000 % 60) as u32,
                (ms % 1000) as u32,
            );
            let digit = |n: u32| b'0' + (n % 10) as u8;
            let text = [
                digit(y / 1000),
                digit(y / 100),
                digit(y / 10),
                digit(y),
                b'-',
                digit(mo / 10),
                digit(mo),
                b'-',
                digit(d / 10),
                digit(d),
                b'T',
                digit(h / 10),
                digit(h),
                b':',
                digit(mi / 10),
                digit(mi),
                b':',
                digit(s / 10),
                digit(s),
                b'.',
                digit(milli / 100),
                digit(milli / 10),
                digit(milli),
                b'Z',
            ];
            return f.write_str(core::str::from_utf8(&text).map_err(|_| fmt::Error)?);
        }
        match self.to_datetime() {
            Some(t) => write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.timestamp_subsec_millis()
            ),
            None => write!(f, "{}ms", self.0),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_naive() {
            Some(d) => write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
            None => write!(f, "day {}", self.0),
        }
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Timestamp {
    /// Text (RFC 3339) for people in the years 0000 to 9999; a plain
    /// number of milliseconds otherwise, and always in the ledger.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable()
            && self.to_datetime().is_some_and(|t| (0..=9999).contains(&t.year()))
        {
            s.collect_str(self)
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 time or milliseconds since 1970 UTC")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Ok(Timestamp(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v)
                    .map(Timestamp)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse_rfc3339(v)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        if d.is_human_readable() { d.deserialize_any(V) } else { d.deserialize_i64(V) }
    }
}

impl Serialize for Date {
    /// `YYYY-MM-DD` for people in the years 0000 to 9999; a plain number of
    /// days otherwise, and always in the ledger.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() && self.to_naive().is_some_and(|d| (0..=9999).contains(&d.year()))
        {
            s.collect_str(self)
        } else {
            s.serialize_i32(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date as YYYY-MM-DD or days since 1970-01-01")
            }
            fn visit_i32<E: de::Error>(self, v: i32) -> Result<Date, E> {
                Ok(Date(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Date, E> {
                i32::try_from(v)
                    .map(Date)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Date, E> {
                i32::try_from(v)
                    .map(Date)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Date, E> {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map(Date::from_naive)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        if d.is_human_readable() { d.deserialize_any(V) } else { d.deserialize_i32(V) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digit-by-digit `Display` writes what chrono's calendar gives,
    /// around leap days, century years, the epoch, negative instants and
    /// both ends of the four-digit years.
    #[test]
    fn display_matches_chrono() {
        let chrono_text = |t: Timestamp| {
            let d = t.to_datetime().unwrap();
            std::format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                d.year(),
                d.month(),
                d.day(),
                d.hour(),
                d.minute(),
                d.second(),
                d.timestamp_subsec_millis()
            )
        };
        let mut instants = std::vec![
            0,
            -1,
            1,
            FOUR_DIGIT_YEARS.start,
            FOUR_DIGIT_YEARS.end - 1,
            951_782_400_000,
            4_107_542_399_999,
            -2_203_891_200_001,
            1_772_352_000_123,
        ];
        // Every day from 1896 to 2104 at an odd time, and a stride through
        // the whole range.
        let day = 24 * Timestamp::HOUR;
        instants.extend((-27_000..49_000).map(|n| n * day + 45_296_789));
        let (start, end) = (FOUR_DIGIT_YEARS.start, FOUR_DIGIT_YEARS.end);
        instants.extend((0..20_000).map(|k| start + (end - start) / 20_000 * k + k * 7_919));
        for ms in instants {
            let t = Timestamp(ms);
            assert_eq!(std::format!("{t}"), chrono_text(t), "{ms}");
        }
        assert_eq!(
            std::format!("{}", Timestamp(FOUR_DIGIT_YEARS.start)),
            "0000-01-01T00:00:00.000Z"
        );
        assert_eq!(
            std::format!("{}", Timestamp(FOUR_DIGIT_YEARS.end - 1)),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(std::format!("{}", Timestamp(-1)), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn dates_and_instants() {
        let d = Date::from_ymd(2026, 12, 31).unwrap();
        assert_eq!(d.to_naive().unwrap(), NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        assert_eq!(Date::from_ymd(1970, 1, 1).unwrap(), Date(0));
        assert!(Date::from_ymd(2026, 2, 29).is_none());
        let t = Timestamp::parse_rfc3339("2026-03-01T09:00:00+01:00").unwrap();
        assert_eq!(t, Timestamp(1_772_352_000_000));
        let mut s = heapless::String::<40>::new();
        core::fmt::write(&mut s, format_args!("{t}")).unwrap();
        assert_eq!(s.as_str(), "2026-03-01T08:00:00.000Z");
        assert_eq!(
            Date::from_ymd(2026, 3, 1).unwrap().start(),
            Timestamp(t.0 - 8 * Timestamp::HOUR)
        );
    }
}
