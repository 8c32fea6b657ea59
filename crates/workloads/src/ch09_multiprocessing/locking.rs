//! `locking/`: 4 workers add 1 to a shared counter 1000 times each. Without a lock some
//! updates are lost (a read, then a write of the read value plus one, over another worker's
//! write); with one the counter ends at 4000.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Barrier, Mutex};

use crate::service::RedisServer;
use crate::worker::{Pool, Role, Task};
use crate::{Outcome, Run, Workload, expect_eq};

/// Increments per worker.
pub const INCREMENTS: i32 = 1000;
/// What every worker's increments add up to.
pub const EXPECTED_COUNT: i32 = super::BOOK_WORKERS as i32 * INCREMENTS;

/// `ex1_nolock`'s `work`: `iterations` times, read the integer in `path`, write it plus one.
/// With `lock`, an exclusive lock on `path.lock` is held around all of it, as
/// `fasteners.interprocess_locked` holds it around the whole function.
///
/// The book writes by reopening the file for writing, which truncates it: a reader can then
/// find it empty (`int('')` fails) and two writers can interleave their truncations and
/// writes into a mix of both numbers ("999" over "1235" leaves "9995", above 4000). Here the
/// new value goes to a file of this process and is renamed over `path`, so that a reader
/// always sees a whole number: updates are still lost, and only lost.
///
/// # Errors
///
/// When the file cannot be read, parsed or written.
#[hiperf::profile]
pub fn increment_file(path: &Path, iterations: i32, lock: bool) -> Result<(), String> {
    let guard = if lock {
        let lock_path = path.with_extension("lock");
        let lock_file = File::create(&lock_path)
            .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
        lock_file.lock().map_err(|e| format!("cannot lock: {e}"))?;
        Some(lock_file)
    } else {
        None
    };
    let mut own = path.as_os_str().to_owned();
    own.push(format!(".{}", std::process::id()));
    let own = std::path::PathBuf::from(own);
    for _ in 0..iterations {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let count: i32 = text
            .trim()
            .parse()
            .map_err(|_| format!("{} holds `{text}`", path.display()))?;
        std::fs::write(&own, (count + 1).to_string()).map_err(|e| e.to_string())?;
        std::fs::rename(&own, path).map_err(|e| e.to_string())?;
    }
    drop(guard);
    Ok(())
}

const FILE_ROLE: &str = "ch09/file-counter";

inventory::submit! {
    Role {
        name: FILE_ROLE,
        run: |task: &Task| increment_file(Path::new(task.arg(0)?), task.parsed(1)?, task.arg(2)? == "lock"),
    }
}

/// `workers` processes run [`increment_file`] on a new counter file starting at 0; returns
/// its final value.
pub fn file_counter(workers: usize, lock: bool) -> Result<i32, String> {
    let directory = crate::worker::scratch_directory("hiperf-counter-")?;
    let path = directory.path().join("count.txt");
    std::fs::write(&path, "0").map_err(|e| e.to_string())?;
    let args = [
        path.display().to_string(),
        INCREMENTS.to_string(),
        if lock { "lock" } else { "nolock" }.to_string(),
    ];
    Pool::spawn(FILE_ROLE, workers, &args)?.finish()?;
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    text.trim()
        .parse()
        .map_err(|_| format!("count.txt holds `{text}`"))
}

/// The shared counters of threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadCounter {
    /// An atomic read, then an atomic write of the value read plus one (`value.value += 1`
    /// on an unlocked `multiprocessing.Value`).
    Unlocked,
    /// One atomic read-modify-write (`fetch_add`).
    Atomic,
    /// A `Mutex<i32>` locked around each increment (`with value.get_lock()`).
    Mutex,
}

/// 4 threads, started together, each adding 1000 to one counter; returns its value.
pub fn thread_counter(kind: ThreadCounter) -> i32 {
    let workers = super::BOOK_WORKERS;
    let start = Barrier::new(workers);
    let atomic = AtomicI32::new(0);
    let locked = Mutex::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                start.wait();
                for _ in 0..INCREMENTS {
                    match kind {
                        ThreadCounter::Unlocked => {
                            let value = atomic.load(Ordering::Relaxed);
                            std::hint::spin_loop();
                            atomic.store(value + 1, Ordering::Relaxed);
                        }
                        ThreadCounter::Atomic => {
                            atomic.fetch_add(1, Ordering::Relaxed);
                        }
                        ThreadCounter::Mutex => {
                            *locked.lock().expect("the counter's lock") += 1;
                        }
                    }
                }
            });
        }
    });
    match kind {
        ThreadCounter::Mutex => locked.into_inner().expect("the counter's lock"),
        _ => atomic.into_inner(),
    }
}

const REDIS_ROLE: &str = "ch09/redis-incr";

/// A Redis worker: `INCR` the key 1000 times.
fn redis_incr_worker(task: &Task) -> Result<(), String> {
    let mut connection = crate::service::connect(task.arg(0)?).map_err(|e| e.to_string())?;
    for _ in 0..INCREMENTS {
        redis::cmd("INCR")
            .arg(task.arg(1)?)
            .query::<i64>(&mut connection)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

inventory::submit! { Role { name: REDIS_ROLE, run: redis_incr_worker } }

/// `workers` processes `INCR` one key of `server` 1000 times each; returns its value.
pub fn redis_counter(server: &RedisServer, workers: usize) -> Result<i64, String> {
    let key = "hiperf_counter";
    let mut connection = server.connect().map_err(|e| e.to_string())?;
    redis::cmd("SET")
        .arg(key)
        .arg(0)
        .query::<()>(&mut connection)
        .map_err(|e| e.to_string())?;
    Pool::spawn(REDIS_ROLE, workers, &[server.url(), key.to_string()])?.finish()?;
    redis::cmd("GET")
        .arg(key)
        .query::<i64>(&mut connection)
        .map_err(|e| e.to_string())
}

/// An unlocked counter: never above what was added, and lost updates are allowed.
pub fn check_unlocked(what: &str, count: i64, expected: i64) -> Result<(), String> {
    if count > expected || count < 1 {
        return Err(format!("{what}: {count}, expected at most {expected}"));
    }
    Ok(())
}

fn result(count: impl std::fmt::Display, lost: i64) -> String {
    if lost > 0 {
        format!("count {count} ({lost} updates lost)")
    } else {
        format!("count {count}")
    }
}

fn run_locking(
    run: &mut Run,
    how: &str,
    locked: bool,
    kernel: impl FnOnce() -> Result<i64, String>,
) -> Result<Outcome, String> {
    let count = run.time(kernel)?;
    let expected = i64::from(EXPECTED_COUNT);
    if locked {
        expect_eq("locked counter", count, expected)?;
    } else {
        check_unlocked("unlocked counter", count, expected)?;
    }
    Ok(Outcome {
        parameters: format!("{} workers x {INCREMENTS}, {how}", super::BOOK_WORKERS),
        result: result(count, expected - count),
    })
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "locking",
        variant: "file-nolock",
        rank: 0,
        description: "worker processes read count.txt and write it plus one, no lock (1 worker: 1000 exactly)",
        run: |run| {
            let alone = file_counter(1, false)?;
            expect_eq("1 worker x 1000 (ex1_nolock1)", alone, INCREMENTS)?;
            run_locking(run, "processes, a file, no lock", false, || {
                file_counter(super::BOOK_WORKERS, false).map(i64::from)
            })
        },
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "locking",
        variant: "file-lock",
        rank: 1,
        description: "the same under an exclusive file lock held around each worker's whole work",
        run: |run| run_locking(run, "processes, a file, File::lock", true, || {
            file_counter(super::BOOK_WORKERS, true).map(i64::from)
        }),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "locking",
        variant: "value-nolock",
        rank: 2,
        description: "threads: an atomic load, then a store of the value plus one (a Value without its lock)",
        run: |run| run_locking(run, "threads, load then store", false, || {
            Ok(i64::from(thread_counter(ThreadCounter::Unlocked)))
        }),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "locking",
        variant: "atomic",
        rank: 3,
        description: "threads: AtomicI32::fetch_add, one indivisible increment",
        run: |run| run_locking(run, "threads, fetch_add", true, || {
            Ok(i64::from(thread_counter(ThreadCounter::Atomic)))
        }),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "locking",
        variant: "mutex",
        rank: 4,
        description: "threads: a Mutex<i32> locked around each increment (Value with its lock)",
        run: |run| run_locking(run, "threads, a mutex", true, || {
            Ok(i64::from(thread_counter(ThreadCounter::Mutex)))
        }),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "locking",
        variant: "redis-incr",
        rank: 5,
        description: "worker processes send INCR to a private redis-server (atomic on the server)",
        run: |run| {
            let server = match RedisServer::start() {
                Ok(server) => server,
                Err(error) => return super::unavailable(run, error),
            };
            run_locking(run, "processes, Redis INCR", true, || {
                redis_counter(&server, super::BOOK_WORKERS)
            })
            .map_err(|message| server.explain(message))
        },
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_thread_counters_reach_4000_and_the_unlocked_one_never_exceeds_it() {
        assert_eq!(thread_counter(ThreadCounter::Atomic), EXPECTED_COUNT);
        assert_eq!(thread_counter(ThreadCounter::Mutex), EXPECTED_COUNT);
        let unlocked = thread_counter(ThreadCounter::Unlocked);
        assert!((1..=EXPECTED_COUNT).contains(&unlocked), "{unlocked}");
    }

    #[test]
    fn one_process_alone_counts_exactly_in_this_process() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("count.txt");
        std::fs::write(&path, "0").unwrap();
        increment_file(&path, 1000, false).unwrap();
        increment_file(&path, 10, true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1010");
    }

    #[test]
    fn an_unlocked_count_above_the_total_fails() {
        assert!(check_unlocked("c", 4001, 4000).is_err());
        assert!(check_unlocked("c", 4000, 4000).is_ok());
        assert!(check_unlocked("c", 1234, 4000).is_ok());
    }
}
