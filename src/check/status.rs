//! `swarmadm status`: one row per node, read through each node's own tunnel
//! (engine and API version, swarm state, NodeID) and completed from a
//! manager's node list (role, availability, leader). Read-only.

use serde::Serialize;

use crate::inventory::{Inventory, Node};
use crate::model::exit_codes;
use crate::model::failure::Failure;
use crate::model::names::Availability;
use crate::model::swarm::{LocalState, NodeRole, SwarmNode};
use crate::observe::events::Events;
use crate::observe::{self, ClusterView, Facts};
use crate::remote::host::Connector;

/// One row of `status`. The JSON form of `status --output json` is
/// `{"nodes": [NodeStatus, ...], "ssh_connections": N}`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NodeStatus {
    pub(crate) name: String,
    /// The inventory's role: leader, manager or worker.
    pub(crate) inventory_role: crate::model::names::Role,
    pub(crate) ssh_address: String,
    pub(crate) reachable: bool,
    pub(crate) hostname: Option<String>,
    pub(crate) engine_version: Option<String>,
    pub(crate) api_version: Option<String>,
    /// inactive, pending, active, error or locked.
    pub(crate) state: Option<LocalState>,
    pub(crate) node_id: Option<String>,
    /// manager or worker, from a manager's node list.
    pub(crate) role: Option<NodeRole>,
    pub(crate) leader: bool,
    pub(crate) availability: Option<Availability>,
    /// Ready, down, ... as the node list says (`docker node ls` STATUS).
    pub(crate) node_state: Option<crate::model::swarm::NodeStatus>,
    /// A manager's Raft reachability (`docker node ls` MANAGER STATUS).
    pub(crate) reachability: Option<crate::model::swarm::Reachability>,
    /// The node's labels in the swarm.
    pub(crate) labels: std::collections::BTreeMap<String, String>,
    pub(crate) cluster_id: Option<String>,
    pub(crate) error: Option<Failure>,
    /// A manager of this swarm that answers this machine over SSH while the
    /// swarm's node list shows it unreachable in Raft: cut off from the
    /// other managers (the word `up` uses too).
    pub(crate) partitioned: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct StatusReport {
    pub(crate) nodes: Vec<NodeStatus>,
    /// What is wrong with the swarm as a whole (no leader confirmed, a
    /// partitioned manager), in the words `up` and `verify` use too.
    pub(crate) problems: Vec<String>,
    /// SSH connections this run opened (one per reachable node).
    pub(crate) ssh_connections: usize,
}

impl StatusReport {
    /// 1 when a node is unreachable, locked or in swarm state error, or the
    /// swarm has a problem.
    pub(crate) fn exit_code(&self) -> u8 {
        let healthy = |n: &NodeStatus| {
            n.reachable && !matches!(n.state, Some(LocalState::Locked | LocalState::Error))
        };
        if self.problems.is_empty() && self.nodes.iter().all(healthy) {
            exit_codes::OK
        } else {
            exit_codes::FAILED
        }
    }
}

/// Reaches every node and builds the report.
pub(crate) async fn run<C: Connector>(
    inventory: &Inventory,
    connector: &C,
    events: &Events,
) -> StatusReport {
    let snapshot = observe::snapshot(inventory, connector, events).await;
    let nodes: Vec<NodeStatus> = inventory
        .nodes
        .iter()
        .map(|node| row(node, &snapshot.facts))
        .collect();
    for (name, result) in &snapshot.facts.nodes {
        // Unreachable nodes were already reported by observe.
        if let Ok(info) = result {
            events.done(
                name,
                format!("engine {} ({})", info.engine_version, info.state),
            );
        }
    }
    let problems = problems(&snapshot.facts, &nodes);
    StatusReport {
        nodes,
        problems,
        ssh_connections: snapshot.connections,
    }
}

/// What is wrong with the swarm as a whole: no leader confirmed, and each
/// partitioned manager.
fn problems(facts: &Facts, nodes: &[NodeStatus]) -> Vec<String> {
    let leadership = facts.leadership.unconfirmed().map(ToString::to_string);
    let partitioned = nodes.iter().filter(|n| n.partitioned).map(|n| {
        format!(
            "{} is partitioned: a manager of this swarm that the other managers cannot reach \
             (Raft, 2377/tcp), although this machine reaches it over SSH; restore the network \
             between it and the other managers, and it catches up by itself",
            n.name
        )
    });
    leadership.into_iter().chain(partitioned).collect()
}

fn row(node: &Node, facts: &Facts) -> NodeStatus {
    let hop = &node.ssh.hop;
    let ssh_address = if hop.port == 22 {
        format!("{}@{}", hop.user, hop.host)
    } else {
        hop.destination()
    };
    let observed = facts.get(&node.name);
    let mut status = NodeStatus {
        name: node.name.to_string(),
        inventory_role: node.role,
        ssh_address,
        reachable: observed.is_some_and(|r| r.is_ok()),
        hostname: None,
        engine_version: None,
        api_version: None,
        state: None,
        node_id: None,
        role: None,
        leader: false,
        availability: None,
        node_state: None,
        reachability: None,
        labels: Default::default(),
        cluster_id: None,
        error: observed.and_then(|r| r.err().cloned()),
        partitioned: false,
    };
    let Some(Ok(info)) = observed else {
        return status;
    };
    status.hostname = Some(info.hostname.clone());
    status.engine_version = Some(info.engine_version.clone());
    status.api_version = Some(info.api_version.clone());
    status.state = Some(info.state);
    status.node_id = info.node_id.clone();
    status.cluster_id = info.cluster_id.clone();
    let views = facts.view.iter().chain(&facts.others);
    let listed: Option<(&ClusterView, &SwarmNode)> = info
        .node_id
        .as_deref()
        .and_then(|id| views.clone().find_map(|v| v.node(id).map(|n| (v, n))));
    if let Some((view, listed)) = listed {
        status.role = Some(listed.role);
        status.leader = listed.is_leader();
        status.availability = Some(listed.availability);
        status.node_state = Some(listed.state);
        status.reachability = listed.manager.as_ref().map(|m| m.reachability);
        // Only the confirmed majority's list can say who is cut off.
        status.partitioned = facts
            .view
            .as_ref()
            .is_some_and(|v| v.cluster_id == view.cluster_id)
            && facts.leadership.confirmed().is_some()
            && listed.manager.is_some()
            && !listed.is_reachable()
            && !listed.is_leader();
        status.labels = listed.labels.clone();
        status.cluster_id = Some(view.cluster_id.clone());
    }
    status
}
