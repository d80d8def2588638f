//! `recover` against the in-memory cluster of `crate::remote::fake`, with
//! tokio's paused time.

use super::*;
use crate::exec::result::NodeResult;
use crate::plan::recover::{ChosenBy, Refusal};
use crate::remote::fake::FakeCluster;

fn inventory() -> Inventory {
    crate::inventory::test_inventory(3, 2)
}

fn options(lost: &[&str]) -> RecoverRunOptions {
    RecoverRunOptions {
        plan: RecoverOptions {
            survivor: None,
            lost: lost.iter().map(|s| (*s).to_owned()).collect(),
        },
        dry_run: false,
        parallel: 4,
    }
}

async fn run(
    inv: &Inventory,
    cluster: &FakeCluster,
    options: &RecoverRunOptions,
) -> RecoverOutcome {
    let connector = cluster.connector();
    let events = Events::discard();
    let observed = observe(inv, &connector, options, &events).await;
    execute(observed, inv, &connector, options, &events).await
}

/// Two of three managers lost: m2's state wiped (its engine answers in no
/// swarm), m3's engine stopped (its SSH answers); m1 has no leader.
fn lost_quorum(inv: &Inventory) -> FakeCluster {
    let cluster = FakeCluster::converged(inv);
    cluster.objects_held(3);
    cluster.wipe("m2");
    cluster.engine_down("m3");
    cluster.lose_quorum();
    cluster
}

#[tokio::test(start_paused = true)]
async fn a_proven_loss_is_recovered_on_the_survivor_and_the_lost_managers_rejoin() {
    let inv = inventory();
    let cluster = lost_quorum(&inv);
    let outcome = run(&inv, &cluster, &options(&[])).await;
    assert_eq!(outcome.error, None, "{:?}", outcome.plan);
    assert!(outcome.recovered);
    let survivor = outcome.plan.survivor.as_ref().unwrap();
    assert_eq!(
        (survivor.name.as_str(), survivor.chosen_by),
        ("m1", ChosenBy::Only)
    );
    let changes = cluster.changes();
    assert_eq!(changes[0], "force-new-cluster m1", "{changes:?}");
    // Only the lost managers' entries, with force and no demote.
    assert!(
        changes.contains(&"rm m2 force=true".to_owned()),
        "{changes:?}"
    );
    // m3 may come back with its old state: its entry is kept.
    assert!(
        !changes.iter().any(|c| c.starts_with("rm m3")),
        "{changes:?}"
    );
    assert!(
        !changes.iter().any(|c| c.starts_with("demote")),
        "{changes:?}"
    );
    assert!(
        !changes
            .iter()
            .any(|c| c.contains(" w1") || c.contains(" w2")),
        "{changes:?}"
    );
    // The wiped manager joins again; the stopped one waits for its engine.
    assert!(
        changes.contains(&"join m2 manager".to_owned()),
        "{changes:?}"
    );
    let init = cluster.inits().pop().unwrap();
    assert!(init.force_new_cluster);
    assert_eq!(init.listen_addr, "0.0.0.0:2377");
    // Counts: only the networks can be read without a leader.
    let before = outcome.counts.before.unwrap();
    assert_eq!((before.services, before.networks), (None, Some(2)));
    let after = outcome.counts.after.unwrap();
    assert_eq!(
        (after.services, after.networks, after.secrets, after.configs),
        (Some(3), Some(2), Some(3), Some(3))
    );
    let m3 = outcome.converge.as_ref().unwrap();
    assert!(matches!(
        m3.nodes
            .iter()
            .find(|n| n.name.as_str() == "m3")
            .map(|n| &n.result),
        Some(NodeResult::Blocked(_) | NodeResult::Failed { .. } | NodeResult::Skipped(_))
    ));
    assert_eq!(outcome.exit_code(), 0, "{:?}", outcome.converge_failures());
}

#[tokio::test(start_paused = true)]
async fn a_manager_that_cannot_be_reached_refuses_and_lost_names_it() {
    let inv = inventory();
    let cluster = lost_quorum(&inv);
    cluster.engine_up("m3");
    cluster.unreachable("m3");
    let outcome = run(&inv, &cluster, &options(&[])).await;
    let Some(RecoverError::Refused(Refusal::NotProven(missing))) = &outcome.error else {
        panic!("{:?}", outcome.error);
    };
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].0.as_str(), "m3");
    assert!(cluster.changes().is_empty(), "{:?}", cluster.changes());
    assert_eq!(outcome.exit_code(), 2);

    let outcome = run(&inv, &cluster, &options(&["m3"])).await;
    assert_eq!(outcome.error, None);
    assert_eq!(cluster.changes()[0], "force-new-cluster m1");
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_shows_the_proof_and_changes_nothing() {
    let inv = inventory();
    let cluster = lost_quorum(&inv);
    let mut options = options(&[]);
    options.dry_run = true;
    let outcome = run(&inv, &cluster, &options).await;
    assert_eq!(outcome.error, None);
    assert!(!outcome.recovered);
    assert_eq!(outcome.plan.proof.managers.len(), 3);
    assert!(cluster.changes().is_empty(), "{:?}", cluster.changes());
}

#[tokio::test(start_paused = true)]
async fn a_swarm_with_a_leader_is_not_recovered() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.engine_down("m3");
    let outcome = run(&inv, &cluster, &options(&[])).await;
    assert_eq!(
        outcome.error.as_ref().map(RecoverError::kind),
        Some("quorum_not_lost")
    );
    assert!(cluster.changes().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_manager_that_comes_back_with_its_old_state_is_a_member_again() {
    let inv = inventory();
    let cluster = lost_quorum(&inv);
    let outcome = run(&inv, &cluster, &options(&[])).await;
    assert_eq!(outcome.exit_code(), 0);
    cluster.engine_up("m3");
    assert_eq!(cluster.state_of("m3"), LocalState::Active);
    assert!(cluster.listed("m3"));
}

#[tokio::test(start_paused = true)]
async fn a_manager_that_comes_back_after_its_entry_was_removed_leaves_and_joins_again_with_up() {
    let inv = inventory();
    let cluster = lost_quorum(&inv);
    let outcome = run(&inv, &cluster, &options(&[])).await;
    assert_eq!(outcome.exit_code(), 0);
    let old_id = cluster.stale_id("m3").expect("m3 keeps its old NodeID");
    // Its entry removed by hand (`docker node rm --force`) before it is back.
    let connector = cluster.connector();
    let m1 = connector
        .connect(inv.node("m1").unwrap(), false)
        .await
        .unwrap();
    m1.host.remove_node(&old_id, true).await.unwrap();
    cluster.engine_up("m3");
    assert_eq!(cluster.state_of("m3"), LocalState::Pending);
    let up_options = UpOptions {
        parallel: 4,
        dry_run: false,
        plan: crate::plan::PlanOptions::default(),
        break_lock: false,
        prune: false,
        keys: crate::exec::unlock::KeyOptions::default(),
    };
    let converged =
        crate::exec::up::up(&inv, &cluster.connector(), &up_options, &Events::discard()).await;
    let changes = cluster.changes();
    assert!(
        changes.contains(&"leave m3 force=true".to_owned()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"join m3 manager".to_owned()),
        "{changes:?}"
    );
    assert_eq!(converged.exit_code(), 0, "{:?}", converged.nodes);
    assert_eq!(cluster.stale_id("m3"), None, "{old_id} is gone");
}

#[tokio::test(start_paused = true)]
async fn up_after_a_recovery_by_hand_removes_the_old_manager_entries_without_a_demote() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.wipe("m2");
    cluster.wipe("m3");
    cluster.lose_quorum();
    // `docker swarm init --force-new-cluster` on m1, by hand.
    cluster
        .force_new_cluster_by_hand(inv.node("m1").unwrap())
        .await;
    let up_options = UpOptions {
        parallel: 4,
        dry_run: false,
        plan: crate::plan::PlanOptions::default(),
        break_lock: false,
        prune: false,
        keys: crate::exec::unlock::KeyOptions::default(),
    };
    let outcome = up::up(&inv, &cluster.connector(), &up_options, &Events::discard()).await;
    let changes = cluster.changes();
    assert!(
        !changes.iter().any(|c| c.starts_with("demote")),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"join m2 manager".to_owned()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"join m3 manager".to_owned()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"rm m2 force=true".to_owned()),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"rm m3 force=true".to_owned()),
        "{changes:?}"
    );
    let text = crate::ui::render::up(&outcome, crate::ui::render::Layout::Wide);
    assert!(!text.contains("last manager"), "{text}");
    assert!(!text.contains("404"), "{text}");
    assert_eq!(outcome.exit_code(), 0, "{text}");
}

#[tokio::test(start_paused = true)]
async fn recover_documents_match_the_schema_for_every_result() {
    let inv = inventory();
    let check = |outcome: &RecoverOutcome| {
        let document = crate::ui::json::recover(outcome);
        if let Err(e) = crate::ui::json::validate("recover", &document) {
            panic!("recover does not match its schema: {e}");
        }
        let text = crate::ui::render::recover(outcome, crate::ui::render::Layout::Wide);
        assert!(
            text.contains("Proof that the swarm's quorum is lost for good"),
            "{text}"
        );
    };
    // Refused: a manager cannot be reached at all.
    let cluster = lost_quorum(&inv);
    cluster.engine_up("m3");
    cluster.unreachable("m3");
    check(&run(&inv, &cluster, &options(&[])).await);
    // A dry run, then the recovery itself.
    let cluster = lost_quorum(&inv);
    let mut dry = options(&[]);
    dry.dry_run = true;
    check(&run(&inv, &cluster, &dry).await);
    let outcome = run(&inv, &cluster, &options(&[])).await;
    check(&outcome);
    let text = crate::ui::render::recover(&outcome, crate::ui::render::Layout::Wide);
    assert!(
        text.contains("After:  3 services, 2 networks, 3 secrets, 3 configs"),
        "{text}"
    );
    assert!(text.contains("run `swarmadm up` once m3 is back"), "{text}");
}
