//! Worker processes: this program started again with arguments, one [`Role`] each, talking
//! with the parent over its standard input and output (or a broker), and each saving its
//! profile for the parent to merge.
//!
//! A role is a function registered through `inventory`; a program that hosts workers (the
//! runner, the `hiperf-worker` binary of this crate) calls [`serve`] first thing in `main`:
//!
//! ```no_run
//! use std::io::{BufRead, Write};
//! use hiperf_workloads::worker::{Pool, Role, Task};
//!
//! fn double(task: &Task) -> Result<(), String> {
//!     let mut out = std::io::stdout().lock();
//!     for line in std::io::stdin().lock().lines() {
//!         let n: u64 = line.map_err(|e| e.to_string())?.parse().map_err(|_| "not a number")?;
//!         writeln!(out, "{}", 2 * n).map_err(|e| e.to_string())?;
//!     }
//!     Ok(())
//! }
//! inventory::submit! { Role { name: "example/double", run: double } }
//!
//! fn main() -> std::process::ExitCode {
//!     if let Some(code) = hiperf_workloads::worker::serve() {
//!         return code; // this process was started as a worker
//!     }
//!     let mut pool = Pool::spawn("example/double", 2, &[]).unwrap();
//!     pool.workers_mut()[0].send_line("21").unwrap();
//!     pool.workers_mut()[0].close_input();
//!     assert_eq!(pool.workers_mut()[0].read_line().unwrap().as_deref(), Some("42"));
//!     pool.finish().unwrap(); // waits, checks exit codes, merges the workers' profiles
//!     std::process::ExitCode::SUCCESS
//! }
//! ```
//!
//! Every worker is owned by a [`Worker`] whose `Drop` kills and waits for it, so a failing
//! check or a panic in the parent never leaves one running. With profiling on, each worker
//! writes its profile to a file of the pool's temporary directory when its role returns, and
//! [`Pool::finish`] absorbs them into the parent's profile (`hiperf::merge`).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// The first argument that makes a program a worker: `PROGRAM __hiperf-worker ROLE INDEX [ARGS]`.
pub const WORKER_ARGUMENT: &str = "__hiperf-worker";

/// Where a worker saves its profile, set by the parent when profiling is on.
const PROFILE_VARIABLE: &str = "HIPERF_WORKER_PROFILE";

/// A job a worker process can do.
#[derive(Debug)]
pub struct Role {
    /// The name the parent asks for, `chapter/program[/part]` by convention.
    pub name: &'static str,
    /// Runs the role: reads its input (standard input, a broker), writes its answers
    /// (standard output), and returns `Err` with a message when it fails (exit code 1).
    pub run: fn(&Task) -> Result<(), String>,
}

inventory::collect!(Role);

/// What a worker was started with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// Its position in its pool, from 0.
    pub index: usize,
    /// The arguments the parent gave every worker of the pool.
    pub args: Vec<String>,
}

impl Task {
    /// Argument `position`, or an error naming it.
    pub fn arg(&self, position: usize) -> Result<&str, String> {
        self.args
            .get(position)
            .map(String::as_str)
            .ok_or_else(|| format!("worker argument {position} is missing ({:?})", self.args))
    }

    /// Argument `position` parsed, or an error naming it and its text.
    pub fn parsed<T: std::str::FromStr>(&self, position: usize) -> Result<T, String> {
        let text = self.arg(position)?;
        text.parse()
            .map_err(|_| format!("worker argument {position} `{text}` is not valid"))
    }
}

static HOSTS_WORKERS: AtomicBool = AtomicBool::new(false);
static PROGRAM: OnceLock<PathBuf> = OnceLock::new();

/// Runs the worker role this process was started for, if it was started as a worker: then
/// returns the exit code `main` should return. Otherwise returns `None` and marks this
/// program as one that hosts workers, so that [`Pool::spawn`] starts it again.
///
/// Call it first thing in `main`, before parsing arguments.
pub fn serve() -> Option<ExitCode> {
    HOSTS_WORKERS.store(true, Ordering::Relaxed);
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some(WORKER_ARGUMENT) {
        return None;
    }
    let (Some(role), Some(index)) = (args.next(), args.next()) else {
        eprintln!("usage: PROGRAM {WORKER_ARGUMENT} ROLE INDEX [ARGS...]");
        return Some(ExitCode::from(2));
    };
    let Some(found) = inventory::iter::<Role>.into_iter().find(|r| r.name == role) else {
        eprintln!(
            "no worker role `{role}`; valid roles: {}",
            roles().join(", ")
        );
        return Some(ExitCode::from(2));
    };
    let Ok(index) = index.parse() else {
        eprintln!("worker index `{index}` is not a number");
        return Some(ExitCode::from(2));
    };
    // The worker saves its profile for its parent (below): no report of its own at exit.
    hiperf::report_at_exit(false);
    let task = Task {
        index,
        args: args.collect(),
    };
    let result = (found.run)(&task);
    let saved = save_profile();
    match result.and(saved) {
        Ok(()) => Some(ExitCode::SUCCESS),
        Err(message) => {
            eprintln!("worker {role} #{index}: {message}");
            Some(ExitCode::FAILURE)
        }
    }
}

/// The names of every registered role, sorted.
pub fn roles() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = inventory::iter::<Role>
        .into_iter()
        .map(|r| r.name)
        .collect();
    names.sort_unstable();
    names
}

/// Saves this worker's profile where its parent asked, when profiling is on.
fn save_profile() -> Result<(), String> {
    let Some(path) = std::env::var_os(PROFILE_VARIABLE) else {
        return Ok(());
    };
    if !hiperf::ENABLED {
        return Ok(());
    }
    let profile =
        hiperf_runtime::snapshot::take(hiperf_runtime::snapshot::SnapshotOptions::from_env());
    hiperf_runtime::output::write_json(Path::new(&path), &profile).map_err(|e| {
        format!(
            "cannot write its profile to {}: {e}",
            PathBuf::from(path).display()
        )
    })
}

/// Uses `program` to start workers from now on (it must call [`serve`] first thing).
/// Returns `false` if a program was already chosen.
pub fn set_program(program: PathBuf) -> bool {
    PROGRAM.set(program).is_ok()
}

/// The program workers run: the one given to [`set_program`]; else this program, if it
/// called [`serve`]; else the `hiperf-worker` binary cargo built beside this program (a test
/// or an example of this workspace lives in `target/<profile>/deps` or `examples`).
///
/// # Errors
///
/// When none is found, with what to do.
pub fn program() -> Result<PathBuf, String> {
    if let Some(program) = PROGRAM.get() {
        return Ok(program.clone());
    }
    let this = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    if HOSTS_WORKERS.load(Ordering::Relaxed) {
        return Ok(this);
    }
    let name = format!("hiperf-worker{}", std::env::consts::EXE_SUFFIX);
    this.ancestors()
        .skip(1)
        .take(2)
        .map(|folder| folder.join(&name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            format!(
                "no worker program: {} does not call hiperf_workloads::worker::serve(), and no \
                 {name} is beside it; build it with `cargo build -p hiperf-workloads --bin hiperf-worker`",
                this.display()
            )
        })
}

/// A new temporary directory in memory (`/dev/shm`, tmpfs) where the system has one, else in
/// the temporary folder: for files that processes share as memory (a mapped flag or array, a
/// counter file). On a disk file system, a file mapped and written by workers would be
/// written back to the disk, and ext4 flushes a file truncated to zero when it is closed.
///
/// # Errors
///
/// When no directory can be created.
pub fn scratch_directory(prefix: &str) -> Result<tempfile::TempDir, String> {
    let memory = Path::new("/dev/shm");
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    if memory.is_dir()
        && let Ok(directory) = builder.tempdir_in(memory)
    {
        return Ok(directory);
    }
    builder
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))
}

/// One worker process: its pipes, its log and its saved profile. Dropping it kills and waits
/// for the process if it still runs.
#[derive(Debug)]
pub struct Worker {
    child: Child,
    input: Option<BufWriter<ChildStdin>>,
    output: BufReader<ChildStdout>,
    log: PathBuf,
    profile: PathBuf,
    label: String,
    killed: bool,
}

impl Worker {
    /// Writes `line` and a newline to the worker's standard input, and flushes it.
    pub fn send_line(&mut self, line: &str) -> std::io::Result<()> {
        let input = self.input()?;
        writeln!(input, "{line}")?;
        input.flush()
    }

    /// The worker's standard input, buffered (flush it, or [`Worker::close_input`]).
    pub fn input(&mut self) -> std::io::Result<&mut BufWriter<ChildStdin>> {
        self.input
            .as_mut()
            .ok_or_else(|| std::io::Error::other(format!("{}: input already closed", self.label)))
    }

    /// Takes the worker's standard input, e.g. to feed it from another thread.
    pub fn take_input(&mut self) -> Option<BufWriter<ChildStdin>> {
        self.input.take()
    }

    /// Flushes and closes the worker's standard input: the end of its work.
    pub fn close_input(&mut self) {
        if let Some(mut input) = self.input.take() {
            let _ = input.flush();
        }
    }

    /// The next line of the worker's standard output, without its newline; `None` at its end.
    pub fn read_line(&mut self) -> std::io::Result<Option<String>> {
        let mut line = String::new();
        if self.output.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let trimmed = line.trim_end_matches(['\n', '\r']).len();
        line.truncate(trimmed);
        Ok(Some(line))
    }

    /// The worker's standard output, buffered.
    pub fn output(&mut self) -> &mut BufReader<ChildStdout> {
        &mut self.output
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process (`SIGKILL`, a worker that dies mid-run) and waits for it. A killed
    /// worker leaves no profile, and [`Pool::finish`] does not count it as failed.
    ///
    /// # Errors
    ///
    /// When the process cannot be signalled or waited for.
    pub fn kill(&mut self) -> std::io::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        self.killed = true;
        Ok(())
    }

    /// What the worker wrote to its standard error so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Closes its input, waits for it, and absorbs its profile into this process's.
    fn finish(&mut self) -> Result<(), String> {
        self.close_input();
        if self.killed {
            return Ok(());
        }
        let status = self
            .child
            .wait()
            .map_err(|e| format!("{}: cannot wait for it: {e}", self.label))?;
        if !status.success() {
            return Err(format!(
                "{} failed ({status}): {}",
                self.label,
                self.log().trim()
            ));
        }
        if hiperf::ENABLED && self.profile.exists() {
            hiperf_runtime::merge::absorb_file(&self.profile)?;
            let _ = std::fs::remove_file(&self.profile);
        }
        Ok(())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Worker processes of one role, with a temporary directory for their logs and profiles.
#[derive(Debug)]
pub struct Pool {
    // Dropped first: the workers stop before their directory goes.
    workers: Vec<Worker>,
    directory: tempfile::TempDir,
}

impl Pool {
    /// Starts `count` workers of `role`, each with `args`.
    ///
    /// # Errors
    ///
    /// When the worker program is not found or a process cannot start; the workers already
    /// started are stopped.
    pub fn spawn(role: &str, count: usize, args: &[String]) -> Result<Pool, String> {
        let program = program()?;
        let directory = scratch_directory("hiperf-workers-")?;
        let mut workers = Vec::with_capacity(count);
        for index in 0..count {
            let label = format!("worker {role} #{index} ({})", program.display());
            let log = directory.path().join(format!("worker-{index}.log"));
            let profile = directory.path().join(format!("worker-{index}.json"));
            let stderr = std::fs::File::create(&log)
                .map_err(|e| format!("cannot create {}: {e}", log.display()))?;
            let mut command = Command::new(&program);
            command
                .arg(WORKER_ARGUMENT)
                .arg(role)
                .arg(index.to_string())
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(stderr);
            if hiperf::ENABLED {
                command.env(PROFILE_VARIABLE, &profile);
            }
            let mut child = command
                .spawn()
                .map_err(|e| format!("cannot start {label}: {e}"))?;
            let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{label}: no pipes"));
            };
            workers.push(Worker {
                child,
                input: Some(BufWriter::with_capacity(1 << 16, input)),
                output: BufReader::with_capacity(1 << 16, output),
                log,
                profile,
                label,
                killed: false,
            });
        }
        Ok(Pool { workers, directory })
    }

    /// The workers, in index order.
    pub fn workers_mut(&mut self) -> &mut [Worker] {
        &mut self.workers
    }

    /// The number of workers.
    pub fn len(&self) -> usize {
        self.workers.len()
    }

    /// Whether the pool has no worker.
    pub fn is_empty(&self) -> bool {
        self.workers.is_empty()
    }

    /// The pool's temporary directory (removed when the pool is dropped): a place for files
    /// the workers share, such as a memory-mapped flag.
    pub fn directory(&self) -> &Path {
        self.directory.path()
    }

    /// Closes every worker's input, waits for each, and merges their profiles into this
    /// process's.
    ///
    /// # Errors
    ///
    /// The first worker that failed (its exit status and log), after waiting for all.
    pub fn finish(mut self) -> Result<(), String> {
        let mut first_error = None;
        for worker in &mut self.workers {
            worker.close_input();
        }
        for worker in &mut self.workers {
            if let Err(message) = worker.finish() {
                first_error.get_or_insert(message);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_arguments_are_named_in_errors() {
        let task = Task {
            index: 1,
            args: vec!["12".into(), "x".into()],
        };
        assert_eq!(task.parsed::<u64>(0), Ok(12));
        assert!(task.parsed::<u64>(1).unwrap_err().contains("`x`"));
        assert!(task.arg(2).unwrap_err().contains("missing"));
    }

    #[test]
    fn role_names_are_unique() {
        let names = roles();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names, unique);
    }
}
