//! `cralwer/*/crawler.py`: fetch N URLs of the local server, each made unique by ten random
//! letters, and sum the lengths of the bodies (`Result: 1000`). Serially with a blocking
//! client (`serial/`, `requests`), with a pool of 100 blocking threads (`gevent/`: a
//! `Semaphore(100)` over green threads, collected with `iwait`), and with one async client
//! shared by every request, a semaphore of 100 and completion-order collection (`asyncio/`:
//! aiohttp, `asyncio.Semaphore`, `as_completed`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::sync::Semaphore;

use super::server::{RequestRecord, Server, most_in_flight};
use crate::{Outcome, Run, Size, Workload, expect_eq};

/// The book's crawl: 1000 URLs, each held 100 ms by the server, at most 100 at a time.
pub const BOOK_CRAWL: CrawlPlan = CrawlPlan {
    requests: 1000,
    delay_ms: 100,
    concurrency: 100,
};

/// The serial crawl the report runs at book size: 30 of the book's 1000 requests, which
/// would take 100 s (1000 x 100 ms) a run.
pub const REPORT_SERIAL_CRAWL: CrawlPlan = CrawlPlan {
    requests: 30,
    delay_ms: 100,
    concurrency: 1,
};

/// The seed of the URLs' random letters.
pub const URL_SEED: u64 = 8;

/// How many requests, how long the server holds each, and how many may be in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrawlPlan {
    /// URLs fetched.
    pub requests: usize,
    /// The server's `delay` per request, in milliseconds.
    pub delay_ms: u64,
    /// Requests in flight at most (1 for the serial crawler).
    pub concurrency: usize,
}

impl CrawlPlan {
    /// `ceil(requests / concurrency) x delay`: no crawl can take less.
    pub fn lower_bound(&self) -> Duration {
        let rounds = self.requests.div_ceil(self.concurrency.max(1));
        Duration::from_millis(self.delay_ms) * rounds as u32
    }

    /// `requests x delay`: what one request at a time takes at least.
    pub fn serial_bound(&self) -> Duration {
        Duration::from_millis(self.delay_ms) * self.requests as u32
    }
}

/// The book's `generate_urls`: `base_url` followed by ten distinct lowercase letters in random
/// order (`random.sample(string.ascii_lowercase, 10)`), from a seeded generator.
///
/// ```
/// use hiperf_workloads::ch08_concurrency::generate_urls;
///
/// let urls = generate_urls("http://127.0.0.1:1/add?name=x&delay=1&", 3, 8);
/// assert_eq!(urls.len(), 3);
/// assert_eq!(urls[0].len(), "http://127.0.0.1:1/add?name=x&delay=1&".len() + 10);
/// assert_ne!(urls[0], urls[1]);
/// ```
pub fn generate_urls(base_url: &str, num_urls: usize, seed: u64) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..num_urls)
        .map(|_| {
            let letters: String = rand::seq::index::sample(&mut rng, 26, 10)
                .iter()
                .map(|index| char::from(b'a' + index as u8))
                .collect();
            format!("{base_url}{letters}")
        })
        .collect()
}

fn http_error(error: impl std::fmt::Display) -> String {
    format!("HTTP request failed: {error}")
}

/// `serial/crawler.py`'s `run_experiment`: one blocking request after another, each on a new
/// connection as `requests.get` makes one; returns the summed body lengths.
#[hiperf::profile]
pub fn crawl_serial(urls: &[String]) -> Result<usize, String> {
    let mut response_size = 0;
    for url in urls {
        let mut response = ureq::get(url).call().map_err(http_error)?;
        let text = response.body_mut().read_to_string().map_err(http_error)?;
        response_size += text.len();
    }
    Ok(response_size)
}

/// `gevent/crawler.py`'s `download`: one blocking request on a worker thread.
#[hiperf::profile]
pub fn download(agent: &ureq::Agent, url: &str) -> Result<String, String> {
    let mut response = agent.get(url).call().map_err(http_error)?;
    let text = response.body_mut().read_to_string().map_err(http_error)?;
    Ok(text)
}

/// `gevent/crawler.py`'s `run_experiment`: `concurrency` threads, each taking the next URL
/// and downloading it with a blocking client (the green threads of gevent, made OS threads);
/// the bodies are summed in the order they complete (`gevent.iwait`).
#[hiperf::profile]
pub fn crawl_threads(urls: &[String], concurrency: usize) -> Result<usize, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_idle_connections(concurrency)
        .max_idle_connections_per_host(concurrency)
        .build()
        .into();
    let next_url = AtomicUsize::new(0);
    let (sender, completed) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..concurrency.min(urls.len()) {
            let sender = sender.clone();
            let (agent, next_url) = (&agent, &next_url);
            scope.spawn(move || {
                while let Some(url) = urls.get(next_url.fetch_add(1, Ordering::Relaxed)) {
                    if sender.send(download(agent, url)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let mut response_size = 0;
        for text in completed {
            response_size += text?.len();
        }
        Ok(response_size)
    })
}

/// `asyncio/crawler.py`'s `http_get`: waits for a permit of the semaphore, then fetches `url`
/// with the shared client.
#[hiperf::profile]
pub async fn http_get(
    client: &reqwest::Client,
    semaphore: &Semaphore,
    url: &str,
) -> Result<String, String> {
    let _permit = semaphore.acquire().await.map_err(http_error)?;
    let response = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(http_error)?;
    let text = response.text().await.map_err(http_error)?;
    Ok(text)
}

/// `asyncio/crawler.py`'s `run_experiment`: every request started at once under a semaphore
/// of `concurrency`, on one shared client, the bodies summed as they complete
/// (`asyncio.as_completed`). Runs on whichever executor polls it; the report's runs use a
/// single-threaded one, as asyncio's event loop is.
#[hiperf::profile]
pub async fn crawl_async(urls: &[String], concurrency: usize) -> Result<usize, String> {
    let semaphore = Semaphore::new(concurrency);
    let client = reqwest::Client::new();
    let mut tasks: FuturesUnordered<_> = urls
        .iter()
        .map(|url| http_get(&client, &semaphore, url))
        .collect();
    let mut responses_sum = 0;
    while let Some(text) = tasks.next().await {
        responses_sum += text?.len();
    }
    Ok(responses_sum)
}

/// A single-threaded tokio runtime, the analogue of asyncio's event loop.
pub fn event_loop() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot build a tokio runtime: {error}"))
}

/// The three crawlers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crawler {
    /// [`crawl_serial`].
    Serial,
    /// [`crawl_threads`].
    Threads,
    /// [`crawl_async`].
    Async,
}

impl Crawler {
    /// The `name` the crawler gives the server, as the book's do.
    pub fn name(self) -> &'static str {
        match self {
            Crawler::Serial => "serial",
            Crawler::Threads => "threads",
            Crawler::Async => "asyncio",
        }
    }

    /// What the crawler fetches at `size`.
    pub fn plan(self, size: Size) -> CrawlPlan {
        match (self, size) {
            (Crawler::Serial, Size::Book) => REPORT_SERIAL_CRAWL,
            (Crawler::Serial, Size::Quick) => CrawlPlan {
                requests: 20,
                delay_ms: 20,
                concurrency: 1,
            },
            (_, Size::Book) => BOOK_CRAWL,
            // N x delay / 2 = 5 s leaves a wide margin over the 0.1 s bound on a loaded
            // machine, in a debug build.
            (_, Size::Quick) => CrawlPlan {
                requests: 200,
                delay_ms: 50,
                concurrency: 100,
            },
        }
    }
}

/// What one crawl did, from the client's side and the server's.
#[derive(Clone, Debug)]
pub struct Crawl {
    /// What was asked.
    pub plan: CrawlPlan,
    /// The summed body lengths (the book's `Result`).
    pub body_bytes: usize,
    /// The client's wall time.
    pub wall: Duration,
    /// What the server recorded.
    pub records: Vec<RequestRecord>,
}

/// Starts a server, crawls it with `crawler` at `plan` (timing only the crawl in `run`), and
/// stops the server.
pub fn crawl(run: &mut Run, crawler: Crawler, plan: CrawlPlan) -> Result<Crawl, String> {
    crawl_server(&Server::start()?, run, crawler, plan)
}

/// Crawls `server` with `crawler` at `plan`, timing only the crawl in `run`; the server's
/// records are cleared first, so that the crawl's are its own.
pub fn crawl_server(
    server: &Server,
    run: &mut Run,
    crawler: Crawler,
    plan: CrawlPlan,
) -> Result<Crawl, String> {
    server.clear();
    let base_url = format!(
        "{}/add?name={}&delay={}&",
        server.url(),
        crawler.name(),
        plan.delay_ms
    );
    let urls = generate_urls(&base_url, plan.requests, URL_SEED);
    let runtime = event_loop()?;
    let (body_bytes, wall) = run.time(|| {
        let start = Instant::now();
        let result = match crawler {
            Crawler::Serial => crawl_serial(&urls),
            Crawler::Threads => crawl_threads(&urls, plan.concurrency),
            Crawler::Async => runtime.block_on(crawl_async(&urls, plan.concurrency)),
        };
        (result, start.elapsed())
    });
    Ok(Crawl {
        plan,
        body_bytes: body_bytes?,
        wall,
        records: server.records(),
    })
}

/// The book's checks of a crawl: `Result` equals the number of requests (each body is `.`),
/// the server answered every one, never held more than the concurrency at once, and the wall
/// time lies between the bounds: `ceil(N/c) x delay <= wall`, and for a crawl of 4 or more
/// requests at once, `wall < N x delay / 2` (the book's runs are 50 to 100 times under it).
pub fn check_crawl(crawl: &Crawl) -> Result<(), String> {
    check_crawl_lower(crawl)?;
    let plan = crawl.plan;
    if plan.concurrency >= 4 && crawl.wall * 2 >= plan.serial_bound() {
        return Err(format!(
            "the concurrent crawl took {:?}, not far under N x delay = {:?}",
            crawl.wall,
            plan.serial_bound()
        ));
    }
    Ok(())
}

/// The exact part of [`check_crawl`]: every request answered, each body `.`, never more
/// than the concurrency in flight, and no faster than `ceil(N/c) x delay`.
pub fn check_crawl_lower(crawl: &Crawl) -> Result<(), String> {
    let plan = crawl.plan;
    expect_eq(
        "Result (summed body lengths)",
        crawl.body_bytes,
        plan.requests,
    )?;
    expect_eq(
        "requests the server answered",
        crawl.records.len(),
        plan.requests,
    )?;
    let in_flight = most_in_flight(&crawl.records);
    if in_flight > plan.concurrency {
        return Err(format!(
            "the server held {in_flight} requests at once, more than the concurrency {}",
            plan.concurrency
        ));
    }
    if crawl.wall < plan.lower_bound() {
        return Err(format!(
            "the crawl took {:?}, under the bound ceil(N/c) x delay = {:?}",
            crawl.wall,
            plan.lower_bound()
        ));
    }
    Ok(())
}

fn run_crawler(run: &mut Run, crawler: Crawler) -> Result<Outcome, String> {
    let plan = crawler.plan(run.size());
    let crawl = crawl(run, crawler, plan)?;
    check_crawl(&crawl)?;
    let bound = plan.lower_bound().as_secs_f64();
    let mean_held = crawl
        .records
        .iter()
        .map(RequestRecord::seconds)
        .sum::<f64>()
        / crawl.records.len().max(1) as f64;
    let parameters = format!(
        "{} requests, delay {} ms, concurrency {}",
        plan.requests, plan.delay_ms, plan.concurrency
    );
    if crawler == Crawler::Serial && run.size() == Size::Book {
        run.note(format!(
            "runs {} of the book's {} requests, which would take {} s a run ({} x {} ms); \
             the time per request is the figure to compare",
            plan.requests,
            BOOK_CRAWL.requests,
            BOOK_CRAWL.serial_bound().as_secs(),
            BOOK_CRAWL.requests,
            BOOK_CRAWL.delay_ms
        ));
    }
    Ok(Outcome {
        parameters,
        result: format!(
            "Result: {}; the server answered {} (mean held {:.3} s, at most {} at once); \
             wall {:.3} s = {:.2}x the bound ceil(N/c) x delay = {bound:.3} s",
            crawl.body_bytes,
            crawl.records.len(),
            mean_held,
            most_in_flight(&crawl.records),
            crawl.wall.as_secs_f64(),
            crawl.wall.as_secs_f64() / bound,
        ),
    })
}

inventory::submit! {
    Workload {
        chapter: 8,
        name: "serial-crawler",
        variant: "blocking",
        rank: 0,
        description: "serial/crawler.py: one blocking `ureq` request after another, a new \
                      connection each, as `requests.get` makes",
        run: |run| run_crawler(run, Crawler::Serial),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 8,
        name: "crawler",
        variant: "threads",
        rank: 0,
        description: "gevent/crawler.py: 100 OS threads making blocking `ureq` requests, bodies \
                      summed in completion order (`iwait`)",
        run: |run| run_crawler(run, Crawler::Threads),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 8,
        name: "crawler",
        variant: "async",
        rank: 1,
        description: "asyncio/crawler.py: one shared `reqwest` client on a single-threaded tokio \
                      runtime, `Semaphore(100)`, `FuturesUnordered` (`as_completed`)",
        run: |run| run_crawler(run, Crawler::Async),
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_ten_distinct_letters_and_repeat_for_a_seed() {
        let urls = generate_urls("base&", 50, URL_SEED);
        for url in &urls {
            let letters = url.strip_prefix("base&").unwrap();
            assert_eq!(letters.len(), 10);
            assert!(letters.bytes().all(|b| b.is_ascii_lowercase()));
            let distinct: std::collections::BTreeSet<u8> = letters.bytes().collect();
            assert_eq!(distinct.len(), 10, "{letters}");
        }
        assert_eq!(urls, generate_urls("base&", 50, URL_SEED));
        let unique: std::collections::BTreeSet<&String> = urls.iter().collect();
        assert_eq!(unique.len(), 50);
    }

    #[test]
    fn the_bounds_are_rounds_times_delay() {
        assert_eq!(BOOK_CRAWL.lower_bound(), Duration::from_secs(1));
        assert_eq!(BOOK_CRAWL.serial_bound(), Duration::from_secs(100));
        let plan = CrawlPlan {
            requests: 201,
            delay_ms: 20,
            concurrency: 100,
        };
        assert_eq!(plan.lower_bound(), Duration::from_millis(60));
    }

    fn records(count: usize, spacing: f64) -> Vec<RequestRecord> {
        (0..count)
            .map(|index| RequestRecord {
                name: String::new(),
                start: index as f64 * spacing,
                end: index as f64 * spacing + 0.02,
            })
            .collect()
    }

    #[test]
    fn a_crawl_outside_its_bounds_fails_its_check() {
        let plan = CrawlPlan {
            requests: 10,
            delay_ms: 20,
            concurrency: 5,
        };
        let good = Crawl {
            plan,
            body_bytes: 10,
            wall: Duration::from_millis(45),
            records: records(10, 0.01),
        };
        check_crawl(&good).unwrap();
        let short = Crawl {
            body_bytes: 9,
            ..good.clone()
        };
        assert!(check_crawl(&short).unwrap_err().contains("Result"));
        let missed = Crawl {
            records: records(9, 0.01),
            ..good.clone()
        };
        assert!(check_crawl(&missed).unwrap_err().contains("answered"));
        let crowded = Crawl {
            records: records(10, 0.0),
            ..good.clone()
        };
        assert!(check_crawl(&crowded).unwrap_err().contains("at once"));
        let too_fast = Crawl {
            wall: Duration::from_millis(39),
            ..good.clone()
        };
        assert!(
            check_crawl(&too_fast)
                .unwrap_err()
                .contains("under the bound")
        );
        let too_slow = Crawl {
            wall: Duration::from_millis(100),
            ..good
        };
        assert!(
            check_crawl(&too_slow)
                .unwrap_err()
                .contains("not far under")
        );
    }
}
