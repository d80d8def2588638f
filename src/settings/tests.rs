//! Settings as plain values: what differs, what the update sends, what
//! verify says.

use std::time::Duration;

use serde_json::json;

use super::*;

fn wanted_settings() -> SwarmSettings {
    let mut swarm = SwarmSettings::default();
    swarm.settings.task_history_limit = Some(2);
    swarm.settings.dispatcher_heartbeat = Some(Duration::from_secs(10));
    swarm.settings.labels.insert("team".into(), "infra".into());
    swarm
}

fn object(spec: Value) -> SwarmObject {
    SwarmObject {
        version: 7,
        spec,
        default_addr_pool: vec!["10.0.0.0/8".into()],
        subnet_size: Some(24),
        data_path_port: Some(4789),
    }
}

/// What a fresh engine's spec looks like (Docker 20.10).
fn engine_spec() -> Value {
    json!({
        "Name": "default",
        "Labels": { "io.swarmadm.lock": "{\"held\":1}", "owner": "ops" },
        "Orchestration": { "TaskHistoryRetentionLimit": 5 },
        "Raft": { "SnapshotInterval": 10000, "LogEntriesForSlowFollowers": 500,
                  "ElectionTick": 10, "HeartbeatTick": 1 },
        "Dispatcher": { "HeartbeatPeriod": 5_000_000_000u64 },
        "CAConfig": { "NodeCertExpiry": 7_776_000_000_000_000u64 },
        "EncryptionConfig": { "AutoLockManagers": false },
    })
}

#[test]
fn only_the_named_settings_that_differ_are_planned() {
    let plan = plan(&wanted_settings(), &object(engine_spec()));
    assert_eq!(plan.version, 7);
    let keys: Vec<&str> = plan.changes.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        ["task_history_limit", "dispatcher_heartbeat", "labels.team"]
    );
    assert_eq!(plan.changes[0].from.as_deref(), Some("5"));
    assert_eq!(plan.changes[0].to, "2");
    assert_eq!(plan.changes[1].from.as_deref(), Some("5s"));
    assert_eq!(plan.changes[1].to, "10s");
    assert_eq!(plan.changes[2].from, None);
    assert!(plan.init_only.is_empty());
}

#[test]
fn the_update_keeps_every_other_field_and_the_run_lock() {
    let swarm = wanted_settings();
    let spec = apply(&swarm, &engine_spec());
    assert_eq!(spec["Orchestration"]["TaskHistoryRetentionLimit"], 2);
    assert_eq!(spec["Dispatcher"]["HeartbeatPeriod"], 10_000_000_000u64);
    assert_eq!(spec["Labels"]["team"], "infra");
    assert_eq!(spec["Labels"]["owner"], "ops");
    assert_eq!(spec["Labels"]["io.swarmadm.lock"], "{\"held\":1}");
    assert_eq!(spec["Raft"]["ElectionTick"], 10);
    assert_eq!(spec["Name"], "default");
    // Applied, nothing is left to change.
    assert!(!plan(&swarm, &object(spec)).has_changes());
}

#[test]
fn autolock_is_planned_and_written_into_the_encryption_config() {
    let mut swarm = SwarmSettings::default();
    swarm.autolock = Some(true);
    let plan = plan(&swarm, &object(engine_spec()));
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].key, "autolock");
    let spec = apply(&swarm, &engine_spec());
    assert_eq!(spec["EncryptionConfig"]["AutoLockManagers"], true);
    assert!(autolock(&spec));
}

#[test]
fn init_only_values_are_reported_not_changed() {
    let mut swarm = SwarmSettings::default();
    swarm.default_addr_pool = vec!["10.20.0.0/16".into()];
    swarm.subnet_size = Some(26);
    swarm.data_path_port = Some(4789);
    let plan = plan(&swarm, &object(engine_spec()));
    assert!(!plan.has_changes());
    let keys: Vec<&str> = plan.init_only.iter().map(|d| d.key).collect();
    assert_eq!(keys, ["default_addr_pool", "subnet_size"]);
    assert!(
        plan.init_only[0]
            .to_string()
            .contains("at `swarm init` only")
    );
    let spec = apply(&swarm, &engine_spec());
    assert_eq!(spec, engine_spec(), "no spec field for init-only values");
}

#[test]
fn a_concurrent_change_of_a_managed_value_is_seen_but_not_of_others() {
    let swarm = wanted_settings();
    let before = engine_spec();
    let mut locked = before.clone();
    locked["Labels"]["io.swarmadm.lock"] = json!("{\"other\":2}");
    locked["Raft"]["ElectionTick"] = json!(20);
    assert!(same_managed_values(&swarm, &before, &locked));
    let mut changed = before.clone();
    changed["Orchestration"]["TaskHistoryRetentionLimit"] = json!(9);
    assert!(!same_managed_values(&swarm, &before, &changed));
}

#[test]
fn verify_checks_each_named_setting() {
    let swarm = wanted_settings();
    let checks = checks(&swarm, &object(engine_spec()));
    assert_eq!(checks.len(), 3);
    assert!(checks.iter().all(|c| c.name == "swarm_setting"));
    assert!(checks.iter().all(|c| !c.ok));
    assert_eq!(checks[0].expected, "task_history_limit = 2");
    assert_eq!(checks[0].actual, "task_history_limit = 5");
    let applied = apply(&swarm, &engine_spec());
    assert!(super::checks(&swarm, &object(applied)).iter().all(|c| c.ok));
}

#[test]
fn durations_show_in_their_largest_even_unit() {
    assert_eq!(show_duration(Duration::from_secs(90 * 86_400)), "90d");
    assert_eq!(show_duration(Duration::from_secs(7200)), "2h");
    assert_eq!(show_duration(Duration::from_secs(5)), "5s");
    assert_eq!(show_duration(Duration::from_millis(1500)), "1500ms");
}
