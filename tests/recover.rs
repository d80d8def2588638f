//! `swarmadm recover` on real labs: a quorum lost for good (two of three
//! managers' engines stopped, their state wiped or kept), with autolock,
//! and a manager that is only cut off. Every result is read through the
//! nodes' own Docker APIs, not through swarmadm's output.

mod common;

use std::time::Duration;

use common::{Lab, Swarmadm, ids, wait_until};
use serde_json::{Value, json};

const M1: &str = "swarm-manager-01";
const M2: &str = "swarm-manager-02";
const M3: &str = "swarm-manager-03";

/// A replicated service of the lab's image, created through `node`.
fn create_service(lab: &Lab, node: &str, name: &str) {
    lab.api(node).post(
        "/services/create",
        &json!({
            "Name": name,
            "TaskTemplate": { "ContainerSpec": {
                "Image": common::docker::TEST_IMAGE,
                "Command": ["/bin/busybox", "sleep", "100000"],
            }},
            "Mode": { "Replicated": { "Replicas": 2 } },
        }),
    );
}

fn service_names(lab: &Lab, node: &str) -> Vec<String> {
    match lab.api(node).get("/services") {
        Value::Array(services) => services
            .iter()
            .filter_map(|s| s["Spec"]["Name"].as_str().map(str::to_owned))
            .collect(),
        other => panic!("/services: {other}"),
    }
}

/// Stops the node's dockerd and, with `wipe`, deletes its swarm state.
fn lose(lab: &Lab, node: &str, wipe: bool) {
    lab.stop_dockerd(node);
    if wipe {
        let swarm = lab.node(node).dir.join("docker").join("swarm");
        std::fs::remove_dir_all(&swarm)
            .unwrap_or_else(|e| panic!("wiping {}: {e}", swarm.display()));
    }
}

/// Waits until `node`'s engine answers its node list with "no leader".
fn wait_leaderless(lab: &Lab, node: &str) {
    wait_until(
        &format!("{node} to say the swarm has no leader"),
        Duration::from_secs(120),
        || {
            let (status, body) = lab.api(node).request("GET", "/nodes", None);
            status >= 500 && body.contains("does not have a leader")
        },
    );
}

/// The inventory's managers all list the same leader and every manager
/// Reachable, from their own node lists: one swarm, no second Raft group.
fn one_swarm(lab: &Lab, managers: &[&str]) -> bool {
    let leaders: Vec<Option<String>> = managers
        .iter()
        .map(|m| {
            let (status, body) = lab.api(m).request("GET", "/nodes", None);
            if status != 200 {
                return None;
            }
            let nodes: Vec<Value> = serde_json::from_str(&body).ok()?;
            let all_reachable = nodes
                .iter()
                .filter(|n| n["Spec"]["Role"] == "manager")
                .all(|n| n["ManagerStatus"]["Reachability"] == "reachable");
            if !all_reachable {
                return None;
            }
            nodes
                .iter()
                .find(|n| n["ManagerStatus"]["Leader"] == true)
                .and_then(|n| n["ID"].as_str().map(str::to_owned))
        })
        .collect();
    leaders.iter().all(Option::is_some) && leaders.windows(2).all(|w| w[0] == w[1])
}

#[test]
fn a_quorum_lost_for_good_is_recovered_and_the_wiped_managers_join_again() {
    let lab = Lab::up(ids::RECOVER_WIPED, 3, 3);
    lab.check_test_image();
    Swarmadm::new().up(&lab.inventory_toml).success();
    create_service(&lab, M1, "kept");
    let survivor_id = lab.node_id(M1);
    lose(&lab, M2, true);
    lose(&lab, M3, true);
    wait_leaderless(&lab, M1);

    let dry = Swarmadm::new()
        .args(["recover", "--dry-run", "-i"])
        .arg(&lab.inventory_toml)
        .success();
    assert!(
        dry.stdout.contains("Survivor: swarm-manager-01"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("gone (engine down)"), "{}", dry.stdout);

    let run = Swarmadm::new()
        .args(["recover", "--yes", "-i"])
        .arg(&lab.inventory_toml)
        .json()
        .success();
    let json = run.json();
    assert_eq!(json["recovered"], true, "{json}");
    assert_eq!(json["survivor"]["name"], M1, "{json}");
    assert_eq!(json["counts"]["after"]["services"], 1, "{json}");
    // Through the engine: the survivor leads with its own NodeID, and the
    // service created before the loss is still there.
    let leader: Vec<Value> = lab
        .api(M1)
        .nodes()
        .into_iter()
        .filter(|n| n["ManagerStatus"]["Leader"] == true)
        .collect();
    assert_eq!(leader.len(), 1);
    assert_eq!(leader[0]["ID"], survivor_id.as_str());
    assert_eq!(service_names(&lab, M1), ["kept"]);

    // After a leadership change the workers are listed `unknown` until they
    // report to the new leader again.
    wait_until(
        "the survivor to list every worker ready",
        Duration::from_secs(180),
        || {
            lab.api(M1)
                .nodes()
                .iter()
                .filter(|n| n["Spec"]["Role"] == "worker")
                .all(|n| n["Status"]["State"] == "ready")
        },
    );
    lab.start_dockerd(M2);
    lab.start_dockerd(M3);
    Swarmadm::new().up(&lab.inventory_toml).success();
    let hostnames = |nodes: Vec<Value>| {
        let mut names: Vec<String> = nodes
            .iter()
            .map(|n| {
                n["Description"]["Hostname"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect();
        names.sort();
        names
    };
    let mut expected: Vec<String> = lab.nodes.iter().map(|n| n.hostname.clone()).collect();
    expected.sort();
    assert_eq!(
        hostnames(lab.api(M1).nodes()),
        expected,
        "exactly the inventory's entries"
    );
    wait_until("verify to pass", Duration::from_secs(90), || {
        Swarmadm::new()
            .verify(&lab.inventory_toml)
            .command()
            .output()
            .is_ok_and(|out| out.status.success())
    });
    assert_eq!(service_names(&lab, M2), ["kept"]);
}

#[test]
fn a_lost_manager_that_comes_back_with_its_old_state_is_a_member_of_the_recovered_swarm() {
    let lab = Lab::up(ids::RECOVER_OLD_STATE, 3, 1);
    Swarmadm::new().up(&lab.inventory_toml).success();
    create_service(&lab, M1, "kept");
    lose(&lab, M2, false);
    lose(&lab, M3, false);
    wait_leaderless(&lab, M1);
    Swarmadm::new()
        .args(["recover", "--yes", "-i"])
        .arg(&lab.inventory_toml)
        .success();
    // Both come back at once with their old state: together they are a
    // majority of the old Raft membership.
    lab.start_dockerd(M2);
    lab.start_dockerd(M3);
    wait_until(
        "one swarm: every manager lists the same leader, all Reachable",
        Duration::from_secs(120),
        || one_swarm(&lab, &[M1, M2, M3]),
    );
    Swarmadm::new().up(&lab.inventory_toml).success();
    Swarmadm::new().verify(&lab.inventory_toml).success();
    assert_eq!(service_names(&lab, M3), ["kept"]);
}

#[test]
fn recover_with_autolock_is_refused_up_front_and_changes_nothing() {
    let lab = Lab::up(ids::RECOVER_AUTOLOCK, 3, 1);
    Swarmadm::new().up(&lab.inventory_toml).success();
    let api = lab.api(M1);
    let swarm = api.get("/swarm");
    let version = swarm["Version"]["Index"].as_u64().expect("swarm version");
    let mut spec = swarm["Spec"].clone();
    spec["EncryptionConfig"] = json!({ "AutoLockManagers": true });
    api.post(&format!("/swarm/update?version={version}"), &spec);
    lose(&lab, M2, true);
    lose(&lab, M3, true);
    // Restarted, the survivor is locked.
    lab.stop_dockerd(M1);
    lab.start_dockerd(M1);
    assert_eq!(api.info()["Swarm"]["LocalNodeState"], "locked");

    let run = Swarmadm::new()
        .args(["recover", "--yes", "-i"])
        .arg(&lab.inventory_toml)
        .json()
        .expect_code(2);
    let json = run.json();
    assert_eq!(json["error"]["kind"], "autolock", "{json}");
    let message = json["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("moby/moby#36852"), "{message}");
    assert!(message.contains("`swarmadm unlock`"), "{message}");
    assert_eq!(json["recovered"], false);
    // Nothing was sent: still locked, its swarm state on disk.
    assert_eq!(api.info()["Swarm"]["LocalNodeState"], "locked");
    assert!(lab.node(M1).dir.join("docker/swarm/raft").is_dir());
}

#[test]
fn recover_is_refused_while_a_manager_is_only_cut_off_naming_it() {
    let lab = Lab::up(ids::RECOVER_PARTITIONED, 3, 1);
    Swarmadm::new().up(&lab.inventory_toml).success();
    lose(&lab, M2, true);
    // M3 runs, with the swarm's state, but nothing reaches it: not the
    // other managers, not this machine's SSH.
    lab.iptables(M3, &["-A", "INPUT", "-j", "DROP"]);
    wait_leaderless(&lab, M1);
    let run = Swarmadm::new()
        .args(["recover", "--yes", "--timeout", "5", "-i"])
        .arg(&lab.inventory_toml)
        .json()
        .expect_code(2);
    let json = run.json();
    assert_eq!(json["error"]["kind"], "not_proven", "{json}");
    let message = json["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("swarm-manager-03 (SSH does not answer either"),
        "{message}"
    );
    assert!(message.contains("--lost"), "{message}");
    assert!(!message.contains(M2), "M2 is shown gone: {message}");
    // Nothing changed: M1 still has no leader, M3 still holds its state.
    let (status, _) = lab.api(M1).request("GET", "/nodes", None);
    assert_eq!(status, 500);
    assert_eq!(
        lab.api(M3).info()["Swarm"]["LocalNodeState"],
        "active",
        "the cut-off manager keeps its state"
    );
}

#[test]
fn recover_without_a_terminal_and_without_yes_refuses_with_exit_2_and_changes_nothing() {
    let lab = Lab::up(ids::RECOVER_NO_TERMINAL, 3, 0);
    Swarmadm::new().up(&lab.inventory_toml).success();
    lose(&lab, M2, true);
    lose(&lab, M3, true);
    wait_leaderless(&lab, M1);
    // The test builder's stdin is not a terminal; the loss is proven, so
    // only the confirmation is missing.
    let run = Swarmadm::new()
        .args(["recover", "-i"])
        .arg(&lab.inventory_toml)
        .expect_code(2);
    assert!(run.stderr.contains("run with --yes"), "{}", run.stderr);
    assert!(run.stderr.contains("Nothing was changed"), "{}", run.stderr);
    let run = Swarmadm::new()
        .args(["recover", "-i"])
        .arg(&lab.inventory_toml)
        .json()
        .expect_code(2);
    let json = run.json();
    assert_eq!(json["error"]["kind"], "not_confirmed", "{json}");
    // Through the engine: no new cluster was forced, M1 still has no leader.
    let (status, body) = lab.api(M1).request("GET", "/nodes", None);
    assert!(
        status >= 500 && body.contains("does not have a leader"),
        "{status} {body}"
    );
}
