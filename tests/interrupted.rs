//! Lifecycle runs cut off half-way, against real labs: what the next run
//! finds and what it makes of it. Every test ends with a check through the
//! nodes' own Docker APIs, not through swarmadm's output.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use common::{KillOnDrop, Lab, Swarmadm, ids, wait_until};

const WORKERS: [&str; 3] = ["swarm-worker-01", "swarm-worker-02", "swarm-worker-03"];

fn state(lab: &Lab, name: &str) -> String {
    lab.api(name).info()["Swarm"]["LocalNodeState"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Issue #20: `down --yes` killed (SIGKILL) while a manager is being
/// demoted, after the workers left. The next `up` joins the workers again
/// and removes their old entries: exactly 6 entries, each hostname once,
/// `up` exits 0 and `verify` agrees.
#[test]
fn up_after_a_down_killed_mid_demotion_leaves_exactly_the_inventory() {
    common::require_root();
    let lab = Lab::up(ids::INTERRUPTED_DOWN_THEN_UP, 3, 3);
    let inv = &lab.inventory_toml;
    Swarmadm::new().up(inv).success();

    // `--verbose` draws one line per step on stderr: kill `down` as soon
    // as it starts demoting a manager.
    let mut command = Swarmadm::new()
        .args(["down", "--yes", "-i"])
        .arg(inv)
        .verbose()
        .command();
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn down");
    let mut down = KillOnDrop(child);
    let stderr = down.0.stderr.take().expect("down's stderr");
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("read down's stderr");
        assert!(!line.contains("SWMTKN"), "a join token in: {line}");
        let demoting = line.contains("swarm-manager-0") && line.contains("demoting");
        seen.push(line);
        if demoting {
            break;
        }
    }
    assert!(
        seen.iter().any(|l| l.contains("demoting")),
        "down never demoted a manager:\n{}",
        seen.join("\n")
    );
    down.0.kill().expect("SIGKILL down");
    let _ = down.0.wait();
    for worker in WORKERS {
        assert_eq!(state(&lab, worker), "inactive", "{worker} did not leave");
    }

    let up = Swarmadm::new().up(inv).json().success();
    assert_eq!(up.json()["result"], "ok", "{}", up.stdout);
    let strays = up.json()["strays"].as_array().map_or(0, Vec::len);
    assert_eq!(strays, 0, "up still reports strays: {}", up.stdout);

    // Through the leader's own API: 6 entries, every hostname once, Ready.
    let leader = lab.api("swarm-manager-01");
    wait_until(
        "6 Ready entries, one per inventory node",
        Duration::from_secs(30),
        || {
            let nodes = leader.nodes();
            let mut names: Vec<String> = nodes
                .iter()
                .map(|n| {
                    format!(
                        "{}:{}",
                        n["Description"]["Hostname"].as_str().unwrap_or_default(),
                        n["Status"]["State"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            names.sort();
            let ok = names.len() == 6 && names.iter().all(|n| n.ends_with(":ready"));
            ok.then_some(()).ok_or_else(|| names.join(", "))
        },
    );
    for worker in WORKERS {
        assert_eq!(state(&lab, worker), "active", "{worker} is not back");
    }
    Swarmadm::new().verify(inv).success();
}
