//! How a moment is written: one style for people ("6 Desember 2026 15.54 WIB") and ISO 8601 with
//! the branch's offset for machines ("2026-12-06T15:54:00+07:00"). Every screen, slip, mail,
//! report and command line that shows a time goes through here.

use time::{Date, OffsetDateTime, UtcOffset};

use crate::day::{TimeZone, month_id};

/// A moment on a branch's wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    local: OffsetDateTime,
    zone: Zone,
}

/// The zone a moment is shown in: one of the branch zones, or any other offset (a signature made
/// elsewhere), written `UTC+05:30`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    Branch(TimeZone),
    Other(UtcOffset),
}

impl When {
    /// `at` on the clock of zone `tz`.
    pub fn at(at: OffsetDateTime, tz: TimeZone) -> When {
        When {
            local: tz.local(at),
            zone: Zone::Branch(tz),
        }
    }

    /// A stored timestamp (milliseconds since the epoch) on the clock of zone `tz`.
    pub fn ms(ms: i64, tz: TimeZone) -> When {
        When::at(crate::store::from_ms(ms), tz)
    }

    /// `at` in its own offset: WIB, WITA or WIT when it is one of them.
    pub fn in_own_offset(at: OffsetDateTime) -> When {
        let zone = TimeZone::of_offset(at.offset()).map_or(Zone::Other(at.offset()), Zone::Branch);
        When { local: at, zone }
    }

    /// `6 Desember 2026 15.54 WIB`.
    pub fn full(self) -> String {
        format!("{} {}", self.date(), self.time_zone())
    }

    /// `6 Desember 2026`.
    pub fn date(self) -> String {
        date(self.local.date())
    }

    /// The date with other month names (the screens in English): `6 December 2026`.
    pub fn date_in(self, months: &[&str; 12]) -> String {
        date_in(self.local.date(), months)
    }

    /// `15.54`: where only the time is shown and the day is plain from around it.
    pub fn time(self) -> String {
        format!("{:02}.{:02}", self.local.hour(), self.local.minute())
    }

    /// The time alone when the moment is on the same day as `now` (in this zone), else date and
    /// time: for lists where most rows are from today but some may be older.
    pub fn on_day_of(self, now: OffsetDateTime) -> String {
        if self.local.date() == now.to_offset(self.local.offset()).date() {
            self.time()
        } else {
            self.full()
        }
    }

    /// `15.54 WIB`.
    pub fn time_zone(self) -> String {
        format!("{} {}", self.time(), self.zone_name())
    }

    /// `WIB`, `WITA`, `WIT` or `UTC+05:30`.
    pub fn zone_name(self) -> String {
        match self.zone {
            Zone::Branch(tz) => tz.name().to_string(),
            Zone::Other(o) if o.is_utc() => "UTC".to_string(),
            Zone::Other(o) => {
                let (h, m, _) = o.as_hms();
                let sign = if o.is_negative() { '-' } else { '+' };
                format!("UTC{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
            }
        }
    }

    /// `2026-12-06T15:54:00+07:00`: ISO 8601 to the second with the zone's offset, for CSV, JSON
    /// and other files a program reads.
    pub fn iso(self) -> String {
        let t = self.local;
        let (h, m, _) = t.offset().as_hms();
        let sign = if t.offset().is_negative() { '-' } else { '+' };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            h.unsigned_abs(),
            m.unsigned_abs()
        )
    }
}

/// `6 Desember 2026` for a calendar date (a business day).
pub fn date(d: Date) -> String {
    format!("{} {} {}", d.day(), month_id(d.month()), d.year())
}

/// A calendar date with other month names, January first.
pub fn date_in(d: Date, months: &[&str; 12]) -> String {
    let month = months[usize::from(u8::from(d.month())) - 1];
    format!("{} {month} {}", d.day(), d.year())
}

/// `6 Desember 2026` for a business day written `2026-12-06`; the text itself if it is not one.
pub fn day_text(day: &str) -> String {
    crate::day::BusinessDay::parse(day).map_or_else(|_| day.to_string(), |d| date(d.date()))
}

/// The keys of `--json` outputs that hold a moment as milliseconds since the epoch (durations
/// such as `waited_ms` are left as they are). Each is written as ISO 8601 under its name without
/// `_ms`: `"at_ms": 1795…` becomes `"at": "2026-11-23T08:05:00+07:00"`.
const MOMENT_KEYS: &[&str] = &[
    "at_ms",
    "closed_ms",
    "created_ms",
    "ended_ms",
    "expires_ms",
    "issued_at_ms",
    "last_health_ms",
    "last_load_ms",
    "locked_until_ms",
    "made_ms",
    "newest_at_ms",
    "next_attempt_ms",
    "next_due_ms",
    "now_ms",
    "opened_ms",
    "paid_ms",
    "printed_ms",
    "sent_ms",
    "since_ms",
    "spoiled_ms",
    "stamped_ms",
    "started_ms",
];

/// Rewrites the moments of a `--json` value (see [`MOMENT_KEYS`]) as ISO 8601 in zone `tz`,
/// everywhere in it.
pub fn json_moments(value: &mut serde_json::Value, tz: TimeZone) {
    match value {
        serde_json::Value::Object(map) => {
            let keys: Vec<String> = map
                .keys()
                .filter(|k| MOMENT_KEYS.contains(&k.as_str()))
                .cloned()
                .collect();
            for key in keys {
                let Some(old) = map.remove(&key) else {
                    continue;
                };
                let new = match old.as_i64() {
                    Some(ms) => serde_json::Value::String(When::ms(ms, tz).iso()),
                    None => old,
                };
                let name = key.strip_suffix("_ms").unwrap_or(&key).to_string();
                // A value that already has the plain name (a manifest's `created`) keeps it.
                if map.contains_key(&name) {
                    map.insert(key, new);
                } else {
                    map.insert(name, new);
                }
            }
            for v in map.values_mut() {
                json_moments(v, tz);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                json_moments(v, tz);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn one_style_for_people_and_iso_8601_for_programs() {
        let at = datetime!(2026-12-06 08:54:09 UTC);
        let check = |tz, full: &str, iso: &str| {
            let w = When::at(at, tz);
            assert_eq!(w.full(), full);
            assert_eq!(w.iso(), iso);
        };
        check(
            TimeZone::Wib,
            "6 Desember 2026 15.54 WIB",
            "2026-12-06T15:54:09+07:00",
        );
        check(
            TimeZone::Wita,
            "6 Desember 2026 16.54 WITA",
            "2026-12-06T16:54:09+08:00",
        );
        check(
            TimeZone::Wit,
            "6 Desember 2026 17.54 WIT",
            "2026-12-06T17:54:09+09:00",
        );
        let w = When::at(datetime!(2026-01-31 17:05 UTC), TimeZone::Wib);
        assert_eq!(
            (w.date(), w.time()),
            ("1 Februari 2026".into(), "00.05".into())
        );
        assert_eq!(w.time_zone(), "00.05 WIB");
        // 16:59 UTC is still 31 January in WIB; 17:05 UTC is the next day there.
        assert_eq!(w.on_day_of(datetime!(2026-02-01 02:00 UTC)), "00.05");
        assert_eq!(
            w.on_day_of(datetime!(2026-01-31 16:59 UTC)),
            "1 Februari 2026 00.05 WIB"
        );
        let own = When::in_own_offset(datetime!(2026-12-06 10:00 +05:30));
        assert_eq!(own.full(), "6 Desember 2026 10.00 UTC+05:30");
        let own = When::in_own_offset(datetime!(2026-12-06 10:00 +08:00));
        assert_eq!(own.full(), "6 Desember 2026 10.00 WITA");
        assert_eq!(day_text("2026-11-23"), "23 November 2026");
        assert_eq!(day_text("kemarin"), "kemarin");
    }

    #[test]
    fn json_moments_become_iso_8601_and_durations_stay() {
        let ms = crate::store::to_ms(datetime!(2026-11-23 01:05 UTC));
        let mut v = serde_json::json!({
            "at_ms": ms,
            "waited_ms": 60_000,
            "rows": [{"created_ms": ms, "ended_ms": null}],
        });
        json_moments(&mut v, TimeZone::Wib);
        assert_eq!(
            v,
            serde_json::json!({
                "at": "2026-11-23T08:05:00+07:00",
                "waited_ms": 60_000,
                "rows": [{"created": "2026-11-23T08:05:00+07:00", "ended": null}],
            })
        );
    }
}
