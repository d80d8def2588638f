//! `swarmadm status`: one row per node, read through each node's own tunnel
//! (engine and API version, swarm state, NodeID) and completed from a
//! manager's node list (role, availability, leader). Read-only.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::engine::{LocalState, SwarmNode};
use crate::events::Events;
use crate::inventory::Inventory;
use crate::observe::{self, ClusterView, Failure, Observed, RunOptions};
use crate::ui;

/// One row of `status`. The JSON form of `status --output json` is
/// `{"nodes": [NodeStatus, ...], "ssh_connections": N}`.
#[derive(Debug, Clone, Serialize)]
pub struct NodeStatus {
    pub name: String,
    pub ssh_address: String,
    pub reachable: bool,
    pub hostname: Option<String>,
    pub engine_version: Option<String>,
    pub api_version: Option<String>,
    /// inactive, pending, active, error or locked.
    pub state: Option<LocalState>,
    pub node_id: Option<String>,
    /// manager or worker, from a manager's node list.
    pub role: Option<String>,
    pub leader: bool,
    pub availability: Option<String>,
    pub cluster_id: Option<String>,
    pub error: Option<Failure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub nodes: Vec<NodeStatus>,
    /// SSH connections this run opened (one per reachable node).
    pub ssh_connections: usize,
}

impl StatusReport {
    pub fn all_reachable(&self) -> bool {
        self.nodes.iter().all(|n| n.reachable)
    }

    pub fn to_table(&self) -> String {
        let rows = self
            .nodes
            .iter()
            .map(|n| {
                let dash = || "-".to_owned();
                let role = match (&n.role, n.leader) {
                    (Some(r), true) => format!("{r} (leader)"),
                    (Some(r), false) => r.clone(),
                    (None, _) => dash(),
                };
                vec![
                    n.name.clone(),
                    n.ssh_address.clone(),
                    n.engine_version.clone().unwrap_or_else(dash),
                    n.api_version.clone().unwrap_or_else(dash),
                    n.state
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "unreachable".into()),
                    n.node_id.clone().unwrap_or_else(dash),
                    role,
                    n.availability.clone().unwrap_or_else(dash),
                    n.cluster_id.clone().unwrap_or_else(dash),
                    n.error.as_ref().map(|e| e.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        ui::table(
            &[
                "NODE",
                "SSH",
                "ENGINE",
                "API",
                "SWARM",
                "NODE ID",
                "ROLE",
                "AVAILABILITY",
                "CLUSTER ID",
                "ERROR",
            ],
            rows,
        )
    }
}

/// Reaches every node and builds the report.
pub async fn run(inventory: &Inventory, options: &RunOptions, events: &Events) -> StatusReport {
    let before = crate::ssh::connections_opened();
    let observed = observe::reach_all(inventory, options, events).await;
    let views = views(&observed).await;
    let nodes = observed
        .iter()
        .map(|o| {
            let status = row(o, &views);
            // Unreachable nodes were already reported by observe.
            if let Ok(r) = &o.reach {
                events.done(
                    &o.node.name,
                    format!("engine {} ({})", r.info.engine_version, r.info.state),
                );
            }
            status
        })
        .collect();
    StatusReport {
        nodes,
        ssh_connections: crate::ssh::connections_opened() - before,
    }
}

/// One node list per swarm that a reachable manager reports.
async fn views(observed: &[Observed]) -> Vec<ClusterView> {
    let cluster_ids: BTreeSet<&str> = observed
        .iter()
        .filter_map(|o| o.info()?.cluster_id.as_deref())
        .collect();
    let mut views = Vec::new();
    for id in cluster_ids {
        if let Some(view) = observe::cluster_view(observed, id).await {
            views.push(view);
        }
    }
    views
}

fn row(o: &Observed, views: &[ClusterView]) -> NodeStatus {
    let ssh_address = if o.node.ssh.hop.port == 22 {
        format!("{}@{}", o.node.ssh.hop.user, o.node.ssh.hop.host)
    } else {
        format!(
            "{}@{}:{}",
            o.node.ssh.hop.user, o.node.ssh.hop.host, o.node.ssh.hop.port
        )
    };
    let mut status = NodeStatus {
        name: o.node.name.to_string(),
        ssh_address,
        reachable: o.reach.is_ok(),
        hostname: None,
        engine_version: None,
        api_version: None,
        state: None,
        node_id: None,
        role: None,
        leader: false,
        availability: None,
        cluster_id: None,
        error: o.reach.as_ref().err().cloned(),
    };
    let Some(info) = o.info() else {
        return status;
    };
    status.hostname = Some(info.hostname.clone());
    status.engine_version = Some(info.engine_version.clone());
    status.api_version = Some(info.api_version.clone());
    status.state = Some(info.state);
    status.node_id = info.node_id.clone();
    status.cluster_id = info.cluster_id.clone();
    let listed: Option<(&ClusterView, &SwarmNode)> = info
        .node_id
        .as_deref()
        .and_then(|id| views.iter().find_map(|v| v.node(id).map(|n| (v, n))));
    if let Some((view, node)) = listed {
        status.role = Some(node.role.to_string());
        status.leader = node.is_leader();
        status.availability = Some(node.availability.to_string());
        status.cluster_id = Some(view.cluster_id.clone());
    }
    status
}
