//! `swarmadm recover`, planned: Docker's procedure for a quorum lost for
//! good ("Recover from losing the quorum": `swarm init --force-new-cluster`
//! on one surviving manager), made safe. This module decides, from what
//! each inventory manager showed ([`Seen`]), whether the loss is proven
//! ([`Proof`]), which manager survives and by what measure ([`Survivor`]),
//! and the steps ([`RecoverStep`]); or why it refuses ([`Refusal`]). It
//! touches no network; `recover --dry-run` prints it and
//! [`crate::exec::recover`] carries it out.
//!
//! A proof is: every manager that answers says the swarm has no leader,
//! and each other manager is shown gone: its engine answers outside any
//! swarm, or not at all while its SSH answers, or the operator names it
//! with `--lost`. A manager that cannot be reached at all may just be cut
//! off: forcing a new cluster then makes a second swarm, so it refuses.
//!
//! It also owns what `up` does for a manager a recovery left behind
//! ([`left_behind`]): an engine that came back with its old state after
//! its entry was removed is a Raft group of one that never gets a leader;
//! it leaves (force) and joins again.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Serialize, Serializer};

use crate::inventory::{Inventory, Node};
use crate::model::names::{NodeName, Role};
use crate::model::swarm::{EngineInfo, LocalState, NodeRole};
use crate::observe::Facts;
use crate::plan::{Membership, NodePlan, Plan};

/// What one inventory manager showed when it was looked at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "seen", rename_all = "snake_case")]
pub(crate) enum Seen {
    /// Its engine answers as an active manager and says the swarm has no
    /// leader: a survivor.
    Leaderless,
    /// Its engine answers with a node list, or names a leader: the swarm
    /// has quorum (or this manager says so).
    Led { leader: Option<String> },
    /// Its engine is locked (autolock).
    Locked,
    /// Its engine answers and is in no swarm (its state was wiped, or the
    /// machine reinstalled).
    OutOfSwarm,
    /// Its SSH answers but its engine does not (dockerd stopped or dead).
    EngineDown { message: String },
    /// Nothing answers: not even SSH. It may only be cut off.
    Unreachable { message: String },
    /// Its engine answers, but as none of the above (pending, error,
    /// another swarm, a worker, no answer to the node list in time).
    Other { state: LocalState, detail: String },
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seen::Leaderless => f.write_str("answers: active manager, the swarm has no leader"),
            Seen::Led { leader: Some(l) } => write!(f, "answers: the swarm's leader is {l}"),
            Seen::Led { leader: None } => f.write_str("answers with the swarm's node list"),
            Seen::Locked => f.write_str("answers: locked (autolock)"),
            Seen::OutOfSwarm => f.write_str("answers: in no swarm"),
            Seen::EngineDown { message } => {
                write!(f, "SSH answers, its engine does not ({message})")
            }
            Seen::Unreachable { message } => write!(f, "does not answer: {message}"),
            Seen::Other { state, detail } => write!(f, "answers: {state}, {detail}"),
        }
    }
}

/// How a manager was shown to be gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum GoneBy {
    /// Its engine answers outside any swarm.
    OutOfSwarm,
    /// Its SSH answers, its engine does not.
    EngineDown,
    /// The operator named it with `--lost`.
    NamedLost,
}

/// What the proof concludes about one manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub(crate) enum Verdict {
    /// It holds the swarm's state and has no leader.
    Survivor,
    /// Shown gone.
    Gone { by: GoneBy },
    /// Not shown gone, and no survivor: what is missing.
    NotProven { missing: String },
}

/// One manager in the proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ManagerProof {
    pub(crate) name: NodeName,
    pub(crate) role: Role,
    pub(crate) seen: Seen,
    #[serde(flatten)]
    pub(crate) verdict: Verdict,
}

/// Every inventory manager, what it showed and what that proves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Proof {
    pub(crate) managers: Vec<ManagerProof>,
}

impl Proof {
    fn survivors(&self) -> impl Iterator<Item = &NodeName> {
        self.managers
            .iter()
            .filter(|m| m.verdict == Verdict::Survivor)
            .map(|m| &m.name)
    }

    fn missing(&self) -> Vec<(NodeName, String)> {
        self.managers
            .iter()
            .filter_map(|m| match &m.verdict {
                Verdict::NotProven { missing } => Some((m.name.clone(), missing.clone())),
                _ => None,
            })
            .collect()
    }
}

/// How the survivor was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ChosenBy {
    /// Named with `--survivor`.
    Named,
    /// The only manager that holds the swarm's state.
    Only,
    /// Several survivors: the inventory's leader if it is one, else the
    /// first in the inventory. No engine API tells a leaderless manager's
    /// Raft index (`/info` has no `Cluster.Version` then), so the most
    /// recent state cannot be measured from here; survivors that reached
    /// each other until the end hold the same committed state.
    InventoryOrder,
}

/// The manager whose state the recovered swarm starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Survivor {
    pub(crate) name: NodeName,
    pub(crate) chosen_by: ChosenBy,
    /// How many managers hold the swarm's state (the survivors).
    pub(crate) of: usize,
}

impl fmt::Display for Survivor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        match self.chosen_by {
            ChosenBy::Named => f.write_str(" (named with --survivor)"),
            ChosenBy::Only => f.write_str(" (the only manager that still holds the swarm's state)"),
            ChosenBy::InventoryOrder => write!(
                f,
                " (one of {} survivors, chosen by inventory order, the leader first: no engine API \
                 shows a leaderless manager's Raft index; name another with --survivor)",
                self.of
            ),
        }
    }
}

/// One step of the recovery, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub(crate) enum RecoverStep {
    /// Read the counts of services, networks, secrets and configs.
    Count,
    /// `POST /swarm/init` with `ForceNewCluster` on the survivor's own
    /// socket; then wait until it lists itself as leader.
    ForceNewCluster {
        node: NodeName,
        listen_addr: String,
        advertise_addr: Option<String>,
    },
    /// Remove the entries of these managers with force and no demote: after
    /// the init they have no Raft membership (role manager, no manager
    /// status), and a demotion answers 404. Only managers that join again
    /// as new nodes: wiped, or made to leave by this recovery.
    RemoveEntries { nodes: Vec<NodeName> },
    /// Keep the entries of these managers (their engines are down or named
    /// lost, so they may come back with their old state): the recovered
    /// leader then takes each back as a manager by its entry. Removed, two
    /// of them coming back would elect a leader of their own, a second
    /// swarm with the same ClusterID (seen on engine 20.10). Coming back
    /// wiped, `up` joins them and removes the old entry.
    KeepEntries { nodes: Vec<NodeName> },
    /// A manager whose engine still holds the old swarm state: make it
    /// leave (force), so that it joins again instead of staying a Raft
    /// group of its own.
    Leave { node: NodeName },
    /// Converge the inventory as `up` does: the lost managers that answer,
    /// wiped or new, join again.
    Converge,
}

impl fmt::Display for RecoverStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecoverStep::Count => f.write_str("count the services, networks, secrets and configs"),
            RecoverStep::ForceNewCluster {
                node,
                listen_addr,
                advertise_addr,
            } => write!(
                f,
                "{node}: swarm init --force-new-cluster (listen {listen_addr}, advertise {}), \
                 then wait until it is the leader",
                advertise_addr.as_deref().unwrap_or("chosen by the engine")
            ),
            RecoverStep::RemoveEntries { nodes } => write!(
                f,
                "remove the old entries of {} with force (no demote: they have no Raft \
                 membership); they join again as new nodes",
                NodeName::join(nodes)
            ),
            RecoverStep::KeepEntries { nodes } => write!(
                f,
                "keep the entries of {}: back with its old state, the recovered leader takes it \
                 back as a manager (removed, two such managers would elect a leader of their own: a \
                 second swarm); back wiped, `swarmadm up` joins it and removes the old entry",
                NodeName::join(nodes)
            ),
            RecoverStep::Leave { node } => write!(
                f,
                "{node}: leave with force (its engine holds the old swarm state), then join again"
            ),
            RecoverStep::Converge => f.write_str(
                "converge the inventory as `up` does: the lost managers that answer join again",
            ),
        }
    }
}

impl Serialize for Refusal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Why `recover` does nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A manager says the swarm has a leader: quorum is not lost.
    HasLeader {
        node: NodeName,
        leader: Option<String>,
    },
    /// Managers not shown gone: each with what is missing.
    NotProven(Vec<(NodeName, String)>),
    /// No manager holds the swarm's state and answers.
    NoSurvivor,
    /// The survivors are a majority: the swarm can elect a leader once they
    /// reach each other; forcing a new cluster would throw away a working
    /// majority.
    MajorityAnswers { survivors: usize, managers: usize },
    /// `--survivor` names a manager that is not a survivor.
    NotASurvivor { node: NodeName, seen: String },
    /// `--lost` names a node that answers as something it asserts it is not.
    LostAnswers { node: NodeName, seen: String },
    /// `--lost` or `--survivor` names no inventory manager.
    NotAManager(String),
    /// Autolock is on (the inventory says so, or a survivor is locked):
    /// engine 20.10 allows no order of calls that forces a new cluster.
    Autolock { locked: Vec<NodeName> },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::HasLeader { node, leader } => write!(
                f,
                "refused: quorum is not lost: {node} answers {}; nothing to recover (`swarmadm up` \
                 converges the swarm)",
                match leader {
                    Some(l) => format!("that the swarm's leader is {l}"),
                    None => "with the swarm's node list".to_owned(),
                }
            ),
            Refusal::NotProven(missing) => {
                f.write_str(
                    "refused: the loss of quorum is not proven; a manager that is only cut off \
                     would make a second swarm. Not shown gone: ",
                )?;
                let parts: Vec<String> =
                    missing.iter().map(|(n, m)| format!("{n} ({m})")).collect();
                f.write_str(&parts.join("; "))
            }
            Refusal::NoSurvivor => f.write_str(
                "refused: no manager answers with the swarm's state (active, no leader): there is \
                 nothing to recover from; `swarmadm up` starts a new swarm",
            ),
            Refusal::MajorityAnswers {
                survivors,
                managers,
            } => write!(
                f,
                "refused: {survivors} of {managers} managers answer: a majority; they elect a \
                 leader once they reach each other on 2377/tcp: restore the network between them"
            ),
            Refusal::NotASurvivor { node, seen } => write!(
                f,
                "refused: --survivor {node}: it is not a manager that holds the swarm's state \
                 ({seen})"
            ),
            Refusal::LostAnswers { node, seen } => write!(
                f,
                "refused: --lost {node}: it {seen}; --lost is only for a manager that cannot be \
                 shown gone from here"
            ),
            Refusal::NotAManager(name) => {
                write!(f, "refused: `{name}` is not a manager of the inventory")
            }
            Refusal::Autolock { locked } => {
                f.write_str("refused: autolock is on")?;
                if !locked.is_empty() {
                    write!(f, " ({} locked)", NodeName::join(locked))?;
                }
                f.write_str(
                    ". The engine cannot force a new cluster from encrypted state: a locked \
                     manager refuses `swarm init --force-new-cluster`, `swarm unlock` waits for a \
                     leader that cannot come back and blocks every later swarm call, and on an \
                     unlocked manager the init stops the node and cannot start it again without \
                     the key (moby/moby#36852). By hand: bring back a majority of the managers \
                     with their state, then `swarmadm unlock`; or, giving up the swarm's state, \
                     `docker swarm leave --force` on every node and `swarmadm up` (services, \
                     networks, secrets and configs must then be created again)",
                )
            }
        }
    }
}

impl Refusal {
    /// A short, stable name for JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Refusal::HasLeader { .. } => "quorum_not_lost",
            Refusal::NotProven(_) => "not_proven",
            Refusal::NoSurvivor => "no_survivor",
            Refusal::MajorityAnswers { .. } => "majority_answers",
            Refusal::NotASurvivor { .. } => "not_a_survivor",
            Refusal::LostAnswers { .. } => "lost_answers",
            Refusal::NotAManager(_) => "not_a_manager",
            Refusal::Autolock { .. } => "autolock",
        }
    }
}

/// What the operator asserted on the command line.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecoverOptions {
    /// `--survivor NODE`.
    pub(crate) survivor: Option<String>,
    /// `--lost NODE`, repeatable.
    pub(crate) lost: Vec<String>,
}

/// What `--lost NODE` asserts, for the help and the confirmation.
pub(crate) const LOST_ASSERTS: &str = "--lost NODE asserts that NODE's manager is gone for good: \
     its machine will not run its engine again with its current swarm state while the recovered \
     swarm runs. If it was only cut off, the recovery makes a second swarm with its own leader.";

/// The recovery: the proof, the survivor, the steps, or why it refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RecoverPlan {
    pub(crate) proof: Proof,
    pub(crate) survivor: Option<Survivor>,
    pub(crate) steps: Vec<RecoverStep>,
    pub(crate) refused: Option<Refusal>,
}

/// Plans the recovery from what each inventory manager showed. A manager
/// missing from `seen` is treated as unreachable.
pub(crate) fn plan(
    inventory: &Inventory,
    seen: &BTreeMap<NodeName, Seen>,
    options: &RecoverOptions,
) -> RecoverPlan {
    let managers: Vec<&Node> = inventory.managers().collect();
    let refuse = |proof: Proof, refusal: Refusal| RecoverPlan {
        proof,
        survivor: None,
        steps: Vec::new(),
        refused: Some(refusal),
    };
    let names: BTreeSet<&str> = managers.iter().map(|n| n.name.as_str()).collect();
    let named = options.lost.iter().chain(options.survivor.iter());
    if let Some(unknown) = named.into_iter().find(|n| !names.contains(n.as_str())) {
        return refuse(Proof::default(), Refusal::NotAManager(unknown.clone()));
    }
    let lost: BTreeSet<&str> = options.lost.iter().map(String::as_str).collect();
    let proof = Proof {
        managers: managers
            .iter()
            .map(|node| {
                let seen = seen.get(&node.name).cloned().unwrap_or(Seen::Unreachable {
                    message: "not looked at".into(),
                });
                let verdict = verdict(&seen, lost.contains(node.name.as_str()));
                ManagerProof {
                    name: node.name.clone(),
                    role: node.role,
                    seen,
                    verdict,
                }
            })
            .collect(),
    };
    if let Some(refusal) = first_refusal(inventory, &proof, &lost) {
        return refuse(proof, refusal);
    }
    // The inventory's leader first, as its doc says, then inventory order:
    // the managers' file order says nothing about whose state is newest.
    let mut survivors: Vec<&ManagerProof> = proof
        .managers
        .iter()
        .filter(|m| m.verdict == Verdict::Survivor)
        .collect();
    survivors.sort_by_key(|m| m.role != Role::Leader);
    let survivors: Vec<&NodeName> = survivors.into_iter().map(|m| &m.name).collect();
    let survivor = match &options.survivor {
        Some(name) => match survivors.iter().find(|s| s.as_str() == name) {
            Some(s) => Survivor {
                name: (*s).clone(),
                chosen_by: ChosenBy::Named,
                of: survivors.len(),
            },
            None => {
                let seen = proof
                    .managers
                    .iter()
                    .find(|m| m.name.as_str() == name)
                    .map(|m| m.seen.to_string())
                    .unwrap_or_default();
                let node = NodeName::new(name).unwrap_or_else(|_| survivors[0].clone());
                return refuse(proof, Refusal::NotASurvivor { node, seen });
            }
        },
        None => Survivor {
            name: survivors[0].clone(),
            chosen_by: if survivors.len() == 1 {
                ChosenBy::Only
            } else {
                ChosenBy::InventoryOrder
            },
            of: survivors.len(),
        },
    };
    let steps = steps(inventory, &proof, &survivor.name);
    RecoverPlan {
        proof,
        survivor: Some(survivor),
        steps,
        refused: None,
    }
}

/// What one manager's showing proves.
fn verdict(seen: &Seen, named_lost: bool) -> Verdict {
    let missing = |m: &str| Verdict::NotProven {
        missing: m.to_owned(),
    };
    match seen {
        Seen::Leaderless => Verdict::Survivor,
        Seen::OutOfSwarm => Verdict::Gone {
            by: GoneBy::OutOfSwarm,
        },
        Seen::EngineDown { .. } => Verdict::Gone {
            by: GoneBy::EngineDown,
        },
        _ if named_lost => Verdict::Gone {
            by: GoneBy::NamedLost,
        },
        Seen::Unreachable { .. } => missing(
            "SSH does not answer either, so it may only be cut off: reach it, or name it with \
             --lost if it is gone for good",
        ),
        Seen::Led { .. } => missing("it says the swarm has a leader"),
        Seen::Locked => missing("it is locked"),
        Seen::Other { .. } => missing(
            "its engine answers, but neither as a manager without a leader nor outside any swarm",
        ),
    }
}

/// The first reason to refuse, most fundamental first.
fn first_refusal(inventory: &Inventory, proof: &Proof, lost: &BTreeSet<&str>) -> Option<Refusal> {
    for m in &proof.managers {
        let answers_as_member = matches!(m.seen, Seen::Leaderless | Seen::Led { .. });
        if lost.contains(m.name.as_str()) && answers_as_member {
            return Some(Refusal::LostAnswers {
                node: m.name.clone(),
                seen: m.seen.to_string(),
            });
        }
    }
    if let Some(m) = proof
        .managers
        .iter()
        .find(|m| matches!(m.seen, Seen::Led { .. }))
    {
        let Seen::Led { leader } = &m.seen else {
            return None;
        };
        return Some(Refusal::HasLeader {
            node: m.name.clone(),
            leader: leader.clone(),
        });
    }
    let locked: Vec<NodeName> = proof
        .managers
        .iter()
        .filter(|m| m.seen == Seen::Locked)
        .map(|m| m.name.clone())
        .collect();
    if inventory.swarm.autolock == Some(true) || !locked.is_empty() {
        return Some(Refusal::Autolock { locked });
    }
    let missing = proof.missing();
    if !missing.is_empty() {
        return Some(Refusal::NotProven(missing));
    }
    let survivors = proof.survivors().count();
    if survivors == 0 {
        return Some(Refusal::NoSurvivor);
    }
    let managers = proof.managers.len();
    if survivors >= crate::observe::cluster::quorum(managers) {
        return Some(Refusal::MajorityAnswers {
            survivors,
            managers,
        });
    }
    None
}

/// The steps once the loss is proven and the survivor chosen.
fn steps(inventory: &Inventory, proof: &Proof, survivor: &NodeName) -> Vec<RecoverStep> {
    let Some(node) = inventory.node(survivor.as_str()) else {
        return Vec::new();
    };
    let others: Vec<&ManagerProof> = proof
        .managers
        .iter()
        .filter(|m| m.name != *survivor)
        .collect();
    let mut steps = vec![
        RecoverStep::Count,
        RecoverStep::ForceNewCluster {
            node: survivor.clone(),
            listen_addr: inventory.swarm.listen_addr.clone(),
            advertise_addr: inventory.advertise_addr_of(node).map(str::to_owned),
        },
    ];
    // Other survivors, and lost managers that answer with an old state,
    // would stay a Raft group of their own: they leave and join again.
    let leaves = |m: &&&ManagerProof| matches!(m.seen, Seen::Leaderless | Seen::Other { .. });
    for m in others.iter().filter(leaves) {
        steps.push(RecoverStep::Leave {
            node: m.name.clone(),
        });
    }
    let (remove, keep): (Vec<&ManagerProof>, Vec<&ManagerProof>) = others
        .iter()
        .partition(|m| leaves(m) || m.seen == Seen::OutOfSwarm);
    if !remove.is_empty() {
        steps.push(RecoverStep::RemoveEntries {
            nodes: remove.iter().map(|m| m.name.clone()).collect(),
        });
    }
    if !keep.is_empty() {
        steps.push(RecoverStep::KeepEntries {
            nodes: keep.iter().map(|m| m.name.clone()).collect(),
        });
    }
    steps.push(RecoverStep::Count);
    steps.push(RecoverStep::Converge);
    steps
}

/// The inventory managers a recovery left behind: the engine answers
/// (pending or active) with a NodeID the swarm's node list does not have,
/// and among its remote managers is a current member of the swarm's Raft
/// membership. Such a manager never gets a leader: it must leave and join.
pub(crate) fn left_behind(inventory: &Inventory, facts: &Facts) -> Vec<NodeName> {
    let Some(view) = &facts.view else {
        return Vec::new();
    };
    let members: BTreeSet<&str> = view.managers().map(|m| m.id.as_str()).collect();
    inventory
        .managers()
        .filter(|node| {
            facts
                .info(&node.name)
                .is_some_and(|info| is_left_behind(info, view, &members))
        })
        .map(|node| node.name.clone())
        .collect()
}

fn is_left_behind(
    info: &EngineInfo,
    view: &crate::observe::ClusterView,
    members: &BTreeSet<&str>,
) -> bool {
    let Some(id) = &info.node_id else {
        return false;
    };
    matches!(info.state, LocalState::Pending | LocalState::Active)
        && info
            .cluster_id
            .as_ref()
            .is_none_or(|c| *c == view.cluster_id)
        && view.node(id).is_none()
        && info
            .remote_managers
            .iter()
            .any(|r| r.node_id != *id && members.contains(r.node_id.as_str()))
}

/// `up` after a recovery: each manager left behind by it is repaired
/// (leave with force, join again as a manager) instead of being blocked.
pub(crate) fn repair_left_behind(plan: &mut Plan, inventory: &Inventory, facts: &Facts) {
    let left = left_behind(inventory, facts);
    for step in plan.nodes.iter_mut().filter(|s| left.contains(&s.name)) {
        let Some(node) = inventory.node(step.name.as_str()) else {
            continue;
        };
        step.plan = NodePlan::Repair {
            stale_entry: None,
            join: Membership {
                role: NodeRole::Manager,
                advertise_addr: inventory.advertise_addr_of(node).map(str::to_owned),
                availability: inventory.availability_of(node),
                labels: node.labels.clone(),
            },
        };
    }
}

#[cfg(test)]
mod tests;
