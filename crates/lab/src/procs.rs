//! Processes as `/proc` shows them from the host: which ones run inside a
//! node (by network namespace), which one is a node's init, and sending
//! signals. It decides nothing about what to kill; `down` and `daemon` do.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// A namespace's identity: the device and inode of its nsfs file.
pub(crate) type NsId = (u64, u64);

/// One process, from `/proc/<pid>/stat` and `/proc/<pid>/ns/net`.
#[derive(Debug, Clone)]
pub(crate) struct Proc {
    pub pid: u32,
    pub ppid: u32,
    pub state: char,
    pub comm: String,
    pub netns: Option<NsId>,
}

impl Proc {
    /// Zombies are gone in every sense but their entry; their parent (or
    /// init) reaps them.
    pub(crate) fn is_alive(&self) -> bool {
        self.state != 'Z' && self.state != 'X'
    }
}

/// Every process of the host, right now.
pub(crate) fn snapshot() -> Vec<Proc> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(read_proc)
        .collect()
}

fn read_proc(pid: u32) -> Option<Proc> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may itself contain spaces and `)`.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some(Proc {
        pid,
        ppid,
        state,
        comm,
        netns: ns_id(Path::new(&format!("/proc/{pid}/ns/net"))),
    })
}

/// The identity of the namespace behind an nsfs file (`/run/netns/<name>`
/// or `/proc/<pid>/ns/net`).
pub(crate) fn ns_id(path: &Path) -> Option<NsId> {
    let meta = fs::metadata(path).ok()?;
    Some((meta.dev(), meta.ino()))
}

/// The process's command line, arguments joined by spaces.
pub(crate) fn cmdline(pid: u32) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            raw.split(|&b| b == 0)
                .map(String::from_utf8_lossy)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// Whether the process is the init (pid 1) of a PID namespace below ours.
pub(crate) fn is_ns_init(pid: u32) -> bool {
    let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .map(|ids| ids.split_whitespace().collect::<Vec<_>>())
        .is_some_and(|ids| ids.len() > 1 && ids.last() == Some(&"1"))
}

/// This process and its ancestors: never ours to kill, even when their
/// command line names the lab dir (`swarmadm lab down --dir ...`).
pub(crate) fn self_and_ancestors(procs: &[Proc]) -> BTreeSet<u32> {
    let mut found = BTreeSet::new();
    let mut pid = std::process::id();
    while pid > 1 && found.insert(pid) {
        pid = procs.iter().find(|p| p.pid == pid).map_or(0, |p| p.ppid);
    }
    found
}

/// `roots` and every live descendant of them.
pub(crate) fn with_descendants(procs: &[Proc], roots: BTreeSet<u32>) -> BTreeSet<u32> {
    let mut found = roots;
    loop {
        let before = found.len();
        for p in procs.iter().filter(|p| p.is_alive()) {
            if found.contains(&p.ppid) {
                found.insert(p.pid);
            }
        }
        if found.len() == before {
            return found;
        }
    }
}

/// Sends `signal` to `pids`. A process that is already gone is not an
/// error: callers check what is left afterwards.
pub(crate) fn signal(pids: impl IntoIterator<Item = u32>, signal: Signal) {
    for pid in pids {
        // 0 and anything above i32::MAX would name a process group (or
        // every process), never one process: not ours to signal.
        let Ok(pid) = i32::try_from(pid) else {
            continue;
        };
        if pid > 0 {
            let _ = kill(Pid::from_raw(pid), signal);
        }
    }
}

/// Whether `pid` still names a live process.
pub(crate) fn is_alive(pid: u32) -> bool {
    read_proc(pid).is_some_and(|p| p.is_alive())
}
