//! The report at the end of the process, however it ends, written exactly once.
//!
//! The first annotated function to run (or a [`ReportGuard`](crate::output::ReportGuard))
//! arms two things, once per process:
//! - an `atexit` hook: it writes the report when the process ends through `exit`, that is when
//!   `main` returns (a program without a guard, a test binary: one report per binary, every
//!   test's calls summed) or calls `std::process::exit`;
//! - on Unix, a handler for SIGINT (Ctrl-C), SIGTERM and SIGHUP, installed only where the
//!   program left the signal's default action (a program that ignores or handles a signal
//!   keeps its own behaviour). The handler is async-signal-safe: it only writes the signal's
//!   number to a pipe. A watcher thread blocked on that pipe writes the report, restores the
//!   default action and raises the signal again, so the process ends with the signal's own
//!   status (130 / 143 in a shell). A second signal while the report is written ends the
//!   process at once; a forked child (which has no watcher thread) gets the default action,
//!   and writes no report at exit (it would overwrite the parent's files with a copy).
//!
//! Whichever comes first of the guard's drop, [`finish`](crate::output::finish), the exit hook
//! and the watcher writes the report; the others find it written (a lock makes a late one wait
//! until the writing is done, so the process never ends halfway through a file).

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once, PoisonError};

/// Whether the report is still wanted at exit ([`report_at_exit`]).
static WANTED: AtomicBool = AtomicBool::new(true);
/// Whether the report was written; held while writing it.
static WRITTEN: Mutex<bool> = Mutex::new(false);

/// Turns the automatic report (at exit and on signals) on or off; it is on by default. A
/// program that writes its own reports from [`take`](crate::snapshot::take) turns it off
/// before its first annotated call, and then no exit hook, signal handler or thread is set up.
///
/// # Examples
///
/// ```
/// hiperf_runtime::exit::report_at_exit(false);
/// ```
pub fn report_at_exit(on: bool) {
    WANTED.store(on, Ordering::Relaxed);
}

/// Arms the exit hook and the signal watcher, once (see the module's documentation). Called on
/// the cold path of an annotated function's first call on a thread, and by `ReportGuard::new`.
pub(crate) fn arm() {
    static ARMED: Once = Once::new();
    if !WANTED.load(Ordering::Relaxed) {
        return;
    }
    ARMED.call_once(|| {
        #[cfg(unix)]
        unix::arm();
        // Elsewhere the report is written by the guard or `finish` only.
        #[cfg(not(unix))]
        start_trace();
    });
}

/// With `HIPERF_TRACE` set, turns the call log on (reading the variable allocates: on Unix
/// this runs on the watcher thread, so that no figure of the user's thread moves).
fn start_trace() {
    if std::env::var_os("HIPERF_TRACE").is_some() {
        crate::calls::log_events(true);
    }
}

/// Writes the report unless it was written; a failure is printed to stderr.
pub(crate) fn report_once() {
    let mut written = WRITTEN.lock().unwrap_or_else(PoisonError::into_inner);
    if *written {
        return;
    }
    *written = true;
    for failure in crate::output::write_outputs() {
        // Not `eprintln!`: it panics when stderr is a closed pipe.
        let _ = writeln!(std::io::stderr(), "hiperf: {failure}");
    }
}

/// [`crate::output::finish`]: writes now, whatever was written before, and marks it written.
pub(crate) fn finish() -> std::io::Result<()> {
    let mut written = WRITTEN.lock().unwrap_or_else(PoisonError::into_inner);
    *written = true;
    let mut failures = crate::output::write_outputs();
    drop(written);
    match failures.len() {
        0 => Ok(()),
        1 => Err(std::io::Error::other(failures.remove(0))),
        _ => {
            let message: Vec<String> = failures.iter().map(ToString::to_string).collect();
            Err(std::io::Error::other(message.join("; ")))
        }
    }
}

#[cfg(unix)]
mod unix {
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

    /// The signals whose default action ends the process and which a user sends to stop it.
    const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

    /// The pipe's write end, read by the handler (-1 until armed).
    static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);
    /// The process that armed the hook and the watcher: a forked child has no watcher thread,
    /// and writes no report at exit.
    static ARMED_PID: AtomicI32 = AtomicI32::new(0);
    /// Whether a signal arrived already: a second one ends the process at once.
    static SIGNALLED: AtomicBool = AtomicBool::new(false);

    /// Writes the report if it is still wanted, keeping any panic in (unwinding out of an
    /// `extern "C"` function aborts).
    fn report_if_wanted() {
        if super::WANTED.load(Ordering::Relaxed) {
            let _ = std::panic::catch_unwind(super::report_once);
        }
    }

    extern "C" fn at_exit() {
        // A forked child that calls `exit` inherited the hook and a copy of the counters:
        // its report would overwrite the parent's files with that copy.
        // SAFETY: `getpid` has no preconditions.
        if unsafe { libc::getpid() } == ARMED_PID.load(Ordering::Relaxed) {
            report_if_wanted();
        }
    }

    /// Whether the watcher thread has set everything up.
    static READY: AtomicBool = AtomicBool::new(false);

    /// Starts the watcher thread and waits until it has set everything up.
    ///
    /// The first annotated call runs this, inside the user's code: it must not allocate from
    /// the global allocator on this thread, or the user's line would show hiperf's bytes and
    /// allocation counts. So the thread is a bare `pthread_create` (its stack is mapped, not
    /// allocated) and everything that allocates (reading the environment, the pipe, the
    /// handlers) happens on it; this thread only waits for it, once per process.
    pub(super) fn arm() {
        let mut thread = std::mem::MaybeUninit::<libc::pthread_t>::uninit();
        // SAFETY: `watcher` has the signature pthread_create expects and ignores its argument.
        let created = unsafe {
            libc::pthread_create(
                thread.as_mut_ptr(),
                std::ptr::null(),
                watcher,
                std::ptr::null_mut(),
            )
        } == 0;
        if !created {
            // No watcher: the exit hook only (this rare path may show its own allocations).
            set_up(false);
            return;
        }
        // SAFETY: the thread was created above; detached, it frees its own resources.
        unsafe { libc::pthread_detach(thread.assume_init()) };
        while !READY.load(Ordering::Acquire) {
            std::thread::yield_now();
        }
    }

    /// The watcher thread: sets up, then waits for a signal.
    extern "C" fn watcher(_: *mut libc::c_void) -> *mut libc::c_void {
        let read = std::panic::catch_unwind(|| set_up(true)).ok().flatten();
        READY.store(true, Ordering::Release);
        if let Some(read) = read {
            let _ = std::panic::catch_unwind(|| watch(read));
        }
        std::ptr::null_mut()
    }

    /// Turns the trace on if asked, registers the exit hook and, on the watcher thread,
    /// installs the signal handlers; returns the pipe's read end to watch.
    fn set_up(watching: bool) -> Option<libc::c_int> {
        super::start_trace();
        // SAFETY: `getpid` has no preconditions.
        ARMED_PID.store(unsafe { libc::getpid() }, Ordering::Relaxed);
        // SAFETY: `at_exit` is a plain function that never unwinds (see `report_if_wanted`).
        unsafe { libc::atexit(at_exit) };
        if !watching || !HANDLES_SIGNALS {
            return None;
        }
        let (read, write) = pipe()?;
        PIPE_WRITE.store(write, Ordering::Relaxed);
        for signal in SIGNALS {
            install(signal);
        }
        Some(read)
    }

    /// A close-on-exec pipe whose write end never blocks (the handler must not).
    fn pipe() -> Option<(libc::c_int, libc::c_int)> {
        let mut ends = [0 as libc::c_int; 2];
        // SAFETY: `ends` has room for the two descriptors `pipe` writes.
        if unsafe { libc::pipe(ends.as_mut_ptr()) } != 0 {
            return None;
        }
        for end in ends {
            // SAFETY: `end` is an open descriptor of ours; FD_CLOEXEC keeps it out of children.
            unsafe { libc::fcntl(end, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
        // SAFETY: as above; the flags only make writes fail instead of blocking.
        unsafe {
            let flags = libc::fcntl(ends[1], libc::F_GETFL);
            libc::fcntl(ends[1], libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        Some((ends[0], ends[1]))
    }

    /// Installs the handler for `signal` if the program left it at its default action.
    fn install(signal: libc::c_int) {
        // SAFETY: sigaction with a null new action only reads the current one into `current`,
        // a zeroed (valid) struct.
        let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
        if unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) } != 0
            || current.sa_sigaction != libc::SIG_DFL
        {
            return;
        }
        // SAFETY: a zeroed sigaction is valid; `on_signal` is async-signal-safe (it only
        // loads atomics and calls `write`, `getpid`, `signal` and `raise`). SA_RESTART keeps
        // the program's own system calls from failing with EINTR.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }

    extern "C" fn on_signal(signal: libc::c_int) {
        // SAFETY: `getpid` is async-signal-safe.
        let forked = unsafe { libc::getpid() } != ARMED_PID.load(Ordering::Relaxed);
        if forked || SIGNALLED.swap(true, Ordering::Relaxed) {
            // SAFETY: `signal` and `raise` are async-signal-safe; the default action ends the
            // process as it would without hiperf.
            unsafe {
                libc::signal(signal, libc::SIG_DFL);
                libc::raise(signal);
            }
            return;
        }
        let byte = signal as u8;
        // SAFETY: `write` is async-signal-safe; the descriptor is the pipe's non-blocking
        // write end. errno is saved and restored around it, as a handler must.
        unsafe {
            let errno = errno_location();
            let saved = *errno;
            libc::write(
                PIPE_WRITE.load(Ordering::Relaxed),
                (&byte as *const u8).cast(),
                1,
            );
            *errno = saved;
        }
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    unsafe fn errno_location() -> *mut libc::c_int {
        // SAFETY: always valid for the calling thread.
        unsafe { libc::__errno_location() }
    }

    #[cfg(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "dragonfly"
    ))]
    unsafe fn errno_location() -> *mut libc::c_int {
        // SAFETY: always valid for the calling thread.
        unsafe { libc::__error() }
    }

    /// Where the handler can save and restore errno; on other systems no handler is set up
    /// (the exit hook still writes the report on `exit`).
    const HANDLES_SIGNALS: bool = cfg!(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "dragonfly"
    ));

    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "dragonfly"
    )))]
    unsafe fn errno_location() -> *mut libc::c_int {
        unreachable!("no signal handler is installed here")
    }

    /// The watcher thread: waits for a signal's number, writes the report, then ends the
    /// process with that signal under its default action.
    fn watch(read: libc::c_int) {
        let mut byte = 0u8;
        loop {
            // SAFETY: reads one byte into `byte` from our own pipe.
            let count = unsafe { libc::read(read, (&mut byte as *mut u8).cast(), 1) };
            if count == 1 {
                break;
            }
            if count < 0
                && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
            {
                continue;
            }
            // The pipe was closed (the program closed every descriptor): no more watching.
            return;
        }
        let signal = libc::c_int::from(byte);
        report_if_wanted();
        // SAFETY: restores the default action and raises the signal in this thread: a
        // terminating default action ends the whole process with the signal's status.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }
}
