//! Safety under faults, against real labs: no second swarm without
//! evidence, locked managers and lost quorum said plainly and the same by
//! every command, a hung engine bounded, concurrent runs serialised. Every
//! test ends with a check through the nodes' own Docker APIs, not through
//! swarmadm's output.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Lab, Swarmadm, ids, wait_until};
use serde_json::{Value, json};

fn outcome<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|o| o["name"] == name))
        .unwrap_or_else(|| panic!("no outcome for {name}: {json}"))
}

fn cluster_id(lab: &Lab, name: &str) -> Value {
    lab.api(name).info()["Swarm"]["Cluster"]["ID"].clone()
}

fn state(lab: &Lab, name: &str) -> Value {
    lab.api(name).info()["Swarm"]["LocalNodeState"].clone()
}

#[test]
fn no_second_swarm_when_the_managers_are_unreachable_and_the_leader_left() {
    common::require_root();
    let lab = Lab::up(ids::SAFETY_NO_SECOND_SWARM, 3, 0);
    Swarmadm::new().up(&lab.inventory_toml).success();
    let before = [
        cluster_id(&lab, "swarm-manager-02"),
        cluster_id(&lab, "swarm-manager-03"),
    ];
    // The leader is reinstalled (out of any swarm); the other two managers
    // keep the swarm (2 of 3) but cannot be reached over SSH.
    lab.api("swarm-manager-01").leave_swarm();
    lab.stop_sshd("swarm-manager-02");
    lab.stop_sshd("swarm-manager-03");

    let run = Swarmadm::new().up(&lab.inventory_toml).json().failure();
    assert_eq!(run.code, Some(1));
    let error = outcome(run.json(), "swarm-manager-01")["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        error.contains("swarm-manager-02 (unreachable)")
            && error.contains("swarm-manager-03 (unreachable)")
            && error.contains("--force-new-cluster"),
        "{error}"
    );
    assert!(!run.stdout.contains("no swarm yet"), "{}", run.stdout);

    // Through the engines: no swarm was created, the old one is untouched.
    // A manager's `/info` has no cluster while the two that stay elect a
    // leader (the old one left without handing over): wait for the
    // election, then compare.
    assert_eq!(state(&lab, "swarm-manager-01"), "inactive");
    let after = wait_until(
        "swarm-manager-02 and -03 to report a cluster again",
        Duration::from_secs(60),
        || {
            let ids = [
                cluster_id(&lab, "swarm-manager-02"),
                cluster_id(&lab, "swarm-manager-03"),
            ];
            ids.iter()
                .all(|id| id.as_str().is_some_and(|s| !s.is_empty()))
                .then_some(ids.clone())
                .ok_or_else(|| format!("{ids:?}"))
        },
    );
    assert_eq!(after, before);
}

/// Turns autolock on through the API.
fn enable_autolock(lab: &Lab, manager: &str) {
    let api = lab.api(manager);
    let swarm = api.get("/swarm");
    let version = swarm["Version"]["Index"].as_u64().expect("swarm version");
    let mut spec = swarm["Spec"].clone();
    spec["EncryptionConfig"]["AutoLockManagers"] = json!(true);
    api.post(&format!("/swarm/update?version={version}"), &spec);
}

#[test]
fn a_locked_manager_is_locked_everywhere_and_never_a_stray() {
    common::require_root();
    let lab = Lab::up(ids::SAFETY_LOCKED, 3, 1);
    Swarmadm::new().up(&lab.inventory_toml).success();
    enable_autolock(&lab, "swarm-manager-01");
    // Stopped before it has the new spec, swarm-manager-02 would come back
    // unlocked: wait until its own API shows autolock, and give it a moment
    // to encrypt its key (it does so as it applies the spec).
    wait_until(
        "swarm-manager-02 to apply autolock",
        Duration::from_secs(60),
        || {
            lab.api("swarm-manager-02").get("/swarm")["Spec"]["EncryptionConfig"]["AutoLockManagers"]
                == json!(true)
        },
    );
    std::thread::sleep(Duration::from_secs(1));
    lab.stop_dockerd("swarm-manager-02");
    lab.start_dockerd("swarm-manager-02");
    // A loaded machine (the whole suite at once) restarts an engine slowly.
    wait_until(
        "swarm-manager-02 to come back locked",
        Duration::from_secs(90),
        || {
            let now = state(&lab, "swarm-manager-02");
            if now == "locked" {
                Ok(())
            } else {
                Err(format!("state {now}"))
            }
        },
    );

    let status = Swarmadm::new().status(&lab.inventory_toml).json().failure();
    assert_eq!(status.code, Some(1));
    let row = status.json()["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|r| r["name"] == "swarm-manager-02"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(row["state"], "locked", "{row}");

    let verify = Swarmadm::new().verify(&lab.inventory_toml).json().failure();
    assert_eq!(verify.code, Some(1));
    let json = verify.json();
    let m2 = json["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|r| r["name"] == "swarm-manager-02"))
        .cloned()
        .unwrap_or_default();
    let unlocked = m2["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "unlocked"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(unlocked["ok"], false, "{m2}");
    assert_eq!(
        (&unlocked["expected"], &unlocked["actual"]),
        (&json!(true), &json!(false)),
        "{unlocked}"
    );
    // The advice is in the text (wide: unwrapped).
    let text = Swarmadm::new()
        .verify(&lab.inventory_toml)
        .args(["-o", "wide"])
        .failure();
    assert!(
        text.stdout.contains("docker swarm unlock"),
        "{}",
        text.stdout
    );
    let strays = json["cluster"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "strays"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(strays["ok"], true, "a locked manager is no stray: {strays}");
    assert!(
        !verify.stdout.contains("docker node rm"),
        "{}",
        verify.stdout
    );

    let up = Swarmadm::new().up(&lab.inventory_toml).json().failure();
    let error = outcome(up.json(), "swarm-manager-02")["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        error.contains("locked") && error.contains("docker swarm unlock"),
        "{error}"
    );

    // Through the engines: still locked, and still a Raft member.
    assert_eq!(state(&lab, "swarm-manager-02"), "locked");
    let managers = lab
        .api("swarm-manager-01")
        .nodes()
        .iter()
        .filter(|n| n["Spec"]["Role"] == "manager")
        .count();
    assert_eq!(managers, 3);
}

#[test]
fn quorum_loss_is_said_by_status_verify_and_up_and_nothing_says_no_swarm() {
    common::require_root();
    let lab = Lab::up(ids::SAFETY_QUORUM_LOSS, 3, 1);
    Swarmadm::new().up(&lab.inventory_toml).success();
    lab.stop_dockerd("swarm-manager-02");
    lab.stop_dockerd("swarm-manager-03");
    let m1 = lab.api("swarm-manager-01");
    wait_until(
        "swarm-manager-01 to lose its leader",
        Duration::from_secs(90),
        || {
            let (code, body) = m1.request("GET", "/nodes", None);
            if code != 200 {
                Ok(())
            } else {
                Err(format!(
                    "still answers the node list: {}",
                    &body[..body.len().min(80)]
                ))
            }
        },
    );
    let words = "quorum lost: the swarm has 3 managers and needs 2 to elect a leader";
    for (command, run) in [
        // README's exit-code table: 1 for each (2 is for no manager
        // reachable, and nothing else here).
        (
            "status",
            Swarmadm::new().status(&lab.inventory_toml).expect_code(1),
        ),
        (
            "verify",
            Swarmadm::new().verify(&lab.inventory_toml).expect_code(1),
        ),
        ("up", Swarmadm::new().up(&lab.inventory_toml).expect_code(1)),
    ] {
        // Tables and messages wrap to the terminal: compare words.
        let text = format!("{}{}", run.stdout, run.stderr)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains(words),
            "{command} does not say `{words}`:\n{text}"
        );
        assert!(
            !text.contains("no swarm"),
            "{command} says `no swarm`:\n{text}"
        );
        // Two engines down of three: lost for good unless they come back,
        // so the recovery is named, and only the recovery.
        assert!(text.contains("swarmadm recover"), "{command}:\n{text}");
        assert!(!text.contains("force-new-cluster"), "{command}:\n{text}");
    }
    // Through the engines: nothing was changed.
    assert_eq!(state(&lab, "swarm-manager-01"), "active");
    assert_eq!(state(&lab, "swarm-worker-01"), "active");
}

#[test]
fn a_hung_worker_engine_is_reported_within_the_bound_and_converges_after_sigcont() {
    common::require_root();
    let lab = Lab::up(ids::SAFETY_HUNG_ENGINE, 1, 2);
    let paused = lab.pause_dockerd("swarm-worker-02");
    let start = Instant::now();
    let run = Swarmadm::new()
        .up(&lab.inventory_toml)
        .args(["--timeout", "5", "--connect-timeout", "5"])
        .json()
        .failure();
    let took = start.elapsed();
    paused.resume();
    // The documented bound (docs/safety.md, "How long a run can take") for these
    // flags is far below this; a hung engine must not hold the run for
    // several request timeouts per retry as it did.
    assert!(took < Duration::from_secs(60), "up took {took:?}");
    let json = run.json();
    assert!(
        outcome(json, "swarm-worker-02")["error"]["message"].is_string(),
        "{json}"
    );
    assert_eq!(
        outcome(json, "swarm-worker-01")["actions"],
        json!(["joined"])
    );
    assert_eq!(state(&lab, "swarm-worker-01"), "active");

    Swarmadm::new().up(&lab.inventory_toml).success();
    assert_eq!(state(&lab, "swarm-worker-02"), "active");
}

#[test]
fn two_concurrent_ups_converge_once() {
    common::require_root();
    let lab = Lab::up(ids::SAFETY_CONCURRENT, 1, 4);
    let dir = tempfile::tempdir().unwrap();
    // The swarm exists (so it can be locked); four workers still to join.
    let mut managers_only = lab.inventory_without(dir.path(), "swarm-worker-01");
    for w in ["swarm-worker-02", "swarm-worker-03", "swarm-worker-04"] {
        let text = std::fs::read_to_string(&managers_only).unwrap();
        let kept: Vec<&str> = text.split("[[nodes]]").filter(|b| !b.contains(w)).collect();
        managers_only = dir.path().join(format!("without-{w}.toml"));
        std::fs::write(&managers_only, kept.join("[[nodes]]")).unwrap();
    }
    Swarmadm::new().up(&managers_only).success();

    let spawn = || {
        Swarmadm::new()
            .up(&lab.inventory_toml)
            .args(["--output", "json"])
            .command()
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn up")
    };
    let (a, b) = (spawn(), spawn());
    for out in [a.wait_with_output(), b.wait_with_output()] {
        let out = out.expect("wait for up");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stdout.contains("SWMTKN") && !String::from_utf8_lossy(&out.stderr).contains("SWMTKN")
        );
        assert!(
            out.status.success() || stdout.contains("another swarmadm up is running"),
            "neither converged nor refused with the lock message:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Through the engines: every node once, every worker active, no lock left.
    let nodes = lab.api("swarm-manager-01").nodes();
    let hostnames: Vec<&str> = nodes
        .iter()
        .filter_map(|n| n["Description"]["Hostname"].as_str())
        .collect();
    let unique: BTreeSet<&str> = hostnames.iter().copied().collect();
    assert_eq!(hostnames.len(), 5, "{hostnames:?}");
    assert_eq!(unique.len(), 5, "a node is listed twice: {hostnames:?}");
    for w in 1..=4 {
        assert_eq!(state(&lab, &format!("swarm-worker-0{w}")), "active");
    }
    let labels = lab.api("swarm-manager-01").get("/swarm")["Spec"]["Labels"].clone();
    assert!(
        labels.get("io.swarmadm.lock").is_none(),
        "the run lock was left behind: {labels}"
    );
    // A later run converges with nothing to do.
    Swarmadm::new().up(&lab.inventory_toml).success();
}

#[test]
fn a_join_cut_half_way_is_repaired_by_the_next_up_without_manual_steps() {
    common::require_root();
    let lab = Lab::up(ids::SAFETY_JOIN_CUT, 1, 1);
    let worker = lab.node("swarm-worker-01").netns.clone();
    // The worker's traffic to the managers' port 2377 is cut once a
    // connection has carried 2000 bytes: the port check (a bare connect)
    // passes, the join starts and is cut half-way through its TLS exchange.
    let rule = [
        "OUTPUT",
        "-p",
        "tcp",
        "--dport",
        "2377",
        "-m",
        "connbytes",
        "--connbytes",
        "2000:",
        "--connbytes-dir",
        "original",
        "--connbytes-mode",
        "bytes",
        "-j",
        "DROP",
    ];
    let iptables = |action: &str| {
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", &worker, "iptables", action])
            .args(rule)
            .output()
            .expect("iptables");
        assert!(
            out.status.success(),
            "iptables {action}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    iptables("-A");
    let cut = Swarmadm::new()
        .up(&lab.inventory_toml)
        .args(["--timeout", "15"])
        .json()
        .failure();
    let error = outcome(cut.json(), "swarm-worker-01")["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!error.is_empty(), "{}", cut.stdout);
    iptables("-D");

    // The next run finishes the job by itself, and verify agrees.
    let run = Swarmadm::new().up(&lab.inventory_toml).json().success();
    let worker_outcome = outcome(run.json(), "swarm-worker-01").clone();
    Swarmadm::new().verify(&lab.inventory_toml).success();

    // Through the engines: the worker is an active member, the node list
    // has exactly the two nodes and no entry without a hostname.
    assert_eq!(state(&lab, "swarm-worker-01"), "active", "{worker_outcome}");
    let nodes = lab.api("swarm-manager-01").nodes();
    let hostnames: Vec<&str> = nodes
        .iter()
        .map(|n| n["Description"]["Hostname"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(hostnames.len(), 2, "{hostnames:?}");
    assert!(!hostnames.contains(&""), "{hostnames:?}");
}
