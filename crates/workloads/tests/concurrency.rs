//! Chapter 8 against its real server on loopback: the endpoints answer as the book's Tornado
//! servers do, the guard stops the server, and every crawler at the quick size fetches every
//! URL within the wall-time bounds (lower bounds exact, upper bounds generous).

use std::time::Duration;

use hiperf_workloads::ch08_concurrency::{
    CrawlPlan, Crawler, Server, check_crawl, crawl, most_in_flight,
};
use hiperf_workloads::{Run, Size};

fn get(url: &str) -> String {
    ureq::get(url)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap()
}

#[test]
fn get_add_sleeps_answers_a_dot_and_records_the_request() {
    let server = Server::start().unwrap();
    let body = get(&format!(
        "{}/add?name=probe&delay=30&abcdefghij",
        server.url()
    ));
    assert_eq!(body, ".");
    let records = server.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].name, "probe");
    assert!(records[0].seconds() >= 0.030, "{records:?}");
    assert!(records[0].start >= 0.0 && records[0].end > records[0].start);
    server.clear();
    assert!(server.records().is_empty());
}

#[test]
fn post_add_echoes_the_body_as_python_bytes_in_json() {
    let server = Server::start().unwrap();
    let answer = ureq::post(&format!("{}/add?delay=5", server.url()))
        .send("$2b$04$hash")
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(json["result"], "b'$2b$04$hash'");
    assert_eq!(json["t"], 0.5);
    assert_eq!(server.records()[0].name, "POST");
}

#[test]
fn dropping_the_guard_stops_the_server_even_with_requests_in_flight() {
    let server = Server::start().unwrap();
    let address = server.address();
    let url = format!("{}/add?name=slow&delay=60000", server.url());
    let waiting = std::thread::spawn(move || ureq::get(&url).call().map(|_| ()));
    std::thread::sleep(Duration::from_millis(100));
    drop(server);
    assert!(
        std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_err(),
        "the listener is closed"
    );
    assert!(
        waiting.join().unwrap().is_err(),
        "the request in flight is cut, not answered"
    );
}

#[test]
fn each_crawler_fetches_every_url_within_the_bounds() {
    for crawler in [Crawler::Serial, Crawler::Threads, Crawler::Async] {
        let plan = crawler.plan(Size::Quick);
        let mut run = Run::new(Size::Quick);
        let crawl = crawl(&mut run, crawler, plan).unwrap();
        check_crawl(&crawl).unwrap_or_else(|error| panic!("{crawler:?}: {error}"));
        assert_eq!(crawl.body_bytes, plan.requests, "{crawler:?}");
        assert_eq!(crawl.records.len(), plan.requests);
        assert!(crawl.wall >= plan.lower_bound());
        assert!(most_in_flight(&crawl.records) <= plan.concurrency);
        if crawler == Crawler::Serial {
            assert!(crawl.wall >= plan.serial_bound());
            assert_eq!(most_in_flight(&crawl.records), 1);
        } else {
            assert!(crawl.wall < plan.serial_bound() / 2, "{crawler:?}");
        }
    }
}

#[test]
fn a_semaphore_of_one_makes_the_async_crawler_serial() {
    let plan = CrawlPlan {
        requests: 8,
        delay_ms: 10,
        concurrency: 1,
    };
    let crawl = crawl(&mut Run::new(Size::Quick), Crawler::Async, plan).unwrap();
    check_crawl(&crawl).unwrap();
    assert_eq!(most_in_flight(&crawl.records), 1);
    assert!(crawl.wall >= plan.serial_bound());
}

#[test]
fn every_hashing_mode_hashes_posts_and_gets_every_echo_back() {
    use hiperf_workloads::ch08_concurrency::{HashMode, HashPlan, check_hashed, hash_and_post};

    let plan = HashPlan::of(Size::Quick);
    for mode in [
        HashMode::NoIo,
        HashMode::FileIo,
        HashMode::Serial,
        HashMode::Batches,
        HashMode::Async,
        HashMode::AsyncSpawnBlocking,
        HashMode::AsyncBlocking,
    ] {
        let mut run = Run::new(Size::Quick);
        let hashed = hash_and_post(&mut run, mode, plan).unwrap();
        check_hashed(mode, plan, &hashed).unwrap_or_else(|error| panic!("{mode:?}: {error}"));
        assert!(run.elapsed().is_some());
        let posts = !matches!(mode, HashMode::NoIo | HashMode::FileIo);
        assert_eq!(hashed.echoes.len(), if posts { plan.num_iter } else { 0 });
        let held = Duration::from_millis(plan.post_delay_ms);
        assert!(hashed.waits.iter().all(|wait| *wait >= held), "{mode:?}");
        if mode == HashMode::AsyncBlocking {
            assert_eq!(hashed.answered_while_hashing, 0);
        }
    }
}

#[test]
fn chapter_8_registers_its_three_ladders_in_the_book_order() {
    let ladder = |name: &str| -> Vec<&'static str> {
        hiperf_workloads::workloads()
            .into_iter()
            .filter(|w| w.chapter == 8 && w.name == name)
            .map(|w| w.variant)
            .collect()
    };
    assert_eq!(ladder("serial-crawler"), ["blocking"]);
    assert_eq!(ladder("crawler"), ["threads", "async"]);
    assert_eq!(ladder("parallel-requests"), ["async-sweep"]);
    assert_eq!(
        ladder("bcrypt-post"),
        [
            "no-io",
            "file-io",
            "serial",
            "batches",
            "async",
            "async-spawn-blocking",
            "async-blocking"
        ]
    );
}

#[test]
fn the_sweep_measures_every_point_and_draws_one_line_per_delay() {
    use hiperf_workloads::ch08_concurrency::{SweepPlan, sweep, sweep_chart};

    let plan = SweepPlan::of(Size::Quick);
    let mut run = Run::new(Size::Quick);
    let points = sweep(&mut run, &plan).unwrap();
    assert_eq!(points.len(), plan.delays_ms.len() * plan.concurrency.len());
    for point in &points {
        let rounds = plan.requests.div_ceil(point.concurrency) as f64;
        assert!(
            point.seconds >= rounds * point.delay_ms as f64 / 1000.0,
            "{point:?}"
        );
    }
    let timed = run.elapsed().unwrap().as_secs_f64();
    let measured: f64 = points.iter().map(|p| p.seconds).sum();
    assert!(
        timed >= measured * 0.999,
        "the timed region holds every point"
    );
    let chart = sweep_chart(&plan, &points);
    assert_eq!(chart.series.len(), plan.delays_ms.len());
    assert!(
        chart
            .series
            .iter()
            .all(|s| s.points.len() == plan.concurrency.len())
    );

    let sweep_workload = hiperf_workloads::workloads()
        .into_iter()
        .find(|w| w.id() == "ch08/parallel-requests/async-sweep")
        .unwrap();
    let mut run = Run::new(Size::Quick);
    let outcome = (sweep_workload.run)(&mut run).unwrap();
    assert!(
        outcome.result.contains("every request answered"),
        "{outcome:?}"
    );
    assert_eq!(
        run.charts().len(),
        1,
        "the workload hands its chart to the report"
    );
}
