use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::observe::events::Events;
use crate::observe::snapshot;
use crate::remote::fake::FakeCluster;

fn name(s: &str) -> NodeName {
    NodeName::new(s).expect("test node name")
}

fn leader(id: &str, raft_members: usize) -> Claim {
    Claim::Leader {
        leader: id.to_owned(),
        raft_members,
    }
}

fn judge(claims: &[(&str, Claim)], managers: usize) -> Leadership {
    let claims: BTreeMap<NodeName, Claim> =
        claims.iter().map(|(n, c)| (name(n), c.clone())).collect();
    Leadership::judge(&claims, managers, &BTreeMap::new(), &BTreeSet::new())
}

/// Every claim a manager can make, with leaders `A` and `B`, each from a
/// node list of the whole membership or of a group of one Raft member (a
/// by-hand `--force-new-cluster` next to the old majority: a split brain).
fn every_claim(members: usize) -> Vec<Claim> {
    vec![
        leader("A", members),
        leader("B", members),
        leader("A", 1),
        leader("B", 1),
        Claim::NoLeader,
        Claim::Silent,
        Claim::Locked,
        Claim::EngineDown,
        Claim::Out,
        Claim::Unseen,
    ]
}

/// All combinations of `n` managers' claims.
fn combinations(n: usize) -> Vec<Vec<Claim>> {
    let all = every_claim(n);
    let mut combos: Vec<Vec<Claim>> = vec![Vec::new()];
    for _ in 0..n {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                all.iter().map(move |claim| {
                    let mut next = c.clone();
                    next.push(claim.clone());
                    next
                })
            })
            .collect();
    }
    combos
}

fn named(combo: &[Claim]) -> BTreeMap<NodeName, Claim> {
    combo
        .iter()
        .enumerate()
        .map(|(i, c)| (name(&format!("m{}", i + 1)), c.clone()))
        .collect()
}

#[test]
fn every_combination_of_three_and_five_managers_gives_one_verdict_and_only_quorum_lost_names_a_cure()
 {
    for n in [3, 5] {
        for combo in combinations(n) {
            let claims = named(&combo);
            let verdict = Leadership::judge(&claims, n, &BTreeMap::new(), &BTreeSet::new());
            let count = |pred: &dyn Fn(&Claim) -> bool| combo.iter().filter(|c| pred(c)).count();
            let quorum = quorum(n);
            // The leaders that a majority of their own lists' Raft
            // membership names.
            let passing: Vec<&str> = ["A", "B"]
                .into_iter()
                .filter(|id| {
                    let naming = combo.iter().filter_map(|c| match c {
                        Claim::Leader {
                            leader,
                            raft_members,
                        } if leader == id => Some(*raft_members),
                        _ => None,
                    });
                    let (agree, members) =
                        naming.fold((0, 0), |(a, m), members| (a + 1, m.max(members)));
                    agree > 0 && agree >= super::quorum(members)
                })
                .collect();
            match passing.as_slice() {
                [] => assert!(verdict.confirmed().is_none(), "{combo:?}: {verdict:?}"),
                [one] => assert_eq!(
                    verdict.confirmed().map(|c| c.leader.as_str()),
                    Some(*one),
                    "{combo:?}: {verdict:?}"
                ),
                _ => assert!(
                    matches!(
                        &verdict,
                        Leadership::Unconfirmed(Unconfirmed::Changing(change))
                            if change.split.len() == 2
                    ),
                    "a split brain must confirm no side: {combo:?}: {verdict:?}"
                ),
            }
            match &verdict {
                Leadership::NoSwarm => assert_eq!(
                    count(&|c| matches!(
                        c,
                        Claim::Leader { .. } | Claim::NoLeader | Claim::Silent | Claim::Locked
                    )),
                    0,
                    "{combo:?}"
                ),
                Leadership::Unread => assert_eq!(
                    count(&|c| matches!(c, Claim::Leader { .. } | Claim::NoLeader)),
                    0,
                    "{combo:?}"
                ),
                Leadership::Confirmed(c) => {
                    assert!(
                        c.agree.len() >= super::quorum(c.raft_members),
                        "{combo:?}: {c:?}"
                    );
                    let named_leader = count(
                        &|cl| matches!(cl, Claim::Leader { leader, .. } if *leader == c.leader),
                    );
                    assert_eq!(c.agree.len(), named_leader, "{combo:?}");
                }
                Leadership::Unconfirmed(problem) => {
                    let text = problem.to_string();
                    assert!(!text.contains("leave"), "{combo:?}: {text}");
                    assert!(!text.contains("force-new-cluster"), "{combo:?}: {text}");
                    match problem {
                        Unconfirmed::QuorumLost(loss) => {
                            let down = count(&Claim::down);
                            let none = count(&|c| *c == Claim::NoLeader);
                            let leaders = count(&|c| matches!(c, Claim::Leader { .. }));
                            assert!(
                                n - down < quorum || (leaders == 0 && none >= quorum),
                                "quorum lost without evidence: {combo:?}"
                            );
                            assert_eq!(
                                text.contains("swarmadm recover"),
                                loss.for_good(),
                                "{combo:?}: {text}"
                            );
                        }
                        Unconfirmed::Changing(change) => {
                            assert!(
                                n - count(&|c| *c == Claim::Unseen) >= quorum
                                    || change.split.len() > 1,
                                "{combo:?}"
                            );
                            assert!(!text.contains("recover"), "{text}");
                        }
                        Unconfirmed::Unknown(u) => {
                            assert!(u.seen.len() < quorum, "{combo:?}");
                            assert!(text.starts_with("quorum unknown from here"), "{text}");
                            assert!(!text.contains("recover"), "{text}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_group_forced_by_hand_next_to_the_old_majority_confirms_no_leader() {
    // m1 ran `swarm init --force-new-cluster` by hand (a Raft group of
    // one) while m2 and m3 kept the old swarm's quorum. Before the fix the
    // first leader by NodeID order was taken, and `up` acted on one side.
    for (a, b) in [("A", "B"), ("B", "A")] {
        let verdict = judge(
            &[
                ("m1", leader(a, 1)),
                ("m2", leader(b, 3)),
                ("m3", leader(b, 3)),
            ],
            3,
        );
        let Some(Unconfirmed::Changing(change)) = verdict.unconfirmed() else {
            panic!("{verdict:?}");
        };
        assert_eq!(change.split.len(), 2, "{change:?}");
        let text = change.to_string();
        assert!(text.starts_with("leaders disagree: "), "{text}");
        assert!(text.contains("acts on neither"), "{text}");
    }
    // Seen from two of five managers only, the split is still no leader.
    let verdict = judge(
        &[
            ("m1", leader("A", 1)),
            ("m2", leader("B", 1)),
            ("m3", Claim::Unseen),
            ("m4", Claim::Unseen),
            ("m5", Claim::Unseen),
        ],
        5,
    );
    assert!(verdict.confirmed().is_none(), "{verdict:?}");
}

#[test]
fn a_leader_named_by_a_majority_is_confirmed_and_the_others_dissent() {
    let verdict = judge(
        &[
            ("m1", leader("A", 3)),
            ("m2", leader("A", 3)),
            ("m3", Claim::NoLeader),
        ],
        3,
    );
    let confirmed = verdict.confirmed().expect("confirmed");
    assert_eq!(confirmed.leader, "A");
    assert_eq!(confirmed.agree, vec![name("m1"), name("m2")]);
    assert_eq!(confirmed.dissent, vec![(name("m3"), Claim::NoLeader)]);
}

#[test]
fn an_isolated_leader_alone_is_never_confirmed() {
    // Right after the cut: the old leader still names itself, the others
    // cannot be read from here (their /info blocks, or SSH is cut too).
    let alone = judge(
        &[
            ("m1", leader("A", 3)),
            ("m2", Claim::Unseen),
            ("m3", Claim::Unseen),
        ],
        3,
    );
    assert!(
        matches!(alone, Leadership::Unconfirmed(Unconfirmed::Unknown(_))),
        "{alone:?}"
    );
    // During the election: the others say there is no leader.
    let electing = judge(
        &[
            ("m1", leader("A", 3)),
            ("m2", Claim::NoLeader),
            ("m3", Claim::NoLeader),
        ],
        3,
    );
    assert!(
        matches!(electing, Leadership::Unconfirmed(Unconfirmed::Changing(_))),
        "{electing:?}"
    );
    // Elected: the majority names the new leader; the old one dissents.
    let elected = judge(
        &[
            ("m1", leader("A", 3)),
            ("m2", leader("B", 3)),
            ("m3", leader("B", 3)),
        ],
        3,
    );
    let confirmed = elected.confirmed().expect("confirmed");
    assert_eq!(confirmed.leader, "B");
    assert_eq!(confirmed.dissent.len(), 1);
}

#[test]
fn a_minority_vantage_point_is_unknown_not_lost() {
    let verdict = judge(
        &[
            ("m1", Claim::NoLeader),
            ("m2", Claim::Unseen),
            ("m3", Claim::Unseen),
        ],
        3,
    );
    let text = verdict.unconfirmed().expect("unconfirmed").to_string();
    assert!(
        text.starts_with("quorum unknown from here: 1 of 3 managers reachable from this machine"),
        "{text}"
    );
    assert!(!text.contains("lost"), "{text}");
}

#[test]
fn quorum_lost_for_good_names_the_recovery_and_the_down_managers() {
    let verdict = judge(
        &[
            ("m1", Claim::NoLeader),
            ("m2", Claim::EngineDown),
            ("m3", Claim::Out),
        ],
        3,
    );
    let Some(Unconfirmed::QuorumLost(loss)) = verdict.unconfirmed() else {
        panic!("{verdict:?}");
    };
    assert!(loss.for_good());
    let text = loss.to_string();
    assert!(text.contains("m1 answers without a leader"), "{text}");
    assert!(text.contains("m2 (engine down"), "{text}");
    assert!(text.contains("m3 (out of the swarm)"), "{text}");
    assert!(text.contains("bring 1 of the down managers back"), "{text}");
}

#[test]
fn a_majority_without_a_leader_is_lost_but_not_for_good() {
    let verdict = judge(
        &[
            ("m1", Claim::NoLeader),
            ("m2", Claim::NoLeader),
            ("m3", Claim::EngineDown),
        ],
        3,
    );
    let Some(Unconfirmed::QuorumLost(loss)) = verdict.unconfirmed() else {
        panic!("{verdict:?}");
    };
    assert!(!loss.for_good());
    assert!(!loss.to_string().contains("recover"), "{loss}");
}

#[test]
fn the_raft_membership_of_the_leaders_list_decides_the_majority() {
    // After `recover`: one Raft member; the old managers come back with
    // their old state and say there is no leader.
    let verdict = judge(
        &[
            ("m1", leader("A", 1)),
            ("m2", Claim::NoLeader),
            ("m3", Claim::NoLeader),
        ],
        3,
    );
    assert_eq!(verdict.confirmed().map(|c| c.leader.as_str()), Some("A"));
}

#[test]
fn members_outside_the_inventory_count_only_when_no_manager_contradicts_the_leader() {
    // Scaled in to one inventory manager: m1 leads m8 and m9, which this
    // machine cannot ask.
    let list: Vec<SwarmNode> = ["m1", "m8", "m9"]
        .iter()
        .map(|h| SwarmNode {
            id: format!("id-{h}"),
            version: 1,
            name: None,
            hostname: (*h).to_owned(),
            role: crate::model::swarm::NodeRole::Manager,
            availability: crate::model::names::Availability::Drain,
            labels: BTreeMap::new(),
            state: crate::model::swarm::NodeStatus::Ready,
            addr: None,
            manager: Some(crate::model::swarm::ManagerStatus {
                leader: *h == "m1",
                reachability: crate::model::swarm::Reachability::Reachable,
                addr: String::new(),
            }),
            engine_version: None,
        })
        .collect();
    let lists = BTreeMap::from([(name("m1"), list.as_slice())]);
    let inventory = BTreeSet::from(["m1".to_owned(), "id-m1".to_owned(), "m2".to_owned()]);
    let alone = BTreeMap::from([(name("m1"), leader("id-m1", 3))]);
    let verdict = Leadership::judge(&alone, 1, &lists, &inventory);
    let confirmed = verdict.confirmed().expect("vouched for");
    assert_eq!(confirmed.vouched, vec!["m8".to_owned(), "m9".to_owned()]);
    // An inventory manager that says there is no leader contradicts it.
    let contradicted = BTreeMap::from([
        (name("m1"), leader("id-m1", 3)),
        (name("m2"), Claim::NoLeader),
    ]);
    let verdict = Leadership::judge(&contradicted, 2, &lists, &inventory);
    assert!(verdict.confirmed().is_none(), "{verdict:?}");
}

#[test]
fn no_manager_in_a_swarm_is_no_swarm() {
    let verdict = judge(&[("m1", Claim::Out), ("m2", Claim::Unseen)], 3);
    assert_eq!(verdict, Leadership::NoSwarm);
}

// Through the snapshot, on the fake cluster.

async fn observe(cluster: &FakeCluster, managers: usize) -> crate::observe::Facts {
    let inventory = crate::inventory::test_inventory(managers, 2);
    let connector = cluster.connector();
    snapshot(&inventory, &connector, &Events::discard())
        .await
        .facts
}

#[tokio::test]
async fn a_partitioned_follower_leaves_the_leader_confirmed_and_the_view_from_the_majority() {
    let inventory = crate::inventory::test_inventory(3, 2);
    let cluster = FakeCluster::converged(&inventory);
    cluster.partition("m3", false);
    let facts = observe(&cluster, 3).await;
    let confirmed = facts.leadership.confirmed().expect("confirmed");
    assert_eq!(confirmed.agree, vec![name("m1"), name("m2")]);
    assert_eq!(facts.claims.get(&name("m3")), Some(&Claim::NoLeader));
    let view = facts.view.as_ref().expect("a view");
    assert_ne!(view.source, name("m3"));
    let m3 = view
        .nodes
        .iter()
        .find(|n| n.hostname == "m3")
        .expect("m3 listed");
    assert!(!m3.is_reachable());
}

#[tokio::test]
async fn an_isolated_old_leader_still_naming_itself_is_outvoted() {
    let inventory = crate::inventory::test_inventory(3, 2);
    let cluster = FakeCluster::converged(&inventory);
    cluster.partition("m1", true);
    let facts = observe(&cluster, 3).await;
    let confirmed = facts.leadership.confirmed().expect("confirmed");
    assert_eq!(confirmed.agree, vec![name("m2"), name("m3")]);
    assert!(matches!(
        facts.claims.get(&name("m1")),
        Some(Claim::Leader { .. })
    ));
    let view = facts.view.as_ref().expect("a view");
    assert_eq!(view.source, name("m2"), "the new leader's own list");
}

#[tokio::test]
async fn seen_only_through_the_isolated_old_leader_the_quorum_is_unknown() {
    let inventory = crate::inventory::test_inventory(3, 2);
    let cluster = FakeCluster::converged(&inventory);
    cluster.partition("m1", true);
    cluster.unreachable("m2");
    cluster.unreachable("m3");
    let facts = observe(&cluster, 3).await;
    assert!(facts.view.is_none(), "no view from a minority");
    let problem = facts.leadership.unconfirmed().expect("unconfirmed");
    assert_eq!(problem.kind(), "quorum_unknown", "{problem}");
}

#[tokio::test]
async fn two_engines_down_of_three_is_quorum_lost_for_good() {
    let inventory = crate::inventory::test_inventory(3, 2);
    let cluster = FakeCluster::converged(&inventory);
    cluster.lose_quorum();
    cluster.engine_down("m2");
    cluster.engine_down("m3");
    let facts = observe(&cluster, 3).await;
    let Some(Unconfirmed::QuorumLost(loss)) = facts.leadership.unconfirmed() else {
        panic!("{:?}", facts.leadership);
    };
    assert!(loss.for_good(), "{loss}");
    assert_eq!(loss.no_leader, vec![name("m1")]);
}

#[tokio::test(start_paused = true)]
async fn followers_whose_info_times_out_during_an_election_read_as_leader_changing_not_as_ssh() {
    // The old leader is cut off and still names itself; the two followers'
    // engines block on `/info` while they elect a new one. SSH reached all
    // three: before the fix the timed-out followers were "unreachable from
    // here" and the verdict advised to fix SSH to them.
    let inventory = crate::inventory::test_inventory(3, 2);
    let cluster = FakeCluster::converged(&inventory);
    cluster.partition("m1", true);
    cluster.hangs("m2");
    cluster.hangs("m3");
    let facts = observe(&cluster, 3).await;
    assert_eq!(facts.claims.get(&name("m2")), Some(&Claim::Silent));
    assert_eq!(facts.claims.get(&name("m3")), Some(&Claim::Silent));
    let problem = facts.leadership.unconfirmed().expect("unconfirmed");
    assert_eq!(problem.kind(), "leader_changing", "{problem}");
    let text = problem.to_string();
    assert!(!text.contains("fix SSH"), "{text}");
    assert!(text.contains("run again in a moment"), "{text}");
    assert!(
        text.contains("no node list within --timeout from m2, m3"),
        "{text}"
    );
    assert!(
        Claim::Silent.to_string().contains("within --timeout"),
        "{}",
        Claim::Silent
    );
}
