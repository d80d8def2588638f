//! Issue #20: every lifecycle command can be killed at any step, and the
//! next run finishes the work.
//!
//! Each command first runs to the end on a fresh fake cluster, which counts
//! its changes `T` (the fake's log: the run lock's `swarm update`s
//! included). Then, for every kill point `N` in `0..=T`, a fresh cluster
//! kills the run once `N` changes were applied: the call that applied the
//! N-th never answers, and the run's future is dropped, which is SIGKILL
//! in-process (no cleanup runs; its run lock stays behind with a dead pid).
//! `N = 0` is a kill before the first change; `N = T` is a run that did
//! everything and died before it learnt so. The same command then runs
//! again, and the end state is read from the fake, not from the output.

use std::future::Future;
use std::ops::RangeInclusive;

use crate::exec::down::{DownOptions, DownOutcome};
use crate::exec::prune::{RemoveOptions, RemoveOutcome, remove};
use crate::exec::result::NodeResult;
use crate::exec::rotate::{RotateOptions, RotateReport};
use crate::exec::unlock::{KeyFile, KeyOptions};
use crate::exec::up::{UpOptions, UpOutcome, up};
use crate::inventory::Inventory;
use crate::model::exit_codes;
use crate::model::secret::Secret;
use crate::model::swarm::{LocalState, NodeRole};
use crate::observe::events::Events;
use crate::plan::PlanOptions;
use crate::remote::fake::{DEAD_PID, FakeCluster};
use crate::remote::host::Connector as _;

/// Runs `run` until the cluster's kill switch fires after `changes`
/// changes, then drops it; the cluster answers again afterwards.
async fn kill_after<T: std::fmt::Debug>(
    cluster: &FakeCluster,
    changes: usize,
    run: impl Future<Output = T>,
) {
    let before = cluster.log().len();
    cluster.kill_after(changes);
    tokio::select! {
        biased;
        () = cluster.killed() => {}
        outcome = run => panic!("not killed after {changes} changes: the run ended: {outcome:#?}"),
    }
    cluster.revive();
    // One call may apply several changes at once (a node update, a swarm
    // update with rotations): the kill comes after the whole call.
    assert!(cluster.log().len() - before >= changes, "killed too early");
    if let Some(holder) = cluster.lock_holder() {
        assert_eq!(holder.pid, DEAD_PID, "the killed run's lock is not dead");
    }
}

fn inventory(managers: usize, workers: usize) -> Inventory {
    crate::inventory::test_inventory(managers, workers)
}

fn names(inv: &Inventory) -> Vec<&str> {
    inv.nodes.iter().map(|n| n.name.as_str()).collect()
}

async fn down(inv: &Inventory, cluster: &FakeCluster) -> DownOutcome {
    let connector = cluster.connector();
    let events = Events::discard();
    let (snapshot, plan) = crate::exec::down::observe(inv, &connector, &events).await;
    let options = DownOptions {
        parallel: 16,
        dry_run: false,
        break_lock: false,
    };
    crate::exec::down::execute(&snapshot, plan, options, connector.connections(), &events).await
}

fn up_options(prune: bool) -> UpOptions {
    UpOptions {
        parallel: 16,
        dry_run: false,
        plan: PlanOptions::default(),
        break_lock: false,
        prune,
        keys: KeyOptions::default(),
    }
}

async fn converge(inv: &Inventory, cluster: &FakeCluster, prune: bool) -> UpOutcome {
    up(
        inv,
        &cluster.connector(),
        &up_options(prune),
        &Events::discard(),
    )
    .await
}

async fn remove_nodes(inv: &Inventory, cluster: &FakeCluster, nodes: &[&str]) -> RemoveOutcome {
    let nodes: Vec<String> = nodes.iter().map(|&n| n.to_owned()).collect();
    let options = RemoveOptions {
        dry_run: false,
        break_lock: false,
    };
    remove(
        inv,
        &cluster.connector(),
        &nodes,
        options,
        &Events::discard(),
    )
    .await
}

/// How many changes `run` makes on a fresh cluster, run to the end.
async fn changes_of(cluster: &FakeCluster, run: impl Future<Output = u8>) -> usize {
    assert_eq!(run.await, exit_codes::OK, "the uninterrupted run failed");
    let total = cluster.log().len();
    assert!(total > 0, "the uninterrupted run changed nothing");
    total
}

/// The inventory's swarm as `up` leaves it: every node active, listed
/// with its role, availability and labels; no stale entry.
fn assert_converged(inv: &Inventory, cluster: &FakeCluster, context: &str) {
    for node in &inv.nodes {
        let name = node.name.as_str();
        assert_eq!(
            cluster.state_of(name),
            LocalState::Active,
            "{name}: {context}"
        );
        assert_eq!(
            cluster.member(name),
            Some((
                NodeRole::from(node.role),
                inv.availability_of(node),
                node.labels.clone()
            )),
            "{name}: {context}"
        );
    }
    assert_eq!(cluster.stale_entries(), 0, "{context}");
}

/// A node the killed run had already made leave must not be made to
/// leave again (nor fail for it): the second run sends it nothing.
fn assert_not_left_again(left: &[&str], second: &[String], context: &str) {
    for name in left {
        let again = format!("leave {name} ");
        assert!(
            !second.iter().any(|l| l.starts_with(&again)),
            "{name} had left, and was made to leave again: {context}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn down_killed_at_any_step_is_finished_by_the_next_down() {
    let inv = inventory(3, 2);
    let fresh = FakeCluster::converged(&inv);
    let total = changes_of(&fresh, async { down(&inv, &fresh).await.exit_code() }).await;
    // The lock, two workers, two managers demoted and gone, the leader.
    assert_eq!(total, 8, "{:?}", fresh.log());
    for n in 0..=total {
        let cluster = FakeCluster::converged(&inv);
        kill_after(&cluster, n, down(&inv, &cluster)).await;
        let first = cluster.log();
        // Each of down's calls is one change; the parallel leaves of the
        // workers stop exactly at the kill too.
        assert_eq!(first.len(), n, "{first:?}");
        let left: Vec<&str> = names(&inv)
            .into_iter()
            .filter(|name| cluster.state_of(name) == LocalState::Inactive)
            .collect();
        let again = down(&inv, &cluster).await;
        let second = cluster.log()[first.len()..].to_vec();
        let context = format!("killed after {n}: {first:?}, then {second:?}: {again:#?}");
        assert_eq!(again.exit_code(), exit_codes::OK, "{context}");
        for name in names(&inv) {
            assert_eq!(
                cluster.state_of(name),
                LocalState::Inactive,
                "{name}: {context}"
            );
        }
        for node in &again.nodes {
            assert!(
                matches!(node.result, NodeResult::Done(_) | NodeResult::Unchanged),
                "{}: {context}",
                node.name
            );
            if left.contains(&node.name.as_str()) {
                assert_eq!(
                    node.result,
                    NodeResult::Unchanged,
                    "{}: {context}",
                    node.name
                );
            }
        }
        assert_not_left_again(&left, &second, &context);
    }
}

#[tokio::test(start_paused = true)]
async fn down_killed_at_any_step_is_undone_by_the_next_up() {
    let inv = inventory(3, 2);
    let fresh = FakeCluster::converged(&inv);
    let total = changes_of(&fresh, async { down(&inv, &fresh).await.exit_code() }).await;
    for n in 0..=total {
        let cluster = FakeCluster::converged(&inv);
        kill_after(&cluster, n, down(&inv, &cluster)).await;
        let first = cluster.log();
        let outcome = converge(&inv, &cluster, false).await;
        let second = cluster.log()[first.len()..].to_vec();
        let context = format!("killed after {n}: {first:?}, then {second:?}: {outcome:#?}");
        assert_eq!(outcome.exit_code(), exit_codes::OK, "{context}");
        assert!(
            outcome.nodes.iter().all(|node| node.result.is_ok()),
            "{context}"
        );
        assert_converged(&inv, &cluster, &context);
    }
}

/// The scenarios of `remove`: a worker, a manager, both (3 managers and
/// 2 workers each).
const REMOVALS: [&[&str]; 3] = [&["w2"], &["m3"], &["w2", "m3"]];

/// How many changes `remove` makes, and after how many the first named
/// entry is gone from the node list.
async fn remove_changes(inv: &Inventory, removed: &[&str]) -> (usize, usize) {
    let cluster = FakeCluster::converged(inv);
    let total = changes_of(&cluster, async {
        remove_nodes(inv, &cluster, removed).await.exit_code()
    })
    .await;
    let gone = cluster
        .log()
        .iter()
        .position(|l| l.starts_with("rm "))
        .expect("an entry removed")
        + 1;
    (total, gone)
}

/// `remove` killed after each of `points` changes, then `remove` of the
/// same names again: every named node is out of the swarm (inactive, its
/// entry gone), the other nodes keep their roles (the managers that stay
/// are the Raft membership), and the second run took and gave back the
/// lock.
async fn remove_killed_at(inv: &Inventory, removed: &[&str], points: RangeInclusive<usize>) {
    for n in points {
        let cluster = FakeCluster::converged(inv);
        kill_after(&cluster, n, remove_nodes(inv, &cluster, removed)).await;
        let first = cluster.log();
        let left: Vec<&str> = removed
            .iter()
            .copied()
            .filter(|name| cluster.state_of(name) == LocalState::Inactive)
            .collect();
        let again = remove_nodes(inv, &cluster, removed).await;
        let second = cluster.log()[first.len()..].to_vec();
        let context =
            format!("remove {removed:?} killed after {n}: {first:?}, then {second:?}: {again:#?}");
        assert_eq!(again.exit_code(), exit_codes::OK, "{context}");
        assert!(
            again.nodes.iter().all(|node| node.node.is_ok()),
            "{context}"
        );
        for name in removed {
            assert!(!cluster.listed(name), "{name} is listed: {context}");
            assert_eq!(
                cluster.state_of(name),
                LocalState::Inactive,
                "{name}: {context}"
            );
        }
        assert_eq!(cluster.stale_entries(), 0, "{context}");
        assert_stayed(inv, removed, &cluster, &context);
        assert_not_left_again(&left, &second, &context);
        assert_no_live_lock(&cluster, &context);
    }
}

/// The second run gave back the lock it took (a dead run's lock that no
/// run took over is `a_dead_runs_lock_is_cleared_by_the_next_run`'s).
fn assert_no_live_lock(cluster: &FakeCluster, context: &str) {
    let holder = cluster.lock_holder();
    assert!(
        holder.as_ref().is_none_or(|h| h.pid == DEAD_PID),
        "{holder:?}: {context}"
    );
}

/// The nodes not taken out are still active members with their roles:
/// the managers that stay are still the Raft membership.
fn assert_stayed(inv: &Inventory, removed: &[&str], cluster: &FakeCluster, context: &str) {
    for node in inv
        .nodes
        .iter()
        .filter(|n| !removed.contains(&n.name.as_str()))
    {
        let name = node.name.as_str();
        assert_eq!(
            cluster.state_of(name),
            LocalState::Active,
            "{name}: {context}"
        );
        assert_eq!(
            cluster.member(name).map(|m| m.0),
            Some(NodeRole::from(node.role)),
            "{name}: {context}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn remove_killed_before_a_named_entry_is_gone_is_finished_by_the_next_remove() {
    let inv = inventory(3, 2);
    for removed in REMOVALS {
        let (_, gone) = remove_changes(&inv, removed).await;
        remove_killed_at(&inv, removed, 0..=gone - 1).await;
    }
}

#[tokio::test(start_paused = true)]
async fn remove_killed_once_a_named_entry_is_gone_is_finished_by_the_next_remove() {
    let inv = inventory(3, 2);
    for removed in REMOVALS {
        let (total, gone) = remove_changes(&inv, removed).await;
        remove_killed_at(&inv, removed, gone..=total).await;
    }
}

#[tokio::test(start_paused = true)]
async fn remove_killed_at_any_step_is_finished_by_up_prune_without_the_nodes() {
    let full = inventory(3, 2);
    for removed in REMOVALS {
        let inv = crate::inventory::test_without(&full, removed);
        let (total, _) = remove_changes(&full, removed).await;
        for n in 0..=total {
            let cluster = FakeCluster::converged(&full);
            kill_after(&cluster, n, remove_nodes(&full, &cluster, removed)).await;
            let first = cluster.log();
            let outcome = converge(&inv, &cluster, true).await;
            let second = cluster.log()[first.len()..].to_vec();
            let context = format!(
                "remove {removed:?} killed after {n}: {first:?}, then up --prune: {second:?}: \
                 {outcome:#?}"
            );
            assert_eq!(outcome.exit_code(), exit_codes::OK, "{context}");
            assert!(outcome.pruned.iter().all(|p| p.node.is_ok()), "{context}");
            for name in removed {
                assert!(!cluster.listed(name), "{name} is listed: {context}");
            }
            assert_eq!(cluster.stale_entries(), 0, "{context}");
            assert_converged(&inv, &cluster, &context);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn up_prune_killed_at_any_step_is_finished_by_the_next_up_prune() {
    let full = inventory(3, 3);
    let inv = crate::inventory::test_without(&full, &["m3", "w3"]);
    let fresh = || {
        let cluster = FakeCluster::converged(&full);
        // Draining waits for its task to move.
        cluster.tasks("w3", 1);
        cluster
    };
    let cluster = fresh();
    let total = changes_of(&cluster, async {
        converge(&inv, &cluster, true).await.exit_code()
    })
    .await;
    for n in 0..=total {
        let cluster = fresh();
        kill_after(&cluster, n, converge(&inv, &cluster, true)).await;
        let first = cluster.log();
        let again = converge(&inv, &cluster, true).await;
        let second = cluster.log()[first.len()..].to_vec();
        let context = format!("killed after {n}: {first:?}, then {second:?}: {again:#?}");
        assert_eq!(again.exit_code(), exit_codes::OK, "{context}");
        assert!(again.pruned.iter().all(|p| p.node.is_ok()), "{context}");
        assert!(again.strays.is_empty(), "{context}");
        for stray in ["m3", "w3"] {
            assert!(!cluster.listed(stray), "{stray} is listed: {context}");
        }
        assert_eq!(cluster.stale_entries(), 0, "{context}");
        assert_converged(&inv, &cluster, &context);
        assert_no_live_lock(&cluster, &context);
    }
}

#[tokio::test(start_paused = true)]
async fn a_dead_runs_lock_is_cleared_by_the_next_run() {
    let full = inventory(3, 3);
    let inv = crate::inventory::test_without(&full, &["m3", "w3"]);
    let cluster = FakeCluster::converged(&full);
    let total = changes_of(&cluster, async {
        converge(&inv, &cluster, true).await.exit_code()
    })
    .await;
    assert_eq!(
        cluster.log().last().map(String::as_str),
        Some("swarm update")
    );
    // Every change made; only the release of the lock is missing.
    let cluster = FakeCluster::converged(&full);
    kill_after(&cluster, total - 1, converge(&inv, &cluster, true)).await;
    assert!(cluster.lock_holder().is_some(), "{:?}", cluster.log());
    let again = converge(&inv, &cluster, true).await;
    assert_eq!(again.exit_code(), exit_codes::OK, "{again:#?}");
    assert_eq!(cluster.lock_holder(), None, "{:?}", cluster.log());
}

fn rotate_options(keys: Option<KeyOptions>) -> RotateOptions {
    RotateOptions {
        worker: true,
        manager: true,
        unlock_key: keys.is_some(),
        ca: true,
        ca_timeout: std::time::Duration::from_secs(30),
        allow_unreachable: false,
        keys: keys.unwrap_or_default(),
        break_lock: false,
    }
}

async fn rotate(inv: &Inventory, cluster: &FakeCluster, options: &RotateOptions) -> RotateReport {
    crate::exec::rotate::run(inv, &cluster.connector(), options, &Events::discard()).await
}

/// What a rotation replaces: the join tokens and the root CA.
fn secrets(cluster: &FakeCluster) -> (String, String, String) {
    let (worker, manager) = cluster.tokens();
    (worker, manager, cluster.trust_root())
}

fn assert_rotated(before: &(String, String, String), cluster: &FakeCluster, context: &str) {
    let after = secrets(cluster);
    assert_ne!(after.0, before.0, "worker token: {context}");
    assert_ne!(after.1, before.1, "manager token: {context}");
    assert_ne!(after.2, before.2, "root CA: {context}");
}

#[tokio::test(start_paused = true)]
async fn rotate_tokens_killed_at_any_step_is_finished_by_the_next_rotate() {
    let inv = inventory(2, 1);
    let options = rotate_options(None);
    let fresh = FakeCluster::converged(&inv);
    let total = changes_of(&fresh, async {
        rotate(&inv, &fresh, &options).await.exit_code()
    })
    .await;
    // The lock taken, one swarm update that rotates two tokens (and the
    // CA with it), the lock released.
    assert_eq!(total, 5, "{:?}", fresh.log());
    for n in 0..=total {
        let cluster = FakeCluster::converged(&inv);
        let before = secrets(&cluster);
        kill_after(&cluster, n, rotate(&inv, &cluster, &options)).await;
        let first = cluster.log();
        let again = rotate(&inv, &cluster, &options).await;
        let context = format!("killed after {n}: {first:?}: {again:#?}");
        assert_eq!(again.exit_code(), exit_codes::OK, "{context}");
        assert!(again.rotated.iter().all(|r| r.ok), "{context}");
        assert_eq!(again.rotated.len(), 3, "{context}");
        assert_rotated(&before, &cluster, &context);
    }
}

/// A swarm with autolock on, and a key file that holds its key.
fn autolocked(inv: &Inventory, dir: &std::path::Path) -> (FakeCluster, KeyOptions) {
    let cluster = FakeCluster::converged(inv);
    let mut spec = cluster.spec();
    spec["EncryptionConfig"] = serde_json::json!({ "AutoLockManagers": true });
    cluster.set_spec(spec);
    let path = dir.join("unlock.key");
    let _ = std::fs::remove_file(&path);
    // And the journal an earlier case's rotation may have left next to it.
    let _ = std::fs::remove_file(dir.join("unlock.key.rotating"));
    let key = cluster.unlock_key().expect("autolock is on");
    crate::exec::unlock::store(&path, &Secret::new(key), &KeyFile::Missing).expect("key file");
    let keys = KeyOptions {
        file: Some(path),
        env: None,
    };
    (cluster, keys)
}

fn assert_key_rotated(before: &str, cluster: &FakeCluster, keys: &KeyOptions, context: &str) {
    let key = cluster.unlock_key().expect("autolock is on");
    assert_ne!(key, before, "unlock key: {context}");
    let path = keys.file.as_ref().expect("a key file");
    let held = std::fs::read_to_string(path).expect("the key file");
    assert!(
        held.trim() == key,
        "the key file does not hold the swarm's key: {context}"
    );
}

#[tokio::test(start_paused = true)]
async fn rotate_with_the_unlock_key_killed_at_any_step_is_finished_by_the_next_rotate() {
    let inv = inventory(2, 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let (fresh, keys) = autolocked(&inv, dir.path());
    let options = rotate_options(Some(keys.clone()));
    let total = changes_of(&fresh, async {
        rotate(&inv, &fresh, &options).await.exit_code()
    })
    .await;
    // The lock taken, one swarm update that rotates three things (a
    // single call, so the kill points inside it leave the same swarm), the
    // lock released.
    assert_eq!(total, 6, "{:?}", fresh.log());
    for n in 0..=total {
        let (cluster, keys) = autolocked(&inv, dir.path());
        let options = rotate_options(Some(keys.clone()));
        let before = secrets(&cluster);
        let key = cluster.unlock_key().expect("autolock is on");
        kill_after(&cluster, n, rotate(&inv, &cluster, &options)).await;
        let first = cluster.log();
        let again = rotate(&inv, &cluster, &options).await;
        let context = format!("killed after {n}: {first:?}: {again:#?}");
        assert_eq!(again.exit_code(), exit_codes::OK, "{context}");
        assert!(again.rotated.iter().all(|r| r.ok), "{context}");
        assert_rotated(&before, &cluster, &context);
        assert_key_rotated(&key, &cluster, &keys, &context);
    }
}

/// A cold `up` killed after any of its changes (the init, a join, a
/// drain): the next `up` converges the same swarm, with no second swarm,
/// no duplicate entry and no lock left.
#[tokio::test(start_paused = true)]
async fn a_cold_up_killed_at_any_step_is_finished_by_the_next_up() {
    let inv = inventory(3, 2);
    let fresh = FakeCluster::new(&inv);
    let total = changes_of(&fresh, async {
        converge(&inv, &fresh, false).await.exit_code()
    })
    .await;
    for n in 0..total {
        let cluster = FakeCluster::new(&inv);
        kill_after(&cluster, n, converge(&inv, &cluster, false)).await;
        let first = cluster.log();
        let again = converge(&inv, &cluster, false).await;
        let second = cluster.log()[first.len()..].to_vec();
        let context = format!("killed after {n}: {first:?}, then {second:?}: {again:#?}");
        assert_eq!(again.exit_code(), exit_codes::OK, "{context}");
        let inits = cluster
            .log()
            .iter()
            .filter(|l| l.starts_with("init"))
            .count();
        assert!(inits <= 1, "a second swarm: {context}");
        assert_eq!(cluster.stale_entries(), 0, "{context}");
        assert_converged(&inv, &cluster, &context);
        assert_no_live_lock(&cluster, &context);
    }
}

/// `unlock` killed after any of its unlocks: the next `unlock` unlocks the
/// rest, and a manager already unlocked is "not locked", never failed.
#[tokio::test(start_paused = true)]
async fn unlock_killed_at_any_step_is_finished_by_the_next_unlock() {
    let inv = inventory(3, 1);
    let locked = || {
        let cluster = FakeCluster::converged(&inv);
        let mut spec = cluster.spec();
        spec["EncryptionConfig"] = serde_json::json!({ "AutoLockManagers": true });
        cluster.set_spec(spec);
        for name in ["m1", "m2", "m3"] {
            cluster.locked(name);
        }
        cluster
    };
    let keys = |cluster: &FakeCluster| KeyOptions {
        file: None,
        env: Some(Secret::new(cluster.unlock_key().expect("autolock is on"))),
    };
    let unlock = |cluster: &FakeCluster| {
        let keys = keys(cluster);
        let connector = cluster.connector();
        let inv = inv.clone();
        async move { crate::exec::unlock::run(&inv, &connector, &keys, 1, &Events::discard()).await }
    };
    let fresh = locked();
    let total = changes_of(&fresh, async { unlock(&fresh).await.exit_code() }).await;
    assert_eq!(total, 3, "{:?}", fresh.log());
    for n in 0..total {
        let cluster = locked();
        kill_after(&cluster, n, unlock(&cluster)).await;
        let first = cluster.log();
        let again = unlock(&cluster).await;
        let context = format!("killed after {n}: {first:?}: {again:#?}");
        assert_eq!(again.exit_code(), exit_codes::OK, "{context}");
        assert_eq!(again.unlocked(), 3 - n, "{context}");
        for name in ["m1", "m2", "m3"] {
            assert_eq!(
                cluster.state_of(name),
                LocalState::Active,
                "{name}: {context}"
            );
        }
    }
}
