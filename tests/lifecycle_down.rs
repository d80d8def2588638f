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
        assert_eq!(node["result"], "unchanged", "{node}");
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
    let error = &run.json()["error"];
    assert_eq!(error["kind"], "foreign_swarm", "{error}");
    let error = error["message"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("never touched"), "{error}");

    // Through the engines: every node is still in the swarm, unchanged.
    for node in &lab.nodes {
        assert_eq!(state(&lab, &node.hostname), "active", "{}", node.hostname);
    }
    let after = lab.api("swarm-manager-01").nodes();
    // Node versions move on their own (status, certificates); the specs
    // only move when someone changes a node.
    let specs = |nodes: &[Value]| -> Vec<(Value, Value)> {
        nodes
            .iter()
            .map(|n| (n["ID"].clone(), n["Spec"].clone()))
            .collect()
    };
    assert_eq!(specs(&before), specs(&after));
}

#[test]
fn context_names_the_current_leader_after_a_leadership_change() {
    common::require_root();
    let lab = Lab::up(ids::LIFECYCLE_CONTEXT, 3, 1);
    Swarmadm::new().up(&lab.inventory_toml).success();
    let ip = |name: &str| lab.node(name).ip.to_string();
    // The inventory names the nodes by address, with the lab's key and
    // known_hosts: a user's own ssh config that gives plain ssh the same
    // for those addresses makes `ssh://ADDRESS` the hand-off (ssh and the
    // docker CLI read it from the user database's home, mounted over here).
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(home.path().join(".ssh")).expect("mkdir");
    std::fs::write(
        home.path().join(".ssh/config"),
        format!(
            "Host {}.*\n  IdentityFile {}\n  UserKnownHostsFile {}\n",
            ip("swarm-manager-01")
                .rsplit_once('.')
                .map_or("", |(net, _)| net),
            lab.identity_file.display(),
            lab.known_hosts.display()
        ),
    )
    .expect("write config");

    let first = Swarmadm::new()
        .in_home(home.path())
        .arg("context")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .success();
    assert!(
        first.stdout.contains(&format!(
            "export DOCKER_HOST=ssh://{}\n",
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
        .in_home(home.path())
        .arg("context")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .json()
        .success();
    let json = run.json();
    assert_eq!(json["leader"], new_leader.as_str(), "{json}");
    assert_eq!(
        json["docker_host"],
        format!("ssh://{}", ip(&new_leader)),
        "{json}"
    );

    // --create goes through the docker CLI, here into a throw-away config.
    let config = tempfile::tempdir().expect("tempdir");
    Swarmadm::new()
        .in_home(home.path())
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
        text.contains(&format!("ssh://{}", ip(&new_leader))),
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

/// The node list of `manager` (empty when it does not answer).
fn nodes_of(lab: &Lab, manager: &str) -> Vec<Value> {
    let (status, body) = lab.engine_get(manager, "/v1.41/nodes");
    if status != 200 {
        return Vec::new();
    }
    serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

fn hostnames(nodes: &[Value]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| n["Description"]["Hostname"].as_str())
        .map(str::to_owned)
        .collect()
}

/// The service's tasks that are running, as (task id, node id).
fn running_tasks(lab: &Lab, manager: &str, service: &str) -> Vec<(String, String)> {
    let filter = format!("%7B%22service%22%3A%5B%22{service}%22%5D%7D");
    let (status, body) = lab.engine_get(manager, &format!("/v1.41/tasks?filters={filter}"));
    if status != 200 {
        return Vec::new();
    }
    serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter(|t| t["Status"]["State"] == "running" && t["DesiredState"] == "running")
        .filter_map(|t| {
            Some((
                t["ID"].as_str()?.to_owned(),
                t["NodeID"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// What the background poller saw while `up --prune` ran.
#[derive(Debug, Default)]
struct Seen {
    polls: usize,
    /// Polls whose node list had no leader (or no answer).
    leaderless: Vec<String>,
    /// When every replica ran on another node than the pruned worker.
    moved_at: Option<std::time::Instant>,
    /// When the pruned worker was first gone from the node list.
    gone_at: Option<std::time::Instant>,
}

#[test]
fn up_prune_removes_a_manager_and_a_worker_keeping_a_leader_and_moving_tasks() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    common::require_root();
    let lab = Lab::up(ids::LIFECYCLE_PRUNE, 4, 4);
    Swarmadm::new().up(&lab.inventory_toml).success();
    lab.check_test_image();
    let m1 = "swarm-manager-01";
    let w4 = "swarm-worker-04";
    let w4_id = lab.node_id(w4);

    // Four replicas on four active workers: the scheduler spreads them,
    // one lands on the worker to prune.
    let created = lab.api(m1).post(
        "/services/create",
        &serde_json::json!({
            "Name": "sleeper",
            "TaskTemplate": {
                "ContainerSpec": {
                    "Image": common::docker::TEST_IMAGE,
                    "Command": ["/bin/busybox", "sleep", "3600"]
                },
                "Networks": [{"Target": "host"}],
                "RestartPolicy": {"Condition": "any", "Delay": 1_000_000_000u64}
            },
            "Mode": {"Replicated": {"Replicas": 4}}
        }),
    );
    let service: Value = serde_json::from_str(&created).expect("service create answer");
    let service_id = service["ID"].as_str().expect("service ID").to_owned();
    wait_until(
        "4 sleeper tasks running, one on swarm-worker-04",
        Duration::from_secs(120),
        || {
            let tasks = running_tasks(&lab, m1, &service_id);
            (tasks.len() == 4 && tasks.iter().any(|(_, node)| *node == w4_id))
                .then_some(())
                .ok_or_else(|| format!("{tasks:?}"))
        },
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = inventory_of(
        &lab,
        dir.path(),
        "smaller.toml",
        &[
            ("swarm-manager-01", "leader"),
            ("swarm-manager-02", "manager"),
            ("swarm-manager-03", "manager"),
            ("swarm-worker-01", "worker"),
            ("swarm-worker-02", "worker"),
            ("swarm-worker-03", "worker"),
        ],
    );

    // While up runs: a leader at every poll, and when the tasks moved and
    // the worker went.
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let poller = {
        let (stop, seen) = (stop.clone(), seen.clone());
        let (socket, service_id, w4_id) = (lab.socket(m1), service_id.clone(), w4_id.clone());
        std::thread::spawn(move || {
            let lab_api = common::docker::Api::new(&socket);
            while !stop.load(Ordering::Relaxed) {
                let (status, body) = lab_api.request("GET", "/nodes", None);
                let nodes: Vec<Value> = serde_json::from_str::<Value>(&body)
                    .ok()
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default();
                let filter = format!("%7B%22service%22%3A%5B%22{service_id}%22%5D%7D");
                let (_, tasks) = lab_api.request("GET", &format!("/tasks?filters={filter}"), None);
                let tasks: Vec<Value> = serde_json::from_str::<Value>(&tasks)
                    .ok()
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default();
                let now = std::time::Instant::now();
                let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                seen.polls += 1;
                if status != 200 || !nodes.iter().any(|n| n["ManagerStatus"]["Leader"] == true) {
                    seen.leaderless.push(format!("{status} {body}"));
                }
                let elsewhere = tasks
                    .iter()
                    .filter(|t| t["Status"]["State"] == "running" && t["DesiredState"] == "running")
                    .filter(|t| t["NodeID"] != w4_id.as_str())
                    .count();
                if elsewhere == 4 && seen.moved_at.is_none() {
                    seen.moved_at = Some(now);
                }
                if status == 200
                    && !nodes.iter().any(|n| n["ID"] == w4_id.as_str())
                    && seen.gone_at.is_none()
                {
                    seen.gone_at = Some(now);
                }
                drop(seen);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let run = Swarmadm::new()
        .up(&inventory)
        .arg("--prune")
        .json()
        .verbose()
        .success();
    let finished = std::time::Instant::now();
    stop.store(true, Ordering::Relaxed);
    poller.join().expect("poller");

    let json = run.json();
    let pruned: Vec<&Value> = json["pruned"].as_array().into_iter().flatten().collect();
    assert_eq!(pruned.len(), 2, "{json}");
    assert!(
        run.stderr
            .contains("swarm-worker-04: waiting until its tasks have moved"),
        "{}",
        run.stderr
    );

    // Through the engines: both are gone, three managers remain, and a
    // leader was there at every poll.
    let nodes = nodes_of(&lab, m1);
    let names = hostnames(&nodes);
    assert!(
        !names.iter().any(|n| n == "swarm-manager-04" || n == w4),
        "{names:?}"
    );
    let managers = nodes
        .iter()
        .filter(|n| n["Spec"]["Role"] == "manager")
        .count();
    assert_eq!(managers, 3, "{names:?}");
    assert_eq!(lab.api(m1).info()["Swarm"]["Managers"], 3);
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    assert!(seen.polls > 5, "{seen:?}");
    assert!(
        seen.leaderless.is_empty(),
        "polls without a leader: {seen:?}"
    );
    // The entry is removed last, just before `up` returns: a poll may miss
    // the moment, and then the end of the run bounds it (the node list
    // read after the run shows it gone).
    let Some(moved) = seen.moved_at else {
        panic!("the tasks never moved: {seen:?}");
    };
    let gone = seen.gone_at.unwrap_or(finished);
    assert!(
        moved <= gone,
        "the worker left before its task was rescheduled: {seen:?}"
    );
    assert_eq!(running_tasks(&lab, m1, &service_id).len(), 4);
}

#[test]
fn prune_of_a_manager_warns_at_two_and_refuses_losing_quorum() {
    common::require_root();
    let lab = Lab::up(ids::LIFECYCLE_PRUNE_QUORUM, 3, 0);
    Swarmadm::new().up(&lab.inventory_toml).success();
    let m1 = "swarm-manager-01";
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = inventory_of(
        &lab,
        dir.path(),
        "two.toml",
        &[
            ("swarm-manager-01", "leader"),
            ("swarm-manager-02", "manager"),
        ],
    );

    // swarm-manager-02 is down: demoting -03 would leave 1 of 2 reachable.
    lab.stop_dockerd("swarm-manager-02");
    let refused = Swarmadm::new()
        .up(&inventory)
        .arg("--prune")
        .json()
        .expect_code(1);
    let json = refused.json();
    let m3 = &json["pruned"][0];
    assert_eq!(m3["result"], "blocked", "{json}");
    assert_eq!(m3["error"]["kind"], "quorum", "{json}");
    assert!(
        m3["error"]["message"]
            .as_str()
            .is_some_and(|e| e.contains("would lose quorum")),
        "{json}"
    );
    let role_of_m3 = |nodes: &[Value]| {
        nodes
            .iter()
            .find(|n| n["Description"]["Hostname"] == "swarm-manager-03")
            .map(|n| n["Spec"]["Role"].clone())
    };
    assert_eq!(
        role_of_m3(&nodes_of(&lab, m1)),
        Some(Value::from("manager"))
    );

    // Back to three reachable: the prune goes through, with the warning.
    lab.start_dockerd("swarm-manager-02");
    wait_until(
        "swarm-manager-02 reachable again",
        Duration::from_secs(60),
        || {
            nodes_of(&lab, m1).iter().any(|n| {
                n["Description"]["Hostname"] == "swarm-manager-02"
                    && n["ManagerStatus"]["Reachability"] == "reachable"
            })
        },
    );
    let run = Swarmadm::new()
        .up(&inventory)
        .arg("--prune")
        .json()
        .success();
    assert!(
        run.stderr.contains("tolerates no manager failure"),
        "{}",
        run.stderr
    );
    let warnings = run.json()["plan"]["warnings"].to_string();
    assert!(warnings.contains("2 managers"), "{warnings}");

    let nodes = nodes_of(&lab, m1);
    assert_eq!(role_of_m3(&nodes), None, "{:?}", hostnames(&nodes));
    assert_eq!(lab.api(m1).info()["Swarm"]["Managers"], 2);
}

#[test]
fn remove_makes_inventory_nodes_leave_and_drops_their_entries() {
    common::require_root();
    let lab = Lab::up(ids::LIFECYCLE_REMOVE, 4, 2);
    Swarmadm::new().up(&lab.inventory_toml).success();
    let m1 = "swarm-manager-01";

    let dry = Swarmadm::new()
        .arg("remove")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .args([
            "swarm-manager-04",
            "swarm-worker-02",
            "--dry-run",
            "-o",
            "wide",
        ])
        .success();
    assert!(
        dry.stdout
            .contains("demote, wait until out of the Raft membership, leave"),
        "{}",
        dry.stdout
    );
    assert_eq!(lab.api(m1).info()["Swarm"]["Managers"], 4);

    let run = Swarmadm::new()
        .arg("remove")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .args(["swarm-manager-04", "swarm-worker-02"])
        .json()
        .success();
    let json = run.json();
    assert_eq!(
        outcome(json, "swarm-manager-04")["actions"],
        serde_json::json!(["demoted", "left", "removed"]),
        "{json}"
    );
    assert_eq!(
        outcome(json, "swarm-worker-02")["actions"],
        serde_json::json!(["drained", "left", "removed"]),
        "{json}"
    );

    // Through the engines: both left, their entries are gone, three
    // managers remain in the Raft membership.
    assert_eq!(state(&lab, "swarm-manager-04"), "inactive");
    assert_eq!(state(&lab, "swarm-worker-02"), "inactive");
    let names = hostnames(&nodes_of(&lab, m1));
    assert!(
        !names
            .iter()
            .any(|n| n == "swarm-manager-04" || n == "swarm-worker-02"),
        "{names:?}"
    );
    assert_eq!(lab.api(m1).info()["Swarm"]["Managers"], 3);

    // Removing it again (a second run, as after a killed one) is done:
    // exit 0, it says so, and nothing changes (issue #20).
    let before = lab.api(m1).nodes().len();
    let again = Swarmadm::new()
        .arg("remove")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .arg("swarm-worker-02")
        .success();
    assert!(
        again
            .stderr
            .contains("swarm-worker-02 is already out of the swarm"),
        "{}",
        again.stderr
    );
    assert_eq!(lab.api(m1).nodes().len(), before);
    assert_eq!(lab.api(m1).info()["Swarm"]["Managers"], 3);
    // A name that is in neither the inventory nor the swarm changes
    // nothing: exit 2.
    Swarmadm::new()
        .arg("remove")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .arg("no-such-node")
        .expect_code(2);
}
