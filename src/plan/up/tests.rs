//! Planning from plain values: no network.

use std::collections::BTreeMap;

use super::*;
use crate::model::failure::Stage;
use crate::model::swarm::{ManagerStatus, NodeStatus, Reachability, RemoteManager};

use crate::observe::choose_swarm;

fn name(n: &str) -> NodeName {
    NodeName::new(n).unwrap()
}

/// The playbooks' shape: one leader, `managers - 1` managers, `workers` workers.
fn inventory(managers: usize, workers: usize) -> Inventory {
    crate::inventory::test_inventory(managers, workers)
}

fn inactive() -> EngineInfo {
    EngineInfo {
        hostname: "h".into(),
        engine_version: "20.10.24".into(),
        api_version: "1.41".into(),
        state: LocalState::Inactive,
        node_id: None,
        node_addr: None,
        cluster_id: None,
        is_manager: false,
        remote_managers: vec![],
        error: None,
    }
}

fn member(id: &str, cluster: &str, manager: bool) -> EngineInfo {
    EngineInfo {
        state: LocalState::Active,
        node_id: Some(id.into()),
        cluster_id: manager.then(|| cluster.to_owned()),
        is_manager: manager,
        remote_managers: vec![RemoteManager {
            node_id: "id-m1".into(),
            addr: "10.0.0.1:2377".into(),
        }],
        ..inactive()
    }
}

fn swarm_node(id: &str, role: NodeRole, availability: Availability, leader: bool) -> SwarmNode {
    SwarmNode {
        id: id.into(),
        version: 10,
        name: None,
        hostname: id.trim_start_matches("id-").into(),
        role,
        availability,
        labels: BTreeMap::new(),
        state: NodeStatus::Ready,
        addr: None,
        manager: (role == NodeRole::Manager).then(|| ManagerStatus {
            leader,
            reachability: Reachability::Reachable,
            addr: format!("{id}:2377"),
        }),
        engine_version: None,
    }
}

/// A converged 3+3 swarm: infos in inventory order and the node list.
fn converged() -> (Vec<EngineInfo>, ClusterView) {
    let mut infos = Vec::new();
    let mut nodes = Vec::new();
    for (i, name) in ["m1", "m2", "m3"].iter().enumerate() {
        let id = format!("id-{name}");
        infos.push(member(&id, "C", true));
        nodes.push(swarm_node(
            &id,
            NodeRole::Manager,
            Availability::Drain,
            i == 0,
        ));
    }
    for name in ["w1", "w2", "w3"] {
        let id = format!("id-{name}");
        infos.push(member(&id, "C", false));
        nodes.push(swarm_node(
            &id,
            NodeRole::Worker,
            Availability::Active,
            false,
        ));
    }
    (
        infos,
        ClusterView {
            cluster_id: "C".into(),
            source: name("m1"),
            nodes,
        },
    )
}

/// Facts from infos in inventory order, the swarm and its node list.
fn facts(
    inv: &Inventory,
    infos: &[EngineInfo],
    cluster_id: Option<&str>,
    view: Option<&ClusterView>,
) -> Facts {
    Facts {
        nodes: inv
            .nodes
            .iter()
            .zip(infos)
            .map(|(n, i)| (n.name.clone(), Ok(i.clone())))
            .collect(),
        cluster_id: cluster_id.map(str::to_owned),
        view: view.cloned(),
        others: vec![],
        swarm: None,
        ..Facts::default()
    }
    .judged(inv)
}

fn plan_of(plan: &Plan, n: &str) -> NodePlan {
    plan.step(&name(n)).unwrap().plan.clone()
}

fn updates_of(plan: &Plan, n: &str) -> Vec<Update> {
    match plan_of(plan, n) {
        NodePlan::Update { updates, .. } => updates,
        other => panic!("{n}: expected updates, got {other:?}"),
    }
}

const FORCE: PlanOptions = PlanOptions {
    force: true,
    force_new_cluster: false,
};

fn text(plan: &Plan) -> String {
    crate::ui::render::plan(plan)
}

#[test]
fn fresh_nodes_get_init_on_the_leader_and_drained_managers() {
    let inv = inventory(3, 3);
    let infos = vec![inactive(); 6];
    let f = facts(&inv, &infos, None, None);
    assert_eq!(choose_swarm(&inv, &f), None);
    let plan = plan(&inv, &f, PlanOptions::default());
    assert_eq!(plan.refused, None);
    let joining = |role, availability| Membership {
        role,
        advertise_addr: None,
        availability,
        labels: BTreeMap::new(),
    };
    assert_eq!(
        plan_of(&plan, "m1"),
        NodePlan::Init(joining(NodeRole::Manager, Availability::Drain))
    );
    assert_eq!(
        plan_of(&plan, "m2"),
        NodePlan::Join(joining(NodeRole::Manager, Availability::Drain))
    );
    assert_eq!(
        plan_of(&plan, "w3"),
        NodePlan::Join(joining(NodeRole::Worker, Availability::Active))
    );
}

#[test]
fn a_converged_swarm_plans_nothing() {
    let inv = inventory(3, 3);
    let (infos, view) = converged();
    let f = facts(&inv, &infos, Some("C"), Some(&view));
    assert_eq!(choose_swarm(&inv, &f).as_deref(), Some("C"));
    let plan = plan(&inv, &f, PlanOptions::default());
    assert!(!plan.has_changes(), "{}", text(&plan));
    assert!(
        plan.nodes
            .iter()
            .all(|n| matches!(n.plan, NodePlan::Unchanged { .. }))
    );
}

#[test]
fn drift_in_availability_and_labels_is_corrected_and_other_labels_kept() {
    let mut inv = inventory(3, 3);
    inv.nodes[3].labels.insert("zone".into(), "a".into());
    let (infos, mut view) = converged();
    view.nodes[3].availability = Availability::Drain;
    view.nodes[3].labels.insert("unmanaged".into(), "x".into());
    let f = facts(&inv, &infos, Some("C"), Some(&view));
    let plan = plan(&inv, &f, PlanOptions::default());
    assert_eq!(
        updates_of(&plan, "w1"),
        vec![
            Update::Availability {
                from: Availability::Drain,
                to: Availability::Active
            },
            Update::Labels {
                labels: BTreeMap::from([("zone".to_owned(), "a".to_owned())])
            }
        ]
    );
}

#[test]
fn a_node_in_a_foreign_swarm_refuses_the_plan_unless_forced() {
    let inv = inventory(3, 3);
    let (mut infos, view) = converged();
    infos[2] = member("id-other", "OTHER", true);
    let f = facts(&inv, &infos, Some("C"), Some(&view));
    let refused = plan(&inv, &f, PlanOptions::default());
    let reason = refused.refused.expect("refused").to_string();
    assert!(reason.contains("m3"), "{reason}");
    let forced = plan(&inv, &f, FORCE);
    assert_eq!(forced.refused, None);
    assert!(matches!(
        plan_of(&forced, "m3"),
        NodePlan::Blocked(reason) if reason.to_string().contains("OTHER")
    ));
}

#[test]
fn a_worker_unknown_to_our_managers_is_foreign() {
    let inv = inventory(3, 3);
    let (mut infos, view) = converged();
    infos[5] = member("id-elsewhere", "", false);
    let f = facts(&inv, &infos, Some("C"), Some(&view));
    let plan = plan(&inv, &f, PlanOptions::default());
    assert!(plan.refused.expect("refused").to_string().contains("w3"));
}

#[test]
fn a_swarm_whose_managers_all_say_there_is_no_leader_is_refused() {
    // Inventory wants one manager; the swarm has three, cut off from each
    // other: each answers without a leader (and so names no cluster).
    let inv = inventory(1, 5);
    let (mut infos, _) = converged();
    for info in infos.iter_mut().take(3) {
        info.cluster_id = None;
    }
    let f = facts(&inv, &infos, None, None);
    let plan = plan(&inv, &f, PlanOptions::default());
    let reason = plan.refused.expect("quorum already lost").to_string();
    assert!(
        reason.starts_with("quorum lost: the swarm has 3 managers and needs 2"),
        "{reason}"
    );
    assert!(!reason.contains("recover"), "not for good: {reason}");
    assert!(!reason.contains("force-new-cluster"), "{reason}");
}

#[test]
fn demotions_that_keep_quorum_are_planned_and_ones_that_lose_it_are_blocked() {
    // The inventory wants one manager; nodes 2 and 3 (named w1, w2 here) are
    // managers in the swarm and must be demoted.
    let inv = inventory(1, 5);
    let (infos, mut view) = converged();
    let f = facts(&inv, &infos, Some("C"), Some(&view));
    let plan_ok = plan(&inv, &f, PlanOptions::default());
    assert!(
        updates_of(&plan_ok, "w1").contains(&Update::Demote),
        "{}",
        text(&plan_ok)
    );
    assert!(updates_of(&plan_ok, "w2").contains(&Update::Demote));

    // With one of the three managers unreachable, demoting both reachable
    // followers would leave no reachable manager: refused.
    view.nodes[2].manager.as_mut().unwrap().reachability = Reachability::Unreachable;
    let f = facts(&inv, &infos, Some("C"), Some(&view));
    let plan_bad = plan(&inv, &f, PlanOptions::default());
    assert!(
        matches!(
            plan_of(&plan_bad, "w1"),
            NodePlan::Blocked(reason) if reason.to_string().contains("quorum")
        ),
        "{}",
        text(&plan_bad)
    );
}

#[test]
fn an_even_manager_count_warns() {
    let inv = inventory(4, 2);
    let infos = vec![inactive(); 6];
    let plan = plan(
        &inv,
        &facts(&inv, &infos, None, None),
        PlanOptions::default(),
    );
    assert!(
        plan.warnings.iter().any(|w| w.to_string().contains("even")),
        "{:?}",
        plan.warnings
    );
}

#[test]
fn no_second_swarm_is_started_when_a_node_is_in_one_whose_managers_are_gone() {
    let inv = inventory(3, 3);
    let mut infos = vec![inactive(); 6];
    infos[4] = member("id-w2", "", false);
    let f = facts(&inv, &infos, None, None);
    assert_eq!(choose_swarm(&inv, &f), None);
    let plan = plan(&inv, &f, PlanOptions::default());
    assert!(
        !plan
            .nodes
            .iter()
            .any(|n| matches!(n.plan, NodePlan::Init(_)))
    );
}

#[test]
fn the_leaders_swarm_is_chosen_over_a_majority_elsewhere() {
    let inv = inventory(3, 0);
    let infos = vec![
        member("a", "LEADERS", true),
        member("b", "OTHER", true),
        member("c", "OTHER", true),
    ];
    assert_eq!(
        choose_swarm(&inv, &facts(&inv, &infos, None, None)).as_deref(),
        Some("LEADERS")
    );
}

#[test]
fn unreachable_nodes_are_blocked_with_their_cause() {
    let inv = inventory(3, 3);
    let (infos, view) = converged();
    let failure = Failure {
        stage: Stage::Tcp,
        message: "connection refused".into(),
        timed_out: false,
    };
    let mut f = facts(&inv, &infos, Some("C"), Some(&view));
    f.nodes.insert(name("w2"), Err(failure));
    let plan = plan(&inv, &f, PlanOptions::default());
    assert!(matches!(
        plan_of(&plan, "w2"),
        NodePlan::Blocked(reason) if reason.to_string().contains("connection refused")
    ));
    assert_eq!(plan.refused, None);
}

#[test]
fn a_swarm_managed_only_by_an_inventory_worker_is_foreign_not_ours() {
    // Regression: a worker that ran `swarm init` by hand made its swarm look
    // like the inventory's.
    let inv = inventory(3, 3);
    let mut infos = vec![inactive(); 6];
    infos[4] = member("id-rogue", "ROGUE", true);
    let f = facts(&inv, &infos, None, None);
    assert_eq!(choose_swarm(&inv, &f), None);
    let refused = plan(&inv, &f, PlanOptions::default());
    assert!(refused.refused.expect("refused").to_string().contains("w2"));
    let forced = plan(&inv, &f, FORCE);
    assert!(
        matches!(plan_of(&forced, "m1"), NodePlan::Init(_)),
        "{}",
        text(&forced)
    );
}

/// Issue #20: after a `down` killed half-way, the workers left and their
/// old entries stay in the node list (Ready for a heartbeat or two, then
/// Down). `up` plans their joins and the removal of the old entries, and
/// says so; an entry with a hostname no inventory node has is not touched
/// without `--prune`.
#[test]
fn old_entries_of_nodes_that_left_are_planned_for_removal() {
    use crate::plan::prune::{PruneOp, PruneReason};
    let inv = inventory(3, 3);
    let (mut infos, mut view) = converged();
    // w1 and w2 left: their engines say inactive; w1's entry is still
    // listed Ready, w2's is Down. A machine the inventory does not know
    // is Down too.
    infos[3] = inactive();
    infos[4] = inactive();
    view.nodes[4].state = NodeStatus::Down;
    let mut stranger = swarm_node("id-x9", NodeRole::Worker, Availability::Active, false);
    stranger.state = NodeStatus::Down;
    view.nodes.push(stranger);
    let f = facts(&inv, &infos, Some("C"), Some(&view));
    let plan = plan(&inv, &f, PlanOptions::default());
    assert!(
        matches!(plan_of(&plan, "w1"), NodePlan::Join(_)),
        "{}",
        text(&plan)
    );
    assert!(
        matches!(plan_of(&plan, "w2"), NodePlan::Join(_)),
        "{}",
        text(&plan)
    );
    let removed: Vec<(&str, &[PruneOp])> = plan
        .prune
        .iter()
        .map(|s| (s.node_id.as_str(), s.ops.as_slice()))
        .collect();
    assert_eq!(
        removed,
        vec![
            ("id-w1", &[PruneOp::RemoveLeftover][..]),
            ("id-w2", &[PruneOp::RemoveLeftover][..]),
        ],
        "{}",
        text(&plan)
    );
    assert!(
        plan.prune
            .iter()
            .all(|s| s.reason == PruneReason::Stray(crate::observe::cluster::StrayKind::Leftover))
    );
    assert!(plan.has_changes());
    assert!(
        text(&plan).contains("remove its entry once it is listed Down"),
        "{}",
        text(&plan)
    );
}

/// A Ready entry with an inventory node's hostname, while that node is a
/// member under its own NodeID, is not a leftover: another machine may
/// carry the name. Nothing is planned for it without `--prune`.
#[test]
fn a_ready_namesake_of_a_member_is_not_removed() {
    let inv = inventory(3, 3);
    let (infos, mut view) = converged();
    view.nodes.push(swarm_node(
        "id-w1-twin",
        NodeRole::Worker,
        Availability::Active,
        false,
    ));
    view.nodes.last_mut().unwrap().hostname = "w1".into();
    let f = facts(&inv, &infos, Some("C"), Some(&view));
    let plan = plan(&inv, &f, PlanOptions::default());
    assert!(plan.prune.is_empty(), "{}", text(&plan));
    assert!(!plan.has_changes(), "{}", text(&plan));
}
