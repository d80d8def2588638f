//! `lab down`: remove everything a lab made, found by name rather than from
//! `state.json`, so that a crashed or killed `up` is cleaned up too: the
//! processes in its namespaces (and their descendants), its latency relay,
//! host mounts under
//! its dir, its veths, namespaces and bridge, and its dir. Running it again
//! finds nothing and does nothing.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::LabError;
use super::host::{self, NETNS_DIR};
use super::layout::{self, LabName};
use super::procs::{self, NsId};

/// How long killed processes get to disappear.
const KILL_DEADLINE: Duration = Duration::from_secs(15);
/// The programs a lab starts; a process outside the lab's namespaces is
/// killed only if it is one of these and names a node dir (the moment
/// between `setsid` and `nsenter` of a node being started).
const LAB_PROGRAMS: &[&str] = &["setsid", "nsenter", "unshare", "sh", "dockerd", "sshd"];

/// What `down` removed.
#[derive(Debug, Clone, Default)]
pub struct DownReport {
    /// Processes killed.
    pub processes: usize,
    /// Host mounts under the lab dir that were unmounted.
    pub mounts: Vec<PathBuf>,
    /// Network namespaces deleted.
    pub netns: Vec<String>,
    /// Links deleted (host-side veths, the bridge).
    pub links: Vec<String>,
    /// The lab dir, if it was removed.
    pub removed_dir: Option<PathBuf>,
    /// A dir at the lab's path that was left alone because it is not a lab
    /// dir (it has no marker): swarmadm removes only what it made.
    pub kept_dir: Option<PathBuf>,
}

impl DownReport {
    /// Whether there was nothing of the lab left to remove.
    pub fn nothing_to_do(&self) -> bool {
        self.processes == 0
            && self.mounts.is_empty()
            && self.netns.is_empty()
            && self.links.is_empty()
            && self.removed_dir.is_none()
    }
}

/// Removes every process, mount, namespace, link and file of lab `name`
/// whose dir is `dir`. Safe to run when the lab is partly or not at all up.
pub fn down(name: &LabName, dir: &Path) -> Result<DownReport, LabError> {
    host::require_root()?;
    let dir = std::path::absolute(dir).map_err(|e| LabError::io("resolve", dir, e))?;
    let lab_dir = is_lab_dir(name, &dir)?;
    let netns = host::lab_netns(name);
    let mut report = DownReport {
        processes: kill_processes(name, &dir, &netns)?,
        mounts: unmount_under(&dir)?,
        ..DownReport::default()
    };
    // Deleting a host-side veth deletes its peer in the node at once.
    report.links = delete_links(name)?;
    for ns in &netns {
        host::run(
            "ip",
            ["netns", "del", ns.as_str()],
            "deleting the network namespace",
            None,
        )?;
    }
    report.netns = netns;
    report.links.extend(delete_links(name)?);
    if lab_dir {
        fs::remove_dir_all(&dir).map_err(|e| LabError::io("remove", &dir, e))?;
        if dir == layout::default_dir(name) {
            // The shared parent goes when the last default lab does.
            let _ = fs::remove_dir(layout::DEFAULT_PARENT_DIR);
        }
        report.removed_dir = Some(dir);
    } else if dir.exists() {
        report.kept_dir = Some(dir);
    }
    Ok(report)
}

/// Whether `dir` is lab `name`'s dir; an error if it is another lab's.
fn is_lab_dir(name: &LabName, dir: &Path) -> Result<bool, LabError> {
    match fs::read_to_string(layout::marker_file(dir)) {
        Ok(owner) if owner.trim() == name.as_str() => Ok(true),
        Ok(owner) => Err(LabError::DirOfOtherLab {
            dir: dir.to_path_buf(),
            name: name.to_string(),
            owner: owner.trim().to_owned(),
        }),
        Err(_) => Ok(false),
    }
}

/// SIGKILLs every live process in the lab's namespaces, every lab program
/// naming a node dir, and all their descendants (containers run in
/// namespaces of their own), until none is left. Returns how many.
fn kill_processes(name: &LabName, dir: &Path, netns: &[String]) -> Result<usize, LabError> {
    let namespaces: Vec<NsId> = netns
        .iter()
        .filter_map(|ns| procs::ns_id(&Path::new(NETNS_DIR).join(ns)))
        .collect();
    let nodes_dir = format!("{}/nodes/", dir.display());
    // The latency relay runs on the host, named by its `--for <lab dir>`.
    let relay = format!("lab relay --for {} ", dir.display());
    let deadline = Instant::now() + KILL_DEADLINE;
    let mut killed = BTreeSet::new();
    loop {
        let all = procs::snapshot();
        let spared = procs::self_and_ancestors(&all);
        let roots = all
            .iter()
            .filter(|p| p.is_alive() && !spared.contains(&p.pid))
            .filter(|p| {
                p.netns.is_some_and(|ns| namespaces.contains(&ns))
                    || (LAB_PROGRAMS.contains(&p.comm.as_str())
                        && procs::cmdline(p.pid).contains(&nodes_dir))
                    || procs::cmdline(p.pid).contains(&relay)
            })
            .map(|p| p.pid)
            .collect();
        let targets: Vec<u32> = procs::with_descendants(&all, roots)
            .into_iter()
            .filter(|pid| !spared.contains(pid))
            .collect();
        if targets.is_empty() {
            return Ok(killed.len());
        }
        if Instant::now() > deadline {
            let pids: Vec<String> = targets.iter().map(u32::to_string).collect();
            return Err(LabError::ProcessesSurvived {
                name: name.to_string(),
                pids: pids.join(","),
            });
        }
        procs::signal(targets.iter().copied(), Signal::SIGKILL);
        killed.extend(targets);
        thread::sleep(Duration::from_millis(20));
    }
}

/// Unmounts (lazily, deepest first) whatever is mounted under the lab dir
/// in the host's mount namespace. A lab mounts nothing there itself, but a
/// node whose start failed half-way might have.
fn unmount_under(dir: &Path) -> Result<Vec<PathBuf>, LabError> {
    let mounts = host::mounts_under(dir);
    for mount in &mounts {
        host::run(
            "umount",
            [OsStr::new("--lazy"), mount.as_os_str()],
            "unmounting",
            None,
        )?;
    }
    Ok(mounts)
}

/// Deletes the lab's links still present: veths first, then the bridge. A
/// link that vanished meanwhile (its namespace went) is not an error.
fn delete_links(name: &LabName) -> Result<Vec<String>, LabError> {
    let mut deleted = Vec::new();
    for link in host::lab_links(name) {
        match host::run(
            "ip",
            ["link", "del", link.as_str()],
            "deleting the link",
            None,
        ) {
            Ok(_) => deleted.push(link),
            Err(_) if !host::link_exists(&link) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(deleted)
}
