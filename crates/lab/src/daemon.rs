//! Stopping and starting one daemon of a running node, the way tests break
//! a node on purpose: `stop` sends SIGTERM to the node's dockerd or sshd
//! listener (established SSH sessions live on, as with Debian's ssh.service)
//! and `start` runs the same command line again inside the node.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::host::{self, NETNS_DIR};
use super::layout::LabNode;
use super::procs::{self, Proc};
use super::{LabError, probe};

const STOP_TIMEOUT: Duration = Duration::from_secs(30);
const KILL_TIMEOUT: Duration = Duration::from_secs(5);
const START_TIMEOUT: Duration = Duration::from_secs(30);
const PROBE_TIMEOUT: Duration = Duration::from_millis(300);

/// A daemon every node runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Daemon {
    Dockerd,
    Sshd,
}

impl Daemon {
    fn comm(self) -> &'static str {
        match self {
            Daemon::Dockerd => "dockerd",
            Daemon::Sshd => "sshd",
        }
    }

    fn log(self, node: &LabNode) -> std::path::PathBuf {
        match self {
            Daemon::Dockerd => node.dockerd_log(),
            Daemon::Sshd => node.sshd_log(),
        }
    }

    /// Whether the daemon answers: the engine's `/_ping`, sshd's banner.
    fn answers(self, node: &LabNode) -> bool {
        match self {
            Daemon::Dockerd => probe::engine_ping(&node.socket(), PROBE_TIMEOUT),
            Daemon::Sshd => probe::ssh_banner(node.ip, PROBE_TIMEOUT),
        }
    }
}

/// The host pid of the node's dockerd, or of its sshd listener (not of a
/// per-connection sshd), if it runs.
pub fn daemon_pid(node: &LabNode, daemon: Daemon) -> Option<u32> {
    let procs = node_procs(node);
    let is_sshd = |pid: u32| procs.iter().any(|p| p.pid == pid && p.comm == "sshd");
    procs
        .iter()
        .filter(|p| p.comm == daemon.comm())
        .find(|p| daemon == Daemon::Dockerd || !is_sshd(p.ppid))
        .map(|p| p.pid)
}

/// Stops the daemon: SIGTERM, then SIGKILL if it is still there after 30 s.
/// Returns once it is gone; a daemon that is not running is not an error.
pub fn stop_daemon(node: &LabNode, daemon: Daemon) -> Result<(), LabError> {
    let Some(pid) = daemon_pid(node, daemon) else {
        return Ok(());
    };
    procs::signal([pid], Signal::SIGTERM);
    if wait_until(STOP_TIMEOUT, || !procs::is_alive(pid)) {
        return Ok(());
    }
    procs::signal([pid], Signal::SIGKILL);
    if wait_until(KILL_TIMEOUT, || !procs::is_alive(pid)) {
        return Ok(());
    }
    Err(timeout(node, daemon, "stop", STOP_TIMEOUT + KILL_TIMEOUT))
}

/// Starts the daemon again inside the node, with the command line it was
/// first started with, and returns once it answers. A daemon that runs
/// already is left alone.
pub fn start_daemon(node: &LabNode, daemon: Daemon) -> Result<(), LabError> {
    if daemon_pid(node, daemon).is_none() {
        spawn_in_node(node, daemon)?;
    }
    if wait_until(START_TIMEOUT, || daemon.answers(node)) {
        return Ok(());
    }
    Err(timeout(node, daemon, "answer", START_TIMEOUT))
}

fn spawn_in_node(node: &LabNode, daemon: Daemon) -> Result<(), LabError> {
    let init = node_procs(node)
        .into_iter()
        .find(|p| p.comm == "sh" && procs::is_ns_init(p.pid))
        .ok_or_else(|| LabError::NodeDown {
            lab: lab_name(node),
            node: node.hostname.clone(),
        })?;
    if daemon == Daemon::Dockerd {
        // Left behind by a dockerd that was killed; a live pid in it (the
        // node reuses pids) would make the new dockerd refuse to start.
        let _ = fs::remove_file(node.run_dir().join("docker.pid"));
    }
    let script = match daemon {
        Daemon::Dockerd => node.dockerd_script(),
        Daemon::Sshd => node.sshd_script(),
    };
    let target = init.pid.to_string();
    // Entering the PID namespace makes the daemon a child of the node's
    // init once `setsid -f` lets go of it, so the node reaps it.
    let args = [
        "--target", &target, "--net", "--mount", "--uts", "--pid", "--", "setsid", "-f", "sh",
    ];
    let mut command = Command::new("nsenter");
    command
        .args(args)
        .arg(&script)
        .env_clear()
        .env("PATH", host::node_path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    host::run_command(
        command,
        &format!("starting {}", daemon.comm()),
        Some(&node.hostname),
    )
    .map(|_| ())
}

/// The live processes in the node's network namespace.
pub(crate) fn node_procs(node: &LabNode) -> Vec<Proc> {
    let Some(ns) = procs::ns_id(&Path::new(NETNS_DIR).join(&node.netns)) else {
        return Vec::new();
    };
    procs::snapshot()
        .into_iter()
        .filter(|p| p.is_alive() && p.netns == Some(ns))
        .collect()
}

/// The lab's name, from the node's namespace `swarmadm-<name>-<i>`.
fn lab_name(node: &LabNode) -> String {
    node.netns
        .strip_prefix("swarmadm-")
        .and_then(|rest| rest.rsplit_once('-'))
        .map_or_else(|| node.netns.clone(), |(name, _)| name.to_owned())
}

fn timeout(node: &LabNode, daemon: Daemon, what: &'static str, after: Duration) -> LabError {
    LabError::DaemonTimeout {
        node: node.hostname.clone(),
        daemon: daemon.comm(),
        what,
        seconds: after.as_secs(),
        log: daemon.log(node),
    }
}

fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
}
