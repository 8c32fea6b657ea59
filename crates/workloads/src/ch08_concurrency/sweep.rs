//! `cralwer/parallel_requests.py`: how the wall time of 500 requests falls as more of them
//! are allowed in flight at once, for several server delays; the book's concurrency grid
//! (1 to 476 in steps of 25) with the async crawler.
//!
//! The book sweeps delays of 50 to 800 ms, which takes over an hour (400 s for the single
//! point at delay 800 and concurrency 1). The report sweeps delays of 1 and 5 ms: each point
//! is still `ceil(500/c)` rounds of the delay, and at these delays the cost of many
//! connections at once, which makes the book's curves rise again past ~400, shows too.

use super::crawler::{Crawl, CrawlPlan, Crawler, check_crawl_lower, crawl_server};
use super::server::{Server, most_in_flight};
use crate::{Chart, ChartSeries, Outcome, Run, Size, Workload};

/// The book's grid of concurrency: `range(1, 500, 25)`.
pub fn book_concurrency() -> Vec<usize> {
    (1..500).step_by(25).collect()
}

/// The book's delays, in milliseconds.
pub const BOOK_SWEEP_DELAYS_MS: [u64; 4] = [50, 300, 550, 800];

/// What a sweep runs: every delay against every concurrency, `requests` each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepPlan {
    /// Requests per point (the book's 500).
    pub requests: usize,
    /// Server delays, in milliseconds.
    pub delays_ms: Vec<u64>,
    /// Requests in flight at most, per point.
    pub concurrency: Vec<usize>,
}

impl SweepPlan {
    /// The plan at `size`: at book size the book's 500 requests and concurrency grid, at
    /// delays of 1 and 5 ms.
    pub fn of(size: Size) -> SweepPlan {
        match size {
            Size::Book => SweepPlan {
                requests: 500,
                delays_ms: vec![1, 5],
                concurrency: book_concurrency(),
            },
            Size::Quick => SweepPlan {
                requests: 50,
                delays_ms: vec![1, 5],
                concurrency: vec![1, 10, 26, 51],
            },
        }
    }
}

/// One point of the sweep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepPoint {
    /// The server's delay, in milliseconds.
    pub delay_ms: u64,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Wall seconds for the point's requests.
    pub seconds: f64,
}

/// Runs `plan` against one server, every point checked as a crawl is (exact counts, the
/// concurrency never exceeded, no point faster than `ceil(N/c) x delay`); only the crawls are
/// timed in `run`.
pub fn sweep(run: &mut Run, plan: &SweepPlan) -> Result<Vec<SweepPoint>, String> {
    let server = Server::start()?;
    let mut points = Vec::new();
    for &delay_ms in &plan.delays_ms {
        for &concurrency in &plan.concurrency {
            let crawl_plan = CrawlPlan {
                requests: plan.requests,
                delay_ms,
                concurrency,
            };
            let crawl: Crawl = crawl_server(&server, run, Crawler::Async, crawl_plan)?;
            check_crawl_lower(&crawl).map_err(|error| {
                format!("delay {delay_ms} ms, concurrency {concurrency}: {error}")
            })?;
            debug_assert!(most_in_flight(&crawl.records) <= concurrency);
            points.push(SweepPoint {
                delay_ms,
                concurrency,
                seconds: crawl.wall.as_secs_f64(),
            });
        }
    }
    Ok(points)
}

/// The chart of a sweep: wall seconds (log axis) against concurrency, one line per delay.
pub fn sweep_chart(plan: &SweepPlan, points: &[SweepPoint]) -> Chart {
    Chart {
        title: format!(
            "Wall time of {} requests against the requests allowed in flight, per server delay",
            plan.requests
        ),
        x_label: "requests in flight at most (concurrency)".to_string(),
        y_label: "wall seconds".to_string(),
        log_y: true,
        series: plan
            .delays_ms
            .iter()
            .map(|&delay_ms| ChartSeries {
                name: format!("delay {delay_ms} ms"),
                points: points
                    .iter()
                    .filter(|point| point.delay_ms == delay_ms)
                    .map(|point| (point.concurrency as f64, point.seconds))
                    .collect(),
            })
            .collect(),
    }
}

fn run_sweep(run: &mut Run) -> Result<Outcome, String> {
    let plan = SweepPlan::of(run.size());
    let points = sweep(run, &plan)?;
    let summary: Vec<String> = plan
        .delays_ms
        .iter()
        .map(|&delay_ms| {
            let line: Vec<&SweepPoint> = points.iter().filter(|p| p.delay_ms == delay_ms).collect();
            let first = line[0];
            let best = line
                .iter()
                .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
                .expect("every delay has points");
            let last = line[line.len() - 1];
            format!(
                "delay {delay_ms} ms: {:.3} s at concurrency {}, best {:.4} s at {}, {:.4} s at {}",
                first.seconds,
                first.concurrency,
                best.seconds,
                best.concurrency,
                last.seconds,
                last.concurrency
            )
        })
        .collect();
    run.add_chart(sweep_chart(&plan, &points));
    if run.size() == Size::Book {
        run.note(format!(
            "sweeps delays of {:?} ms in place of the book's {:?} ms, whose sweep takes over an \
             hour (400 s for its one point at 800 ms and concurrency 1)",
            plan.delays_ms, BOOK_SWEEP_DELAYS_MS
        ));
    }
    let concurrency = match (plan.concurrency.first(), plan.concurrency.last()) {
        (Some(first), Some(last)) => format!("{first} to {last}"),
        _ => "none".to_string(),
    };
    Ok(Outcome {
        parameters: format!(
            "{} requests per point, concurrency {concurrency} ({} points), delays {:?} ms",
            plan.requests,
            plan.concurrency.len(),
            plan.delays_ms,
        ),
        result: format!(
            "{} points, every request answered; {}",
            points.len(),
            summary.join("; ")
        ),
    })
}

inventory::submit! {
    Workload {
        chapter: 8,
        name: "parallel-requests",
        variant: "async-sweep",
        rank: 0,
        description: "parallel_requests.py: the async crawler over the book's concurrency grid, \
                      per server delay; the timed region is the whole sweep",
        run: run_sweep,
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_is_the_books_range() {
        let grid = book_concurrency();
        assert_eq!(grid.len(), 20);
        assert_eq!((grid[0], grid[1], grid[19]), (1, 26, 476));
    }

    #[test]
    fn the_chart_has_one_line_per_delay_in_order_of_concurrency() {
        let plan = SweepPlan {
            requests: 10,
            delays_ms: vec![1, 5],
            concurrency: vec![1, 10],
        };
        let point = |delay_ms, concurrency, seconds| SweepPoint {
            delay_ms,
            concurrency,
            seconds,
        };
        let points = [
            point(1, 1, 0.011),
            point(1, 10, 0.002),
            point(5, 1, 0.051),
            point(5, 10, 0.006),
        ];
        let chart = sweep_chart(&plan, &points);
        assert!(chart.log_y);
        assert_eq!(chart.series.len(), 2);
        assert_eq!(chart.series[1].name, "delay 5 ms");
        assert_eq!(chart.series[1].points, [(1.0, 0.051), (10.0, 0.006)]);
    }
}
