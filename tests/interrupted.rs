//! Lifecycle runs cut off half-way, against real labs: what the next run
//! finds and what it makes of it. Every test ends with a check through the
//! nodes' own Docker APIs, not through swarmadm's output.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

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

/// Issue #20: `rotate-tokens --ca --timeout 10` with a worker's engine
/// stopped (SIGSTOP) ends in at most 3× the timeout: refused up front
/// (exit 2, nothing rotated) naming the worker. With
/// `--allow-unreachable --ca-timeout 10` it rotates and its wait ends in
/// at most 3× 10 s, naming the worker. Once the worker runs again, the
/// rotation finishes in the swarm: `verify` passes its `root_ca` check.
#[test]
fn a_ca_rotation_with_a_stopped_worker_ends_in_time_and_completes_when_it_is_back() {
    common::require_root();
    let lab = Lab::up(ids::INTERRUPTED_CA_ROTATION, 3, 2);
    let inv = &lab.inventory_toml;
    Swarmadm::new().up(inv).success();
    let spec_before = lab.api("swarm-manager-01").get("/swarm")["Spec"]["CAConfig"].clone();
    let paused = lab.pause_dockerd("swarm-worker-02");

    let start = Instant::now();
    let refused = Swarmadm::new()
        .args(["rotate-tokens", "--ca", "--timeout", "10", "-i"])
        .arg(inv)
        .expect_code(2);
    let took = start.elapsed();
    assert!(took <= Duration::from_secs(30), "refusal took {took:?}");
    let text = format!("{}{}", refused.stdout, refused.stderr);
    assert!(text.contains("swarm-worker-02"), "{text}");
    assert!(text.contains("--allow-unreachable"), "{text}");
    assert_eq!(
        lab.api("swarm-manager-01").get("/swarm")["Spec"]["CAConfig"],
        spec_before,
        "a refused rotation changed the CA config"
    );

    let start = Instant::now();
    let rotated = Swarmadm::new()
        .args([
            "rotate-tokens",
            "--ca",
            "--allow-unreachable",
            "--timeout",
            "10",
        ])
        .args(["--ca-timeout", "10", "-i"])
        .arg(inv)
        .json()
        .expect_code(1);
    let took = start.elapsed();
    assert!(took <= Duration::from_secs(30), "rotation took {took:?}");
    assert!(
        rotated.stdout.contains("swarm-worker-02"),
        "the worker is not named: {}",
        rotated.stdout
    );

    paused.resume();
    wait_until(
        "the root CA rotation to finish once swarm-worker-02 runs again",
        Duration::from_secs(120),
        || {
            let swarm = lab.api("swarm-manager-01").get("/swarm");
            (swarm["RootRotationInProgress"] == false)
                .then_some(())
                .ok_or_else(|| swarm["RootRotationInProgress"].to_string())
        },
    );
    let verify = Swarmadm::new().verify(inv).json().success();
    let root_ca = verify.json()["cluster"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "root_ca"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(root_ca["ok"], true, "{}", verify.stdout);
}
