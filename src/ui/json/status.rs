//! `status`: one node object per inventory node, as the node and the
//! swarm's node list see it, and what is wrong with the swarm as a whole.

use serde::Serialize;

use crate::check::status::StatusReport;
use crate::model::names::{Availability, Role};
use crate::model::swarm::{LocalState, NodeRole};

use super::{ErrorObject, Report, document};

#[derive(Serialize)]
pub(crate) struct StatusNode<'a> {
    name: &'a str,
    role: Role,
    node_id: Option<&'a str>,
    error: Option<ErrorObject>,
    ssh_address: &'a str,
    reachable: bool,
    hostname: Option<&'a str>,
    engine_version: Option<&'a str>,
    api_version: Option<&'a str>,
    /// The node's own swarm state: inactive, pending, active, error, locked.
    state: Option<LocalState>,
    /// Manager or worker, as the swarm's node list says.
    swarm_role: Option<NodeRole>,
    leader: bool,
    availability: Option<Availability>,
    /// ready, down, disconnected or unknown, from the node list.
    node_state: Option<crate::model::swarm::NodeStatus>,
    /// leader, reachable, unreachable or unknown for a manager; null for a
    /// worker.
    manager_status: Option<String>,
    labels: &'a std::collections::BTreeMap<String, String>,
    cluster_id: Option<&'a str>,
    /// A manager that answers over SSH while the swarm's node list shows
    /// it unreachable in Raft.
    partitioned: bool,
}

#[derive(Serialize)]
pub(crate) struct StatusExtra<'a> {
    /// What is wrong with the swarm as a whole.
    problems: &'a [String],
    ssh_connections: usize,
}

impl Report for StatusReport {
    const COMMAND: &'static str = "status";
    type Node<'a> = StatusNode<'a>;
    type Extra<'a> = StatusExtra<'a>;

    fn exit_code(&self) -> u8 {
        StatusReport::exit_code(self)
    }

    fn error(&self) -> Option<ErrorObject> {
        None
    }

    fn nodes(&self) -> Vec<StatusNode<'_>> {
        self.nodes
            .iter()
            .map(|n| StatusNode {
                name: &n.name,
                role: n.inventory_role,
                node_id: n.node_id.as_deref(),
                error: n.error.as_ref().map(ErrorObject::from_failure),
                ssh_address: &n.ssh_address,
                reachable: n.reachable,
                hostname: n.hostname.as_deref(),
                engine_version: n.engine_version.as_deref(),
                api_version: n.api_version.as_deref(),
                state: n.state,
                swarm_role: n.role,
                leader: n.leader,
                availability: n.availability,
                node_state: n.node_state,
                manager_status: if n.leader {
                    Some("leader".to_owned())
                } else {
                    n.reachability.map(|r| r.to_string())
                },
                labels: &n.labels,
                cluster_id: n.cluster_id.as_deref(),
                partitioned: n.partitioned,
            })
            .collect()
    }

    fn extra(&self) -> StatusExtra<'_> {
        StatusExtra {
            problems: &self.problems,
            ssh_connections: self.ssh_connections,
        }
    }
}

pub(crate) fn status(report: &StatusReport) -> String {
    document(report)
}
