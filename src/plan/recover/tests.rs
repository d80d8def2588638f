//! Planning a recovery from plain values: what each manager showed.

use super::*;

fn name(n: &str) -> NodeName {
    NodeName::new(n).unwrap()
}

fn inventory() -> Inventory {
    crate::inventory::test_inventory(3, 2)
}

fn seen(list: &[(&str, Seen)]) -> BTreeMap<NodeName, Seen> {
    list.iter().map(|(n, s)| (name(n), s.clone())).collect()
}

fn down() -> Seen {
    Seen::EngineDown {
        message: "connection refused".into(),
    }
}

fn cut_off() -> Seen {
    Seen::Unreachable {
        message: "no route to host".into(),
    }
}

fn options(survivor: Option<&str>, lost: &[&str]) -> RecoverOptions {
    RecoverOptions {
        survivor: survivor.map(str::to_owned),
        lost: lost.iter().map(|s| (*s).to_owned()).collect(),
    }
}

#[test]
fn two_managers_shown_gone_prove_the_loss_and_the_survivor_is_named() {
    let seen = seen(&[
        ("m1", Seen::Leaderless),
        ("m2", Seen::OutOfSwarm),
        ("m3", down()),
    ]);
    let plan = plan(&inventory(), &seen, &RecoverOptions::default());
    assert_eq!(plan.refused, None);
    let survivor = plan.survivor.as_ref().unwrap();
    assert_eq!(survivor.name, name("m1"));
    assert_eq!(survivor.chosen_by, ChosenBy::Only);
    let verdicts: Vec<&Verdict> = plan.proof.managers.iter().map(|m| &m.verdict).collect();
    assert_eq!(
        verdicts,
        [
            &Verdict::Survivor,
            &Verdict::Gone {
                by: GoneBy::OutOfSwarm
            },
            &Verdict::Gone {
                by: GoneBy::EngineDown
            },
        ]
    );
    assert_eq!(
        plan.steps,
        [
            RecoverStep::Count,
            RecoverStep::ForceNewCluster {
                node: name("m1"),
                listen_addr: "0.0.0.0:2377".into(),
                advertise_addr: None,
            },
            RecoverStep::RemoveEntries {
                nodes: vec![name("m2")],
            },
            RecoverStep::KeepEntries {
                nodes: vec![name("m3")],
            },
            RecoverStep::Count,
            RecoverStep::Converge,
        ]
    );
}

#[test]
fn a_manager_that_does_not_answer_at_all_is_not_proven_gone_and_named() {
    let seen = seen(&[("m1", Seen::Leaderless), ("m2", down()), ("m3", cut_off())]);
    let plan = plan(&inventory(), &seen, &RecoverOptions::default());
    let refusal = plan.refused.unwrap();
    assert_eq!(refusal.kind(), "not_proven");
    let text = refusal.to_string();
    assert!(text.contains("m3 (SSH does not answer either"), "{text}");
    assert!(text.contains("--lost"), "{text}");
    assert!(!text.contains("m2"), "m2 is shown gone: {text}");
    assert!(plan.steps.is_empty());
    assert_eq!(plan.survivor, None);
}

#[test]
fn lost_asserts_what_cannot_be_seen_from_here() {
    let seen = seen(&[("m1", Seen::Leaderless), ("m2", down()), ("m3", cut_off())]);
    let plan = plan(&inventory(), &seen, &options(None, &["m3"]));
    assert_eq!(plan.refused, None);
    assert_eq!(
        plan.proof.managers[2].verdict,
        Verdict::Gone {
            by: GoneBy::NamedLost
        }
    );
}

#[test]
fn lost_naming_a_manager_that_answers_as_a_member_is_refused() {
    let seen = seen(&[
        ("m1", Seen::Leaderless),
        ("m2", Seen::Leaderless),
        ("m3", down()),
    ]);
    let refusal = plan(&inventory(), &seen, &options(None, &["m2"]))
        .refused
        .unwrap();
    assert_eq!(refusal.kind(), "lost_answers");
    assert!(refusal.to_string().contains("--lost m2"), "{refusal}");
}

#[test]
fn a_manager_that_names_a_leader_refuses_the_recovery() {
    // A partitioned manager says it has no leader; the majority has one.
    let seen = seen(&[
        ("m1", Seen::Leaderless),
        (
            "m2",
            Seen::Led {
                leader: Some("m3".into()),
            },
        ),
        ("m3", Seen::Led { leader: None }),
    ]);
    let refusal = plan(&inventory(), &seen, &RecoverOptions::default())
        .refused
        .unwrap();
    assert_eq!(refusal.kind(), "quorum_not_lost");
    assert!(
        refusal
            .to_string()
            .contains("m2 answers that the swarm's leader is m3")
    );
}

#[test]
fn a_majority_of_leaderless_managers_is_not_a_lost_quorum() {
    let seen = seen(&[
        ("m1", Seen::Leaderless),
        ("m2", Seen::Leaderless),
        ("m3", down()),
    ]);
    let refusal = plan(&inventory(), &seen, &RecoverOptions::default())
        .refused
        .unwrap();
    assert_eq!(
        refusal,
        Refusal::MajorityAnswers {
            survivors: 2,
            managers: 3
        }
    );
}

#[test]
fn with_several_survivors_the_measure_is_said_and_survivor_overrides_it() {
    let inventory = crate::inventory::test_inventory(5, 0);
    let seen = seen(&[
        ("m1", down()),
        ("m2", Seen::Leaderless),
        ("m3", Seen::Leaderless),
        ("m4", Seen::OutOfSwarm),
        ("m5", down()),
    ]);
    let chosen = plan(&inventory, &seen, &RecoverOptions::default());
    let survivor = chosen.survivor.unwrap();
    assert_eq!(survivor.name, name("m2"));
    assert_eq!(survivor.chosen_by, ChosenBy::InventoryOrder);
    assert!(
        survivor.to_string().contains("one of 2 survivors"),
        "{survivor}"
    );
    // The other survivor would stay a Raft group of its own: it leaves.
    assert!(
        chosen
            .steps
            .contains(&RecoverStep::Leave { node: name("m3") })
    );

    let named = plan(&inventory, &seen, &options(Some("m3"), &[]));
    let survivor = named.survivor.unwrap();
    assert_eq!(
        (survivor.name, survivor.chosen_by),
        (name("m3"), ChosenBy::Named)
    );
    assert!(
        named
            .steps
            .contains(&RecoverStep::Leave { node: name("m2") })
    );

    let refusal = plan(&inventory, &seen, &options(Some("m4"), &[]))
        .refused
        .unwrap();
    assert_eq!(refusal.kind(), "not_a_survivor");
}

#[test]
fn with_several_survivors_the_inventorys_leader_is_chosen_wherever_it_is_listed() {
    // The leader is listed fourth: the file order must not decide.
    let mut inventory = crate::inventory::test_inventory(5, 0);
    for node in &mut inventory.nodes {
        node.role = if node.name.as_str() == "m4" {
            Role::Leader
        } else {
            Role::Manager
        };
    }
    let seen = seen(&[
        ("m1", down()),
        ("m2", Seen::Leaderless),
        ("m3", down()),
        ("m4", Seen::Leaderless),
        ("m5", Seen::OutOfSwarm),
    ]);
    let chosen = plan(&inventory, &seen, &RecoverOptions::default());
    assert_eq!(chosen.refused, None);
    let survivor = chosen.survivor.expect("a survivor");
    assert_eq!(
        (survivor.name, survivor.chosen_by),
        (name("m4"), ChosenBy::InventoryOrder)
    );
    assert!(
        chosen
            .steps
            .contains(&RecoverStep::Leave { node: name("m2") })
    );
}

#[test]
fn autolock_is_refused_up_front_with_the_steps_by_hand() {
    let seen_locked = seen(&[("m1", Seen::Locked), ("m2", down()), ("m3", down())]);
    let refusal = plan(&inventory(), &seen_locked, &RecoverOptions::default())
        .refused
        .unwrap();
    assert_eq!(refusal.kind(), "autolock");
    let text = refusal.to_string();
    assert!(text.contains("m1 locked"), "{text}");
    assert!(text.contains("moby/moby#36852"), "{text}");
    assert!(text.contains("`swarmadm unlock`"), "{text}");

    let mut inventory = inventory();
    inventory.swarm.autolock = Some(true);
    let seen = seen(&[("m1", Seen::Leaderless), ("m2", down()), ("m3", down())]);
    assert_eq!(
        plan(&inventory, &seen, &RecoverOptions::default()).refused,
        Some(Refusal::Autolock { locked: vec![] })
    );
}

#[test]
fn no_survivor_and_unknown_names_are_refused() {
    let seen = seen(&[("m1", down()), ("m2", down()), ("m3", Seen::OutOfSwarm)]);
    let refused = plan(&inventory(), &seen, &RecoverOptions::default()).refused;
    assert_eq!(refused, Some(Refusal::NoSurvivor));
    let refused = plan(&inventory(), &seen, &options(None, &["w1"])).refused;
    assert_eq!(refused, Some(Refusal::NotAManager("w1".into())));
}

#[test]
fn a_manager_left_behind_by_a_recovery_is_repaired_by_up() {
    use crate::model::swarm::{ManagerStatus, NodeStatus, Reachability, RemoteManager, SwarmNode};
    use crate::observe::ClusterView;
    let inventory = inventory();
    let info = |state, id: &str, remote: &[&str]| EngineInfo {
        hostname: "h".into(),
        engine_version: "20.10.24".into(),
        api_version: "1.41".into(),
        state,
        node_id: Some(id.into()),
        node_addr: None,
        cluster_id: None,
        is_manager: true,
        remote_managers: remote
            .iter()
            .map(|r| RemoteManager {
                node_id: (*r).into(),
                addr: "10.0.0.1:2377".into(),
            })
            .collect(),
        error: None,
    };
    let leader = SwarmNode {
        id: "id-m1".into(),
        version: 1,
        name: None,
        hostname: "m1".into(),
        role: NodeRole::Manager,
        availability: crate::model::names::Availability::Drain,
        labels: BTreeMap::new(),
        state: NodeStatus::Ready,
        addr: None,
        manager: Some(ManagerStatus {
            leader: true,
            reachability: Reachability::Reachable,
            addr: "10.0.0.1:2377".into(),
        }),
        engine_version: None,
    };
    let mut facts = Facts::default();
    facts.nodes.insert(
        name("m1"),
        Ok(info(LocalState::Active, "id-m1", &["id-m1"])),
    );
    // Came back with its old state after its entry was removed.
    facts.nodes.insert(
        name("m2"),
        Ok(info(
            LocalState::Pending,
            "old-m2",
            &["id-m1", "old-m2", "old-m3"],
        )),
    );
    // Pending, but of some other swarm whose managers are not ours.
    facts.nodes.insert(
        name("m3"),
        Ok(info(LocalState::Pending, "x3", &["x1", "x3"])),
    );
    facts.view = Some(ClusterView {
        cluster_id: "C".into(),
        source: name("m1"),
        nodes: vec![leader],
    });
    assert_eq!(left_behind(&inventory, &facts), vec![name("m2")]);
}

#[test]
fn old_manager_entries_without_raft_membership_are_removed_with_force_and_never_demoted() {
    use crate::model::swarm::{ManagerStatus, NodeStatus, Reachability, SwarmNode};
    use crate::observe::ClusterView;
    use crate::observe::cluster::StrayKind;
    use crate::plan::prune::{self, PruneOp, PruneReason, Target};
    let entry = |id: &str, manager: Option<ManagerStatus>, state| SwarmNode {
        id: id.into(),
        version: 1,
        name: None,
        hostname: id.into(),
        role: NodeRole::Manager,
        availability: crate::model::names::Availability::Drain,
        labels: BTreeMap::new(),
        state,
        addr: None,
        manager,
        engine_version: None,
    };
    let leader = ManagerStatus {
        leader: true,
        reachability: Reachability::Reachable,
        addr: "10.0.0.1:2377".into(),
    };
    let view = ClusterView {
        cluster_id: "C".into(),
        source: name("m1"),
        nodes: vec![
            entry("m1", Some(leader), NodeStatus::Ready),
            entry("m2", None, NodeStatus::Unknown),
            entry("m3", None, NodeStatus::Down),
        ],
    };
    let targets = view.nodes[1..]
        .iter()
        .map(|entry| Target {
            entry,
            reason: PruneReason::Stray(StrayKind::Leftover),
            inventory_node: None,
        })
        .collect();
    let (steps, warnings) = prune::plan(&view, targets, &|_| false);
    for step in &steps {
        assert_eq!(step.ops, vec![PruneOp::Remove { force: true }], "{step:?}");
        assert_eq!(step.blocked, None, "no `last manager` refusal: {step:?}");
    }
    assert_eq!(steps.len(), 2);
    assert!(warnings.is_empty(), "{warnings:?}");
}
