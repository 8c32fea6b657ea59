//! `lazy_data_analysis.py`: an endless stream of readings grouped by day, keeping the days
//! that D'Agostino's K² test finds far from normal, lazily.

use std::ops::ControlFlow;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Outcome, Run, Size, Workload, expect_eq};

// ---------------------------------------------------------------------------------------
// lazy_data_analysis.py

/// Seconds in a day; days are UTC day numbers (the book groups by local calendar day).
pub const SECONDS_PER_DAY: i64 = 86_400;

/// The value of every ordinary reading.
pub const NORMAL_VALUE: f64 = 100.0;

/// A day is anomalous when `normaltest`'s p-value is below this.
pub const THRESHOLD: f64 = 1e-3;

/// The seed of the reading stream (the book's is unseeded).
pub const ANOMALY_SEED: u64 = 1;

/// A reading: (seconds since the epoch, value).
pub type Reading = (i64, f64);

/// The stream's parameters at a size: one anomaly in `period` readings on average, and how
/// many anomalous days to report. The book's period is a week; the quick size uses a day,
/// so that five anomalous days come after about eight days of readings, not thirty-five.
pub fn anomaly_parameters(size: Size) -> (u32, usize) {
    match size {
        Size::Quick => (86_400, 5),
        Size::Book => (7 * 86_400, 5),
    }
}

/// `random.normalvariate(0, 1)`: Kinderman and Monahan's ratio-of-uniforms method, as
/// CPython implements it.
pub fn normal_variate(rng: &mut impl Rng) -> f64 {
    // NV_MAGICCONST = 4 e^-1/2 / sqrt(2).
    let magic = 4.0 * (-0.5f64).exp() / 2.0f64.sqrt();
    loop {
        let u1: f64 = rng.random();
        let u2 = 1.0 - rng.random::<f64>();
        let z = magic * (u1 - 0.5) / u2;
        if z * z / 4.0 <= -u2.ln() {
            return z;
        }
    }
}

/// `read_fake_data`: one reading per second from t = 0, forever; the value is 100, except
/// with probability 1/`period` a standard normal draw.
pub fn read_fake_data(seed: u64, period: u32) -> impl Iterator<Item = Reading> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0_i64..).map(move |timestamp| {
        // `randint(0, period - 1) == 1`, the book's "about once a week".
        let value = if rng.random_range(0..period) == 1 {
            normal_variate(&mut rng)
        } else {
            NORMAL_VALUE
        };
        (timestamp, value)
    })
}

/// The UTC day number of a timestamp (day 0 is 1970-01-01).
pub fn day_of(timestamp: i64) -> i64 {
    timestamp.div_euclid(SECONDS_PER_DAY)
}

/// The proleptic Gregorian date of a day number, as `YYYY-MM-DD`.
///
/// ```
/// use hiperf_workloads::ch05_generators::date_of_day;
///
/// assert_eq!(date_of_day(0), "1970-01-01");
/// assert_eq!(date_of_day(10_957), "2000-01-01");
/// ```
pub fn date_of_day(day: i64) -> String {
    // Howard Hinnant's `civil_from_days`: count in 400-year eras that start on 1 March.
    let shifted = day + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day_of_month = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day_of_month:02}")
}

/// `groupby_day`: consecutive readings of the same day, one `Vec` per day.
pub fn groupby_day(readings: impl Iterator<Item = Reading>) -> impl Iterator<Item = Vec<Reading>> {
    let mut readings = readings.peekable();
    std::iter::from_fn(move || {
        let first = readings.next()?;
        let day = day_of(first.0);
        let mut group = vec![first];
        while let Some(reading) = readings.next_if(|reading| day_of(reading.0) == day) {
            group.push(reading);
        }
        Some(group)
    })
}

/// `is_normal`: false when `normaltest`'s p-value is below `threshold`. A NaN p-value (a
/// day of identical readings) fails the comparison, so such a day counts as normal.
pub fn is_normal(group: &[Reading], threshold: f64) -> bool {
    let values: Vec<f64> = group.iter().map(|&(_, value)| value).collect();
    let (_, p_value) = normaltest(&Moments::of(&values));
    p_value >= threshold || p_value.is_nan()
}

/// `filter_anomalous_data`: the days that are not normal, lazily.
pub fn filter_anomalous_data(
    readings: impl Iterator<Item = Reading>,
) -> impl Iterator<Item = Vec<Reading>> {
    groupby_day(readings).filter(|group| !is_normal(group, THRESHOLD))
}

/// A reported day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnomalousDay {
    /// The UTC day number.
    pub day: i64,
    /// The first and last timestamps of the day's readings.
    pub start: i64,
    /// See [`AnomalousDay::start`].
    pub end: i64,
    /// The number of readings.
    pub readings: usize,
    /// The readings whose value is not 100.
    pub unusual: usize,
}

impl AnomalousDay {
    /// The report of a day's readings, `None` for no readings.
    pub fn of(group: &[Reading]) -> Option<AnomalousDay> {
        let (&(start, _), &(end, _)) = (group.first()?, group.last()?);
        Some(AnomalousDay {
            day: day_of(start),
            start,
            end,
            readings: group.len(),
            unusual: group
                .iter()
                .filter(|&&(_, value)| value != NORMAL_VALUE)
                .count(),
        })
    }
}

/// The book's `__main__`: the first `wanted` anomalous days of the stream, each day
/// collected into a `Vec` and tested.
#[hiperf::profile]
#[hiperf::memit]
pub fn first_anomalous_days(seed: u64, period: u32, wanted: usize) -> Vec<AnomalousDay> {
    let data = read_fake_data(seed, period);
    let anomaly_generator = filter_anomalous_data(data);
    let mut reports = Vec::with_capacity(wanted);
    for data_anomaly in anomaly_generator.take(wanted) {
        reports.extend(AnomalousDay::of(&data_anomaly));
    }
    reports
}

/// The central moments of a sample, divided by n (biased), as scipy's `skew` and
/// `kurtosis` use them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Moments {
    /// The number of values.
    pub count: usize,
    /// Their mean.
    pub mean: f64,
    /// The second central moment (the biased variance).
    pub m2: f64,
    /// The third central moment.
    pub m3: f64,
    /// The fourth central moment.
    pub m4: f64,
}

impl Moments {
    /// Two passes, as numpy does: the mean, then the powers of the deviations from it.
    ///
    /// ```
    /// use hiperf_workloads::ch05_generators::Moments;
    ///
    /// let moments = Moments::of(&[1.0, 2.0, 3.0]);
    /// assert_eq!((moments.mean, moments.m2, moments.m3), (2.0, 2.0 / 3.0, 0.0));
    /// ```
    pub fn of(values: &[f64]) -> Moments {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
        for &value in values {
            let deviation = value - mean;
            let squared = deviation * deviation;
            m2 += squared;
            m3 += squared * deviation;
            m4 += squared * squared;
        }
        Moments {
            count: values.len(),
            mean,
            m2: m2 / n,
            m3: m3 / n,
            m4: m4 / n,
        }
    }

    /// scipy's test for a sample with no spread (`m2 <= (eps * mean)**2`), whose skewness
    /// and kurtosis are NaN.
    fn is_flat(&self) -> bool {
        self.m2 <= (f64::EPSILON * self.mean).powi(2)
    }

    /// `scipy.stats.skew` (biased): m3 / m2^1.5, NaN for a flat sample.
    pub fn skewness(&self) -> f64 {
        if self.is_flat() {
            f64::NAN
        } else {
            self.m3 / self.m2.powf(1.5)
        }
    }

    /// `scipy.stats.kurtosis(fisher=False)` (biased): m4 / m2², 3 for a normal
    /// distribution, NaN for a flat sample.
    pub fn kurtosis(&self) -> f64 {
        if self.is_flat() {
            f64::NAN
        } else {
            self.m4 / (self.m2 * self.m2)
        }
    }
}

/// `scipy.stats.skewtest`'s z-score (D'Agostino's transformation of the skewness); NaN
/// below 8 values, where scipy raises.
///
/// As in scipy, a skewness of exactly 0 is replaced by 1 before the transformation, so a
/// symmetric sample does not score 0 (`skewtest([1, ..., 8])` is 1.0108...).
pub fn skewtest(moments: &Moments) -> f64 {
    if moments.count < 8 {
        return f64::NAN;
    }
    let n = moments.count as f64;
    let y = moments.skewness() * (((n + 1.0) * (n + 3.0)) / (6.0 * (n - 2.0))).sqrt();
    let beta2 = 3.0 * (n * n + 27.0 * n - 70.0) * (n + 1.0) * (n + 3.0)
        / ((n - 2.0) * (n + 5.0) * (n + 7.0) * (n + 9.0));
    let w2 = -1.0 + (2.0 * (beta2 - 1.0)).sqrt();
    let delta = 1.0 / (0.5 * w2.ln()).sqrt();
    let alpha = (2.0 / (w2 - 1.0)).sqrt();
    let y = if y == 0.0 { 1.0 } else { y };
    delta * (y / alpha + ((y / alpha).powi(2) + 1.0).sqrt()).ln()
}

/// `scipy.stats.kurtosistest`'s z-score (Anscombe and Glynn's transformation of the
/// kurtosis); NaN below 5 values, where scipy raises.
pub fn kurtosistest(moments: &Moments) -> f64 {
    if moments.count < 5 {
        return f64::NAN;
    }
    let n = moments.count as f64;
    let b2 = moments.kurtosis();
    let expected = 3.0 * (n - 1.0) / (n + 1.0);
    let variance =
        24.0 * n * (n - 2.0) * (n - 3.0) / ((n + 1.0) * (n + 1.0) * (n + 3.0) * (n + 5.0));
    let x = (b2 - expected) / variance.sqrt();
    let sqrt_beta1 = 6.0 * (n * n - 5.0 * n + 2.0) / ((n + 7.0) * (n + 9.0))
        * ((6.0 * (n + 3.0) * (n + 5.0)) / (n * (n - 2.0) * (n - 3.0))).sqrt();
    let a = 6.0 + 8.0 / sqrt_beta1 * (2.0 / sqrt_beta1 + (1.0 + 4.0 / sqrt_beta1.powi(2)).sqrt());
    let term1 = 1.0 - 2.0 / (9.0 * a);
    let denominator = 1.0 + x * (2.0 / (a - 4.0)).sqrt();
    let term2 = if denominator == 0.0 {
        f64::NAN
    } else {
        denominator.signum() * ((1.0 - 2.0 / a) / denominator.abs()).powf(1.0 / 3.0)
    };
    (term1 - term2) / (2.0 / (9.0 * a)).sqrt()
}

/// `scipy.stats.normaltest`: K² = s² + k² from [`skewtest`] and [`kurtosistest`], and its
/// p-value under χ² with 2 degrees of freedom, whose survival function is e^(−K²/2).
pub fn normaltest(moments: &Moments) -> (f64, f64) {
    let (s, k) = (skewtest(moments), kurtosistest(moments));
    let k2 = s * s + k * k;
    (k2, (-k2 / 2.0).exp())
}

/// One day of the stream, reduced as it goes by: its report and its moments.
#[derive(Clone, Debug, PartialEq)]
pub struct DaySummary {
    /// The day's report, should it be anomalous.
    pub day: AnomalousDay,
    /// The moments of its values.
    pub moments: Moments,
}

impl Moments {
    /// The central moments of `count` values from the sums of the powers of their distances
    /// from `shift`: `sums[k]` is the sum of (value − shift)^(k+1).
    pub fn from_shifted_sums(count: usize, shift: f64, sums: [f64; 4]) -> Moments {
        let n = count as f64;
        let [s1, s2, s3, s4] = sums.map(|sum| sum / n);
        let m2 = s2 - s1 * s1;
        let m3 = s3 - 3.0 * s1 * s2 + 2.0 * s1.powi(3);
        let m4 = s4 - 4.0 * s1 * s3 + 6.0 * s1 * s1 * s2 - 3.0 * s1.powi(4);
        Moments {
            count,
            mean: shift + s1,
            m2,
            m3,
            m4,
        }
    }
}

/// The stream reduced to one [`DaySummary`] per day, in a single pass and without
/// collecting the day's readings.
///
/// Each day keeps the sums of the powers of every value's distance from the day's first
/// value: shifting keeps the sums small (a day of readings of 100 sums to exactly 0) and
/// the moments accurate; no reading is stored.
pub fn day_summaries(readings: impl Iterator<Item = Reading>) -> impl Iterator<Item = DaySummary> {
    let mut readings = readings;
    // The first reading of the next day, read by the day before it.
    let mut next_day = None;
    std::iter::from_fn(move || {
        let (start, shift) = next_day.take().or_else(|| readings.next())?;
        let day = day_of(start);
        // PERF: the day's bounds, so that each reading costs a comparison, not a division.
        let day_range = day * SECONDS_PER_DAY..(day + 1) * SECONDS_PER_DAY;
        let first = Running {
            end: start,
            count: 1,
            unusual: usize::from(shift != NORMAL_VALUE),
            sums: [0.0; 4],
        };
        // PERF: `try_fold` runs the day's loop inside the reading iterator, where the random
        // number generator, the day test and the sums inline into one loop. Pulled one by one
        // through `Peekable::next_if`, each reading cost two calls that did not inline
        // (`perf record` of a program running the generator alone, this pipeline and
        // `collect-day`: 31% of its samples in `next_if` and `Map::next`): the book's 30 days
        // took 29 to 30 ms, 11 ms now, against 20 to 22 ms for the `collect-day` variant
        // (`hiperf-runner run --only ch05/anomalies --runs 9`, one core, 2026-11-26 04:07 UTC).
        let running = match readings.try_fold(first, |mut running, (timestamp, value)| {
            if !day_range.contains(&timestamp) {
                return ControlFlow::Break((running, (timestamp, value)));
            }
            running.add(shift, timestamp, value);
            ControlFlow::Continue(running)
        }) {
            ControlFlow::Continue(running) => running,
            ControlFlow::Break((running, reading)) => {
                next_day = Some(reading);
                running
            }
        };
        Some(DaySummary {
            day: AnomalousDay {
                day,
                start,
                end: running.end,
                readings: running.count,
                unusual: running.unusual,
            },
            moments: Moments::from_shifted_sums(running.count, shift, running.sums),
        })
    })
}

/// A day's summary so far, in [`day_summaries`].
#[derive(Clone, Copy)]
struct Running {
    end: i64,
    count: usize,
    unusual: usize,
    /// The sums of the first four powers of the distances from the shift.
    sums: [f64; 4],
}

impl Running {
    #[inline(always)]
    fn add(&mut self, shift: f64, timestamp: i64, value: f64) {
        self.end = timestamp;
        self.count += 1;
        self.unusual += usize::from(value != NORMAL_VALUE);
        // PERF: a reading equal to the shift adds exactly 0 to every sum, and nearly all of
        // them are; the well-predicted branch skips the four dependent additions.
        if value != shift {
            let deviation = value - shift;
            let squared = deviation * deviation;
            self.sums[0] += deviation;
            self.sums[1] += squared;
            self.sums[2] += squared * deviation;
            self.sums[3] += squared * squared;
        }
    }
}

/// The first `wanted` anomalous days, each day's moments summed as it streams by.
pub fn first_anomalous_days_streaming(seed: u64, period: u32, wanted: usize) -> Vec<AnomalousDay> {
    day_summaries(read_fake_data(seed, period))
        .filter(|summary| normaltest(&summary.moments).1 < THRESHOLD)
        .take(wanted)
        .map(|summary| summary.day)
        .collect()
}

/// The first `wanted` days of the stream with a reading other than 100, found without any
/// statistics: what the pipeline must report.
pub fn first_unusual_days(seed: u64, period: u32, wanted: usize) -> Vec<i64> {
    let mut days: Vec<i64> = Vec::with_capacity(wanted);
    for (timestamp, value) in read_fake_data(seed, period) {
        if days.len() == wanted {
            break;
        }
        let day = day_of(timestamp);
        if value != NORMAL_VALUE && days.last() != Some(&day) {
            days.push(day);
        }
    }
    days
}

/// Checks the reported days: `wanted` of them, whole days, each with an unusual reading,
/// and exactly the first `wanted` days that have one, so that no flat day slipped in and
/// no unusual day was missed.
pub fn check_anomalies(
    seed: u64,
    period: u32,
    wanted: usize,
    reports: &[AnomalousDay],
) -> Result<(), String> {
    expect_eq("days reported", reports.len(), wanted)?;
    for report in reports {
        let date = date_of_day(report.day);
        expect_eq(
            &format!("readings on {date}"),
            report.readings,
            SECONDS_PER_DAY as usize,
        )?;
        if report.unusual == 0 {
            return Err(format!("{date} was reported but all its readings are 100"));
        }
    }
    let reported: Vec<i64> = reports.iter().map(|report| report.day).collect();
    expect_eq(
        "reported days",
        reported,
        first_unusual_days(seed, period, wanted),
    )
}

fn run_anomalies(
    run: &mut Run,
    kernel: fn(u64, u32, usize) -> Vec<AnomalousDay>,
) -> Result<Outcome, String> {
    let (period, wanted) = anomaly_parameters(run.size());
    let reports = run.time(|| kernel(ANOMALY_SEED, period, wanted));
    check_anomalies(ANOMALY_SEED, period, wanted, &reports)?;
    let days: Vec<String> = reports
        .iter()
        .map(|report| format!("{} ({} unusual)", date_of_day(report.day), report.unusual))
        .collect();
    let last_day = reports.last().map_or(0, |report| report.day);
    Ok(Outcome {
        parameters: format!(
            "seed {ANOMALY_SEED}, anomaly chance 1/{period} per second, first {wanted} days with normaltest p < {THRESHOLD:e}"
        ),
        result: format!("{}; {} days read", days.join(", "), last_day + 1),
    })
}

inventory::submit! {
    Workload {
        chapter: 5,
        name: "anomalies",
        variant: "collect-day",
        rank: 0,
        description: "lazy_data_analysis.py: groupby day into a Vec, two-pass moments, normaltest, take(5)",
        run: |run| run_anomalies(run, first_anomalous_days),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 5,
        name: "anomalies",
        variant: "streaming",
        rank: 1,
        description: "one pass per day: shifted power sums instead of a Vec of readings",
        run: |run| run_anomalies(run, first_anomalous_days_streaming),
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() <= 1e-12 * expected.abs().max(1.0)
    }

    #[test]
    fn skewtest_matches_scipys_documented_examples() {
        // The examples in scipy.stats.skewtest's docstring.
        let cases: [(&[f64], f64); 4] = [
            (
                &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
                1.0108048609177787,
            ),
            (
                &[2.0, 8.0, 0.0, 4.0, 1.0, 9.0, 9.0, 0.0],
                0.44626385374196975,
            ),
            (
                &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8000.0],
                3.571773510360407,
            ),
            (
                &[100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 101.0],
                3.5717766638478072,
            ),
        ];
        for (values, expected) in cases {
            let z = skewtest(&Moments::of(values));
            assert!(
                close(z, expected),
                "skewtest({values:?}) = {z}, scipy {expected}"
            );
        }
    }

    #[test]
    fn a_symmetric_sample_has_zero_skewness_and_scipys_substituted_score() {
        // Skewness 0 makes y = 0, which scipy replaces by 1: Z = delta * asinh(1 / alpha).
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        let moments = Moments::of(&values);
        assert_eq!(moments.skewness(), 0.0);
        let n = 20.0_f64;
        let beta2 = 3.0 * (n * n + 27.0 * n - 70.0) * (n + 1.0) * (n + 3.0)
            / ((n - 2.0) * (n + 5.0) * (n + 7.0) * (n + 9.0));
        let w2 = (2.0 * (beta2 - 1.0)).sqrt() - 1.0;
        let (delta, alpha) = (1.0 / (0.5 * w2.ln()).sqrt(), (2.0 / (w2 - 1.0)).sqrt());
        assert!(close(skewtest(&moments), delta * (1.0 / alpha).asinh()));
    }

    #[test]
    fn kurtosistest_matches_scipys_documented_example() {
        // scipy.stats.kurtosistest(list(range(20))).statistic.
        let values: Vec<f64> = (0..20).map(f64::from).collect();
        let moments = Moments::of(&values);
        // The uniform 0..19: m2 = (20² − 1) / 12, m4 = (20² − 1)(3·20² − 7) / 240.
        assert!(close(moments.m2, 399.0 / 12.0));
        assert!(close(moments.m4, 399.0 * 1193.0 / 240.0));
        let z = kurtosistest(&moments);
        assert!(close(z, -1.7058104152122062), "{z}");
    }

    #[test]
    fn normaltest_combines_both_scores_with_the_chi2_2_survival_function() {
        let values: Vec<f64> = (0..20)
            .map(|i| f64::from(i * i % 7) + 0.5 * f64::from(i))
            .collect();
        let moments = Moments::of(&values);
        let (s, k) = (skewtest(&moments), kurtosistest(&moments));
        let (k2, p) = normaltest(&moments);
        assert!(close(k2, s * s + k * k));
        assert!(close(p, (-k2 / 2.0).exp()));
        assert!(p > 0.0 && p < 1.0);
    }

    #[test]
    fn a_flat_day_gives_nan_and_counts_as_normal() {
        let day: Vec<Reading> = (0..SECONDS_PER_DAY).map(|t| (t, NORMAL_VALUE)).collect();
        let values: Vec<f64> = day.iter().map(|r| r.1).collect();
        let (k2, p) = normaltest(&Moments::of(&values));
        assert!(k2.is_nan() && p.is_nan());
        assert!(is_normal(&day, THRESHOLD));
    }

    #[test]
    fn one_outlier_in_a_day_is_anomalous() {
        let mut day: Vec<Reading> = (0..SECONDS_PER_DAY).map(|t| (t, NORMAL_VALUE)).collect();
        day[1234].1 = 0.3;
        assert!(!is_normal(&day, THRESHOLD));
    }

    #[test]
    fn streaming_moments_agree_with_two_pass_moments() {
        let readings: Vec<Reading> = read_fake_data(9, 50)
            .take(3 * SECONDS_PER_DAY as usize)
            .collect();
        let summaries: Vec<DaySummary> = day_summaries(readings.iter().copied()).collect();
        let groups: Vec<Vec<Reading>> = groupby_day(readings.iter().copied()).collect();
        assert_eq!(summaries.len(), 3);
        for (summary, group) in summaries.iter().zip(&groups) {
            let values: Vec<f64> = group.iter().map(|r| r.1).collect();
            let expected = Moments::of(&values);
            assert_eq!(summary.day, AnomalousDay::of(group).unwrap());
            for (streamed, two_pass) in [
                (summary.moments.m2, expected.m2),
                (summary.moments.m3, expected.m3),
                (summary.moments.m4, expected.m4),
            ] {
                assert!(
                    (streamed - two_pass).abs() <= 1e-9 * two_pass.abs(),
                    "{streamed} vs {two_pass}"
                );
            }
        }
    }

    #[test]
    fn groupby_day_splits_at_midnight_utc() {
        let readings = (SECONDS_PER_DAY - 2..2 * SECONDS_PER_DAY + 1).map(|t| (t, NORMAL_VALUE));
        let sizes: Vec<(i64, usize)> = groupby_day(readings)
            .map(|group| (day_of(group[0].0), group.len()))
            .collect();
        assert_eq!(sizes, [(0, 2), (1, 86_400), (2, 1)]);
    }

    #[test]
    fn dates_follow_the_gregorian_calendar() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_of_day(59), "1970-03-01");
        assert_eq!(date_of_day(-1), "1969-12-31");
        assert_eq!(date_of_day(11_016), "2000-02-29");
    }

    #[test]
    fn both_pipelines_report_the_first_days_with_an_unusual_reading() {
        let (period, wanted) = anomaly_parameters(Size::Quick);
        let naive = first_anomalous_days(ANOMALY_SEED, period, wanted);
        let streaming = first_anomalous_days_streaming(ANOMALY_SEED, period, wanted);
        assert_eq!(naive, streaming);
        check_anomalies(ANOMALY_SEED, period, wanted, &naive).unwrap();
        // Flat days were met and dropped: five reports took more than five days.
        assert!(naive.last().unwrap().day >= wanted as i64, "{naive:?}");
    }

    #[test]
    fn a_flat_day_among_the_reports_is_rejected() {
        let (period, wanted) = anomaly_parameters(Size::Quick);
        let mut reports = first_anomalous_days_streaming(ANOMALY_SEED, period, wanted);
        reports[2].unusual = 0;
        assert!(
            check_anomalies(ANOMALY_SEED, period, wanted, &reports)
                .unwrap_err()
                .contains("all its readings")
        );
    }
}
