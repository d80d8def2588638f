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
        root_rotation_in_progress: false,
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
    let swarm = SwarmSettings {
        autolock: Some(true),
        ..SwarmSettings::default()
    };
    let plan = plan(&swarm, &object(engine_spec()));
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].key, "autolock");
    let spec = apply(&swarm, &engine_spec());
    assert_eq!(spec["EncryptionConfig"]["AutoLockManagers"], true);
    assert!(autolock(&spec));
}

#[test]
fn init_only_values_are_reported_not_changed() {
    let swarm = SwarmSettings {
        default_addr_pool: vec!["10.20.0.0/16".into()],
        subnet_size: Some(26),
        data_path_port: Some(4789),
        ..SwarmSettings::default()
    };
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
    let checks = crate::check::settings::checks(&swarm, &object(engine_spec()));
    assert_eq!(checks.len(), 3);
    assert!(
        checks
            .iter()
            .all(|c| c.name == crate::check::verify::CheckName::SwarmSetting)
    );
    assert!(checks.iter().all(|c| !c.ok));
    assert_eq!(checks[0].key.as_deref(), Some("task_history_limit"));
    assert_eq!(checks[0].expected, crate::check::value::Value::Count(2));
    assert_eq!(checks[0].actual, crate::check::value::Value::Count(5));
    let applied = apply(&swarm, &engine_spec());
    assert!(
        crate::check::settings::checks(&swarm, &object(applied))
            .iter()
            .all(|c| c.ok)
    );
}

#[test]
fn durations_show_in_their_largest_even_unit() {
    assert_eq!(show_duration(Duration::from_secs(90 * 86_400)), "90d");
    assert_eq!(show_duration(Duration::from_secs(7200)), "2h");
    assert_eq!(show_duration(Duration::from_secs(5)), "5s");
    assert_eq!(show_duration(Duration::from_millis(1500)), "1500ms");
}

/// `up` with settings and autolock, against the fake cluster.
mod up {
    use std::path::PathBuf;

    use super::*;
    use crate::exec::result::NodeResult;
    use crate::exec::step::Action;
    use crate::exec::unlock::KeyOptions;
    use crate::exec::up::{KeyFileOutcome, RunError, SettingsOutcome, UpOptions, up};
    use crate::inventory::{Inventory, test_node};
    use crate::model::names::Role;
    use crate::model::secret::Secret;
    use crate::model::swarm::LocalState;
    use crate::observe::events::Events;
    use crate::remote::fake::FakeCluster;

    fn inventory(swarm: SwarmSettings) -> Inventory {
        Inventory {
            source: PathBuf::from("test.toml"),
            swarm,
            nodes: vec![
                test_node("m1", Role::Leader, "m1.example"),
                test_node("m2", Role::Manager, "m2.example"),
                test_node("m3", Role::Manager, "m3.example"),
                test_node("w1", Role::Worker, "w1.example"),
            ],
        }
    }

    fn options(dry_run: bool, file: Option<PathBuf>) -> UpOptions {
        UpOptions {
            parallel: 4,
            dry_run,
            plan: crate::plan::PlanOptions::default(),
            break_lock: false,
            keys: KeyOptions { file, env: None },
            prune: false,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn settings_converge_in_one_update_under_the_lock_and_a_rerun_changes_nothing() {
        let inv = inventory(wanted_settings());
        let cluster = FakeCluster::converged(&inv);
        let connector = cluster.connector();
        let outcome = up(&inv, &connector, &options(false, None), &Events::discard()).await;
        assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
        assert!(
            matches!(outcome.settings, Some(SettingsOutcome::Applied { ref changes }) if changes.len() == 3)
        );
        // Lock, settings, unlock: three spec updates, no node change.
        assert_eq!(cluster.log(), ["swarm update"; 3]);
        let spec = cluster.spec();
        assert_eq!(spec["Orchestration"]["TaskHistoryRetentionLimit"], 2);
        assert_eq!(spec["Labels"]["team"], "infra");
        assert!(spec["Labels"].get(crate::model::lock::LOCK_LABEL).is_none());
        let again = up(
            &inv,
            &cluster.connector(),
            &options(false, None),
            &Events::discard(),
        )
        .await;
        assert_eq!(again.settings, None);
        assert_eq!(cluster.log().len(), 3, "the rerun changed nothing");
    }

    #[tokio::test(start_paused = true)]
    async fn a_dry_run_shows_the_settings_and_changes_nothing() {
        let inv = inventory(wanted_settings());
        let cluster = FakeCluster::converged(&inv);
        let outcome = up(
            &inv,
            &cluster.connector(),
            &options(true, None),
            &Events::discard(),
        )
        .await;
        assert!(outcome.plan.has_changes());
        assert!(matches!(
            outcome.settings,
            Some(SettingsOutcome::Planned { .. })
        ));
        let text = crate::ui::render::up(&outcome, crate::ui::Layout::Wide);
        assert!(
            text.contains("swarm settings: task_history_limit 0 → 2"),
            "{text}"
        );
        assert!(cluster.log().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_swarm_gets_its_settings_and_autolock_at_init_and_the_key_file() {
        let mut swarm = wanted_settings();
        swarm.autolock = Some(true);
        let inv = inventory(swarm);
        let cluster = FakeCluster::new(&inv);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("unlock.key");
        let outcome = up(
            &inv,
            &cluster.connector(),
            &options(false, Some(path.clone())),
            &Events::discard(),
        )
        .await;
        assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
        let init = &cluster.inits()[0];
        assert!(init.auto_lock_managers);
        assert_eq!(init.spec["Orchestration"]["TaskHistoryRetentionLimit"], 2);
        assert!(matches!(
            outcome.unlock_key_file,
            Some(KeyFileOutcome::Written { .. })
        ));
        let key = cluster.unlock_key().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{key}\n"));
        let json = serde_json::to_string(&outcome).unwrap();
        assert!(!json.contains("SWMKEY"), "{json}");
        // Written once: the next run finds it and leaves it.
        let again = up(
            &inv,
            &cluster.connector(),
            &options(false, Some(path.clone())),
            &Events::discard(),
        )
        .await;
        assert!(
            matches!(again.unlock_key_file, Some(KeyFileOutcome::Kept { .. })),
            "{again:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn autolock_without_a_key_file_changes_nothing() {
        let mut swarm = wanted_settings();
        swarm.autolock = Some(true);
        let inv = inventory(swarm);
        let cluster = FakeCluster::new(&inv);
        let outcome = up(
            &inv,
            &cluster.connector(),
            &options(false, None),
            &Events::discard(),
        )
        .await;
        assert!(
            matches!(outcome.error, Some(RunError::KeyFile(_))),
            "{outcome:?}"
        );
        assert!(cluster.log().is_empty());
        assert_eq!(cluster.state_of("m1"), LocalState::Inactive);
    }

    #[tokio::test(start_paused = true)]
    async fn up_with_the_key_unlocks_a_locked_manager_first() {
        let inv = inventory(SwarmSettings::default());
        let cluster = FakeCluster::converged(&inv);
        let mut spec = cluster.spec();
        spec["EncryptionConfig"] = json!({ "AutoLockManagers": true });
        cluster.set_spec(spec);
        cluster.locked("m2");
        let mut opts = options(false, None);
        opts.keys.env = cluster.unlock_key().map(Secret::new);
        let outcome = up(&inv, &cluster.connector(), &opts, &Events::discard()).await;
        assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
        let m2 = outcome
            .nodes
            .iter()
            .find(|n| n.name.as_str() == "m2")
            .unwrap();
        assert_eq!(m2.result, NodeResult::Done(vec![Action::Unlocked]));
        assert_eq!(cluster.state_of("m2"), LocalState::Active);
    }
}
