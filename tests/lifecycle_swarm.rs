//! Swarm lifecycle against real labs: join token rotation (refused under
//! another run's lock, taken over with --break-lock), autolock with
//! the unlock key file and `swarmadm unlock`, and swarm settings from the
//! inventory. Every test ends with a check through the engines' own
//! sockets, not through swarmadm's output.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Lab, Run, Swarmadm, ids, wait_until};
use serde_json::{Value, json};

const LEADER: &str = "swarm-manager-01";

/// The lab's inventory with `swarm` (TOML tables) in front, in `dir`.
fn inventory_with(
    lab: &Lab,
    dir: &Path,
    name: &str,
    swarm: &str,
    without: Option<&str>,
) -> PathBuf {
    let mut text = lab.inventory_text();
    if let Some(node) = without {
        let kept: Vec<&str> = text
            .split("[[nodes]]")
            .enumerate()
            .filter(|(i, b)| *i == 0 || !b.contains(&format!("name = \"{node}\"")))
            .map(|(_, b)| b)
            .collect();
        text = kept.join("[[nodes]]");
    }
    let path = dir.join(name);
    fs::write(&path, format!("{swarm}\n{text}")).expect("write inventory");
    path
}

/// `GET /swarm` on the leader's engine.
fn swarm(lab: &Lab) -> Value {
    lab.api(LEADER).get("/swarm")
}

fn tokens(lab: &Lab) -> (String, String) {
    let s = swarm(lab);
    let token = |k: &str| s["JoinTokens"][k].as_str().expect("token").to_owned();
    (token("Worker"), token("Manager"))
}

fn state(lab: &Lab, node: &str) -> String {
    lab.api(node).info()["Swarm"]["LocalNodeState"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Everything a run printed.
fn output(run: &Run) -> String {
    format!("{}{}", run.stdout, run.stderr)
}

#[test]
fn rotate_tokens_gives_new_tokens_and_a_new_worker_joins_with_them() {
    common::require_root();
    let lab = Lab::up(ids::LIFECYCLE_ROTATE_TOKENS, 1, 2);
    let dir = tempfile::tempdir().unwrap();
    let small = inventory_with(&lab, dir.path(), "small.toml", "", Some("swarm-worker-02"));
    Swarmadm::new().up(&small).success();
    let before = tokens(&lab);

    // The builder fails the test on any `SWMTKN` in stdout or stderr.
    let run = Swarmadm::new()
        .arg("rotate-tokens")
        .arg("-i")
        .arg(&small)
        .verbose()
        .success();
    assert!(
        run.stdout.contains("existing members are not affected"),
        "{}",
        run.stdout
    );
    let after = tokens(&lab);
    assert_ne!(before.0, after.0, "the worker token changed");
    assert_ne!(before.1, after.1, "the manager token changed");

    let run = Swarmadm::new()
        .arg("rotate-tokens")
        .arg("-i")
        .arg(&small)
        .arg("--worker")
        .json()
        .success();
    assert_eq!(run.json()["rotated"].as_array().map(Vec::len), Some(1));
    let last = tokens(&lab);
    assert_ne!(last.0, after.0, "--worker rotated the worker token");
    assert_eq!(last.1, after.1, "--worker left the manager token");

    // A new worker joins with the token the swarm gives now.
    Swarmadm::new().up(&lab.inventory_toml).success();
    let nodes = lab.api(LEADER).nodes();
    let joined = common::docker::by_hostname(&nodes, "swarm-worker-02");
    assert_eq!(joined.len(), 1, "{nodes:?}");
    assert_eq!(joined[0]["Status"]["State"], "ready");
    assert_eq!(state(&lab, "swarm-worker-02"), "active");

    // Another machine's run holds the run lock (written into the swarm's
    // spec through the engine): the rotation is refused, nothing rotates;
    // --break-lock takes it over and leaves no lock.
    let current = swarm(&lab);
    let mut spec = current["Spec"].clone();
    let holder = serde_json::json!({
        "host": "another-laptop", "pid": 4242, "since": common::unix_now(), "token": "other", "command": "up"
    });
    spec["Labels"]["io.swarmadm.lock"] = Value::String(holder.to_string());
    lab.api(LEADER).post(
        &format!("/swarm/update?version={}", current["Version"]["Index"]),
        &spec,
    );
    let held = tokens(&lab);
    let run = Swarmadm::new()
        .arg("rotate-tokens")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .json()
        .expect_code(2);
    assert_eq!(
        run.json()["error"]["kind"],
        "locked_by_another_run",
        "{}",
        run.stdout
    );
    let message = run.json()["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(
            "another swarmadm up is running on this swarm from another-laptop (pid 4242)"
        ),
        "{message}"
    );
    assert_eq!(
        tokens(&lab),
        held,
        "nothing rotated under another run's lock"
    );
    Swarmadm::new()
        .arg("rotate-tokens")
        .arg("-i")
        .arg(&lab.inventory_toml)
        .arg("--break-lock")
        .success();
    let broken = tokens(&lab);
    assert_ne!(broken.0, held.0, "--break-lock rotated");
    let labels = &swarm(&lab)["Spec"]["Labels"];
    assert!(labels.get("io.swarmadm.lock").is_none(), "{labels}");
}

#[test]
fn autolock_keeps_the_key_in_a_private_file_and_unlock_unlocks_a_restarted_manager() {
    common::require_root();
    let lab = Lab::up(ids::LIFECYCLE_AUTOLOCK, 3, 1);
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory_with(
        &lab,
        dir.path(),
        "locked.toml",
        "[swarm]\nautolock = true\n",
        None,
    );
    let key_file = dir.path().join("unlock.key");
    let mut runs = Vec::new();

    // Without a key file: refused before anything changes.
    let run = Swarmadm::new().up(&inv).expect_code(2);
    assert!(run.stderr.contains("--unlock-key-file"), "{}", run.stderr);
    assert_eq!(state(&lab, LEADER), "inactive");
    runs.push(run);

    runs.push(
        Swarmadm::new()
            .up(&inv)
            .arg("--unlock-key-file")
            .arg(&key_file)
            .verbose()
            .success(),
    );
    let mode = fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let key = fs::read_to_string(&key_file).unwrap().trim().to_owned();
    assert!(key.starts_with("SWMKEY-"), "the file holds an unlock key");
    let engine_key = lab.api(LEADER).get("/swarm/unlockkey")["UnlockKey"].clone();
    assert_eq!(engine_key, json!(key));
    assert_eq!(
        swarm(&lab)["Spec"]["EncryptionConfig"]["AutoLockManagers"],
        true
    );

    // A manager restarted with autolock on comes back locked.
    lab.stop_dockerd("swarm-manager-02");
    lab.start_dockerd("swarm-manager-02");
    wait_until("swarm-manager-02 locked", Duration::from_secs(30), || {
        state(&lab, "swarm-manager-02") == "locked"
    });

    // A key file others can read is refused, and nothing is unlocked.
    fs::set_permissions(&key_file, fs::Permissions::from_mode(0o644)).unwrap();
    runs.push(
        Swarmadm::new()
            .arg("unlock")
            .arg("-i")
            .arg(&inv)
            .arg("--unlock-key-file")
            .arg(&key_file)
            .expect_code(2),
    );
    assert_eq!(state(&lab, "swarm-manager-02"), "locked");
    fs::set_permissions(&key_file, fs::Permissions::from_mode(0o600)).unwrap();

    let run = Swarmadm::new()
        .arg("unlock")
        .arg("-i")
        .arg(&inv)
        .arg("--unlock-key-file")
        .arg(&key_file)
        .verbose()
        .success();
    assert!(run.stdout.contains("unlocked 1 node"), "{}", run.stdout);
    runs.push(run);
    wait_until("swarm-manager-02 active", Duration::from_secs(30), || {
        state(&lab, "swarm-manager-02") == "active"
    });
    wait_until(
        "swarm-manager-02 reachable",
        Duration::from_secs(60),
        || {
            let nodes = lab.api(LEADER).nodes();
            common::docker::by_hostname(&nodes, "swarm-manager-02")
                .first()
                .is_some_and(|n| n["ManagerStatus"]["Reachability"] == "reachable")
        },
    );

    runs.push(Swarmadm::new().verify(&inv).verbose().success());
    runs.push(
        Swarmadm::new()
            .up(&inv)
            .arg("--unlock-key-file")
            .arg(&key_file)
            .json()
            .success(),
    );
    assert_eq!(
        fs::read_to_string(&key_file).unwrap().trim(),
        key,
        "written once: a rerun leaves the file"
    );
    for run in &runs {
        assert!(
            !output(run).contains(&key),
            "`{}` printed the unlock key",
            run.line
        );
        assert!(!output(run).contains("SWMKEY"), "`{}`", run.line);
    }
}

#[test]
fn settings_from_the_inventory_are_applied_once_and_verify_flags_a_hand_change() {
    common::require_root();
    let lab = Lab::up(ids::LIFECYCLE_SETTINGS, 1, 1);
    let dir = tempfile::tempdir().unwrap();
    Swarmadm::new().up(&lab.inventory_toml).success();
    let inv = inventory_with(
        &lab,
        dir.path(),
        "settings.toml",
        "[swarm.settings]\ntask_history_limit = 3\ndispatcher_heartbeat = \"7s\"\nlabels = { team = \"infra\" }\n",
        None,
    );

    let dry = Swarmadm::new().up(&inv).arg("--dry-run").success();
    assert!(
        dry.stdout
            .contains("swarm settings: task_history_limit 5 → 3"),
        "{}",
        dry.stdout
    );
    let run = Swarmadm::new().up(&inv).json().success();
    assert_eq!(
        run.json()["settings"]["outcome"],
        "applied",
        "{}",
        run.stdout
    );
    let spec = &swarm(&lab)["Spec"];
    assert_eq!(spec["Orchestration"]["TaskHistoryRetentionLimit"], 3);
    assert_eq!(spec["Dispatcher"]["HeartbeatPeriod"], 7_000_000_000u64);
    assert_eq!(spec["Labels"]["team"], "infra");
    assert!(
        spec["Labels"].get("io.swarmadm.lock").is_none(),
        "the run lock was released"
    );

    // A second run changes nothing: not even the swarm's version moves.
    let version = swarm(&lab)["Version"]["Index"].clone();
    let run = Swarmadm::new().up(&inv).json().success();
    assert!(run.json()["settings"].is_null(), "{}", run.stdout);
    assert_eq!(swarm(&lab)["Version"]["Index"], version);
    Swarmadm::new().verify(&inv).success();

    // Changed by hand: verify flags it.
    let current = swarm(&lab);
    let mut changed = current["Spec"].clone();
    changed["Orchestration"]["TaskHistoryRetentionLimit"] = json!(9);
    let index = current["Version"]["Index"].as_u64().unwrap();
    lab.api(LEADER)
        .post(&format!("/swarm/update?version={index}"), &changed);
    let run = Swarmadm::new().verify(&inv).json().expect_code(1);
    let flagged = run.json()["cluster"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "swarm_setting" && c["ok"] == false)
        .cloned()
        .unwrap_or_else(|| panic!("no failing swarm_setting: {}", run.stdout));
    assert_eq!(flagged["key"], "task_history_limit");
    assert_eq!(flagged["expected"], 3);
    assert_eq!(flagged["actual"], 9);
    // The text says it as before (wide: unwrapped).
    let text = Swarmadm::new()
        .verify(&inv)
        .args(["-o", "wide"])
        .expect_code(1);
    assert!(
        text.stdout
            .contains("expected task_history_limit = 3, actual task_history_limit = 9"),
        "{}",
        text.stdout
    );
    assert_eq!(
        swarm(&lab)["Spec"]["Orchestration"]["TaskHistoryRetentionLimit"],
        9,
        "verify changed nothing"
    );
}
