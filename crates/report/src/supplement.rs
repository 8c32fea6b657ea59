//! What a Markdown or HTML page shows beyond the [`RunReport`](crate::model::RunReport): when
//! it was generated and the `--vs-python` measurements. Both are optional, so a page renders
//! from a report alone.
//!
//! ```
//! use hiperf_report::supplement::{Supplement, utc_timestamp};
//!
//! let supplement = Supplement {
//!     generated: Some(utc_timestamp(0)),
//!     python: None,
//! };
//! assert_eq!(supplement.generated.as_deref(), Some("1970-01-01 00:00 UTC"));
//! ```

use crate::python::PythonComparison;

/// Extra context for a rendered page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Supplement {
    /// When the report was made, as text (see [`utc_timestamp`]).
    pub generated: Option<String>,
    /// The `--vs-python` results, when that flag was given.
    pub python: Option<PythonComparison>,
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the Unix epoch.
pub fn utc_timestamp(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let minute_of_day = (unix_seconds % 86_400) / 60;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minute_of_day / 60,
        minute_of_day % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_match_known_dates() {
        assert_eq!(utc_timestamp(0), "1970-01-01 00:00 UTC");
        // 2000-02-29 12:34 UTC, a leap day of a century year.
        assert_eq!(utc_timestamp(951_827_640), "2000-02-29 12:34 UTC");
        // 2024-12-31 23:59 UTC.
        assert_eq!(utc_timestamp(1_735_689_540), "2024-12-31 23:59 UTC");
    }
}
