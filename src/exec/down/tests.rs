//! `down` against the in-memory cluster of `crate::remote::fake`: the order of
//! operations, refusals, idempotence and the dry run, with paused time.

use super::*;
use crate::exec::result::NodeResult;
use crate::inventory::Node;
use crate::model::names::Role;
use crate::plan::down::*;
use crate::remote::fake::FakeCluster;

fn node(name: &str, role: Role) -> Node {
    crate::inventory::test_node(name, role, &format!("{name}.example"))
}

fn inventory(managers: usize, workers: usize) -> Inventory {
    crate::inventory::test_inventory(managers, workers)
}

fn options(dry_run: bool) -> DownOptions {
    DownOptions {
        parallel: 16,
        dry_run,
        break_lock: false,
    }
}

async fn down(inv: &Inventory, cluster: &FakeCluster, dry_run: bool) -> DownOutcome {
    let connector = cluster.connector();
    let events = Events::discard();
    let (snapshot, plan) = observe(inv, &connector, &events).await;
    execute(
        &snapshot,
        plan,
        options(dry_run),
        connector.connections(),
        &events,
    )
    .await
}

fn result<'a>(outcome: &'a DownOutcome, name: &str) -> &'a NodeResult {
    &outcome
        .nodes
        .iter()
        .find(|n| n.name.as_str() == name)
        .unwrap_or_else(|| panic!("no outcome for {name}"))
        .result
}

#[tokio::test(start_paused = true)]
async fn workers_leave_first_then_managers_one_by_one_then_the_leader() {
    let inv = inventory(3, 3);
    let cluster = FakeCluster::converged(&inv);
    // The Raft leader is m2, not the inventory's leader: it leaves last.
    cluster.elect("m2");
    let outcome = down(&inv, &cluster, false).await;
    assert_eq!(outcome.exit_code(), exit_codes::OK, "{outcome:#?}");
    let log = cluster.changes();
    let mut workers = log[..3].to_vec();
    workers.sort();
    assert_eq!(
        workers,
        [
            "leave w1 force=false",
            "leave w2 force=false",
            "leave w3 force=false"
        ],
        "{log:?}"
    );
    assert_eq!(
        log[3..],
        [
            "demote m1",
            "leave m1 force=false",
            "demote m3",
            "leave m3 force=false",
            "leave m2 force=true",
        ],
        "{log:?}"
    );
    for name in ["m1", "m2", "m3", "w1", "w2", "w3"] {
        assert_eq!(cluster.state_of(name), LocalState::Inactive, "{name}");
    }
    assert_eq!(
        result(&outcome, "m1"),
        &NodeResult::Done(vec![Action::Demoted, Action::Left])
    );
    assert_eq!(
        result(&outcome, "m2"),
        &NodeResult::Done(vec![Action::Left])
    );
    assert_eq!(outcome.ssh_connections, 6);
}

#[tokio::test(start_paused = true)]
async fn a_second_down_changes_nothing() {
    let inv = inventory(3, 2);
    let cluster = FakeCluster::converged(&inv);
    down(&inv, &cluster, false).await;
    let before = cluster.log();
    let again = down(&inv, &cluster, false).await;
    assert_eq!(cluster.log(), before, "the second run sent something");
    assert!(
        again
            .nodes
            .iter()
            .all(|n| n.result == NodeResult::Unchanged),
        "{again:#?}"
    );
    assert!(!again.plan.has_changes());
    assert_eq!(again.exit_code(), exit_codes::OK);
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_plans_every_node_and_sends_nothing() {
    let inv = inventory(3, 2);
    let cluster = FakeCluster::converged(&inv);
    let outcome = down(&inv, &cluster, true).await;
    assert!(cluster.log().is_empty(), "{:?}", cluster.log());
    assert!(
        outcome
            .nodes
            .iter()
            .all(|n| n.result == NodeResult::Planned)
    );
    assert!(matches!(
        outcome.plan.nodes[0].action,
        DownAction::LeaveLast { .. }
    ));
    assert!(matches!(
        outcome.plan.nodes[1].action,
        DownAction::DemoteAndLeave { .. }
    ));
    assert!(matches!(
        outcome.plan.nodes[3].action,
        DownAction::Leave { .. }
    ));
    let text = crate::ui::render::down(&outcome, crate::ui::Layout::Wide);
    assert!(text.contains("1. w1 (worker): leave"), "{text}");
    assert!(text.contains("5. m1 (leader): leave last"), "{text}");
    assert!(
        text.contains("Dry run: nothing was changed; 5 nodes would leave"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn inventory_managers_that_are_workers_of_another_swarm_are_never_touched() {
    // The swarm is managed by m1..m3; this inventory names its workers as
    // leader and manager: a swarm its managers are not (managers) in.
    let swarm = inventory(3, 3);
    let cluster = FakeCluster::converged(&swarm);
    let mut nodes = vec![node("w1", Role::Leader), node("w2", Role::Manager)];
    nodes.push(node("w3", Role::Worker));
    let inv = Inventory {
        nodes,
        ..inventory(1, 0)
    };
    let outcome = down(&inv, &cluster, false).await;
    assert!(
        matches!(outcome.plan.refused, Some(DownRefusal::Foreign(_))),
        "{outcome:#?}"
    );
    assert!(cluster.log().is_empty(), "{:?}", cluster.log());
    assert_eq!(cluster.state_of("w1"), LocalState::Active);
    assert_eq!(outcome.exit_code(), exit_codes::UNUSABLE);
}

#[tokio::test(start_paused = true)]
async fn a_swarm_without_quorum_is_refused() {
    let inv = inventory(3, 1);
    let cluster = FakeCluster::converged(&inv);
    cluster.lose_quorum();
    let outcome = down(&inv, &cluster, false).await;
    assert!(outcome.plan.refused.is_some(), "{outcome:#?}");
    assert!(cluster.log().is_empty(), "{:?}", cluster.log());
    assert_eq!(outcome.exit_code(), exit_codes::UNUSABLE);
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_manager_refuses_the_whole_down() {
    let inv = inventory(3, 1);
    let cluster = FakeCluster::converged(&inv);
    cluster.unreachable("m3");
    let outcome = down(&inv, &cluster, false).await;
    let Some(
        refusal @ DownRefusal::Managers {
            unreachable,
            outside,
        },
    ) = &outcome.plan.refused
    else {
        panic!("{outcome:#?}");
    };
    assert_eq!(unreachable.len(), 1, "{refusal}");
    assert!(unreachable[0].starts_with("m3 "), "{refusal}");
    assert!(outside.is_empty(), "{refusal}");
    assert!(cluster.log().is_empty(), "{:?}", cluster.log());
}

/// Issue #20: the hint of an unreachable inventory manager named an action
/// that did not apply to it ("add them to the inventory").
#[tokio::test(start_paused = true)]
async fn an_unreachable_inventory_manager_is_not_told_to_be_added_to_the_inventory() {
    let inv = inventory(3, 1);
    let cluster = FakeCluster::converged(&inv);
    cluster.unreachable("m3");
    let outcome = down(&inv, &cluster, false).await;
    let text = outcome
        .plan
        .refused
        .map(|r| r.to_string())
        .unwrap_or_default();
    assert!(text.contains("m3 ("), "{text}");
    assert!(text.contains("did not answer"), "{text}");
    assert!(!text.contains("inventory"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_failed_manager_stops_the_rest_and_the_leader_stays() {
    let inv = inventory(3, 0);
    let cluster = FakeCluster::converged(&inv);
    cluster.update_fault(ErrorKind::Rejected);
    let outcome = down(&inv, &cluster, false).await;
    assert!(
        matches!(result(&outcome, "m2"), NodeResult::Failed { .. }),
        "{outcome:#?}"
    );
    assert!(matches!(result(&outcome, "m3"), NodeResult::Skipped(_)));
    assert!(matches!(result(&outcome, "m1"), NodeResult::Skipped(_)));
    assert_eq!(cluster.state_of("m3"), LocalState::Active);
    assert_eq!(cluster.state_of("m1"), LocalState::Active);
    assert_eq!(outcome.exit_code(), exit_codes::FAILED);
    // The run lock was given back.
    assert_eq!(cluster.lock_holder(), None);
}
