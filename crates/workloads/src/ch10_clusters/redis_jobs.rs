//! The job queue's Redis side: where the server is ([`Broker`]), and a run of worker
//! processes over it ([`RedisJob`]), one of them killed mid-run if asked.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::service::{RedisServer, Unavailable};
use crate::worker::{Pool, Role, Task};

use super::job_queue::{Ack, Ending, Routing, Tally, WorkerOptions, check_routing, produce, work};
use super::redis_queue::RedisQueue;

/// Set to a `redis://` URL, the Redis variants use that server (on another host, say) rather
/// than a private `redis-server`.
pub const REDIS_URL_VARIABLE: &str = "HIPERF_REDIS_URL";

/// Where the Redis variants run: a private server, or the one `HIPERF_REDIS_URL` names.
#[derive(Debug)]
pub enum Broker {
    /// Started for this run, stopped when dropped.
    Private(RedisServer),
    /// A server this run does not own.
    External(String),
}

impl Broker {
    /// The server `HIPERF_REDIS_URL` names, else a private `redis-server`.
    ///
    /// # Errors
    ///
    /// [`Unavailable::NotInstalled`] when there is neither;
    /// [`Unavailable::Failed`] when the variable holds something else than a Redis URL.
    pub fn start() -> Result<Broker, Unavailable> {
        Broker::start_with(std::env::var(REDIS_URL_VARIABLE).ok())
    }

    /// The server at `url` if it is given and not empty, else a private `redis-server`.
    ///
    /// # Errors
    ///
    /// As [`Broker::start`].
    pub fn start_with(url: Option<String>) -> Result<Broker, Unavailable> {
        match url {
            Some(url) if !url.is_empty() => match redis::Client::open(url.as_str()) {
                Ok(_) => Ok(Broker::External(url)),
                Err(error) => Err(Unavailable::Failed(format!(
                    "{REDIS_URL_VARIABLE}=`{url}` is not a Redis URL ({error}); expected \
                     redis://HOST:PORT/ or redis+unix:///PATH"
                ))),
            },
            _ => RedisServer::start().map(Broker::Private),
        }
    }

    /// The server's URL, for the workers.
    pub fn url(&self) -> String {
        match self {
            Broker::Private(server) => server.url(),
            Broker::External(url) => url.clone(),
        }
    }

    /// Adds the private server's log to a failure.
    pub fn explain(&self, message: String) -> String {
        match self {
            Broker::Private(server) => server.explain(message),
            Broker::External(url) => format!("{message} (the server at {url})"),
        }
    }
}

/// A run over Redis.
#[derive(Debug)]
pub struct RedisRun {
    /// From the first message published to the last worker done.
    pub elapsed: Duration,
    /// The checked streams.
    pub routing: Routing,
    /// The surviving workers' tallies.
    pub tallies: Vec<Tally>,
    /// Messages the killed worker held when it was killed (0 if none was killed).
    pub killed_holding: usize,
    /// Messages the killed worker routed before it stopped.
    pub killed_routed: usize,
}

const WORKER_ROLE: &str = "ch10/primes-worker";

/// A unique key prefix for a run, so that runs sharing a server never meet.
fn namespace() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("hiperf:ch10:{}:{nanos}:", std::process::id())
}

/// A run over Redis, from its start: the queue created and the worker processes up.
#[derive(Debug)]
pub struct RedisJob {
    range: (u64, u64),
    queue: RedisQueue,
    pool: Pool,
    doomed: Option<Pool>,
    elapsed: Option<Duration>,
    tallies: Vec<Tally>,
    killed_holding: usize,
    killed_routed: usize,
}

impl RedisJob {
    /// Creates the queue of a run over `range` on the server at `url`, and starts `workers`
    /// worker processes; with `kill_one`, one more that stops after 100 messages holding its
    /// next read, to be killed (`SIGKILL`) while the others run: they claim what it held once
    /// idle for 200 ms.
    ///
    /// # Errors
    ///
    /// When the server does not answer or a process cannot start.
    pub fn start(
        url: &str,
        range: (u64, u64),
        workers: usize,
        options: WorkerOptions,
        kill_one: bool,
    ) -> Result<RedisJob, String> {
        let namespace = namespace();
        let queue = RedisQueue::create(url, &namespace)?;
        let options = if kill_one {
            WorkerOptions {
                claim_idle: Duration::from_millis(200),
                ..options
            }
        } else {
            options
        };
        let arguments = |stall_after: Option<usize>| {
            vec![
                url.to_string(),
                namespace.clone(),
                options.batch.to_string(),
                match options.ack {
                    Ack::EachMessage => "each-message",
                    Ack::EachBatch => "each-batch",
                }
                .to_string(),
                options.claim_idle.as_millis().to_string(),
                stall_after.map_or("never".to_string(), |n| n.to_string()),
            ]
        };
        let pool = Pool::spawn(WORKER_ROLE, workers, &arguments(None))?;
        let doomed = if kill_one {
            Some(Pool::spawn(WORKER_ROLE, 1, &arguments(Some(100)))?)
        } else {
            None
        };
        Ok(RedisJob {
            range,
            queue,
            pool,
            doomed,
            elapsed: None,
            tallies: Vec::new(),
            killed_holding: 0,
            killed_routed: 0,
        })
    }

    /// Publishes every number, kills the doomed worker once it holds messages, and waits for
    /// the others to finish: the time from the first message published to the last worker
    /// done, the region the workloads time.
    ///
    /// # Errors
    ///
    /// When a worker fails, or the doomed one finished without stalling.
    pub fn run(&mut self) -> Result<Duration, String> {
        let start = Instant::now();
        produce(&mut self.queue, self.range)?;
        if let Some(doomed) = &mut self.doomed {
            let worker = &mut doomed.workers_mut()[0];
            let line = worker.read_line().map_err(|e| e.to_string())?;
            let stalled = line
                .as_deref()
                .and_then(|l| l.strip_prefix("stalled "))
                .and_then(|l| l.split_once(' '))
                .and_then(|(holding, routed)| Some((holding.parse().ok()?, routed.parse().ok()?)));
            let Some((holding, routed)) = stalled else {
                return Err(format!(
                    "the worker to kill answered {line:?} instead of stalling: {}",
                    worker.log()
                ));
            };
            self.killed_holding = holding;
            self.killed_routed = routed;
            worker
                .kill()
                .map_err(|e| format!("cannot kill a worker: {e}"))?;
        }
        for worker in self.pool.workers_mut() {
            let line = worker.read_line().map_err(|e| e.to_string())?;
            let tally = line
                .as_deref()
                .and_then(|l| l.strip_prefix("done "))
                .and_then(|l| l.split_once(' '))
                .and_then(|(routed, claimed)| {
                    Some(Tally {
                        routed: routed.parse().ok()?,
                        claimed: claimed.parse().ok()?,
                    })
                })
                .ok_or_else(|| format!("a worker answered {line:?}: {}", worker.log().trim()))?;
            self.tallies.push(tally);
        }
        let elapsed = start.elapsed();
        self.elapsed = Some(elapsed);
        Ok(elapsed)
    }

    /// Waits for the workers, merges their profiles into this process's, and checks the
    /// streams ([`check_routing`]).
    ///
    /// # Errors
    ///
    /// When [`RedisJob::run`] did not run, a worker failed, or a check failed.
    pub fn finish(self) -> Result<RedisRun, String> {
        let elapsed = self.elapsed.ok_or("the job did not run")?;
        self.pool.finish()?;
        if let Some(doomed) = self.doomed {
            doomed.finish()?;
        }
        let mut queue = self.queue;
        let routing = check_routing(&mut queue, self.range)?;
        Ok(RedisRun {
            elapsed,
            routing,
            tallies: self.tallies,
            killed_holding: self.killed_holding,
            killed_routed: self.killed_routed,
        })
    }
}

/// [`RedisJob`] from start to finish: `workers` worker processes over Redis at `url`, one
/// more killed mid-run with `kill_one`; the streams are checked before it returns.
///
/// # Errors
///
/// As [`RedisJob::start`], [`RedisJob::run`] and [`RedisJob::finish`].
pub fn run_redis(
    url: &str,
    range: (u64, u64),
    workers: usize,
    options: WorkerOptions,
    kill_one: bool,
) -> Result<RedisRun, String> {
    let mut job = RedisJob::start(url, range, workers, options, kill_one)?;
    job.run()?;
    job.finish()
}

/// The worker process: `URL NAMESPACE BATCH ACK CLAIM_IDLE_MS STALL_AFTER`. Prints `done
/// ROUTED CLAIMED` at the end, or `stalled HOLDING ROUTED` and then waits to be killed.
fn primes_worker(task: &Task) -> Result<(), String> {
    let mut queue = RedisQueue::connect(task.arg(0)?, task.arg(1)?)?;
    let options = WorkerOptions {
        batch: task.parsed(2)?,
        ack: match task.arg(3)? {
            "each-message" => Ack::EachMessage,
            "each-batch" => Ack::EachBatch,
            other => return Err(format!("unknown acknowledgement `{other}`")),
        },
        claim_idle: Duration::from_millis(task.parsed(4)?),
        stall_after: match task.arg(5)? {
            "never" => None,
            _ => Some(task.parsed(5)?),
        },
    };
    let consumer = format!("worker-{}-{}", task.index, std::process::id());
    let mut output = std::io::stdout().lock();
    match work(&mut queue, &consumer, options)? {
        Ending::Done(tally) => writeln!(output, "done {} {}", tally.routed, tally.claimed)
            .and_then(|()| output.flush())
            .map_err(|e| e.to_string()),
        Ending::Stalled { tally, holding } => {
            writeln!(output, "stalled {holding} {}", tally.routed)
                .and_then(|()| output.flush())
                .map_err(|e| e.to_string())?;
            // Held until the parent kills it; a parent that never does is gone.
            std::thread::sleep(Duration::from_secs(60));
            Err("stalled and never killed".to_string())
        }
    }
}

inventory::submit! { Role { name: WORKER_ROLE, run: primes_worker } }

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_in_the_variable_is_used_and_a_bad_one_is_named() {
        let url = "redis://queue-host:6379/".to_string();
        match Broker::start_with(Some(url.clone())) {
            Ok(Broker::External(chosen)) => assert_eq!(chosen, url),
            other => panic!("{other:?}"),
        }
        let Err(Unavailable::Failed(message)) = Broker::start_with(Some("queue-host:6379".into()))
        else {
            panic!("a bad URL is accepted");
        };
        assert!(
            message.contains("HIPERF_REDIS_URL=`queue-host:6379`"),
            "{message}"
        );
        match Broker::start_with(Some(String::new())) {
            Ok(Broker::Private(_)) | Err(Unavailable::NotInstalled(_)) => {}
            other => panic!("an empty variable should start a private server: {other:?}"),
        }
    }
}
