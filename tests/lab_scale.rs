//! The lab at sizes where the host itself gets in the way, and across a
//! distance: a 3+40 lab sizes the kernel's neighbour table so that its
//! nodes reach each other once they form a swarm, and `lab up --latency`
//! puts a delaying relay in front of every sshd that adds exactly the delay
//! it says. Lab ids 100 to 109.

mod common;

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use swarmadm::lab::{self, LabInfo, LabName, UpOptions};

/// A lab brought up with options of the test's choosing, torn down on drop.
struct Running {
    name: LabName,
    dir: PathBuf,
    info: LabInfo,
    _lock: common::LabLock,
}

impl Running {
    fn up(id: u8, managers: usize, workers: usize, adjust: impl FnOnce(&mut UpOptions)) -> Self {
        common::require_root();
        let lock = common::lock(id);
        let name: LabName = format!("t{id}").parse().expect("valid lab name");
        let dir = PathBuf::from(common::TEST_DIR).join(format!("t{id}"));
        lab::down(&name, &dir).unwrap_or_else(|e| panic!("cleaning up lab {name}: {e}"));
        let mut opts = UpOptions {
            dir: dir.clone(),
            managers,
            workers,
            subnet: format!("10.213.{id}.0/24").parse().expect("valid subnet"),
            ready_timeout: Duration::from_secs(180),
            ..UpOptions::new(name.clone())
        };
        adjust(&mut opts);
        let info = lab::up(&opts).unwrap_or_else(|e| {
            let _ = lab::down(&name, &dir);
            panic!("lab up {name}: {e}")
        });
        Running {
            name,
            dir,
            info,
            _lock: lock,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Err(e) = lab::down(&self.name, &self.dir) {
            eprintln!("lab down {}: {e}", self.name);
        }
    }
}

fn sysctl(name: &str) -> u64 {
    let path = format!("/proc/sys/net/ipv4/neigh/default/{name}");
    fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {path}: {e}"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn assert_all_reached(found: &lab::Reachability, what: &str) {
    let shown: Vec<String> = found
        .failed
        .iter()
        .take(10)
        .map(|f| format!("{} -> {}:{}: {}", f.from, f.to, f.port, f.error))
        .collect();
    assert!(
        found.all_reached(),
        "{what}: {} of {} connects failed, e.g.\n{}\ncause: {:?}",
        found.failed.len(),
        found.tried,
        shown.join("\n"),
        found.cause
    );
    assert!(found.tried > 0, "{what}: nothing was tried");
}

#[test]
fn a_3_plus_40_lab_sizes_the_neighbour_table_and_its_swarm_nodes_reach_each_other() {
    let lab = Running::up(100, 3, 40, |_| {});
    let nodes = lab.info.nodes.len() as u64;
    assert!(
        sysctl("gc_thresh3") >= 8 * nodes * nodes && sysctl("gc_thresh3") >= 65536,
        "the hard limit was not raised for {nodes} nodes"
    );
    assert!(sysctl("gc_thresh1") >= nodes * nodes);
    assert!(sysctl("gc_thresh2") >= 4 * nodes * nodes);

    let up = common::swarmadm()
        .args(["up", "--parallel", "32", "-i"])
        .arg(lab.info.inventory_toml())
        .output()
        .expect("run swarmadm up");
    assert!(
        up.status.success(),
        "swarmadm up on 3+40 failed:\n{}\n{}",
        String::from_utf8_lossy(&up.stdout),
        String::from_utf8_lossy(&up.stderr)
    );

    // Every node talks to every other: sshd and gossip on all of them, the
    // cluster port on the managers (workers do not listen on it).
    let timeout = Duration::from_secs(5);
    let everyone = lab::reach(&lab.info, |_| true, &[22, 7946], timeout).expect("reach");
    assert_all_reached(&everyone, "22 and 7946 between all nodes");
    assert_eq!(everyone.tried, 43 * 42 * 2);
    let managers =
        lab::reach(&lab.info, |n| n.role.is_manager(), &[2377], timeout).expect("reach managers");
    assert_all_reached(&managers, "2377 on every manager from every other node");
    assert_eq!(managers.tried, 43 * 3 - 3);

    // And the swarm they form, as the leader's own engine sees it.
    let leader = &lab.info.nodes[0];
    let (status, body) = common::http_get(&leader.socket(), "/nodes").expect("GET /nodes");
    assert_eq!(status, 200, "{body}");
    let list: serde_json::Value = serde_json::from_str(&body).expect("JSON node list");
    let ready = list
        .as_array()
        .expect("a node list")
        .iter()
        .filter(|n| n["Status"]["State"] == "ready")
        .count();
    assert_eq!(ready, 43, "ready nodes in the leader's list");
}
