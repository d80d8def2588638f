//! Scale in against the in-memory cluster of `crate::remote::fake`: `up --prune`
//! and `remove`: the order of operations, waiting for tasks, quorum
//! refusals, idempotence and the dry run, with paused time.

use super::*;
use crate::exec::result::NodeResult;
use crate::exec::up::{UpOptions, UpOutcome, up};
use crate::model::exit_codes;
use crate::model::swarm::LocalState;
use crate::plan::PlanOptions;
use crate::plan::prune::*;
use crate::remote::fake::FakeCluster;

fn inventory(managers: usize, workers: usize) -> Inventory {
    crate::inventory::test_inventory(managers, workers)
}

fn options(dry_run: bool) -> UpOptions {
    UpOptions {
        parallel: 16,
        dry_run,
        plan: PlanOptions::default(),
        break_lock: false,
        prune: true,
        keys: crate::exec::unlock::KeyOptions::default(),
    }
}

async fn up_prune(inv: &Inventory, cluster: &FakeCluster, dry_run: bool) -> UpOutcome {
    up(
        inv,
        &cluster.connector(),
        &options(dry_run),
        &Events::discard(),
    )
    .await
}

fn pruned<'a>(outcome: &'a UpOutcome, name: &str) -> &'a PruneOutcome {
    outcome
        .pruned
        .iter()
        .find(|p| p.step.name() == name)
        .unwrap_or_else(|| panic!("{name} not pruned: {outcome:#?}"))
}

#[tokio::test(start_paused = true)]
async fn prune_drains_waits_for_tasks_demotes_then_removes_one_at_a_time() {
    let full = inventory(4, 4);
    let cluster = FakeCluster::converged(&full);
    cluster.tasks("w4", 2);
    let inv = crate::inventory::test_without(&full, &["m4", "w4"]);
    let started = tokio::time::Instant::now();
    let outcome = up_prune(&inv, &cluster, false).await;
    assert_eq!(outcome.exit_code(), exit_codes::OK, "{outcome:#?}");
    assert_eq!(
        cluster.changes(),
        [
            // Workers first.
            "availability w4 drain",
            "rm w4 force=true",
            // m4 is drained already (a manager): demoted, then removed.
            "demote m4",
            "rm m4 force=true",
        ]
    );
    // w4's tasks took TASK_MOVE to move, and were waited for.
    assert!(started.elapsed() >= crate::remote::fake::TASK_MOVE);
    assert!(!cluster.listed("m4") && !cluster.listed("w4"));
    assert_eq!(
        pruned(&outcome, "w4").node.result,
        NodeResult::Done(vec![Action::Drained, Action::Removed])
    );
    assert_eq!(
        pruned(&outcome, "m4").node.result,
        NodeResult::Done(vec![Action::Demoted, Action::Removed])
    );
    // Nothing is left to report as a stray; a second run does nothing.
    assert!(outcome.strays.is_empty(), "{:?}", outcome.strays);
    let before = cluster.log();
    let again = up_prune(&inv, &cluster, false).await;
    assert!(again.pruned.is_empty());
    assert_eq!(cluster.log(), before);
}

#[tokio::test(start_paused = true)]
async fn without_prune_strays_are_only_reported() {
    let full = inventory(3, 2);
    let cluster = FakeCluster::converged(&full);
    let inv = crate::inventory::test_without(&full, &["w2"]);
    let outcome = up(
        &inv,
        &cluster.connector(),
        &UpOptions {
            prune: false,
            ..options(false)
        },
        &Events::discard(),
    )
    .await;
    assert!(outcome.pruned.is_empty());
    assert_eq!(outcome.strays.len(), 1);
    assert!(cluster.log().is_empty(), "{:?}", cluster.log());
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_shows_every_step_and_sends_nothing() {
    let full = inventory(3, 2);
    let cluster = FakeCluster::converged(&full);
    let inv = crate::inventory::test_without(&full, &["w2"]);
    let outcome = up_prune(&inv, &cluster, true).await;
    assert!(cluster.log().is_empty(), "{:?}", cluster.log());
    let step = &outcome.plan.prune[0];
    assert_eq!(
        step.ops,
        [
            PruneOp::Drain,
            PruneOp::WaitTasks,
            PruneOp::Remove { force: true }
        ]
    );
    assert_eq!(pruned(&outcome, "w2").node.result, NodeResult::Planned);
    let text = crate::ui::render::up(&outcome, crate::ui::Layout::Wide);
    assert!(
        text.contains("w2 (worker, id05, ready, not in the inventory): drain, wait until its tasks have moved, remove its entry with force"),
        "{text}"
    );
    assert!(text.contains("1 node would be taken out"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn pruning_a_manager_down_to_two_warns_and_losing_quorum_is_refused() {
    // 3 managers, m3 dropped: 2 remain, which tolerates no failure.
    let full = inventory(3, 0);
    let cluster = FakeCluster::converged(&full);
    let outcome = up_prune(
        &crate::inventory::test_without(&full, &["m3"]),
        &cluster,
        true,
    )
    .await;
    assert!(
        outcome
            .plan
            .warnings
            .contains(&Warning::NoFaultTolerance(2)),
        "{:?}",
        outcome.plan.warnings
    );
    assert!(outcome.plan.prune[0].blocked.is_none());

    // m2 is down: demoting m3 would leave 1 of 2 reachable: refused.
    let cluster = FakeCluster::converged(&full);
    cluster.unreachable("m2");
    let outcome = up_prune(
        &crate::inventory::test_without(&full, &["m3"]),
        &cluster,
        false,
    )
    .await;
    let m3 = pruned(&outcome, "m3");
    assert!(
        matches!(
            m3.step.blocked,
            Some(PruneBlock::Quorum {
                reachable_after: 1,
                managers_after: 2
            })
        ),
        "{m3:#?}"
    );
    assert!(matches!(m3.node.result, NodeResult::Blocked(_)));
    assert!(cluster.listed("m3"));
    assert!(!cluster.changes().iter().any(|l| l.contains("m3")));
    assert_eq!(outcome.exit_code(), exit_codes::FAILED);
}

#[tokio::test(start_paused = true)]
async fn tasks_that_never_move_stop_the_node_before_it_is_removed() {
    let full = inventory(1, 2);
    let cluster = FakeCluster::converged(&full);
    cluster.tasks("w2", 1);
    cluster.tasks_stuck("w2");
    let outcome = up_prune(
        &crate::inventory::test_without(&full, &["w2"]),
        &cluster,
        false,
    )
    .await;
    let w2 = pruned(&outcome, "w2");
    assert!(
        matches!(&w2.node.result, NodeResult::Failed { error, done } if error.kind == FailKind::TasksNotMoved && done == &[Action::Drained]),
        "{w2:#?}"
    );
    assert!(cluster.listed("w2"), "removed although its task still runs");
    assert_eq!(outcome.exit_code(), exit_codes::FAILED);
}

#[tokio::test(start_paused = true)]
async fn remove_makes_an_inventory_node_leave_before_its_entry_goes() {
    let inv = inventory(3, 2);
    let cluster = FakeCluster::converged(&inv);
    let outcome = remove(
        &inv,
        &cluster.connector(),
        &["m3".to_owned(), "w2".to_owned()],
        RemoveOptions {
            dry_run: false,
            break_lock: false,
        },
        &Events::discard(),
    )
    .await;
    assert_eq!(outcome.exit_code(), exit_codes::OK, "{outcome:#?}");
    assert_eq!(
        cluster.changes(),
        [
            "availability w2 drain",
            "leave w2 force=false",
            "rm w2 force=false",
            "demote m3",
            "leave m3 force=false",
            "rm m3 force=false",
        ]
    );
    assert_eq!(cluster.state_of("m3"), LocalState::Inactive);
    assert_eq!(cluster.state_of("w2"), LocalState::Inactive);
    assert_eq!(cluster.stale_entries(), 0);
}

#[tokio::test(start_paused = true)]
async fn remove_of_a_name_not_in_the_swarm_changes_nothing() {
    let inv = inventory(3, 1);
    let cluster = FakeCluster::converged(&inv);
    let outcome = remove(
        &inv,
        &cluster.connector(),
        &["nope".to_owned()],
        RemoveOptions {
            dry_run: false,
            break_lock: false,
        },
        &Events::discard(),
    )
    .await;
    assert_eq!(outcome.exit_code(), exit_codes::UNUSABLE);
    assert!(
        outcome
            .error
            .as_ref()
            .is_some_and(|e| e.to_string().contains("nope"))
    );
    assert!(cluster.log().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_prune_outputs_fit_80_columns_and_name_what_could_not_leave() {
    let full = inventory(3, 2);
    let cluster = FakeCluster::converged(&full);
    let inv = crate::inventory::test_without(&full, &["w2"]);
    for dry_run in [true, false] {
        let cluster = FakeCluster::converged(&full);
        let outcome = up_prune(&inv, &cluster, dry_run).await;
        let text = crate::ui::render::up(&outcome, crate::ui::Layout::Fit(80));
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{line}\n{text}");
        }
        if !dry_run {
            assert!(text.contains("cannot reach w2"), "{text}");
            assert!(text.contains("1 node taken out of the swarm"), "{text}");
        }
    }
    let outcome = up_prune(&inv, &cluster, false).await;
    let json = serde_json::to_value(&outcome).expect("json");
    assert_eq!(json["pruned"][0]["name"], "w2");
    assert_eq!(
        json["pruned"][0]["actions"],
        serde_json::json!(["drained", "removed"])
    );
}

#[tokio::test(start_paused = true)]
async fn the_up_prune_document_matches_the_schema() {
    let full = inventory(3, 2);
    let inv = crate::inventory::test_without(&full, &["w2", "m3"]);
    for dry_run in [true, false] {
        let cluster = FakeCluster::converged(&full);
        cluster.tasks("w2", 1);
        let outcome = up_prune(&inv, &cluster, dry_run).await;
        assert_eq!(outcome.pruned.len(), 2, "{outcome:#?}");
        let document = crate::ui::json::up(&outcome);
        if let Err(e) = crate::ui::json::validate("up", &document) {
            panic!("{e}\n{document}");
        }
        let json: serde_json::Value = serde_json::from_str(&document).expect("json");
        assert_eq!(json["pruned"][0]["reason"]["stray"], "not_in_inventory");
    }
}

/// `swarm init --force-new-cluster` on m1, by hand, after m2's state was
/// wiped and m3's engine died: both old manager entries stay in the node
/// list with their role and no Raft membership (a demote answers 404).
async fn recovered_by_hand(full: &Inventory) -> FakeCluster {
    let cluster = FakeCluster::converged(full);
    cluster.wipe("m2");
    cluster.engine_down("m3");
    cluster.lose_quorum();
    cluster
        .force_new_cluster_by_hand(full.node("m1").expect("m1"))
        .await;
    assert_eq!(cluster.stale_entries(), 2, "two raftless manager entries");
    cluster
}

#[tokio::test(start_paused = true)]
async fn up_prune_removes_old_manager_entries_without_raft_membership_with_no_demote() {
    let full = inventory(3, 1);
    let cluster = recovered_by_hand(&full).await;
    // The operator keeps one manager: the old entries are strays.
    let inv = crate::inventory::test_without(&full, &["m2", "m3"]);
    let outcome = up_prune(&inv, &cluster, false).await;
    let changes = cluster.changes();
    assert!(
        !changes.iter().any(|c| c.starts_with("demote")),
        "{changes:?}"
    );
    for rm in ["rm m2 force=true", "rm m3 force=true"] {
        assert!(changes.contains(&rm.to_owned()), "{rm}: {changes:?}");
    }
    assert_eq!(cluster.stale_entries(), 0);
    let text = crate::ui::render::up(&outcome, crate::ui::render::Layout::Wide);
    for wrong in ["last manager", "404", "raft memberlist"] {
        assert!(!text.contains(wrong), "{wrong}: {text}");
    }
    assert_eq!(outcome.exit_code(), exit_codes::OK, "{text}");
}

#[tokio::test(start_paused = true)]
async fn remove_of_an_old_manager_entry_without_raft_membership_removes_it_with_no_demote() {
    let inv = inventory(3, 1);
    let cluster = recovered_by_hand(&inv).await;
    let outcome = remove(
        &inv,
        &cluster.connector(),
        &["m2".to_owned(), "m3".to_owned()],
        RemoveOptions {
            dry_run: false,
            break_lock: false,
        },
        &Events::discard(),
    )
    .await;
    let changes = cluster.changes();
    assert!(
        !changes.iter().any(|c| c.starts_with("demote")),
        "{changes:?}"
    );
    for rm in ["rm m2 force=true", "rm m3 force=true"] {
        assert!(changes.contains(&rm.to_owned()), "{rm}: {changes:?}");
    }
    assert_eq!(cluster.stale_entries(), 0);
    let text = crate::ui::render::remove(&outcome, crate::ui::render::Layout::Wide);
    for wrong in ["last manager", "404", "raft memberlist"] {
        assert!(!text.contains(wrong), "{wrong}: {text}");
    }
    assert_eq!(outcome.exit_code(), exit_codes::OK, "{text}");
}
