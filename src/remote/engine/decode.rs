//! The two answers that grow with the swarm, decoded: a node's `/info` and
//! the node list. Only the fields swarmadm reads are kept; the rest of an
//! answer (TLS roots, plugins, platform, resources: about 1.8 KB of each
//! node-list entry, most of `/info`) is skipped by the parser without being
//! built, where bollard's full models would allocate and drop every field.
//! At thousands of nodes that was most of swarmadm's own CPU time.
//!
//! The values read keep bollard's enums, so an entry is refused exactly
//! when bollard refuses it on a field swarmadm reads (an unknown role or
//! state is an unreadable answer, not a guess).

use std::collections::BTreeMap;

use bollard::models::{
    LocalNodeState, NodeSpecAvailabilityEnum, NodeSpecRoleEnum, NodeState, ObjectVersion,
};
use serde::Deserialize;

use crate::model::names::Availability;
use crate::model::swarm::{
    EngineInfo, LocalState, ManagerStatus, NodeRole, NodeStatus, Reachability, RemoteManager,
    SwarmNode,
};
use crate::remote::engine::redact;

/// A node's `/info`, as far as swarmadm reads it.
#[derive(Deserialize)]
struct Info {
    #[serde(rename = "Name")]
    name: Option<String>,
    #[serde(rename = "ServerVersion")]
    server_version: Option<String>,
    #[serde(rename = "Swarm")]
    swarm: Option<InfoSwarm>,
}

#[derive(Deserialize, Default)]
struct InfoSwarm {
    #[serde(rename = "NodeID")]
    node_id: Option<String>,
    #[serde(rename = "NodeAddr")]
    node_addr: Option<String>,
    #[serde(rename = "LocalNodeState")]
    local_node_state: Option<LocalNodeState>,
    #[serde(rename = "ControlAvailable")]
    control_available: Option<bool>,
    #[serde(rename = "Error")]
    error: Option<String>,
    #[serde(rename = "RemoteManagers")]
    remote_managers: Option<Vec<Peer>>,
    #[serde(rename = "Cluster")]
    cluster: Option<Cluster>,
}

#[derive(Deserialize)]
struct Peer {
    #[serde(rename = "NodeID")]
    node_id: Option<String>,
    #[serde(rename = "Addr")]
    addr: Option<String>,
}

#[derive(Deserialize)]
struct Cluster {
    #[serde(rename = "ID")]
    id: Option<String>,
}

/// A node-list entry, as far as swarmadm reads it.
#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "ID")]
    id: Option<String>,
    #[serde(rename = "Version")]
    version: Option<ObjectVersion>,
    #[serde(rename = "Spec")]
    spec: Option<Spec>,
    #[serde(rename = "Description")]
    description: Option<Description>,
    #[serde(rename = "Status")]
    status: Option<Status>,
    #[serde(rename = "ManagerStatus")]
    manager_status: Option<Manager>,
}

#[derive(Deserialize, Default)]
struct Spec {
    #[serde(rename = "Name")]
    name: Option<String>,
    #[serde(rename = "Labels")]
    labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "Role")]
    role: Option<NodeSpecRoleEnum>,
    #[serde(rename = "Availability")]
    availability: Option<NodeSpecAvailabilityEnum>,
}

#[derive(Deserialize, Default)]
struct Description {
    #[serde(rename = "Hostname")]
    hostname: Option<String>,
    #[serde(rename = "Engine")]
    engine: Option<Engine>,
}

#[derive(Deserialize)]
struct Engine {
    #[serde(rename = "EngineVersion")]
    engine_version: Option<String>,
}

#[derive(Deserialize, Default)]
struct Status {
    #[serde(rename = "State")]
    state: Option<NodeState>,
    #[serde(rename = "Addr")]
    addr: Option<String>,
}

#[derive(Deserialize)]
struct Manager {
    #[serde(rename = "Leader")]
    leader: Option<bool>,
    #[serde(rename = "Reachability")]
    reachability: Option<bollard::models::Reachability>,
    #[serde(rename = "Addr")]
    addr: Option<String>,
}

/// What swarmadm reads of a node's `/info`.
pub(super) fn info(bytes: &[u8], api_version: String) -> Result<EngineInfo, serde_json::Error> {
    let info: Info = serde_json::from_slice(bytes)?;
    let swarm = info.swarm.unwrap_or_default();
    let state = match swarm.local_node_state {
        Some(LocalNodeState::ACTIVE) => LocalState::Active,
        Some(LocalNodeState::PENDING) => LocalState::Pending,
        Some(LocalNodeState::ERROR) => LocalState::Error,
        Some(LocalNodeState::LOCKED) => LocalState::Locked,
        _ => LocalState::Inactive,
    };
    Ok(EngineInfo {
        hostname: info.name.unwrap_or_default(),
        engine_version: info.server_version.unwrap_or_default(),
        api_version,
        state,
        node_id: swarm.node_id.filter(|s| !s.is_empty()),
        node_addr: swarm.node_addr.filter(|s| !s.is_empty()),
        cluster_id: swarm.cluster.and_then(|c| c.id).filter(|s| !s.is_empty()),
        is_manager: swarm.control_available.unwrap_or(false),
        remote_managers: swarm
            .remote_managers
            .unwrap_or_default()
            .into_iter()
            .map(|p| RemoteManager {
                node_id: p.node_id.unwrap_or_default(),
                addr: p.addr.unwrap_or_default(),
            })
            .collect(),
        error: swarm.error.filter(|s| !s.is_empty()).map(|e| redact(&e)),
    })
}

/// The node list; an entry without a NodeID is left out.
pub(super) fn nodes(bytes: &[u8]) -> Result<Vec<SwarmNode>, serde_json::Error> {
    let entries: Vec<Entry> = serde_json::from_slice(bytes)?;
    Ok(entries.into_iter().filter_map(node).collect())
}

fn node(entry: Entry) -> Option<SwarmNode> {
    let spec = entry.spec.unwrap_or_default();
    let status = entry.status.unwrap_or_default();
    let description = entry.description.unwrap_or_default();
    Some(SwarmNode {
        id: entry.id?,
        version: entry.version.and_then(|v| v.index).unwrap_or(0) as i64,
        name: spec.name,
        hostname: description.hostname.unwrap_or_default(),
        role: match spec.role {
            Some(NodeSpecRoleEnum::MANAGER) => NodeRole::Manager,
            _ => NodeRole::Worker,
        },
        availability: match spec.availability {
            Some(NodeSpecAvailabilityEnum::DRAIN) => Availability::Drain,
            Some(NodeSpecAvailabilityEnum::PAUSE) => Availability::Pause,
            _ => Availability::Active,
        },
        labels: spec.labels.unwrap_or_default(),
        state: match status.state {
            Some(NodeState::READY) => NodeStatus::Ready,
            Some(NodeState::DOWN) => NodeStatus::Down,
            Some(NodeState::DISCONNECTED) => NodeStatus::Disconnected,
            _ => NodeStatus::Unknown,
        },
        addr: status.addr,
        manager: entry.manager_status.map(|m| ManagerStatus {
            leader: m.leader.unwrap_or(false),
            reachability: match m.reachability {
                Some(bollard::models::Reachability::REACHABLE) => Reachability::Reachable,
                Some(bollard::models::Reachability::UNREACHABLE) => Reachability::Unreachable,
                _ => Reachability::Unknown,
            },
            addr: m.addr.unwrap_or_default(),
        }),
        engine_version: description.engine.and_then(|e| e.engine_version),
    })
}

#[cfg(test)]
mod tests;
