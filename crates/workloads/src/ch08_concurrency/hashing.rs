//! `workload/workload.py`: CPU work (bcrypt of a random ten-letter password) mixed with I/O
//! (each hash POSTed to the server, which holds it 0.1 s and echoes it), in the book's modes:
//! no I/O, file I/O, serial requests, batches of 100 concurrent requests, and async: the
//! book's (hashing on the event loop, yielding after each hash), with the hashing moved off
//! the executor (`spawn_blocking`), and with the hashing blocking the executor (no yield: the
//! mistake the book warns of, whose cost shows in how long each POST waits).

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::Semaphore;

use super::crawler::event_loop;
use super::server::{POST_DELAY_MS, Server};
use crate::{Outcome, Run, Size, Workload, expect_eq};

/// The book's `(difficulty, num_iter)` pairs of `workloads.json`.
pub const BOOK_HASHING: [(u32, usize); 4] = [(8, 600), (10, 400), (11, 400), (12, 400)];

/// The seed of the passwords and salts.
pub const PASSWORD_SEED: u64 = 10;

/// The book's `AsyncBatcher(100)` and `Semaphore(100)`.
pub const BOOK_BATCH: usize = 100;

/// The report's run at book size: the book's lowest difficulty, 8, with a tenth of its 600
/// passwords, POSTed in batches of a tenth of its 100, so that there are six batches as in the
/// book (the serial mode of all 600 would take 600 x (hash + 0.1 s), over a minute, a run).
pub const REPORT_HASHING: HashPlan = HashPlan {
    difficulty: 8,
    num_iter: 60,
    batch: 10,
    post_delay_ms: POST_DELAY_MS,
};

/// What one run hashes and posts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashPlan {
    /// bcrypt's cost factor (`gensalt(difficulty)`: 2^difficulty rounds).
    pub difficulty: u32,
    /// Passwords hashed.
    pub num_iter: usize,
    /// Concurrent POSTs (batch size, semaphore).
    pub batch: usize,
    /// How long the server holds each POST, in milliseconds.
    pub post_delay_ms: u64,
}

impl HashPlan {
    /// The plan at `size`.
    pub fn of(size: Size) -> HashPlan {
        match size {
            Size::Book => REPORT_HASHING,
            Size::Quick => HashPlan {
                difficulty: 4,
                num_iter: 12,
                batch: 5,
                post_delay_ms: 20,
            },
        }
    }
}

/// The random part of `do_task`: ten distinct lowercase letters and bcrypt's 16-byte salt.
pub fn random_password_and_salt(rng: &mut ChaCha8Rng) -> (String, [u8; 16]) {
    let password = rand::seq::index::sample(rng, 26, 10)
        .iter()
        .map(|index| char::from(b'a' + index as u8))
        .collect();
    (password, rng.random())
}

/// The book's `do_task`: bcrypt of a random password with a new salt at `difficulty`, as
/// `$2b$` text.
#[hiperf::profile]
pub fn do_task(rng: &mut ChaCha8Rng, difficulty: u32) -> Result<String, String> {
    let (password, salt) = random_password_and_salt(rng);
    let result = bcrypt::hash_with_salt(password.as_bytes(), difficulty, salt)
        .map_err(|error| format!("bcrypt failed: {error}"))?;
    Ok(result.format_for_version(bcrypt::Version::TwoB))
}

/// The book's modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashMode {
    /// `calculate_task_num`: hashing only.
    NoIo,
    /// `calculate_task_file_io`: each hash written to a temporary file.
    FileIo,
    /// `calculate_task_requests`: each hash POSTed with a blocking client before the next.
    Serial,
    /// `calculate_task_batch`: `AsyncBatcher(100)`, 100 hashes then 100 concurrent POSTs.
    Batches,
    /// `calculate_task_aiohttp`: hashing on the event loop, a POST task per hash under
    /// `Semaphore(100)`, and `await asyncio.sleep(0)` after each so that the tasks run.
    Async,
    /// As [`HashMode::Async`], with each hash computed by `spawn_blocking`: the executor stays
    /// free for the POSTs while a hash is computed.
    AsyncSpawnBlocking,
    /// As [`HashMode::Async`] without the yield: the hashing blocks the executor, and no POST
    /// starts until the last hash is done.
    AsyncBlocking,
}

impl HashMode {
    fn posts(self) -> bool {
        !matches!(self, HashMode::NoIo | HashMode::FileIo)
    }
}

/// What one run produced.
#[derive(Clone, Debug, Default)]
pub struct Hashed {
    /// Every hash, in the order computed (file I/O: as read back from the file).
    pub hashes: Vec<String>,
    /// The `result` of every echo the server sent back, in order of arrival.
    pub echoes: Vec<String>,
    /// Per POST, from its hash being ready to its echo arriving.
    pub waits: Vec<Duration>,
    /// POSTs whose echo arrived before the last hash was done.
    pub answered_while_hashing: usize,
}

#[derive(serde::Deserialize)]
struct Echo {
    result: String,
}

/// The `result` of the server's JSON answer.
fn parse_echo(text: &str) -> Result<String, String> {
    serde_json::from_str::<Echo>(text)
        .map(|echo| echo.result)
        .map_err(|error| format!("the server's answer {text:?} is not its JSON: {error}"))
}

fn http_error(error: impl std::fmt::Display) -> String {
    format!("HTTP request failed: {error}")
}

/// `calculate_task_num`.
#[hiperf::profile]
pub fn calculate_task_num(plan: HashPlan, rng: &mut ChaCha8Rng) -> Result<Hashed, String> {
    let mut hashed = Hashed::default();
    for _ in 0..plan.num_iter {
        let result = do_task(rng, plan.difficulty)?;
        hashed.hashes.push(result);
    }
    Ok(hashed)
}

/// `calculate_task_file_io`: each hash and a newline written to a temporary file.
#[hiperf::profile]
pub fn calculate_task_file_io(
    plan: HashPlan,
    rng: &mut ChaCha8Rng,
    file: &mut std::fs::File,
) -> Result<(), String> {
    let mut writer = std::io::BufWriter::new(file);
    for _ in 0..plan.num_iter {
        let result = do_task(rng, plan.difficulty)?;
        writeln!(writer, "{result}").map_err(|error| format!("cannot write: {error}"))?;
    }
    writer
        .flush()
        .map_err(|error| format!("cannot write: {error}"))
}

/// `calculate_task_requests`: each hash POSTed, and its echo read, before the next hash.
#[hiperf::profile]
pub fn calculate_task_requests(
    plan: HashPlan,
    rng: &mut ChaCha8Rng,
    url: &str,
) -> Result<Hashed, String> {
    let mut hashed = Hashed::default();
    for _ in 0..plan.num_iter {
        let result = do_task(rng, plan.difficulty)?;
        let ready = Instant::now();
        let mut response = ureq::post(url).send(&result).map_err(http_error)?;
        let text = response.body_mut().read_to_string().map_err(http_error)?;
        hashed.waits.push(ready.elapsed());
        hashed.echoes.push(parse_echo(&text)?);
        hashed.hashes.push(result);
    }
    Ok(hashed)
}

/// One POST of a hash; returns the echo and how long it took from `ready`.
#[hiperf::profile]
pub async fn save_result(
    client: &reqwest::Client,
    url: &str,
    result: String,
    ready: Instant,
) -> Result<(String, Duration), String> {
    let response = client
        .post(url)
        .body(result)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(http_error)?;
    let text = response.text().await.map_err(http_error)?;
    Ok((parse_echo(&text)?, ready.elapsed()))
}

/// The book's `AsyncBatcher`: hashes are saved into a batch, and a full batch is POSTed all at
/// once, on a new client session, before hashing goes on.
#[derive(Debug)]
pub struct AsyncBatcher<'a> {
    batch_size: usize,
    batch: Vec<(String, Instant)>,
    url: &'a str,
    runtime: &'a tokio::runtime::Runtime,
    hashed: Hashed,
}

impl<'a> AsyncBatcher<'a> {
    /// A batcher POSTing to `url` on `runtime`.
    pub fn new(batch_size: usize, url: &'a str, runtime: &'a tokio::runtime::Runtime) -> Self {
        AsyncBatcher {
            batch_size,
            batch: Vec::with_capacity(batch_size),
            url,
            runtime,
            hashed: Hashed::default(),
        }
    }

    /// Adds a hash; POSTs the batch when it is full.
    pub fn save(&mut self, result: String) -> Result<(), String> {
        self.hashed.hashes.push(result.clone());
        self.batch.push((result, Instant::now()));
        if self.batch.len() == self.batch_size {
            self.flush()?;
        }
        Ok(())
    }

    /// POSTs what the batch holds, concurrently, and waits for every echo.
    pub fn flush(&mut self) -> Result<(), String> {
        let batch = std::mem::take(&mut self.batch);
        let echoes = self.runtime.block_on(flush_batch(self.url, batch))?;
        for (echo, wait) in echoes {
            self.hashed.echoes.push(echo);
            self.hashed.waits.push(wait);
        }
        Ok(())
    }

    /// Flushes what is left (the book's `__exit__`) and returns what was done.
    pub fn finish(mut self) -> Result<Hashed, String> {
        self.flush()?;
        Ok(self.hashed)
    }
}

/// `AsyncBatcher.__aflush`: one client session per batch, every POST at once, collected as
/// they complete.
#[hiperf::profile]
async fn flush_batch(
    url: &str,
    batch: Vec<(String, Instant)>,
) -> Result<Vec<(String, Duration)>, String> {
    let client = reqwest::Client::new();
    let mut tasks: FuturesUnordered<_> = batch
        .into_iter()
        .map(|(result, ready)| save_result(&client, url, result, ready))
        .collect();
    let mut echoes = Vec::new();
    while let Some(echo) = tasks.next().await {
        echoes.push(echo?);
    }
    Ok(echoes)
}

/// `calculate_task_batch`.
#[hiperf::profile]
pub fn calculate_task_batch(
    plan: HashPlan,
    rng: &mut ChaCha8Rng,
    url: &str,
    runtime: &tokio::runtime::Runtime,
) -> Result<Hashed, String> {
    let mut batcher = AsyncBatcher::new(plan.batch, url, runtime);
    for _ in 0..plan.num_iter {
        let result = do_task(rng, plan.difficulty)?;
        batcher.save(result)?;
    }
    batcher.finish()
}

/// `calculate_task_aiohttp` and its two variations: a POST task spawned per hash under a
/// semaphore of `plan.batch`, then every task awaited. `mode` says where the hash is computed
/// and whether the loop yields after spawning.
#[hiperf::profile]
pub async fn calculate_task_aiohttp(
    plan: HashPlan,
    mut rng: ChaCha8Rng,
    url: String,
    mode: HashMode,
) -> Result<Hashed, String> {
    let semaphore = std::sync::Arc::new(Semaphore::new(plan.batch));
    let client = reqwest::Client::new();
    let mut tasks = Vec::with_capacity(plan.num_iter);
    let mut hashed = Hashed::default();
    for _ in 0..plan.num_iter {
        let result = if mode == HashMode::AsyncSpawnBlocking {
            let (task, rng_after) = tokio::task::spawn_blocking(move || {
                let result = do_task(&mut rng, plan.difficulty);
                (result, rng)
            })
            .await
            .map_err(|error| format!("the hashing task failed: {error}"))?;
            rng = rng_after;
            task?
        } else {
            do_task(&mut rng, plan.difficulty)?
        };
        hashed.hashes.push(result.clone());
        let (client, url, semaphore) = (client.clone(), url.clone(), semaphore.clone());
        let ready = Instant::now();
        tasks.push(tokio::spawn(async move {
            let _permit = semaphore.acquire_owned().await.map_err(http_error)?;
            let (echo, wait) = save_result(&client, &url, result, ready).await?;
            Ok::<_, String>((echo, wait, Instant::now()))
        }));
        if mode == HashMode::Async {
            tokio::task::yield_now().await;
        }
    }
    let hashing_done = Instant::now();
    for task in tasks {
        let (echo, wait, arrived) = task
            .await
            .map_err(|error| format!("a POST task failed: {error}"))??;
        if arrived < hashing_done {
            hashed.answered_while_hashing += 1;
        }
        hashed.echoes.push(echo);
        hashed.waits.push(wait);
    }
    Ok(hashed)
}

/// Runs `mode` at `plan` against a server of its own, timing the mode's function only.
pub fn hash_and_post(run: &mut Run, mode: HashMode, plan: HashPlan) -> Result<Hashed, String> {
    let server = mode.posts().then(Server::start).transpose()?;
    let url = server
        .as_ref()
        .map(|server| format!("{}/add?delay={}", server.url(), plan.post_delay_ms))
        .unwrap_or_default();
    let mut rng = ChaCha8Rng::seed_from_u64(PASSWORD_SEED);
    let runtime = event_loop()?;
    let hashed = match mode {
        HashMode::NoIo => run.time(|| calculate_task_num(plan, &mut rng))?,
        HashMode::FileIo => {
            let mut file =
                tempfile::tempfile().map_err(|error| format!("no temporary file: {error}"))?;
            run.time(|| calculate_task_file_io(plan, &mut rng, &mut file))?;
            Hashed {
                hashes: read_lines(&mut file)?,
                ..Hashed::default()
            }
        }
        HashMode::Serial => run.time(|| calculate_task_requests(plan, &mut rng, &url))?,
        HashMode::Batches => run.time(|| calculate_task_batch(plan, &mut rng, &url, &runtime))?,
        HashMode::Async | HashMode::AsyncSpawnBlocking | HashMode::AsyncBlocking => {
            run.time(|| runtime.block_on(calculate_task_aiohttp(plan, rng, url.clone(), mode)))?
        }
    };
    if let Some(server) = &server {
        expect_eq(
            "POSTs the server answered",
            server.records().len(),
            plan.num_iter,
        )?;
    }
    Ok(hashed)
}

fn read_lines(file: &mut std::fs::File) -> Result<Vec<String>, String> {
    use std::io::Seek;

    file.rewind()
        .map_err(|error| format!("cannot rewind the file: {error}"))?;
    std::io::BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|error| format!("cannot read the file back: {error}"))
}

/// Checks a run: `num_iter` well-formed hashes at the plan's cost, each the bcrypt of the
/// password and salt the seed gives (the first and the last recomputed and verified), every
/// one distinct; for the modes that POST, one echo per hash, each the hash as Python bytes.
pub fn check_hashed(mode: HashMode, plan: HashPlan, hashed: &Hashed) -> Result<(), String> {
    expect_eq("hashes", hashed.hashes.len(), plan.num_iter)?;
    let prefix = format!("$2b${:02}$", plan.difficulty);
    if let Some(bad) = hashed
        .hashes
        .iter()
        .find(|hash| !hash.starts_with(&prefix) || hash.len() != 60)
    {
        return Err(format!("{bad:?} is not a `{prefix}` bcrypt hash"));
    }
    let distinct: std::collections::BTreeSet<&String> = hashed.hashes.iter().collect();
    expect_eq("distinct hashes", distinct.len(), plan.num_iter)?;
    let mut rng = ChaCha8Rng::seed_from_u64(PASSWORD_SEED);
    let inputs: Vec<(String, [u8; 16])> = (0..plan.num_iter)
        .map(|_| random_password_and_salt(&mut rng))
        .collect();
    for index in [0, plan.num_iter.saturating_sub(1)] {
        let (password, salt) = &inputs[index];
        let expected = bcrypt::hash_with_salt(password, plan.difficulty, *salt)
            .map_err(|error| error.to_string())?
            .format_for_version(bcrypt::Version::TwoB);
        expect_eq(
            &format!("hash {index}"),
            hashed.hashes[index].as_str(),
            expected.as_str(),
        )?;
        if !bcrypt::verify(password, &hashed.hashes[index]).unwrap_or(false) {
            return Err(format!("hash {index} does not verify its password"));
        }
    }
    if mode.posts() {
        expect_eq("echoes", hashed.echoes.len(), plan.num_iter)?;
        let mut sent: Vec<String> = hashed.hashes.iter().map(|h| format!("b'{h}'")).collect();
        let mut echoed = hashed.echoes.clone();
        sent.sort_unstable();
        echoed.sort_unstable();
        if sent != echoed {
            return Err("the echoes are not the hashes sent".to_string());
        }
    }
    if mode == HashMode::AsyncBlocking && hashed.answered_while_hashing != 0 {
        return Err(format!(
            "{} POSTs were answered while the executor was blocked by the hashing",
            hashed.answered_while_hashing
        ));
    }
    Ok(())
}

fn run_mode(run: &mut Run, mode: HashMode) -> Result<Outcome, String> {
    let plan = HashPlan::of(run.size());
    let hashed = hash_and_post(run, mode, plan)?;
    check_hashed(mode, plan, &hashed)?;
    // One text for every mode, so that the report states the ladder's parameters once.
    let parameters = format!(
        "difficulty {}, {} passwords; the modes that POST: each held {} ms by the server, {} at \
         once (serial: 1)",
        plan.difficulty, plan.num_iter, plan.post_delay_ms, plan.batch
    );
    if run.size() == Size::Book {
        run.note(format!(
            "hashes {} of the book's 600 passwords at difficulty 8, with {} POSTs at once in \
             place of its {BOOK_BATCH}: {} batches, as in the book; the serial mode of all 600 \
             would take 600 x (hash + {:.1} s), over a minute, a run",
            plan.num_iter,
            plan.batch,
            plan.num_iter.div_ceil(plan.batch),
            plan.post_delay_ms as f64 / 1000.0
        ));
    }
    let mut result = format!(
        "{} distinct $2b${:02}$ hashes, first and last verified",
        hashed.hashes.len(),
        plan.difficulty
    );
    if mode.posts() {
        let waits: Vec<f64> = hashed.waits.iter().map(Duration::as_secs_f64).collect();
        let mean = waits.iter().sum::<f64>() / waits.len().max(1) as f64;
        let longest = waits.iter().copied().fold(0.0, f64::max);
        result.push_str(&format!(
            "; {} echoes match; each POST waited {mean:.3} s on average for its echo (longest {longest:.3} s)",
            hashed.echoes.len()
        ));
        if matches!(
            mode,
            HashMode::Async | HashMode::AsyncSpawnBlocking | HashMode::AsyncBlocking
        ) {
            result.push_str(&format!(
                "; {} of {} echoes arrived while hashing went on",
                hashed.answered_while_hashing,
                hashed.echoes.len()
            ));
        }
    }
    Ok(Outcome { parameters, result })
}

macro_rules! hashing_variant {
    ($variant:literal, $rank:literal, $mode:expr, $description:literal) => {
        inventory::submit! {
            Workload {
                chapter: 8,
                name: "bcrypt-post",
                variant: $variant,
                rank: $rank,
                description: $description,
                run: |run| run_mode(run, $mode),
                python: None,
            }
        }
    };
}

hashing_variant!(
    "no-io",
    0,
    HashMode::NoIo,
    "calculate_task_num: bcrypt of each random password, no I/O"
);
hashing_variant!(
    "file-io",
    1,
    HashMode::FileIo,
    "calculate_task_file_io: each hash written to a temporary file"
);
hashing_variant!(
    "serial",
    2,
    HashMode::Serial,
    "calculate_task_requests: each hash POSTed with blocking `ureq`, echo awaited before the next"
);
hashing_variant!(
    "batches",
    3,
    HashMode::Batches,
    "calculate_task_batch: AsyncBatcher, each full batch POSTed concurrently on a new client"
);
hashing_variant!(
    "async",
    4,
    HashMode::Async,
    "calculate_task_aiohttp: hashing on the event loop, a POST task per hash, `yield_now` (the book's `sleep(0)`)"
);
hashing_variant!(
    "async-spawn-blocking",
    5,
    HashMode::AsyncSpawnBlocking,
    "as async, each hash in `spawn_blocking`: the executor stays free for the POSTs"
);
hashing_variant!(
    "async-blocking",
    6,
    HashMode::AsyncBlocking,
    "the mistake: hashing on the executor with no yield, so no POST starts before the last hash"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_hash_or_echo_fails_the_check() {
        let plan = HashPlan {
            difficulty: 4,
            num_iter: 3,
            batch: 2,
            post_delay_ms: 1,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(PASSWORD_SEED);
        let hashes: Vec<String> = (0..3).map(|_| do_task(&mut rng, 4).unwrap()).collect();
        let echoes: Vec<String> = hashes.iter().rev().map(|h| format!("b'{h}'")).collect();
        let good = Hashed {
            hashes,
            echoes,
            ..Hashed::default()
        };
        check_hashed(HashMode::Batches, plan, &good).unwrap();
        let mut swapped = good.clone();
        swapped.hashes.swap(0, 2);
        assert!(
            check_hashed(HashMode::NoIo, plan, &swapped)
                .unwrap_err()
                .contains("hash 0")
        );
        let mut lost = good.clone();
        lost.echoes.pop();
        assert!(
            check_hashed(HashMode::Serial, plan, &lost)
                .unwrap_err()
                .contains("echoes")
        );
        let mut blocked = good;
        blocked.answered_while_hashing = 1;
        check_hashed(HashMode::Async, plan, &blocked).unwrap();
        assert!(check_hashed(HashMode::AsyncBlocking, plan, &blocked).is_err());
    }
}
