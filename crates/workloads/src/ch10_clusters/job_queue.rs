//! `nsq/nsq_worker.py` on a queue: a producer publishes `{"number": n}` for every number of
//! range A; workers in one consumer group test each with `check_prime` and route
//! `{"number": n, "prime": bool}` to `prime` or `non_prime`, acknowledging each message. The
//! same [`produce`] and [`work`] run over the in-process [`MemoryQueue`] with worker threads
//! and over Redis Streams with worker processes.
//!
//! The book's worker retries a failed publish with the wrong arguments (a latent bug); here a
//! failed acknowledge-and-route step ends the worker with its error, and the message stays
//! pending until another worker claims it.

use std::time::{Duration, Instant};

use crate::ch09_multiprocessing::{PRIMES_REFERENCES, RANGE_A, check_prime, check_primes};
use crate::{Outcome, Run, Unit, Workload, expect_eq};

use super::queue::{Delivery, JobQueue, MemoryQueue, NumberMessage, PrimeMessage, Route, Routed};
use super::redis_jobs::{Broker, RedisJob};

/// Messages the producer publishes per round trip.
const PUBLISH_BATCH: usize = 100;
/// How long a read waits for a new message before the worker looks for abandoned ones.
const READ_BLOCK: Duration = Duration::from_millis(20);
/// How long a worker with nothing to do waits before it looks again, once the queue is closed.
const IDLE_PAUSE: Duration = Duration::from_millis(1);
/// A worker that runs longer than this gives up with an error: runs stay bounded in time.
pub(super) const WORKER_DEADLINE: Duration = Duration::from_secs(120);

/// How a worker acknowledges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ack {
    /// One acknowledge-and-route step per message.
    EachMessage,
    /// One step for every message of a read.
    EachBatch,
}

/// How a worker works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerOptions {
    /// Messages per read (`COUNT`).
    pub batch: usize,
    /// One acknowledgement step per message or per read.
    pub ack: Ack,
    /// How long a message stays pending before another worker claims it.
    pub claim_idle: Duration,
    /// Stops, holding its next read unacknowledged, after routing this many messages: the
    /// worker that dies mid-run.
    pub stall_after: Option<usize>,
}

impl WorkerOptions {
    /// Reads of 10, each message acknowledged on its own, claims after 1 s.
    pub const EACH_MESSAGE: WorkerOptions = WorkerOptions {
        batch: 10,
        ack: Ack::EachMessage,
        claim_idle: Duration::from_secs(1),
        stall_after: None,
    };
    /// Reads of 100, acknowledged together.
    pub const EACH_BATCH: WorkerOptions = WorkerOptions {
        batch: 100,
        ack: Ack::EachBatch,
        ..WorkerOptions::EACH_MESSAGE
    };
}

/// What a worker did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Messages it routed (acknowledged first).
    pub routed: usize,
    /// Messages it claimed from other workers.
    pub claimed: usize,
}

/// How a worker stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The queue is closed, drained and nothing is pending.
    Done(Tally),
    /// It stopped as asked ([`WorkerOptions::stall_after`]), holding `holding` messages.
    Stalled {
        /// Its work so far.
        tally: Tally,
        /// Messages it read and will never acknowledge.
        holding: usize,
    },
}

/// Publishes `{"number": n}` for every number of `[from, to)`, then closes the queue.
/// Returns how many it published.
pub fn produce(queue: &mut impl JobQueue, (from, to): (u64, u64)) -> Result<usize, String> {
    let mut batch = Vec::with_capacity(PUBLISH_BATCH);
    for number in from..to {
        let json = serde_json::to_string(&NumberMessage { number }).map_err(|e| e.to_string())?;
        batch.push(json);
        if batch.len() == PUBLISH_BATCH {
            queue.publish(&batch)?;
            batch.clear();
        }
    }
    queue.publish(&batch)?;
    queue.close()?;
    Ok((to - from) as usize)
}

/// `nsq_worker.py`'s handler: the number's verdict, as the message to route.
pub fn answer(delivery: &Delivery) -> Result<Routed, String> {
    let message: NumberMessage = serde_json::from_str(&delivery.json)
        .map_err(|e| format!("message {} `{}`: {e}", delivery.id, delivery.json))?;
    let prime = check_prime(message.number);
    let json = serde_json::to_string(&PrimeMessage {
        number: message.number,
        prime,
    })
    .map_err(|e| e.to_string())?;
    Ok(Routed {
        id: delivery.id.clone(),
        route: if prime { Route::Prime } else { Route::NonPrime },
        json,
    })
}

/// A worker of the consumer group: reads new messages, and when there are none claims
/// those left pending longer than [`WorkerOptions::claim_idle`]; answers and acknowledges
/// each; returns once the queue is closed, drained, and nothing is pending anywhere.
///
/// # Errors
///
/// A queue error, a message that is not `{"number": n}`, or a run past two minutes.
pub fn work(
    queue: &mut impl JobQueue,
    consumer: &str,
    options: WorkerOptions,
) -> Result<Ending, String> {
    let deadline = Instant::now() + WORKER_DEADLINE;
    let mut tally = Tally::default();
    let mut closed = false;
    loop {
        if Instant::now() > deadline {
            return Err(format!(
                "{consumer} gave up after {WORKER_DEADLINE:?} ({tally:?}, {} pending)",
                queue.pending()?
            ));
        }
        let mut batch = queue.read(consumer, options.batch, None)?;
        if batch.is_empty() && !closed {
            // PERF: blocking reads only while the producer may publish more: Redis ends a
            // blocked read's timeout at its next tick (100 ms at its default `hz`), so a
            // read blocked when the queue closes would hold the worker that long.
            closed = queue.is_closed()?;
            if closed {
                continue; // read again, now that nothing new can arrive
            }
            batch = queue.read(consumer, options.batch, Some(READ_BLOCK))?;
        }
        if batch.is_empty() {
            batch = queue.claim(consumer, options.claim_idle, options.batch)?;
            tally.claimed += batch.len();
        }
        if batch.is_empty() {
            if closed {
                if queue.pending()? == 0 {
                    // Closed before that read, which found nothing new: the work is done.
                    return Ok(Ending::Done(tally));
                }
                // Other workers hold messages: they acknowledge them, or go idle and are
                // claimed.
                std::thread::sleep(IDLE_PAUSE);
            }
            continue;
        }
        if options
            .stall_after
            .is_some_and(|after| tally.routed >= after)
        {
            return Ok(Ending::Stalled {
                tally,
                holding: batch.len(),
            });
        }
        let answers = batch.iter().map(answer).collect::<Result<Vec<_>, _>>()?;
        match options.ack {
            Ack::EachMessage => {
                for routed in &answers {
                    tally.routed += queue.complete(std::slice::from_ref(routed))?;
                }
            }
            Ack::EachBatch => tally.routed += queue.complete(&answers)?,
        }
    }
}

/// The result streams of a run, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routing {
    /// Messages in `prime`.
    pub primes: usize,
    /// Messages in `non_prime`.
    pub non_primes: usize,
}

/// Checks the streams after a run over `range`: `prime` holds exactly the range's primes
/// (551 for range A, with the book's first and last ten), every one `"prime": true`;
/// `non_prime` the rest (9449), every one `"prime": false`; each number once; every text
/// round-trips through `PrimeMessage` unchanged; nothing pending.
pub fn check_routing(queue: &mut impl JobQueue, (from, to): (u64, u64)) -> Result<Routing, String> {
    let parse = |text: &String| -> Result<PrimeMessage, String> {
        let message: PrimeMessage =
            serde_json::from_str(text).map_err(|e| format!("`{text}` is not a verdict: {e}"))?;
        let again = serde_json::to_string(&message).map_err(|e| e.to_string())?;
        expect_eq("JSON round trip", &again, text)?;
        Ok(message)
    };
    let prime = queue
        .entries(Route::Prime)?
        .iter()
        .map(parse)
        .collect::<Result<Vec<_>, _>>()?;
    let non_prime = queue
        .entries(Route::NonPrime)?
        .iter()
        .map(parse)
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(wrong) = prime.iter().find(|m| !m.prime) {
        return Err(format!("`prime` holds {wrong:?}"));
    }
    if let Some(wrong) = non_prime.iter().find(|m| m.prime) {
        return Err(format!("`non_prime` holds {wrong:?}"));
    }
    let mut primes: Vec<u64> = prime.iter().map(|m| m.number).collect();
    primes.sort_unstable();
    let mut every: Vec<u64> = non_prime.iter().map(|m| m.number).collect();
    every.extend_from_slice(&primes);
    every.sort_unstable();
    let mut distinct = every.clone();
    distinct.dedup();
    expect_eq("numbers routed twice", every.len() - distinct.len(), 0)?;
    expect_eq("numbers routed", distinct, (from..to).collect::<Vec<_>>())?;
    if PRIMES_REFERENCES.iter().any(|r| r.range == (from, to)) {
        check_primes((from, to), &primes)?;
    }
    expect_eq("messages pending at the end", queue.pending()?, 0)?;
    Ok(Routing {
        primes: prime.len(),
        non_primes: non_prime.len(),
    })
}

/// Range A at every size: the chapter's checks are its 551 primes and 9449 others.
pub const JOB_RANGE: (u64, u64) = RANGE_A;

/// One run over the in-process queue with `threads` worker threads: the time from the first
/// message published to the last worker done, and the workers' tallies.
pub fn run_in_process(
    range: (u64, u64),
    threads: usize,
    options: WorkerOptions,
) -> Result<(MemoryQueue, Duration, Vec<Ending>), String> {
    let queue = MemoryQueue::new();
    let start = Instant::now();
    let endings = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|index| {
                let mut handle = queue.clone();
                scope.spawn(move || work(&mut handle, &format!("thread-{index}"), options))
            })
            .collect();
        let published = produce(&mut queue.clone(), range);
        let endings = workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .map_err(|_| "a worker thread panicked".to_string())?
            })
            .collect::<Result<Vec<_>, _>>();
        published.and(endings)
    })?;
    Ok((queue, start.elapsed(), endings))
}

/// The messages of a run: one per number of [`JOB_RANGE`].
const MESSAGES: usize = (JOB_RANGE.1 - JOB_RANGE.0) as usize;

/// Runs of the in-process queue beside each Redis run.
const IN_PROCESS_SAMPLES: usize = 3;

/// Messages per second.
fn rate(messages: usize, elapsed: Duration) -> f64 {
    messages as f64 / elapsed.as_secs_f64()
}

/// The ladder's table of figures for a run of `elapsed`: messages per second and the time
/// per message.
fn record_throughput(run: &mut Run, elapsed: Duration) {
    run.record("messages/s", rate(MESSAGES, elapsed).round(), Unit::Count);
    run.record(
        "per message",
        elapsed.as_secs_f64() / MESSAGES as f64,
        Unit::Seconds,
    );
}

/// A broker run's figures: its throughput, the in-process queue's rate in the same run, and
/// what the broker adds per message (returned, in seconds).
fn record_broker_cost(run: &mut Run, elapsed: Duration, in_process: Duration) -> f64 {
    record_throughput(run, elapsed);
    run.record(
        "in-process messages/s, same run",
        rate(MESSAGES, in_process).round(),
        Unit::Count,
    );
    let added = (elapsed.as_secs_f64() - in_process.as_secs_f64()) / MESSAGES as f64;
    run.record("added per message", added, Unit::Seconds);
    added
}

fn routed_total(endings: &[Ending]) -> usize {
    endings
        .iter()
        .map(|ending| match ending {
            Ending::Done(tally) | Ending::Stalled { tally, .. } => tally.routed,
        })
        .sum()
}

fn run_memory_variant(run: &mut Run) -> Result<Outcome, String> {
    let threads = crate::ch09_multiprocessing::parallelism();
    let options = WorkerOptions::EACH_MESSAGE;
    let (mut queue, elapsed, endings) = run.time(|| run_in_process(JOB_RANGE, threads, options))?;
    let routing = check_routing(&mut queue, JOB_RANGE)?;
    expect_eq(
        "messages routed by the workers",
        routed_total(&endings),
        MESSAGES,
    )?;
    record_throughput(run, elapsed);
    Ok(Outcome {
        parameters: format!(
            "[{}, {}) as {{\"number\": n}}; in-process queue, {threads} worker threads, reads of {}, one ack per message",
            JOB_RANGE.0, JOB_RANGE.1, options.batch
        ),
        result: format!(
            "prime {}, non_prime {}, 0 pending; {:.0} messages/s",
            routing.primes,
            routing.non_primes,
            rate(MESSAGES, elapsed)
        ),
    })
}

fn run_redis_variant(
    run: &mut Run,
    options: WorkerOptions,
    kill_one: bool,
) -> Result<Outcome, String> {
    let broker = match Broker::start() {
        Ok(broker) => broker,
        Err(error) => return crate::ch09_multiprocessing::unavailable(run, error),
    };
    let workers = crate::ch09_multiprocessing::parallelism().max(2);
    let outcome = RedisJob::start(&broker.url(), JOB_RANGE, workers, options, kill_one)
        .and_then(|mut job| run.time(|| job.run()).and_then(|_| job.finish()))
        .map_err(|message| broker.explain(message))?;
    let routed: usize = outcome.tallies.iter().map(|t| t.routed).sum();
    let claimed: usize = outcome.tallies.iter().map(|t| t.claimed).sum();
    if kill_one {
        if outcome.killed_holding == 0 {
            return Err("the killed worker held no message".to_string());
        }
        if claimed < outcome.killed_holding {
            return Err(format!(
                "the killed worker held {} messages, the others claimed {claimed}",
                outcome.killed_holding
            ));
        }
        expect_eq(
            "messages routed by the survivors and the killed worker",
            routed + outcome.killed_routed,
            MESSAGES,
        )?;
    } else {
        expect_eq("messages routed by the workers", routed, MESSAGES)?;
    }
    // The in-process queue in the same run, for the overhead of the broker per message: the
    // median of three, as one run of 10 ms is at the mercy of the machine's other work.
    let threads = crate::ch09_multiprocessing::parallelism();
    let mut in_process = (0..IN_PROCESS_SAMPLES)
        .map(|_| run_in_process(JOB_RANGE, threads, options).map(|(_, elapsed, _)| elapsed))
        .collect::<Result<Vec<_>, _>>()?;
    in_process.sort_unstable();
    let in_process = in_process[IN_PROCESS_SAMPLES / 2];
    let overhead = record_broker_cost(run, outcome.elapsed, in_process);
    let killed = if kill_one {
        format!(
            "; a worker killed after {} messages holding {}, {claimed} claimed (XAUTOCLAIM)",
            outcome.killed_routed, outcome.killed_holding
        )
    } else {
        String::new()
    };
    Ok(Outcome {
        parameters: format!(
            "[{}, {}) as {{\"number\": n}}; Redis Streams {}, {workers} worker processes{}, reads of {}, {}",
            JOB_RANGE.0,
            JOB_RANGE.1,
            match broker {
                Broker::Private(_) => "on a private redis-server (Unix socket)".to_string(),
                Broker::External(ref url) => format!("at {url}"),
            },
            if kill_one { " + 1 killed" } else { "" },
            options.batch,
            match options.ack {
                Ack::EachMessage => "XACK+XADD per message",
                Ack::EachBatch => "XACK+XADD per read",
            }
        ),
        result: format!(
            "prime {}, non_prime {}, 0 pending{killed}; {:.0} messages/s against {:.0} in-process in the same run (median of 3): {:.1} µs more per message",
            outcome.routing.primes,
            outcome.routing.non_primes,
            rate(MESSAGES, outcome.elapsed),
            rate(MESSAGES, in_process),
            overhead * 1e6
        ),
    })
}

inventory::submit! {
    Workload {
        chapter: 10,
        name: "job-queue",
        variant: "in-process",
        rank: 0,
        description: "producer and worker threads over an in-process queue with a consumer group, one ack per message (the embedded default)",
        run: run_memory_variant,
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 10,
        name: "job-queue",
        variant: "redis",
        rank: 1,
        description: "the same producer and workers over Redis Streams: worker processes in a consumer group, XACK+XADD per message",
        run: |run| run_redis_variant(run, WorkerOptions::EACH_MESSAGE, false),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 10,
        name: "job-queue",
        variant: "redis-batched",
        rank: 2,
        description: "as redis, reads of 100 acknowledged and routed in one step",
        run: |run| run_redis_variant(run, WorkerOptions::EACH_BATCH, false),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 10,
        name: "job-queue",
        variant: "redis-killed",
        rank: 3,
        description: "as redis, one worker killed mid-run with messages pending; the others claim them (XAUTOCLAIM)",
        run: |run| run_redis_variant(run, WorkerOptions::EACH_MESSAGE, true),
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_as_the_books_json() {
        let text = serde_json::to_string(&NumberMessage {
            number: 100_000_007,
        })
        .unwrap();
        assert_eq!(text, r#"{"number":100000007}"#);
        let verdict: PrimeMessage =
            serde_json::from_str(r#"{"number": 100000007, "prime": true}"#).unwrap();
        assert_eq!(
            verdict,
            PrimeMessage {
                number: 100_000_007,
                prime: true
            }
        );
        let routed = answer(&Delivery {
            id: "1-0".into(),
            json: text,
        })
        .unwrap();
        assert_eq!(routed.route, Route::Prime);
        assert_eq!(routed.json, r#"{"number":100000007,"prime":true}"#);
        assert!(
            answer(&Delivery {
                id: "2-0".into(),
                json: "{}".into()
            })
            .unwrap_err()
            .contains("2-0")
        );
    }

    #[test]
    fn range_a_over_the_in_process_queue() {
        for (threads, options) in [
            (1, WorkerOptions::EACH_MESSAGE),
            (3, WorkerOptions::EACH_BATCH),
        ] {
            let (mut queue, _, endings) = run_in_process(JOB_RANGE, threads, options).unwrap();
            let routing = check_routing(&mut queue, JOB_RANGE).unwrap();
            assert_eq!(
                routing,
                Routing {
                    primes: 551,
                    non_primes: 9449
                }
            );
            assert_eq!(routed_total(&endings), 10_000);
        }
    }

    #[test]
    fn the_report_gets_the_rate_and_the_time_per_message() {
        let mut run = Run::new(crate::Size::Quick);
        let outcome = run_memory_variant(&mut run).unwrap();
        assert!(outcome.result.starts_with("prime 551, non_prime 9449"));
        let figure = |name: &str| {
            run.figures()
                .iter()
                .find(|figure| figure.name == name)
                .map(|figure| (figure.value, figure.unit))
        };
        let (rate, unit) = figure("messages/s").unwrap();
        assert!(rate > 0.0 && rate.fract() == 0.0 && unit == Unit::Count);
        let (per_message, unit) = figure("per message").unwrap();
        assert_eq!(unit, Unit::Seconds);
        // The two figures describe the same run: 10,000 messages.
        assert!(
            (rate * per_message - 1.0).abs() < 0.01,
            "{rate} x {per_message}"
        );
        assert_eq!(figure("added per message"), None);
    }

    #[test]
    fn a_brokers_figures_are_against_the_in_process_queue_of_the_same_run() {
        let figures = |elapsed_ms: u64, in_process_ms: u64| {
            let mut run = Run::new(crate::Size::Quick);
            let added = record_broker_cost(
                &mut run,
                Duration::from_millis(elapsed_ms),
                Duration::from_millis(in_process_ms),
            );
            let values: Vec<(&str, f64)> =
                run.figures().iter().map(|f| (f.name, f.value)).collect();
            (added, values)
        };
        // 10,000 messages in 300 ms against 10 ms in process: 29 µs more a message.
        let (added, values) = figures(300, 10);
        assert!((added - 29e-6).abs() < 1e-12, "{added}");
        assert_eq!(values[0], ("messages/s", 33_333.0));
        assert_eq!(values[2], ("in-process messages/s, same run", 1_000_000.0));
        assert_eq!(values[3].0, "added per message");
        // A broker run faster than the in-process one (a noisy machine) reads negative, as
        // measured, rather than clamped.
        let (added, _) = figures(5, 10);
        assert!(added < 0.0);
    }

    #[test]
    fn a_worker_that_dies_holding_messages_loses_none() {
        let mut queue = MemoryQueue::new();
        let dying = WorkerOptions {
            stall_after: Some(30),
            ..WorkerOptions::EACH_MESSAGE
        };
        let claiming = WorkerOptions {
            claim_idle: Duration::from_millis(50),
            ..WorkerOptions::EACH_MESSAGE
        };
        produce(&mut queue, JOB_RANGE).unwrap();
        let Ending::Stalled { tally, holding } = work(&mut queue.clone(), "dies", dying).unwrap()
        else {
            panic!("the dying worker did not stall");
        };
        assert_eq!((tally.routed, holding), (30, 10));
        assert_eq!(queue.pending_for("dies").unwrap(), 10);
        let Ending::Done(survivor) = work(&mut queue.clone(), "survives", claiming).unwrap() else {
            panic!("the survivor stalled");
        };
        assert_eq!(survivor.routed, 10_000 - 30);
        assert_eq!(survivor.claimed, 10);
        check_routing(&mut queue, JOB_RANGE).unwrap();
    }

    #[test]
    fn a_message_routed_twice_or_missing_fails_the_check() {
        let mut queue = MemoryQueue::new();
        produce(&mut queue, (100_000_000, 100_000_010)).unwrap();
        let delivered = queue.read("a", 100, None).unwrap();
        let answers: Vec<Routed> = delivered.iter().map(|d| answer(d).unwrap()).collect();
        queue.complete(&answers[1..]).unwrap();
        assert!(
            check_routing(&mut queue, (100_000_000, 100_000_010)).is_err(),
            "one missing"
        );
        let mut doubled = MemoryQueue::new();
        doubled
            .publish(&[delivered[0].json.clone(), delivered[0].json.clone()])
            .unwrap();
        let twice: Vec<Routed> = doubled
            .read("a", 2, None)
            .unwrap()
            .iter()
            .map(|d| answer(d).unwrap())
            .collect();
        doubled.complete(&twice).unwrap();
        let error = check_routing(&mut doubled, (100_000_000, 100_000_001)).unwrap_err();
        assert!(error.contains("twice"), "{error}");
    }
}
