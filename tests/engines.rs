//! The swarm scenario on today's engines: Debian trixie's docker.io 26.1.5
//! (API 1.45) everywhere, and mixed with bookworm's 20.10 (API 1.41) both
//! ways round. `lab up`, `swarmadm up`, `swarmadm verify`, and a re-run of
//! `up` that changes nothing, each checked on the nodes' own Docker
//! sockets from the host side, not only through swarmadm's output.
//!
//! The 26.1 engine is unpacked by `bench/fetch-engine` (`just
//! fetch-engine`, which `.ci/run` calls); without it these tests fail and
//! say so. Lab ids 110 to 119.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use common::{Lab, ids};
use serde_json::Value;
use swarmadm_lab::Role;

/// Where `bench/fetch-engine` unpacks docker.io 26.1 by default.
const ENGINE_26: &str = "/var/tmp/swarmadm-engines/docker-26.1";

/// The unpacked 26.1 engine; panics, saying how to get it, without one.
fn engine_26() -> PathBuf {
    let dir = PathBuf::from(ENGINE_26);
    assert!(
        dir.join("usr/sbin/dockerd").is_file() && dir.join("usr/bin/containerd").is_file(),
        "no docker.io 26.1 engine in {ENGINE_26}: run `bench/fetch-engine` (or `just fetch-engine`) \
         first; it downloads Debian trixie's docker.io, containerd and runc into that dir, \
         installing nothing"
    );
    dir
}

/// Which engine a lab's managers and workers run.
#[derive(Debug, Clone, Copy)]
enum Engine {
    /// The host's dockerd: bookworm's 20.10.
    Host,
    Docker26,
}

impl Engine {
    fn dir(self) -> Option<PathBuf> {
        match self {
            Engine::Host => None,
            Engine::Docker26 => Some(engine_26()),
        }
    }

    /// What the engine's `/version` says.
    fn version_prefix(self) -> &'static str {
        match self {
            Engine::Host => "20.10.",
            Engine::Docker26 => "26.1.5",
        }
    }
}

/// A 3+3 lab with the test's engines, torn down on drop.
fn lab_up(id: u8, managers: Engine, workers: Engine) -> Lab {
    Lab::up_with(common::lock(id), 3, 3, |opts| {
        opts.manager_engine = managers.dir();
        opts.worker_engine = workers.dir();
    })
}

fn swarmadm(lab: &Lab, command: &str) -> std::process::Output {
    common::swarmadm()
        .args([command, "-i"])
        .arg(&lab.inventory_toml)
        .output()
        .unwrap_or_else(|e| panic!("run swarmadm {command}: {e}"))
}

fn assert_success(out: &std::process::Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The swarm as the leader's engine lists it: hostname -> (role,
/// availability, state, version index).
fn node_list(lab: &Lab) -> BTreeMap<String, (String, String, String, u64)> {
    let nodes = lab.engine_json(&lab.nodes[0].hostname, "/nodes");
    nodes
        .as_array()
        .expect("a node list")
        .iter()
        .map(|n| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (
                text(&n["Description"]["Hostname"]),
                (
                    text(&n["Spec"]["Role"]),
                    text(&n["Spec"]["Availability"]),
                    text(&n["Status"]["State"]),
                    n["Version"]["Index"].as_u64().unwrap_or_default(),
                ),
            )
        })
        .collect()
}

/// The leader's node list once every node in it has registered (a worker's
/// entry gets its hostname and state with its first heartbeat, moments
/// after its join call returned: seen on a loaded machine right after
/// `up`).
fn registered(lab: &Lab) -> BTreeMap<String, (String, String, String, u64)> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let nodes = node_list(lab);
        let settled = nodes
            .iter()
            .all(|(host, (_, _, state, _))| !host.is_empty() && state == "ready");
        if settled || std::time::Instant::now() >= deadline {
            return nodes;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The scenario: every node runs the engine it was given; `up` converges,
/// `verify` passes, a second `up` changes nothing. What the swarm looks
/// like is read from the nodes' own sockets.
fn swarm_scenario(id: u8, managers: Engine, workers: Engine) {
    let lab = lab_up(id, managers, workers);
    // swarmadm learns each engine's API version from its `/info` answer
    // (no `GET /version`): it must speak exactly the engine's own.
    let status = common::swarmadm()
        .args(["status", "-o", "json", "-i"])
        .arg(&lab.inventory_toml)
        .output()
        .expect("run swarmadm status");
    let status: Value = serde_json::from_slice(&status.stdout).expect("status JSON");
    for node in &lab.info.nodes {
        let engine = if node.role.is_manager() {
            managers
        } else {
            workers
        };
        let version = lab.engine_json(&node.hostname, "/version");
        let shown = version["Version"].as_str().unwrap_or_default();
        assert!(
            shown.starts_with(engine.version_prefix()),
            "{} runs engine {shown}, not {engine:?}",
            node.hostname
        );
        let spoken = status["nodes"]
            .as_array()
            .and_then(|nodes| nodes.iter().find(|n| n["name"] == node.hostname.as_str()))
            .map(|n| n["api_version"].clone());
        assert_eq!(
            spoken.as_ref(),
            Some(&version["ApiVersion"]),
            "{}: swarmadm's API version against the engine's",
            node.hostname
        );
    }

    assert_success(&swarmadm(&lab, "up"), "swarmadm up");
    // What an operator runs next, at once.
    let verify = assert_success(&swarmadm(&lab, "verify"), "swarmadm verify");
    assert!(verify.contains("PASS"), "{verify}");

    let first = registered(&lab);
    assert_eq!(first.len(), 6, "the leader lists {first:?}");
    for node in &lab.info.nodes {
        let (role, availability, state, _) = first
            .get(&node.hostname)
            .unwrap_or_else(|| panic!("{} is not in the swarm: {first:?}", node.hostname));
        let (want_role, want_availability) = match node.role {
            Role::Worker => ("worker", "active"),
            _ => ("manager", "drain"),
        };
        assert_eq!(
            (role.as_str(), availability.as_str(), state.as_str()),
            (want_role, want_availability, "ready"),
            "{}",
            node.hostname
        );
        let info = lab.engine_json(&node.hostname, "/info");
        assert_eq!(
            info["Swarm"]["LocalNodeState"], "active",
            "{}",
            node.hostname
        );
    }
    let clusters: Vec<Value> = lab
        .info
        .nodes
        .iter()
        .filter(|n| n.role.is_manager())
        .map(|n| lab.engine_json(&n.hostname, "/info")["Swarm"]["Cluster"]["ID"].clone())
        .collect();
    assert!(
        clusters.iter().all(|c| c == &clusters[0] && c.is_string()),
        "managers in different clusters: {clusters:?}"
    );

    let again = assert_success(&swarmadm(&lab, "up"), "swarmadm up (re-run)");
    let unchanged = again.matches("unchanged").count();
    assert!(
        unchanged >= 6,
        "a re-run should leave all 6 nodes unchanged:\n{again}"
    );
    assert_eq!(
        node_list(&lab),
        first,
        "a re-run of up changed nodes (their version index moved)"
    );
}

#[test]
fn the_swarm_scenario_passes_on_docker_26() {
    swarm_scenario(ids::ENGINES_26, Engine::Docker26, Engine::Docker26);
}

#[test]
fn the_swarm_scenario_passes_with_20_10_managers_and_26_workers() {
    swarm_scenario(
        ids::ENGINES_MIXED_OLD_MANAGERS,
        Engine::Host,
        Engine::Docker26,
    );
}

#[test]
fn the_swarm_scenario_passes_with_26_managers_and_20_10_workers() {
    swarm_scenario(
        ids::ENGINES_MIXED_NEW_MANAGERS,
        Engine::Docker26,
        Engine::Host,
    );
}
