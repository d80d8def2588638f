//! Who leads the swarm, as far as this machine can tell: what each manager
//! that was asked said about the leader ([`Claim`]), and what those claims
//! together prove ([`Leadership`]).
//!
//! A fact read from a minority of managers is not a fact about the swarm.
//! A leader counts only when the managers that name it are a majority of
//! the Raft membership its own node list shows; an isolated old leader
//! keeps calling itself leader for a while, so one manager's word is never
//! enough. "Quorum lost" is said only on positive evidence; when too few
//! managers answered, the answer is "unknown from here", and nothing here
//! ever advises a cure that would split the swarm.
//!
//! Pure functions of plain data: the snapshot gathers the claims, and
//! planning, verifying, status and context read the verdict. Nothing here
//! reaches a node.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Serialize, Serializer};

use crate::model::names::NodeName;
use crate::model::swarm::SwarmNode;
use crate::observe::cluster::quorum;

/// What one manager said about the swarm's leader when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Claim {
    /// It answered a node list that names this node (by NodeID) leader.
    Leader {
        leader: String,
        /// The managers with Raft membership in that list.
        raft_members: usize,
    },
    /// It answers as a manager but says the swarm has no leader.
    NoLeader,
    /// Its engine was reached, but no node list came from it within
    /// `--timeout` (its `/info` or node list timed out, as a follower's do
    /// during an election, or an error that says nothing about the
    /// leader): there, but silent about the leader.
    Silent,
    /// Its engine is locked (autolock): it takes no part in Raft until
    /// unlocked.
    Locked,
    /// Its SSH answered and its engine did not (the socket refused or is
    /// missing): down from here, known for sure.
    EngineDown,
    /// Its engine answers outside any swarm, or in another one: it is no
    /// member of this swarm's Raft (wiped, reinstalled, never joined).
    Out,
    /// It could not be reached from this machine at all: nothing is known.
    Unseen,
}

impl Claim {
    /// Whether this machine learnt anything about the manager.
    fn seen(&self) -> bool {
        !matches!(self, Claim::Unseen)
    }

    /// Whether the manager is known not to take part in Raft now.
    fn down(&self) -> bool {
        matches!(self, Claim::Locked | Claim::EngineDown | Claim::Out)
    }
}

/// What the claims of every manager prove about the swarm's leadership.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Leadership {
    /// No manager answered as a member of a swarm: nothing to lead (before
    /// the first `up`, or every manager out of reach).
    #[default]
    NoSwarm,
    /// A majority of the Raft membership names one leader.
    Confirmed(Confirmed),
    /// Managers answer, but none answered a node list or said whether
    /// there is a leader (their node lists failed): nothing is known about
    /// the leader, and nothing is claimed.
    Unread,
    /// No leader is confirmed: see [`Unconfirmed`].
    Unconfirmed(Unconfirmed),
}

/// A leader named by a majority of the swarm's managers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Confirmed {
    /// The leader's NodeID.
    pub(crate) leader: String,
    /// The managers whose node lists name it: the view is read from one.
    pub(crate) agree: Vec<NodeName>,
    /// Managers that answered otherwise: another leader, none, or no list.
    pub(crate) dissent: Vec<(NodeName, Claim)>,
    /// Raft members outside the inventory (this machine cannot ask them)
    /// that the leader lists Reachable, counted with `agree` only when no
    /// manager that answered contradicts the leader: their hostnames.
    pub(crate) vouched: Vec<String>,
    /// The Raft membership the leader's node list shows.
    pub(crate) raft_members: usize,
}

/// Why no leader is confirmed. Only [`Unconfirmed::QuorumLost`] may ever
/// advise a cure that acts on the swarm; the others ask to look again or to
/// look from elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unconfirmed {
    /// Positive evidence: the managers that can still vote are too few, or
    /// a majority answered and each says there is no leader.
    QuorumLost(QuorumLoss),
    /// A majority of managers was seen, but they do not agree on one
    /// leader: an election is under way, or a cut-off old leader still
    /// calls itself one.
    Changing(LeaderChange),
    /// Too few managers answered this machine to tell.
    Unknown(QuorumUnknown),
}

/// Quorum lost, with the evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuorumLoss {
    /// Managers that answer and say there is no leader.
    pub(crate) no_leader: Vec<NodeName>,
    /// Managers known not to vote now, and why.
    pub(crate) down: Vec<(NodeName, Claim)>,
    /// Managers this machine could not reach.
    pub(crate) unseen: Vec<NodeName>,
    /// The swarm's managers, as far as known.
    pub(crate) managers: usize,
}

impl QuorumLoss {
    /// Managers that may still vote: the ones not known to be down.
    pub(crate) fn alive(&self) -> usize {
        self.managers.saturating_sub(self.down.len())
    }

    /// Whether too few managers are left to ever elect a leader again
    /// without the ones that are down: only then is Docker's last resort
    /// worth naming.
    pub(crate) fn for_good(&self) -> bool {
        self.alive() < quorum(self.managers)
    }
}

/// Managers that disagree on the leader, with what each said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeaderChange {
    /// Each manager that answered a node list or said there is no leader:
    /// the leader's hostname it named, or `None`.
    pub(crate) claims: Vec<(NodeName, Option<String>)>,
    pub(crate) managers: usize,
    /// When more than one leader is confirmed by its own node list's Raft
    /// membership (a split brain, not an election): their hostnames.
    pub(crate) split: Vec<String>,
    /// Managers whose engine was reached but sent no node list within
    /// `--timeout` (as followers do while they elect a leader).
    pub(crate) silent: Vec<NodeName>,
}

/// Too few managers seen from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QuorumUnknown {
    /// Managers reachable from this machine.
    pub(crate) seen: Vec<NodeName>,
    /// Managers this machine could not reach.
    pub(crate) unseen: Vec<NodeName>,
    pub(crate) managers: usize,
}

impl Leadership {
    /// The verdict from every manager's claim. `managers` is the least the
    /// swarm has, as far as known without a node list (the inventory's
    /// managers, the managers a node's `/info` names); `lists` are the node
    /// lists the claims were read from; `inventory` holds every inventory
    /// node's name and known NodeID (the members this machine can ask).
    pub(crate) fn judge(
        claims: &BTreeMap<NodeName, Claim>,
        managers: usize,
        lists: &BTreeMap<NodeName, &[SwarmNode]>,
        inventory: &BTreeSet<String>,
    ) -> Leadership {
        let answering = claims
            .values()
            .any(|c| matches!(c, Claim::Leader { .. } | Claim::NoLeader | Claim::Silent));
        if !answering && !claims.values().any(|c| *c == Claim::Locked) {
            return Leadership::NoSwarm;
        }
        let confirmations = confirmed(claims, lists, inventory);
        let split: Vec<String> = confirmations
            .iter()
            .map(|c| match c.agree.first() {
                Some(name) => hostname(lists, name, &c.leader),
                None => c.leader.clone(),
            })
            .collect();
        let mut confirmations = confirmations.into_iter();
        if let (Some(confirmed), None) = (confirmations.next(), confirmations.next()) {
            return Leadership::Confirmed(confirmed);
        }
        let managers = claims
            .values()
            .filter_map(|c| match c {
                Claim::Leader { raft_members, .. } => Some(*raft_members),
                _ => None,
            })
            .chain([managers, claims.len()])
            .max()
            .unwrap_or(0);
        let with = |pred: fn(&Claim) -> bool| -> Vec<NodeName> {
            claims
                .iter()
                .filter(|(_, c)| pred(c))
                .map(|(n, _)| n.clone())
                .collect()
        };
        let no_leader = with(|c| *c == Claim::NoLeader);
        let leaders = claims.values().any(|c| matches!(c, Claim::Leader { .. }));
        let down: Vec<(NodeName, Claim)> = claims
            .iter()
            .filter(|(_, c)| c.down())
            .map(|(n, c)| (n.clone(), c.clone()))
            .collect();
        let unseen = with(|c| *c == Claim::Unseen);
        let loss = QuorumLoss {
            no_leader: no_leader.clone(),
            down,
            unseen: unseen.clone(),
            managers,
        };
        let everyone_says_none = !leaders && no_leader.len() >= quorum(managers);
        // A split brain is never "lost": the cure would make a third group.
        if split.len() < 2 && (loss.for_good() || everyone_says_none) {
            return Leadership::Unconfirmed(Unconfirmed::QuorumLost(loss));
        }
        let said = claims
            .values()
            .any(|c| matches!(c, Claim::Leader { .. } | Claim::NoLeader));
        if !said {
            return Leadership::Unread;
        }
        let seen = with(Claim::seen);
        // Two Raft groups that each confirm their own leader (a by-hand
        // `--force-new-cluster` next to the old majority) are a
        // disagreement seen for sure, however few managers answered: no
        // side is the swarm, and nothing may act on either.
        if split.len() > 1 || seen.len() >= quorum(managers) {
            let claims = claims
                .iter()
                .filter_map(|(name, claim)| {
                    let named = match claim {
                        Claim::Leader { leader, .. } => Some(hostname(lists, name, leader)),
                        Claim::NoLeader => None,
                        _ => return None,
                    };
                    Some((name.clone(), named))
                })
                .collect();
            return Leadership::Unconfirmed(Unconfirmed::Changing(LeaderChange {
                claims,
                managers,
                split,
                silent: with(|c| *c == Claim::Silent),
            }));
        }
        Leadership::Unconfirmed(Unconfirmed::Unknown(QuorumUnknown {
            seen,
            unseen,
            managers,
        }))
    }

    pub(crate) fn confirmed(&self) -> Option<&Confirmed> {
        match self {
            Leadership::Confirmed(c) => Some(c),
            _ => None,
        }
    }

    pub(crate) fn unconfirmed(&self) -> Option<&Unconfirmed> {
        match self {
            Leadership::Unconfirmed(u) => Some(u),
            _ => None,
        }
    }
}

/// Every leader that a majority of its own node list's Raft membership
/// names: none, one (the confirmed leader), or more (a split brain, which
/// the caller must never resolve by picking one). Followers forward the node list to the leader, so every
/// manager that reaches the leader answers the leader's list. Members
/// outside the inventory cannot be asked: when no manager that answered
/// contradicts the leader, those it lists Reachable count with it (a swarm
/// scaled in to fewer inventory managers than a majority stays workable).
fn confirmed(
    claims: &BTreeMap<NodeName, Claim>,
    lists: &BTreeMap<NodeName, &[SwarmNode]>,
    inventory: &BTreeSet<String>,
) -> Vec<Confirmed> {
    let mut named: BTreeMap<&str, (Vec<NodeName>, usize)> = BTreeMap::new();
    for (name, claim) in claims {
        if let Claim::Leader {
            leader,
            raft_members,
        } = claim
        {
            let entry = named.entry(leader).or_insert((Vec::new(), 0));
            entry.0.push(name.clone());
            entry.1 = entry.1.max(*raft_members);
        }
    }
    // Another leader named, or a manager that answers without one.
    let contradicted = named.len() > 1
        || claims
            .values()
            .any(|c| matches!(c, Claim::NoLeader | Claim::Silent));
    let vouched_for = |agree: &[NodeName]| -> Vec<String> {
        if contradicted {
            return Vec::new();
        }
        let Some(list) = agree.first().and_then(|name| lists.get(name)) else {
            return Vec::new();
        };
        list.iter()
            .filter(|n| n.is_reachable() && !n.is_leader())
            .filter(|n| !inventory.contains(&n.id) && !inventory.contains(&n.hostname))
            .map(|n| n.hostname.clone())
            .collect()
    };
    named
        .into_iter()
        .map(|(leader, (agree, members))| {
            let vouched = vouched_for(&agree);
            (leader, agree, members, vouched)
        })
        .filter(|(_, agree, members, vouched)| {
            *members > 0 && agree.len() + vouched.len() >= quorum(*members)
        })
        .map(|(leader, agree, raft_members, vouched)| {
            let dissent = claims
                .iter()
                .filter(|(name, claim)| {
                    !agree.contains(name)
                        && matches!(
                            claim,
                            Claim::Leader { .. } | Claim::NoLeader | Claim::Silent
                        )
                })
                .map(|(name, claim)| (name.clone(), claim.clone()))
                .collect();
            Confirmed {
                leader: leader.to_owned(),
                agree,
                dissent,
                vouched,
                raft_members,
            }
        })
        .collect()
}

/// The hostname of NodeID `id` in `name`'s node list, else the NodeID.
fn hostname(lists: &BTreeMap<NodeName, &[SwarmNode]>, name: &NodeName, id: &str) -> String {
    lists
        .get(name)
        .and_then(|nodes| nodes.iter().find(|n| n.id == id))
        .map(|n| n.hostname.clone())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| id.to_owned())
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Claim::Leader { .. } => "names a leader",
            Claim::NoLeader => "says the swarm has no leader",
            Claim::Silent => "engine did not answer with a node list within --timeout",
            Claim::Locked => "locked",
            Claim::EngineDown => "engine down (its SSH answers)",
            Claim::Out => "out of the swarm",
            Claim::Unseen => "unreachable from here",
        })
    }
}

impl fmt::Display for QuorumLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let needed = quorum(self.managers);
        write!(
            f,
            "quorum lost: the swarm has {} managers and needs {needed} to elect a leader",
            self.managers
        )?;
        if !self.no_leader.is_empty() {
            write!(
                f,
                "; {} {} without a leader",
                NodeName::join(&self.no_leader),
                if self.no_leader.len() == 1 {
                    "answers"
                } else {
                    "answer"
                }
            )?;
        }
        if !self.down.is_empty() {
            let down: Vec<String> = self
                .down
                .iter()
                .map(|(name, claim)| format!("{name} ({claim})"))
                .collect();
            write!(f, "; down: {}", down.join(", "))?;
        }
        if !self.unseen.is_empty() {
            write!(
                f,
                "; unreachable from here: {}",
                NodeName::join(&self.unseen)
            )?;
        }
        if self.for_good() {
            let missing = needed.saturating_sub(self.alive()).max(1);
            write!(
                f,
                "; the swarm is read-only: bring {missing} of the down managers back (start its \
                 engine, unlock it) or, only if they are gone for good, `swarmadm recover`"
            )
        } else {
            f.write_str(
                "; enough managers are up for a quorum, so an election is under way or they \
                 cannot reach each other (2377/tcp): run again in a moment, then check the \
                 network between them",
            )
        }
    }
}

impl fmt::Display for LeaderChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let claims: Vec<String> = self
            .claims
            .iter()
            .map(|(name, leader)| match leader {
                Some(leader) => format!("{name} names {leader}"),
                None => format!("{name} names none"),
            })
            .collect();
        if self.split.len() > 1 {
            return write!(
                f,
                "leaders disagree: {} are each confirmed by their own Raft membership ({}), \
                 two groups rather than an election (one of them made a new cluster by hand next to the old \
                 managers?); swarmadm acts on neither: make the managers of one group \
                 join the other by hand",
                self.split.join(" and "),
                claims.join(", ")
            );
        }
        write!(
            f,
            "leader changing: no leader is named by a majority of the {} managers ({})",
            self.managers,
            claims.join(", ")
        )?;
        if !self.silent.is_empty() {
            write!(
                f,
                "; no node list within --timeout from {} (their engines were reached: busy, \
                 not out of reach)",
                NodeName::join(&self.silent)
            )?;
        }
        f.write_str("; run again in a moment")
    }
}

impl fmt::Display for QuorumUnknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "quorum unknown from here: {} of {} managers reachable from this machine ({}), fewer \
             than the {} that would show whether the swarm has a leader",
            self.seen.len(),
            self.managers,
            if self.seen.is_empty() {
                "none".to_owned()
            } else {
                NodeName::join(&self.seen)
            },
            quorum(self.managers)
        )?;
        if !self.unseen.is_empty() {
            write!(
                f,
                "; fix SSH to {} or run from a machine that reaches them",
                NodeName::join(&self.unseen)
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for Unconfirmed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unconfirmed::QuorumLost(loss) => loss.fmt(f),
            Unconfirmed::Changing(change) => change.fmt(f),
            Unconfirmed::Unknown(unknown) => unknown.fmt(f),
        }
    }
}

impl Unconfirmed {
    /// A short, stable name for JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Unconfirmed::QuorumLost(_) => "quorum_lost",
            Unconfirmed::Changing(_) => "leader_changing",
            Unconfirmed::Unknown(_) => "quorum_unknown",
        }
    }
}

impl Serialize for Unconfirmed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests;
