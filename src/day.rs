//! Branch time zones (WIB, WITA, WIT) and the business day they decide.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, OffsetDateTime, UtcOffset, macros::format_description};

/// Month names in Indonesian, January first.
pub const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// The Indonesian name of `month` (`November`).
pub fn month_id(month: time::Month) -> &'static str {
    MONTHS_ID[usize::from(u8::from(month)) - 1]
}

/// Indonesia's three time zones; none observes daylight saving, so each is a fixed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeZone {
    /// Waktu Indonesia Barat, UTC+7.
    #[serde(rename = "WIB")]
    Wib,
    /// Waktu Indonesia Tengah, UTC+8.
    #[serde(rename = "WITA")]
    Wita,
    /// Waktu Indonesia Timur, UTC+9.
    #[serde(rename = "WIT")]
    Wit,
}

impl TimeZone {
    pub fn offset(self) -> UtcOffset {
        let hours = match self {
            TimeZone::Wib => 7,
            TimeZone::Wita => 8,
            TimeZone::Wit => 9,
        };
        UtcOffset::from_hms(hours, 0, 0).expect("7, 8 and 9 hours are valid UTC offsets")
    }

    pub fn name(self) -> &'static str {
        match self {
            TimeZone::Wib => "WIB",
            TimeZone::Wita => "WITA",
            TimeZone::Wit => "WIT",
        }
    }

    /// The zone whose offset is `offset`, if it is one of the three.
    pub fn of_offset(offset: UtcOffset) -> Option<TimeZone> {
        [TimeZone::Wib, TimeZone::Wita, TimeZone::Wit]
            .into_iter()
            .find(|tz| tz.offset() == offset)
    }

    /// The moment shown on the branch's wall clock.
    pub fn local(self, at: OffsetDateTime) -> OffsetDateTime {
        at.to_offset(self.offset())
    }
}

/// A branch's business day: the local calendar date in the branch time zone. Ticket numbers reset,
/// shifts are dated and reports are cut by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BusinessDay(Date);

impl BusinessDay {
    pub fn of(at: OffsetDateTime, tz: TimeZone) -> BusinessDay {
        BusinessDay(tz.local(at).date())
    }

    pub fn date(self) -> Date {
        self.0
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<BusinessDay, String> {
        Date::parse(text.trim(), format_description!("[year]-[month]-[day]"))
            .map(BusinessDay)
            .map_err(|_| crate::words::current().day_unknown(text))
    }

    pub fn from_date(date: Date) -> BusinessDay {
        BusinessDay(date)
    }

    /// The first moment of this day in the branch time zone.
    pub fn start(self, tz: TimeZone) -> OffsetDateTime {
        self.0.midnight().assume_offset(tz.offset())
    }

    /// The next business day (the same day at the end of the calendar).
    pub fn next(self) -> BusinessDay {
        BusinessDay(self.0.next_day().unwrap_or(self.0))
    }

    /// The business day before (the same day at the start of the calendar).
    pub fn previous(self) -> BusinessDay {
        BusinessDay(self.0.previous_day().unwrap_or(self.0))
    }
}

impl fmt::Display for BusinessDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = (self.0.year(), u8::from(self.0.month()), self.0.day());
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_day_turns_at_local_midnight() {
        // 16:59 UTC is 23:59 WIB but already 00:59 WITA the next day.
        let at = datetime!(2026-11-21 16:59 UTC);
        assert_eq!(BusinessDay::of(at, TimeZone::Wib).to_string(), "2026-11-21");
        assert_eq!(
            BusinessDay::of(at, TimeZone::Wita).to_string(),
            "2026-11-22"
        );
        assert_eq!(BusinessDay::of(at, TimeZone::Wit).to_string(), "2026-11-22");
        let day = BusinessDay::parse("2026-11-22").expect("valid date");
        assert_eq!(day.start(TimeZone::Wib), datetime!(2026-11-21 17:00 UTC));
        assert!(BusinessDay::parse("22/11/2026").is_err());
    }
}
