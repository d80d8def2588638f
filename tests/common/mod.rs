//! The fixture every integration test shares: a real lab of nodes (the
//! `swarmadm_lab` crate, crates/lab) on this host, brought up fresh for one
//! test and torn down when the test's [`Lab`] is dropped, plus ways to look
//! at the nodes *without* swarmadm (their Docker sockets from the host side,
//! their sshd logs) and to break them (stop a node's sshd or dockerd).
//!
//! Integration tests need root, dockerd and sshd. They never skip: without
//! them [`require_root`] panics and says what is missing.
//!
//! - [`cmd`]: [`Swarmadm`], the builder every test runs the binary with
//!   (join-token and exit-code checks included).
//! - [`ids`]: the registry of lab ids, one named constant per test.
//! - [`wait`]: [`wait_until`], the one polling loop.
//! - [`docker`]: a small Docker API client (`lab.api(hostname)`) and
//!   inventory variants (`lab.inventory_with_labels(...)`, ...).
//!
//! Every test takes its own lab id from [`ids`] (a `u8`, 1 to 254): the lab
//! is named `t<id>`, lives in `/var/tmp/swarmadm-test/t<id>` and uses the
//! subnet `10.213.<id>.0/24`, so tests run in parallel without meeting. A
//! lock file per id (`t<id>.lock`, see [`lock`]) makes a second, concurrent
//! test run wait instead of tearing the first one's lab down.
//!
//! ```ignore
//! mod common;
//! use common::{Lab, Swarmadm, ids};
//!
//! #[test]
//! fn leader_answers() {
//!     let lab = Lab::up(ids::MY_TEST, 3, 3);
//!     let info = lab.engine_json("swarm-manager-01", "/info");
//!     assert_eq!(info["Name"], "swarm-manager-01");
//!     let run = Swarmadm::new().status(&lab.inventory_toml).json().success();
//!     assert_eq!(run.json()["nodes"].as_array().map(Vec::len), Some(6));
//! }
//! ```

#![allow(dead_code)]

pub mod cmd;
pub mod docker;
pub mod ids;
pub mod wait;

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use swarmadm_lab::{self as lab, Daemon, LabInfo, LabName, UpOptions};

// Not every test file uses every one of them.
#[allow(unused_imports)]
pub use cmd::{Run, Swarmadm};
pub use swarmadm_lab::LabNode;
#[allow(unused_imports)]
pub use wait::{unix_now, wait_until};

/// Where test labs live: `<this>/t<id>`.
pub const TEST_DIR: &str = "/var/tmp/swarmadm-test";

/// Panics, saying what is missing, unless this process is root and dockerd,
/// sshd and the other programs a lab needs are installed.
pub fn require_root() {
    if let Err(e) = lab::preflight() {
        panic!(
            "integration tests run real lab nodes and need root, dockerd and sshd \
             (run `sudo cargo nextest run`): {e}"
        );
    }
}

/// The bare swarmadm binary built for these tests. Prefer [`Swarmadm`],
/// which checks the exit code and that no join token leaks; this stays for
/// test files not yet moved to it.
pub fn swarmadm() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_swarmadm"));
    cmd::without_backtrace(&mut command);
    command
}

/// A child process (an `ssh -N`, an `ssh-agent`) that is killed and reaped
/// when the guard drops, so that a failing assertion does not leave it
/// running.
#[derive(Debug)]
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Exclusive use of a lab id, across processes: two test runs at once (two
/// people on one host, say) would otherwise tear down each other's labs.
/// The kernel releases it when the holder exits, however it exits.
#[derive(Debug)]
pub struct LabLock {
    pub id: u8,
    _file: fs::File,
}

/// Takes the lock of lab id `id`, waiting while another process holds it.
pub fn lock(id: u8) -> LabLock {
    assert!(
        id != 0 && id != 255,
        "lab ids are 1 to 254 (subnet 10.213.<id>.0/24)"
    );
    fs::create_dir_all(TEST_DIR).unwrap_or_else(|e| panic!("creating {TEST_DIR}: {e}"));
    let path = Path::new(TEST_DIR).join(format!("t{id}.lock"));
    let file =
        fs::File::create(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
    file.lock()
        .unwrap_or_else(|e| panic!("locking {}: {e}", path.display()));
    LabLock { id, _file: file }
}

/// A dockerd stopped by [`Lab::pause_dockerd`]: SIGCONT on [`Paused::resume`]
/// or drop.
#[derive(Debug)]
pub struct Paused {
    pid: u32,
}

impl Paused {
    /// Lets the engine run again.
    pub fn resume(self) {
        drop(self);
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        signal(self.pid, "-CONT");
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    // A drop during a panic must not panic again.
    if !ok && !std::thread::panicking() {
        panic!("kill {sig} {pid}");
    }
}

/// A running lab, torn down (`lab down`) on drop.
#[derive(Debug)]
pub struct Lab {
    /// `t<id>`.
    pub name: String,
    pub dir: PathBuf,
    pub inventory_toml: PathBuf,
    pub inventory_ini: PathBuf,
    pub ssh_config: PathBuf,
    pub known_hosts: PathBuf,
    /// The private key every node accepts for root.
    pub identity_file: PathBuf,
    /// Managers first (the leader is `nodes[0]`), then workers.
    pub nodes: Vec<LabNode>,
    /// Everything `lab up` returned (subnet, bridge, ...).
    pub info: LabInfo,
    down: bool,
    /// Released after `Drop::drop` has run `down`.
    _lock: LabLock,
}

impl Lab {
    /// Brings up lab `t<id>` with `managers` + `workers` nodes, after
    /// removing whatever a crashed earlier run of the same test left.
    /// Panics (quoting the failing node's logs) if the lab does not come up.
    /// Waits while another process (a concurrent test run) uses the id.
    pub fn up(id: u8, managers: usize, workers: usize) -> Lab {
        Self::up_locked(lock(id), managers, workers)
    }

    /// [`Lab::up`] for a test that took the id's [`lock`] itself (to look at
    /// the host before the lab exists).
    pub fn up_locked(lock: LabLock, managers: usize, workers: usize) -> Lab {
        Self::up_with(lock, managers, workers, |_| {})
    }

    /// [`Lab::up_locked`] with the lab's options adjusted first: engines,
    /// latency, a longer wait for large labs.
    pub fn up_with(
        lock: LabLock,
        managers: usize,
        workers: usize,
        adjust: impl FnOnce(&mut UpOptions),
    ) -> Lab {
        require_root();
        let id = lock.id;
        let name = Self::name_for(id);
        let dir = Self::dir_for(id);
        if let Err(e) = lab::down(&name, &dir) {
            panic!("cleaning up an earlier lab {name}: {e}");
        }
        let mut opts = UpOptions {
            dir: dir.clone(),
            managers,
            workers,
            subnet: Self::subnet_for(id).parse().expect("valid test subnet"),
            // Generous: other tests' labs compete for the CPU.
            ready_timeout: Duration::from_secs(120),
            ..UpOptions::new(name.clone())
        };
        adjust(&mut opts);
        let info = match lab::up(&opts) {
            Ok(info) => info,
            Err(e) => {
                let logs = node_logs(&dir);
                let _ = lab::down(&name, &dir);
                panic!("lab up {name} failed: {e}\n\nnode logs:\n{logs}");
            }
        };
        Lab {
            name: name.to_string(),
            inventory_toml: info.inventory_toml(),
            inventory_ini: info.inventory_ini(),
            ssh_config: info.ssh_config(),
            known_hosts: info.known_hosts(),
            identity_file: info.identity_file(),
            nodes: info.nodes.clone(),
            dir,
            info,
            down: false,
            _lock: lock,
        }
    }

    /// The name of lab `id`: `t<id>`.
    pub fn name_for(id: u8) -> LabName {
        format!("t{id}").parse().expect("valid test lab name")
    }

    /// The dir of lab `id`.
    pub fn dir_for(id: u8) -> PathBuf {
        Path::new(TEST_DIR).join(format!("t{id}"))
    }

    /// The subnet of lab `id`: `10.213.<id>.0/24`.
    pub fn subnet_for(id: u8) -> String {
        format!("10.213.{id}.0/24")
    }

    /// The node called `hostname`; panics if the lab has none.
    pub fn node(&self, hostname: &str) -> &LabNode {
        self.nodes
            .iter()
            .find(|n| n.hostname == hostname)
            .unwrap_or_else(|| panic!("lab {} has no node {hostname}", self.name))
    }

    /// Host-side path of the node's Docker socket: talk to its engine
    /// directly, independently of swarmadm.
    pub fn socket(&self, hostname: &str) -> PathBuf {
        self.node(hostname).socket()
    }

    /// `GET path` on the node's engine: (status code, body).
    pub fn engine_get(&self, hostname: &str, path: &str) -> (u16, String) {
        http_get(&self.socket(hostname), path)
            .unwrap_or_else(|e| panic!("GET {path} on {hostname}'s engine: {e}"))
    }

    /// `GET path` on the node's engine, which must answer 200 with JSON.
    pub fn engine_json(&self, hostname: &str, path: &str) -> serde_json::Value {
        let (status, body) = self.engine_get(hostname, path);
        assert_eq!(status, 200, "GET {path} on {hostname}: {body}");
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("GET {path} on {hostname}: not JSON ({e}): {body}"))
    }

    /// Stops the node's sshd listener (SIGTERM; established sessions stay,
    /// like Debian's ssh.service). New SSH connections are refused.
    pub fn stop_sshd(&self, hostname: &str) {
        self.daemon(hostname, Daemon::Sshd, false);
    }

    /// Starts the node's sshd again; returns once it greets.
    pub fn start_sshd(&self, hostname: &str) {
        self.daemon(hostname, Daemon::Sshd, true);
    }

    /// Stops the node's dockerd (SIGTERM, then SIGKILL after 30 s).
    pub fn stop_dockerd(&self, hostname: &str) {
        self.daemon(hostname, Daemon::Dockerd, false);
    }

    /// Starts the node's dockerd again with the same command line (same
    /// data root, so the node keeps its swarm state); returns once it
    /// answers `/_ping`.
    pub fn start_dockerd(&self, hostname: &str) {
        self.daemon(hostname, Daemon::Dockerd, true);
    }

    /// Stops the node's dockerd with SIGSTOP, as a hung engine: its socket
    /// still accepts connections, nothing answers. SIGCONT when the guard
    /// is resumed or dropped, so a failing assertion never leaves it
    /// stopped.
    pub fn pause_dockerd(&self, hostname: &str) -> Paused {
        let pid = lab::daemon_pid(self.node(hostname), Daemon::Dockerd)
            .unwrap_or_else(|| panic!("dockerd of {hostname} is not running"));
        signal(pid, "-STOP");
        Paused { pid }
    }

    fn daemon(&self, hostname: &str, daemon: Daemon, start: bool) {
        let node = self.node(hostname);
        let result = if start {
            lab::start_daemon(node, daemon)
        } else {
            lab::stop_daemon(node, daemon)
        };
        if let Err(e) = result {
            panic!(
                "{} {daemon:?} on {hostname}: {e}",
                if start { "start" } else { "stop" }
            );
        }
    }

    /// Runs `iptables ARGS` in the node's network namespace only, as a
    /// firewall on that host would (`-A INPUT -p udp --dport 4789 -j DROP`):
    /// the host and the other nodes keep their rules, and the rules go with
    /// the namespace at `down`. SSH from this host to the node still works
    /// unless a rule says otherwise.
    pub fn iptables(&self, hostname: &str, args: &[&str]) {
        let netns = &self.node(hostname).netns;
        let out = Command::new("ip")
            .args(["netns", "exec", netns, "iptables"])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("iptables in {hostname}: {e}"));
        assert!(
            out.status.success(),
            "iptables {args:?} in {hostname}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// How many SSH connections the node's sshd has accepted (its
    /// "Accepted publickey" log lines): swarmadm must open one per node.
    pub fn accepted_ssh_connections(&self, hostname: &str) -> usize {
        let log = self.node(hostname).sshd_log();
        fs::read_to_string(&log)
            .unwrap_or_else(|e| panic!("reading {}: {e}", log.display()))
            .lines()
            .filter(|l| l.contains("Accepted publickey for"))
            .count()
    }

    /// `ssh` (the OpenSSH client) to a node through the lab's ssh_config,
    /// with strict host key checking against its known_hosts.
    pub fn ssh(&self, hostname: &str) -> Command {
        let mut command = Command::new("ssh");
        command
            .arg("-F")
            .arg(&self.ssh_config)
            .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"])
            .arg(hostname);
        command
    }

    /// The lab's processes now: every process in a node's network
    /// namespace, as (pid, start time, command line).
    pub fn processes(&self) -> BTreeSet<(u32, u64, String)> {
        self.nodes
            .iter()
            .flat_map(|node| netns_pids(&node.netns))
            .filter_map(|pid| Some((pid, start_time(pid)?, cmdline(pid))))
            .collect()
    }

    /// Tears the lab down now (instead of on drop) and panics if that fails.
    /// The id stays locked until the `Lab` is dropped, so a test can check
    /// that nothing is left before another test run takes the id.
    pub fn down(&mut self) -> lab::DownReport {
        self.down = true;
        let name: LabName = self.name.parse().expect("valid lab name");
        lab::down(&name, &self.dir).unwrap_or_else(|e| panic!("lab down {}: {e}", self.name))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if self.down {
            return;
        }
        let name: LabName = self.name.parse().expect("valid lab name");
        if let Err(e) = lab::down(&name, &self.dir) {
            // Panicking while a failed test unwinds would abort the run.
            if std::thread::panicking() {
                eprintln!("lab down {}: {e}", self.name);
            } else {
                panic!("lab down {}: {e}", self.name);
            }
        }
    }
}

/// Everything of lab `name` (dir `dir`) still on the host: namespaces,
/// links, host mounts and processes named for it, and its dir. Empty after
/// a clean `down`.
pub fn leftovers(name: &str, dir: &Path) -> Vec<String> {
    let netns_prefix = format!("swarmadm-{name}-");
    let bridge = format!("swl-{name}");
    let veth_prefix = format!("swl{name}h");
    let dir_text = dir.display().to_string();
    let mut found = Vec::new();
    for ns in netns_names() {
        if ns.starts_with(&netns_prefix) {
            found.push(format!("netns {ns}"));
        }
    }
    for link in link_names() {
        let is_veth = link
            .strip_prefix(&veth_prefix)
            .is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()));
        if link == bridge || is_veth {
            found.push(format!("link {link}"));
        }
    }
    for mount in mount_points() {
        if mount.contains(&netns_prefix) || mount.starts_with(&format!("{dir_text}/")) {
            found.push(format!("mount {mount}"));
        }
    }
    for (pid, cmd) in all_processes() {
        if cmd.contains(&format!("{dir_text}/")) || cmd.contains(&netns_prefix) {
            found.push(format!("process {pid}: {cmd}"));
        }
    }
    if dir.exists() {
        found.push(format!("dir {}", dir.display()));
    }
    found
}

/// Names of the host's named network namespaces (`ip netns list`).
pub fn netns_names() -> BTreeSet<String> {
    let out = run("ip", &["netns", "list"]);
    out.lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// Names of the host's links (`ip -o link`), without the `@peer` suffix.
pub fn link_names() -> BTreeSet<String> {
    let out = run("ip", &["-o", "link", "show"]);
    out.lines()
        .filter_map(|l| l.split(": ").nth(1))
        .map(|n| n.split('@').next().unwrap_or(n).to_owned())
        .collect()
}

/// Mount points of the host's mount namespace.
pub fn mount_points() -> BTreeSet<String> {
    fs::read_to_string("/proc/self/mounts")
        .expect("reading /proc/self/mounts")
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(str::to_owned)
        .collect()
}

/// Every live (non-zombie) process of the host, with its command line.
pub fn all_processes() -> Vec<(u32, String)> {
    fs::read_dir("/proc")
        .expect("reading /proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| !is_zombie(pid))
        .map(|pid| (pid, cmdline(pid)))
        .filter(|(_, cmd)| !cmd.is_empty())
        .collect()
}

/// Pids in a named network namespace (`ip netns pids`).
pub fn netns_pids(netns: &str) -> Vec<u32> {
    Command::new("ip")
        .args(["netns", "pids", netns])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a process with this pid and start time still runs.
pub fn is_running(pid: u32, start: u64) -> bool {
    !is_zombie(pid) && start_time(pid) == Some(start)
}

fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 1..];
    Some(after_comm.split_whitespace().map(str::to_owned).collect())
}

fn is_zombie(pid: u32) -> bool {
    stat_fields(pid).is_none_or(|f| f.first().is_some_and(|s| s == "Z" || s == "X"))
}

/// The process's start time (field 22 of /proc/<pid>/stat).
fn start_time(pid: u32) -> Option<u64> {
    stat_fields(pid)?.get(19)?.parse().ok()
}

fn cmdline(pid: u32) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            raw.split(|&b| b == 0)
                .filter(|a| !a.is_empty())
                .map(String::from_utf8_lossy)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// `GET path` over a Docker socket with plain HTTP/1.0: (status, body).
pub fn http_get(socket: &Path, path: &str) -> std::io::Result<(u16, String)> {
    http_request(socket, "GET", path, "")
}

/// One plain HTTP/1.0 request over a Docker socket: (status, body).
pub fn http_request(
    socket: &Path,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_owned()))
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The last lines of every node log under a lab dir, for a failure message.
fn node_logs(dir: &Path) -> String {
    let mut out = String::new();
    let Ok(nodes) = fs::read_dir(dir.join("nodes")) else {
        return out;
    };
    for node in nodes.flatten() {
        for log in ["node.log", "dockerd.log", "sshd.log"] {
            let text = fs::read_to_string(node.path().join(log)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(8)..].join("\n");
            out.push_str(&format!(
                "--- {}:\n{tail}\n",
                node.path().join(log).display()
            ));
        }
    }
    out
}
