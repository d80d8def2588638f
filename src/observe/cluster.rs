//! What a snapshot's facts say about the swarm as a whole: which node-list
//! entry is which inventory node ([`claim`]), what is in the swarm that the
//! inventory does not list ([`strays`]), and the size of a majority
//! ([`quorum`]; who leads is [`super::leadership`]). Pure functions of plain data, shared by
//! `status`, `up` and `verify` so that all three say the same thing in the
//! same words.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use crate::inventory::Inventory;
use crate::model::names::NodeName;
use crate::model::swarm::{LocalState, NodeRole, NodeStatus};
use crate::observe::{ClusterView, Facts};

/// Which node-list entry each inventory node is: by the NodeID the node
/// reports; for a node that reports none but may be in the swarm
/// (unreachable, locked, stuck in state error), the entry with its address
/// (or, failing that, its hostname) that no other node claimed. `extra` adds NodeIDs learnt later (nodes that joined in this
/// run).
pub(crate) fn claim<'v>(
    inventory: &Inventory,
    facts: &Facts,
    view: &'v ClusterView,
    extra: &BTreeMap<NodeName, String>,
) -> BTreeMap<NodeName, &'v str> {
    let mut claimed = BTreeMap::new();
    // The list by NodeID, once: looking each node up in the list would make
    // this grow with the square of the swarm (seen at 5,000 nodes).
    let by_id: std::collections::HashMap<&str, &'v str> = view
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n.id.as_str()))
        .collect();
    for node in &inventory.nodes {
        let id = extra
            .get(&node.name)
            .map(String::as_str)
            .or_else(|| facts.info(&node.name)?.node_id.as_deref());
        if let Some(listed) = id.and_then(|id| by_id.get(id)) {
            claimed.insert(node.name.clone(), *listed);
        }
    }
    for node in &inventory.nodes {
        // A node that says it is in no swarm is not any entry: an entry
        // with its name is a leftover.
        let out_of_swarm = facts
            .info(&node.name)
            .is_some_and(|i| i.state == LocalState::Inactive);
        if claimed.contains_key(&node.name) || out_of_swarm {
            continue;
        }
        let taken: BTreeSet<&str> = claimed.values().copied().collect();
        let addresses = addresses(inventory, facts, node);
        let candidates = view.nodes.iter().filter(|n| !taken.contains(n.id.as_str()));
        let by_addr = candidates
            .clone()
            .filter(|n| n.addr.as_deref().is_some_and(|a| addresses.contains(&a)))
            .max_by_key(|n| n.version);
        let by_name = candidates
            .filter(|n| n.hostname == node.name.as_str())
            .max_by_key(|n| n.version);
        if let Some(found) = by_addr.or(by_name) {
            claimed.insert(node.name.clone(), found.id.as_str());
        }
    }
    claimed
}

/// The addresses an inventory node is known by: its SSH host, its
/// advertise address, and the address its engine reports.
fn addresses<'a>(
    inventory: &'a Inventory,
    facts: &'a Facts,
    node: &'a crate::inventory::Node,
) -> Vec<&'a str> {
    [
        Some(node.ssh.hop.host.as_str()),
        inventory.advertise_addr_of(node),
        facts.info(&node.name).and_then(|i| i.node_addr.as_deref()),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A node in the swarm that no inventory node is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Stray {
    pub(crate) node_id: String,
    pub(crate) hostname: String,
    pub(crate) role: NodeRole,
    pub(crate) state: NodeStatus,
    pub(crate) kind: StrayKind,
    /// The address the swarm lists it at.
    #[serde(skip)]
    pub(crate) addr: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StrayKind {
    /// A node the inventory does not list.
    NotInInventory,
    /// A Down entry with an inventory node's hostname: left by an earlier
    /// join of that node.
    Leftover,
    /// An entry with no hostname: a join that stopped half-way.
    HalfRegistered,
}

impl fmt::Display for Stray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.hostname.is_empty() {
            "(no hostname)"
        } else {
            &self.hostname
        };
        write!(f, "{name} ({}, {}, {}", self.node_id, self.role, self.state)?;
        let advice = match (self.kind, self.role) {
            (StrayKind::NotInInventory, _) => "",
            (StrayKind::Leftover, _) if self.hostname.is_empty() => {
                ", left by a join of the inventory node at its address that stopped half-way; \
                 that node is in the swarm under another NodeID or joins again: `swarmadm up` \
                 removes it"
            }
            (StrayKind::Leftover, _) => {
                ", a leftover entry of this inventory node, which is in the swarm under another \
                 NodeID or joins again: `swarmadm up` removes it"
            }
            (_, NodeRole::Manager) => {
                ", an old manager entry: make sure that node is gone for good, then `swarmadm remove` it (an entry without Raft membership is removed without a demote)"
            }
            (StrayKind::HalfRegistered, NodeRole::Worker) => {
                ", left by a join that stopped half-way: `docker node rm` it"
            }
        };
        write!(f, "{advice})")
    }
}

/// The entries of `view` that no inventory node claimed. One with an
/// inventory node's hostname is that node's leftover when it is Down, or
/// when the node itself says it is in no swarm: a node that just left is
/// listed Ready for a heartbeat or two. One with no hostname (a join that
/// stopped half-way, never Ready) at an inventory node's address is that
/// node's leftover too: the node is another entry, or joins again. A
/// half-registered entry at any other address could be another machine's
/// join under way, and stays a stray.
pub(crate) fn strays(
    inventory: &Inventory,
    facts: &Facts,
    view: &ClusterView,
    claimed: &BTreeMap<NodeName, &str>,
) -> Vec<Stray> {
    let taken: BTreeSet<&str> = claimed.values().copied().collect();
    let left = |hostname: &str| {
        inventory.node(hostname).is_some_and(|node| {
            facts
                .info(&node.name)
                .is_some_and(|i| i.state == LocalState::Inactive)
        })
    };
    let ours = |addr: Option<&str>| {
        addr.is_some_and(|a| {
            inventory
                .nodes
                .iter()
                .any(|node| addresses(inventory, facts, node).contains(&a))
        })
    };
    view.nodes
        .iter()
        .filter(|n| !taken.contains(n.id.as_str()))
        .map(|n| Stray {
            node_id: n.id.clone(),
            hostname: n.hostname.clone(),
            role: n.role,
            state: n.state,
            addr: n.addr.clone(),
            kind: if n.hostname.is_empty()
                && n.state != NodeStatus::Ready
                && ours(n.addr.as_deref())
            {
                StrayKind::Leftover
            } else if n.hostname.is_empty() {
                StrayKind::HalfRegistered
            } else if (n.state == NodeStatus::Down && inventory.node(&n.hostname).is_some())
                || left(&n.hostname)
            {
                StrayKind::Leftover
            } else {
                StrayKind::NotInInventory
            },
        })
        .collect()
}

/// Majority of `managers`: the number that must be reachable.
pub(crate) fn quorum(managers: usize) -> usize {
    managers / 2 + 1
}
