//! The devnet's daemons as processes: starting one in the background, telling whether a
//! recorded one still runs, stopping it.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rustix::process::{Pid, Signal, kill_process, test_kill_process};

use super::record::ProcessRecord;

/// How often a process is looked at while waiting for it.
const POLL: Duration = Duration::from_millis(100);
/// The most of a log file shown in an error.
const LOG_TAIL_BYTES: u64 = 4096;
/// Lines of a log file shown in an error.
const LOG_TAIL_LINES: usize = 20;

/// Starts `exe ARGS` with its repository at `repo`, in its own process group (so that a
/// Ctrl-C in the terminal of `devnet up` does not reach it and it outlives `up`), stdin from
/// /dev/null and stdout and stderr appended to `log` (without colours).
pub(super) fn spawn_daemon(
    exe: &Path,
    args: &[OsString],
    repo: &Path,
    log: &Path,
) -> anyhow::Result<Child> {
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening the log {}", log.display()))?;
    let err = out
        .try_clone()
        .with_context(|| format!("opening the log {}", log.display()))?;
    Command::new(exe)
        .args(args)
        .env("FLOWCOIN_PATH", repo)
        // The log is a file: no terminal colour codes in it.
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))
}

/// What the OS says about a process ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// A live process, with its start time where the OS tells it.
    Alive { start_time: Option<u64> },
    /// No process, or one that has exited and waits to be reaped.
    Gone,
}

/// Looks `pid` up: in `/proc` where there is one (which also tells exited-but-unreaped
/// processes and start times), else by sending it the null signal.
fn probe(pid: u32) -> Probe {
    if Path::new("/proc/self/stat").exists() {
        return match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(text) => parse_stat(&text),
            Err(_) => Probe::Gone,
        };
    }
    let Some(pid) = raw_pid(pid) else {
        return Probe::Gone;
    };
    // EPERM means another user's process: not one `devnet up` started.
    match test_kill_process(pid) {
        Ok(()) => Probe::Alive { start_time: None },
        Err(_) => Probe::Gone,
    }
}

/// Reads the state (field 3) and start time (field 22) of `/proc/PID/stat`; the command
/// name (field 2) is in parentheses and may hold spaces and parentheses itself.
fn parse_stat(text: &str) -> Probe {
    let Some((_, rest)) = text.rsplit_once(')') else {
        return Probe::Gone;
    };
    let mut fields = rest.split_whitespace();
    match fields.next() {
        Some("Z" | "X" | "x") | None => Probe::Gone,
        Some(_) => Probe::Alive {
            start_time: fields.nth(18).and_then(|t| t.parse().ok()),
        },
    }
}

fn raw_pid(pid: u32) -> Option<Pid> {
    i32::try_from(pid).ok().and_then(Pid::from_raw)
}

/// The start time of the live process `pid`, to record with it.
pub(super) fn start_time(pid: u32) -> Option<u64> {
    match probe(pid) {
        Probe::Alive { start_time } => start_time,
        Probe::Gone => None,
    }
}

/// Whether the recorded daemon still runs (and its ID was not reused by another process).
pub(super) fn is_running(process: &ProcessRecord) -> bool {
    match probe(process.pid) {
        Probe::Gone => false,
        Probe::Alive { start_time } => match (process.start_time, start_time) {
            (Some(recorded), Some(now)) => recorded == now,
            _ => true,
        },
    }
}

/// How a daemon was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stopped {
    /// It had already exited.
    AlreadyGone,
    /// It exited on SIGTERM.
    Terminated,
    /// It ignored SIGTERM for `grace` and was killed.
    Killed,
}

/// Stops the recorded daemon: SIGTERM, up to `grace` for it to exit, then SIGKILL and up to
/// `grace` again.
pub(super) fn stop(process: &ProcessRecord, grace: Duration) -> anyhow::Result<Stopped> {
    if !is_running(process) {
        return Ok(Stopped::AlreadyGone);
    }
    let pid =
        raw_pid(process.pid).with_context(|| format!("{} is not a process ID", process.pid))?;
    signal(pid, Signal::TERM, process.pid)?;
    if wait_gone(process, grace) {
        return Ok(Stopped::Terminated);
    }
    signal(pid, Signal::KILL, process.pid)?;
    anyhow::ensure!(
        wait_gone(process, grace),
        "process {} is still running {} s after SIGKILL",
        process.pid,
        grace.as_secs()
    );
    Ok(Stopped::Killed)
}

fn signal(pid: Pid, signal: Signal, raw: u32) -> anyhow::Result<()> {
    match kill_process(pid, signal) {
        Ok(()) => Ok(()),
        // It exited between the check and the signal.
        Err(rustix::io::Errno::SRCH) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("sending {signal:?} to process {raw}")),
    }
}

/// Waits up to `limit` for the recorded process to exit; whether it did.
fn wait_gone(process: &ProcessRecord, limit: Duration) -> bool {
    let start = Instant::now();
    loop {
        if !is_running(process) {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// The last lines of `log` (at most [`LOG_TAIL_LINES`] from its last [`LOG_TAIL_BYTES`]),
/// for error messages; a note if it cannot be read.
pub(super) fn log_tail(log: &Path) -> String {
    let read = || -> std::io::Result<String> {
        let mut file = std::fs::File::open(log)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(LOG_TAIL_BYTES)))?;
        let mut bytes = Vec::new();
        file.take(LOG_TAIL_BYTES).read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) if text.trim().is_empty() => "(the log is empty)".to_owned(),
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let first = lines.len().saturating_sub(LOG_TAIL_LINES);
            lines.get(first..).unwrap_or_default().join("\n")
        }
        Err(e) => format!("(cannot read the log: {e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_are_parsed() {
        let line = "1234 (flow coin) (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 987654 1000 50";
        assert_eq!(
            parse_stat(line),
            Probe::Alive {
                start_time: Some(987_654)
            }
        );
        let zombie = "1234 (flowcoin) Z 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 987654";
        assert_eq!(parse_stat(zombie), Probe::Gone);
        assert_eq!(parse_stat("garbage"), Probe::Gone);
    }

    #[test]
    fn this_process_runs_and_a_reused_pid_is_not_ours() {
        let pid = std::process::id();
        let start_time = start_time(pid);
        let me = ProcessRecord {
            pid,
            start_time,
            started: 0,
            api: None,
        };
        assert!(is_running(&me));
        if let Some(t) = start_time {
            let other = ProcessRecord {
                start_time: Some(t + 1),
                ..me
            };
            assert!(!is_running(&other));
        }
    }

    #[test]
    fn an_exited_child_is_not_running_and_stop_says_so() {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let record = ProcessRecord {
            pid,
            start_time: None,
            started: 0,
            api: None,
        };
        assert!(!is_running(&record));
        assert_eq!(
            stop(&record, Duration::from_secs(1)).unwrap(),
            Stopped::AlreadyGone
        );
    }

    #[test]
    fn a_child_is_stopped_with_sigterm() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let record = ProcessRecord {
            pid: child.id(),
            start_time: start_time(child.id()),
            started: 0,
            api: None,
        };
        // Reap it from another thread, as init reaps a detached daemon.
        let reaper = std::thread::spawn(move || child.wait());
        assert_eq!(
            stop(&record, Duration::from_secs(10)).unwrap(),
            Stopped::Terminated
        );
        reaper.join().unwrap().unwrap();
    }

    #[test]
    fn a_child_that_ignores_sigterm_is_killed() {
        let mut child = Command::new("sh")
            .args(["-c", "trap '' TERM; exec sleep 30"])
            .spawn()
            .unwrap();
        let record = ProcessRecord {
            pid: child.id(),
            start_time: start_time(child.id()),
            started: 0,
            api: None,
        };
        // The signal must come after the trap: wait until the shell has become `sleep`.
        let comm = format!("/proc/{}/comm", record.pid);
        if Path::new("/proc/self/comm").exists() {
            let start = Instant::now();
            while std::fs::read_to_string(&comm).is_ok_and(|c| c.trim() != "sleep") {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "sh never ran sleep"
                );
                std::thread::sleep(POLL);
            }
        } else {
            std::thread::sleep(Duration::from_secs(1));
        }
        let reaper = std::thread::spawn(move || child.wait());
        assert_eq!(
            stop(&record, Duration::from_secs(1)).unwrap(),
            Stopped::Killed
        );
        reaper.join().unwrap().unwrap();
    }

    #[test]
    fn the_log_tail_is_its_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("daemon.log");
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&log, text).unwrap();
        let tail = log_tail(&log);
        assert!(tail.starts_with("line 80\n"), "{tail}");
        assert!(tail.ends_with("line 99"), "{tail}");
        assert!(log_tail(&dir.path().join("none")).contains("cannot read"));
    }
}
