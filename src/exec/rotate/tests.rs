//! Rotation against the fake cluster, with tokio's paused time.

use super::*;
use crate::remote::fake::FakeCluster;
use tokio::time::{Instant, sleep};

fn inventory() -> Inventory {
    crate::inventory::test_inventory(2, 1)
}

fn options() -> RotateOptions {
    RotateOptions {
        worker: true,
        manager: true,
        ca_timeout: Duration::from_secs(30),
        ..RotateOptions::default()
    }
}

#[tokio::test(start_paused = true)]
async fn both_tokens_rotate_in_one_update_and_no_token_is_reported() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    let (worker, manager) = cluster.tokens();
    let report = run(&inv, &cluster.connector(), &options(), &Events::discard()).await;
    assert_eq!(report.exit_code(), exit_codes::OK, "{report:?}");
    let (new_worker, new_manager) = cluster.tokens();
    assert_ne!(worker, new_worker);
    assert_ne!(manager, new_manager);
    // The lock, one update that rotates both, the lock released.
    assert_eq!(
        cluster.log(),
        [
            "swarm update",
            "swarm update",
            "rotate worker token",
            "rotate manager token",
            "swarm update"
        ]
    );
    assert_eq!(cluster.lock_holder(), None);
    let whats: Vec<&str> = report.rotated.iter().map(|r| r.what).collect();
    assert_eq!(whats, ["worker token", "manager token"]);
    let json = crate::ui::json::rotate_tokens(&report);
    assert!(!json.contains("SWMTKN"), "{json}");
    assert!(json.contains("existing members are not affected"), "{json}");
}

#[tokio::test(start_paused = true)]
async fn only_the_worker_token_rotates_when_asked() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    let (_, manager) = cluster.tokens();
    let report = run(
        &inv,
        &cluster.connector(),
        &RotateOptions {
            manager: false,
            ..options()
        },
        &Events::discard(),
    )
    .await;
    assert_eq!(report.exit_code(), exit_codes::OK);
    assert_eq!(cluster.tokens().1, manager);
    assert_eq!(report.rotated.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_unlock_key_rotates_into_the_same_file() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    let mut spec = cluster.spec();
    spec["EncryptionConfig"] = serde_json::json!({ "AutoLockManagers": true });
    cluster.set_spec(spec);
    let old = cluster.unlock_key().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unlock.key");
    crate::exec::unlock::store(&path, &Secret::new(old.clone()), &KeyFile::Missing).unwrap();
    let report = run(
        &inv,
        &cluster.connector(),
        &RotateOptions {
            worker: false,
            manager: false,
            unlock_key: true,
            keys: KeyOptions {
                file: Some(path.clone()),
                env: None,
            },
            ..options()
        },
        &Events::discard(),
    )
    .await;
    assert_eq!(report.exit_code(), exit_codes::OK, "{report:?}");
    let new = cluster.unlock_key().unwrap();
    assert_ne!(new, old);
    assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), new);
    let json = crate::ui::json::rotate_tokens(&report);
    assert!(!json.contains("SWMKEY"), "{json}");
}

#[tokio::test(start_paused = true)]
async fn the_unlock_key_is_not_rotated_without_a_usable_key_file() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    let mut spec = cluster.spec();
    spec["EncryptionConfig"] = serde_json::json!({ "AutoLockManagers": true });
    cluster.set_spec(spec);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unlock.key");
    std::fs::write(&path, "something else\n").unwrap();
    let report = run(
        &inv,
        &cluster.connector(),
        &RotateOptions {
            unlock_key: true,
            keys: KeyOptions {
                file: Some(path),
                env: None,
            },
            ..options()
        },
        &Events::discard(),
    )
    .await;
    assert_eq!(report.exit_code(), exit_codes::UNUSABLE, "{report:?}");
    assert!(
        cluster.log().is_empty(),
        "nothing rotated: {:?}",
        cluster.log()
    );
}

#[tokio::test(start_paused = true)]
async fn a_ca_rotation_waits_until_every_node_trusts_the_new_root() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    let report = run(
        &inv,
        &cluster.connector(),
        &RotateOptions {
            worker: false,
            manager: false,
            ca: true,
            ..options()
        },
        &Events::discard(),
    )
    .await;
    assert_eq!(report.exit_code(), exit_codes::OK, "{report:?}");
    assert_eq!(cluster.spec()["CAConfig"]["ForceRotate"], 1);
    assert!(
        report.rotated[0].detail.contains("all 3 nodes"),
        "{report:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_node_that_never_takes_the_new_root_fails_within_the_bound() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.stale_trust("w1");
    let started = Instant::now();
    let report = run(
        &inv,
        &cluster.connector(),
        &RotateOptions {
            ca: true,
            ..options()
        },
        &Events::discard(),
    )
    .await;
    assert_eq!(report.exit_code(), exit_codes::FAILED, "{report:?}");
    assert!(started.elapsed() <= Duration::from_secs(40));
    let ca = report.rotated.iter().find(|r| r.what == "root CA").unwrap();
    assert!(ca.detail.contains("w1"), "{ca:?}");
}

fn ca_only() -> RotateOptions {
    RotateOptions {
        worker: false,
        manager: false,
        ca: true,
        ..options()
    }
}

/// Issue #20: with a node out of reach, a root CA rotation is refused up
/// front (nothing changes, exit 2) and the refusal names the node and the
/// way out.
#[tokio::test(start_paused = true)]
async fn an_unreachable_node_refuses_a_ca_rotation_up_front() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.unreachable("w1");
    let report = run(&inv, &cluster.connector(), &ca_only(), &Events::discard()).await;
    assert_eq!(report.exit_code(), exit_codes::UNUSABLE, "{report:?}");
    let error = report
        .error
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(error.contains("w1"), "{error}");
    assert!(error.contains("--allow-unreachable"), "{error}");
    assert!(cluster.log().is_empty(), "{:?}", cluster.log());
    assert_eq!(
        cluster.spec()["CAConfig"]["ForceRotate"],
        serde_json::Value::Null
    );
}

/// Issue #20: `--allow-unreachable` rotates; the wait ends within its
/// bound naming the node without the new root and what to run next; once
/// the node is back, a second run waits for the same rotation (no new one)
/// and reports it complete.
#[tokio::test(start_paused = true)]
async fn a_ca_rotation_with_a_node_away_ends_in_time_and_a_second_run_completes_it() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.unreachable("w1");
    cluster.stale_trust("w1");
    let started = Instant::now();
    let first = run(
        &inv,
        &cluster.connector(),
        &RotateOptions {
            allow_unreachable: true,
            ..ca_only()
        },
        &Events::discard(),
    )
    .await;
    assert!(
        started.elapsed() <= Duration::from_secs(30 + 10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(first.exit_code(), exit_codes::FAILED, "{first:?}");
    let ca = &first.rotated[0];
    assert!(!ca.ok);
    assert!(ca.detail.contains("w1"), "{ca:?}");
    assert!(ca.detail.contains("swarmadm verify"), "{ca:?}");
    assert_eq!(cluster.spec()["CAConfig"]["ForceRotate"], 1);

    // w1 is back but not caught up yet: a second run waits for the same
    // rotation (none on top) and ends when w1 has the new root.
    cluster.reachable_again("w1");
    let waiter = cluster.clone();
    tokio::spawn(async move {
        sleep(Duration::from_secs(5)).await;
        waiter.takes_new_root("w1");
    });
    let second = run(&inv, &cluster.connector(), &ca_only(), &Events::discard()).await;
    assert_eq!(second.exit_code(), exit_codes::OK, "{second:?}");
    let ca = &second.rotated[0];
    assert!(ca.detail.contains("all 3 nodes"), "{ca:?}");
    assert!(ca.detail.contains("earlier run"), "{ca:?}");
    assert_eq!(cluster.spec()["CAConfig"]["ForceRotate"], 1);
}

/// A second run while the first one's rotation is still in progress does
/// not start another rotation.
#[tokio::test(start_paused = true)]
async fn a_rotation_in_progress_is_waited_for_not_replaced() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.stale_trust("w1");
    let first = run(&inv, &cluster.connector(), &ca_only(), &Events::discard()).await;
    assert_eq!(first.exit_code(), exit_codes::FAILED, "{first:?}");
    let second = run(&inv, &cluster.connector(), &ca_only(), &Events::discard()).await;
    assert_eq!(second.exit_code(), exit_codes::FAILED, "{second:?}");
    assert!(
        second.rotated[0].detail.contains("earlier run"),
        "{second:?}"
    );
    assert_eq!(cluster.spec()["CAConfig"]["ForceRotate"], 1);
}

#[tokio::test(start_paused = true)]
async fn a_rotation_while_another_run_holds_the_lock_is_refused_and_rotates_nothing() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.hold_lock(Duration::from_secs(60));
    let tokens = cluster.tokens();
    let report = run(&inv, &cluster.connector(), &options(), &Events::discard()).await;
    assert_eq!(report.exit_code(), exit_codes::UNUSABLE, "{report:?}");
    let error = report.error.as_ref().expect("refused");
    assert_eq!(error.kind(), "locked_by_another_run");
    let message = error.to_string();
    assert!(
        message.contains("another swarmadm up is running on this swarm from ci-runner-7")
            && message.contains("--break-lock"),
        "{message}"
    );
    assert_eq!(cluster.tokens(), tokens);
    assert!(cluster.log().is_empty(), "{:?}", cluster.log());
    assert!(report.rotated.is_empty());
    let json: serde_json::Value =
        serde_json::from_str(&crate::ui::json::rotate_tokens(&report)).unwrap();
    assert_eq!(json["error"]["kind"], "locked_by_another_run", "{json:#}");

    // --break-lock takes it over, rotates, and leaves no lock.
    let report = run(
        &inv,
        &cluster.connector(),
        &RotateOptions {
            break_lock: true,
            ..options()
        },
        &Events::discard(),
    )
    .await;
    assert_eq!(report.exit_code(), exit_codes::OK, "{report:?}");
    assert_ne!(cluster.tokens(), tokens);
    assert_eq!(cluster.lock_holder(), None);
}

#[test]
fn an_up_refused_by_a_rotation_names_rotate_tokens() {
    // The holder a rotation writes, as another run reads it.
    let holder = crate::model::lock::Holder::running("rotate-tokens");
    let text = serde_json::to_string(&holder).unwrap();
    let read: crate::model::lock::Holder = serde_json::from_str(&text).unwrap();
    let message = LockError::Held(read).to_string();
    assert!(
        message.starts_with("another swarmadm rotate-tokens is running on this swarm"),
        "{message}"
    );
    // A lock an older swarmadm wrote, without the command.
    let old = r#"{"host":"h","pid":1,"since":0,"token":"t"}"#;
    let read: crate::model::lock::Holder = serde_json::from_str(old).unwrap();
    assert_eq!(read.command, None);
    assert!(
        LockError::Held(read)
            .to_string()
            .starts_with("another swarmadm run holds this swarm's lock from h (pid 1)"),
    );
}
