//! The end of a swarm's life, against real labs: scale in (`up --prune`),
//! tear down (`down`) and the hand-off to the docker CLI (`context`). Every
//! test ends with a check through the nodes' own Docker APIs, not through
//! swarmadm's output.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Lab, Swarmadm, ids, wait_until};
use serde_json::Value;

fn state(lab: &Lab, name: &str) -> String {
    lab.api(name).info()["Swarm"]["LocalNodeState"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn outcome<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|o| o["name"] == name))
        .unwrap_or_else(|| panic!("no outcome for {name}: {json}"))
}

/// A copy of the lab's inventory in `dir` with only `nodes`, each with the
/// role given (`leader`, `manager`, `worker`).
fn inventory_of(lab: &Lab, dir: &Path, file: &str, nodes: &[(&str, &str)]) -> PathBuf {
    let text = lab.inventory_text();
    let mut blocks = text.split("[[nodes]]");
    let mut out = blocks.next().unwrap_or_default().to_owned();
    for block in blocks {
        let Some((name, role)) = nodes
            .iter()
            .find(|(name, _)| block.contains(&format!("name = \"{name}\"")))
        else {
            continue;
        };
        let kept: Vec<String> = block
            .lines()
            .map(|l| {
                if l.starts_with("role = ") {
                    format!("role = \"{role}\"")
                } else {
                    l.to_owned()
                }
            })
            .collect();
        assert!(kept.iter().any(|l| l.contains(name)));
        out.push_str("[[nodes]]");
        out.push_str(&kept.join("\n"));
        out.push('\n');
    }
    let path = dir.join(file);
    std::fs::write(&path, out).expect("write inventory");
    path
}

/// The hostname of the Raft leader as `manager`'s node list says.
fn leader(lab: &Lab, manager: &str) -> Option<String> {
    let (status, body) = lab.engine_get(manager, "/v1.41/nodes");
    if status != 200 {
        return None;
    }
    let nodes: Value = serde_json::from_str(&body).ok()?;
    nodes
        .as_array()?
        .iter()
        .find(|n| n["ManagerStatus"]["Leader"] == true)
        .and_then(|n| n["Description"]["Hostname"].as_str())
        .map(str::to_owned)
}

#[test]
fn down_dissolves_the_swarm_and_a_second_down_changes_nothing() {
    common::require_root();
    let lab = Lab::up(ids::LIFECYCLE_DOWN, 3, 3);
    Swarmadm::new().up(&lab.inventory_toml).success();

    // Without a terminal and without --yes: refused, nothing touched.
    let refused = Swarmadm::new()
        .arg("down")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .expect_code(2);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert_eq!(state(&lab, "swarm-worker-01"), "active");

    let dry = Swarmadm::new()
        .arg("down")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .arg("--dry-run")
        .success();
    assert!(
        dry.stdout
            .contains("6. swarm-manager-01 (leader): leave last"),
        "{}",
        dry.stdout
    );
    assert_eq!(state(&lab, "swarm-worker-01"), "active");

    let run = Swarmadm::new()
        .arg("down")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .arg("--yes")
        .json()
        .verbose()
        .success();
    let json = run.json();
    assert_eq!(
        outcome(json, "swarm-manager-02")["actions"],
        serde_json::json!(["demoted", "left"])
    );
    assert_eq!(
        outcome(json, "swarm-manager-01")["actions"],
        serde_json::json!(["left"])
    );
    // The leader left last, after every manager was demoted.
    let leaving: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.ends_with(": leaving the swarm"))
        .collect();
    assert_eq!(
        leaving.last().copied(),
        Some("swarm-manager-01: leaving the swarm"),
        "{}",
        run.stderr
    );

    // Through the engines: every node is out of any swarm.
    for node in &lab.nodes {
        assert_eq!(state(&lab, &node.hostname), "inactive", "{}", node.hostname);
    }

    // A second run changes nothing (and needs no confirmation).
    let again = Swarmadm::new()
        .arg("down")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .json()
        .success();
    for node in again.json()["nodes"].as_array().into_iter().flatten() {
        assert_eq!(node["outcome"], "unchanged", "{node}");
    }
    for node in &lab.nodes {
        assert_eq!(state(&lab, &node.hostname), "inactive", "{}", node.hostname);
    }
}

#[test]
fn down_on_an_inventory_whose_managers_are_in_another_swarm_touches_nothing() {
    common::require_root();
    let lab = Lab::up(ids::LIFECYCLE_DOWN_FOREIGN, 1, 3);
    Swarmadm::new().up(&lab.inventory_toml).success();
    let dir = tempfile::tempdir().expect("tempdir");
    // The swarm's only manager is not in this inventory: its "managers"
    // are workers of a swarm they do not manage.
    let inventory = inventory_of(
        &lab,
        dir.path(),
        "foreign.toml",
        &[
            ("swarm-worker-01", "leader"),
            ("swarm-worker-02", "manager"),
            ("swarm-worker-03", "worker"),
        ],
    );
    let before = lab.api("swarm-manager-01").nodes();

    let run = Swarmadm::new()
        .arg("down")
        .arg("-i")
        .arg(&inventory)
        .arg("--yes")
        .json()
        .expect_code(2);
    let error = run.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("never touched"), "{error}");

    // Through the engines: every node is still in the swarm, unchanged.
    for node in &lab.nodes {
        assert_eq!(state(&lab, &node.hostname), "active", "{}", node.hostname);
    }
    let after = lab.api("swarm-manager-01").nodes();
    let versions = |nodes: &[Value]| -> Vec<(Value, Value)> {
        nodes
            .iter()
            .map(|n| (n["ID"].clone(), n["Version"]["Index"].clone()))
            .collect()
    };
    assert_eq!(versions(&before), versions(&after));
}

#[test]
fn context_names_the_current_leader_after_a_leadership_change() {
    common::require_root();
    let lab = Lab::up(ids::LIFECYCLE_CONTEXT, 3, 1);
    Swarmadm::new().up(&lab.inventory_toml).success();
    let ip = |name: &str| lab.node(name).ip.to_string();

    let first = Swarmadm::new()
        .arg("context")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .success();
    assert!(
        first.stdout.contains(&format!(
            "export DOCKER_HOST=ssh://root@{}\n",
            ip("swarm-manager-01")
        )),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains("docker CLI"), "{}", first.stdout);

    // The leader's engine stops: the other two elect a new leader.
    lab.stop_dockerd("swarm-manager-01");
    let new_leader = wait_until(
        "a new leader among swarm-manager-02 and -03",
        Duration::from_secs(60),
        || leader(&lab, "swarm-manager-02").filter(|l| l != "swarm-manager-01"),
    );

    let run = Swarmadm::new()
        .arg("context")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .json()
        .success();
    let json = run.json();
    assert_eq!(json["leader"], new_leader.as_str(), "{json}");
    assert_eq!(
        json["docker_host"],
        format!("ssh://root@{}", ip(&new_leader)),
        "{json}"
    );

    // --create goes through the docker CLI, here into a throw-away config.
    let config = tempfile::tempdir().expect("tempdir");
    Swarmadm::new()
        .arg("context")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .args(["--create", "t154-leader"])
        .env("DOCKER_CONFIG", config.path())
        .success();
    let inspect = std::process::Command::new("docker")
        .args(["context", "inspect", "t154-leader"])
        .env("DOCKER_CONFIG", config.path())
        .output()
        .expect("docker context inspect");
    let text = String::from_utf8_lossy(&inspect.stdout);
    assert!(
        text.contains(&format!("ssh://root@{}", ip(&new_leader))),
        "{text}"
    );

    // Independently: the engines agree on who leads.
    let other = if new_leader == "swarm-manager-02" {
        "swarm-manager-03"
    } else {
        "swarm-manager-02"
    };
    assert_eq!(leader(&lab, other).as_deref(), Some(new_leader.as_str()));
}
