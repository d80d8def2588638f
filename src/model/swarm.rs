//! The swarm as swarmadm reads it off the Engine API: a node's own `/info`
//! ([`EngineInfo`], [`LocalState`]), a manager's node list ([`SwarmNode`]
//! and its role, status and reachability), the swarm object and its trust
//! root, the bodies of init, join and node update, and the tasks draining
//! waits for. Plain data, parsed by [`crate::remote::engine`]; join tokens
//! are [`Secret`]s from the moment they are read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::names::{Availability, Role};
use crate::model::secret::Secret;

/// `/info` `.Swarm.LocalNodeState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LocalState {
    Inactive,
    Pending,
    Active,
    Error,
    Locked,
}

impl std::fmt::Display for LocalState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LocalState::Inactive => "inactive",
            LocalState::Pending => "pending",
            LocalState::Active => "active",
            LocalState::Error => "error",
            LocalState::Locked => "locked",
        })
    }
}

/// A manager as a worker's `/info` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RemoteManager {
    pub(crate) node_id: String,
    pub(crate) addr: String,
}

/// What a node's own `/info` says about it: its identity and swarm state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct EngineInfo {
    pub(crate) hostname: String,
    pub(crate) engine_version: String,
    pub(crate) api_version: String,
    pub(crate) state: LocalState,
    pub(crate) node_id: Option<String>,
    pub(crate) node_addr: Option<String>,
    /// Only managers know the ClusterID.
    pub(crate) cluster_id: Option<String>,
    pub(crate) is_manager: bool,
    pub(crate) remote_managers: Vec<RemoteManager>,
    pub(crate) error: Option<String>,
}

/// A node as a manager's node list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SwarmNode {
    pub(crate) id: String,
    pub(crate) version: i64,
    pub(crate) name: Option<String>,
    pub(crate) hostname: String,
    pub(crate) role: NodeRole,
    pub(crate) availability: Availability,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) state: NodeStatus,
    pub(crate) addr: Option<String>,
    pub(crate) manager: Option<ManagerStatus>,
    pub(crate) engine_version: Option<String>,
}

impl SwarmNode {
    pub(crate) fn is_ready(&self) -> bool {
        self.state == NodeStatus::Ready
    }

    /// Ready with its description: how a joined node is listed once the
    /// managers have it all (right after a join it has no hostname yet).
    pub(crate) fn is_ready_by_name(&self) -> bool {
        self.is_ready() && !self.hostname.is_empty()
    }

    pub(crate) fn is_leader(&self) -> bool {
        self.manager.as_ref().is_some_and(|m| m.leader)
    }

    pub(crate) fn is_reachable(&self) -> bool {
        self.manager
            .as_ref()
            .is_some_and(|m| m.reachability == Reachability::Reachable)
    }
}

/// Which entries of the node list to ask a manager for (`GET
/// /nodes?filters=…`): the engine sends only those, so that a poll costs
/// what it waits for, not the swarm's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NodeFilter {
    /// The managers' entries (`role=manager`): where joins go.
    Managers,
    /// The entries with these NodeIDs (`id=…`). The engine matches an `id`
    /// as a prefix, and a whole NodeID is its own only prefix. Never empty:
    /// an empty filter would list every node.
    Ids(Vec<String>),
}

impl NodeFilter {
    /// The engine's `filters` parameter, as JSON (not yet URL-encoded).
    pub(crate) fn to_query(&self) -> String {
        let value = match self {
            NodeFilter::Managers => serde_json::json!({ "role": ["manager"] }),
            NodeFilter::Ids(ids) => serde_json::json!({ "id": ids }),
        };
        value.to_string()
    }

    /// Whether `node` is one the engine would list for this filter (the
    /// in-memory cluster answers so).
    #[cfg(any(test, feature = "fake-bench"))]
    pub(crate) fn matches(&self, node: &SwarmNode) -> bool {
        match self {
            NodeFilter::Managers => node.role == NodeRole::Manager,
            NodeFilter::Ids(ids) => ids.iter().any(|id| node.id.starts_with(id.as_str())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum NodeRole {
    Manager,
    Worker,
}

impl From<Role> for NodeRole {
    /// The swarm role an inventory role asks for: the leader is a manager.
    fn from(role: Role) -> NodeRole {
        if role.is_manager() {
            NodeRole::Manager
        } else {
            NodeRole::Worker
        }
    }
}

impl std::fmt::Display for NodeRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NodeRole::Manager => "manager",
            NodeRole::Worker => "worker",
        })
    }
}

/// A node's state in a manager's node list (`Status.State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum NodeStatus {
    Ready,
    Down,
    Disconnected,
    Unknown,
}

impl std::fmt::Display for NodeStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NodeStatus::Ready => "ready",
            NodeStatus::Down => "down",
            NodeStatus::Disconnected => "disconnected",
            NodeStatus::Unknown => "unknown",
        })
    }
}

/// A manager's Raft reachability (`ManagerStatus.Reachability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Reachability {
    Reachable,
    Unreachable,
    Unknown,
}

impl std::fmt::Display for Reachability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Reachability::Reachable => "reachable",
            Reachability::Unreachable => "unreachable",
            Reachability::Unknown => "unknown",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ManagerStatus {
    pub(crate) leader: bool,
    pub(crate) reachability: Reachability,
    /// The manager's swarm address (`IP:2377`): where joiners connect.
    pub(crate) addr: String,
}

/// The swarm's join tokens. Secrets: never printed.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct JoinTokens {
    #[serde(rename = "Worker", deserialize_with = "secret")]
    pub(crate) worker: Secret,
    #[serde(rename = "Manager", deserialize_with = "secret")]
    pub(crate) manager: Secret,
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    String::deserialize(d).map(Secret::new)
}

/// `GET /swarm` from a manager.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SwarmInspect {
    #[serde(rename = "JoinTokens")]
    pub(crate) tokens: JoinTokens,
    /// The swarm object's version: updates must name it.
    #[serde(rename = "Version", default)]
    pub(crate) version: ObjectVersion,
    /// The swarm spec as the engine sent it, so that an update changes
    /// only what it means to and keeps every field this program does not
    /// model. Holds no secret (the join tokens are outside the spec).
    #[serde(rename = "Spec", default)]
    pub(crate) spec: serde_json::Value,
    /// Init-only network values: not part of the spec, never changed later.
    #[serde(rename = "DefaultAddrPool", default)]
    pub(crate) default_addr_pool: Option<Vec<String>>,
    #[serde(rename = "SubnetSize", default)]
    pub(crate) subnet_size: Option<u32>,
    #[serde(rename = "DataPathPort", default)]
    pub(crate) data_path_port: Option<u32>,
    /// `TLSInfo.TrustRoot`: the swarm's root CA certificate (PEM).
    #[serde(rename = "TLSInfo", default)]
    pub(crate) tls_info: Option<TlsInfo>,
    #[serde(rename = "RootRotationInProgress", default)]
    pub(crate) root_rotation_in_progress: bool,
}

/// `TLSInfo` of the swarm or of a node: its trust root (a public CA
/// certificate, not a secret).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub(crate) struct TlsInfo {
    #[serde(rename = "TrustRoot", default)]
    pub(crate) trust_root: String,
}

impl SwarmInspect {
    /// The swarm object without its join tokens.
    pub(crate) fn object(&self) -> SwarmObject {
        SwarmObject {
            version: self.version.index,
            spec: self.spec.clone(),
            default_addr_pool: self.default_addr_pool.clone().unwrap_or_default(),
            subnet_size: self.subnet_size,
            data_path_port: self.data_path_port,
            root_rotation_in_progress: self.root_rotation_in_progress,
        }
    }
}

/// The swarm object as planning and verify read it: its version, its spec
/// and the init-only network values. No join token.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SwarmObject {
    pub(crate) version: u64,
    pub(crate) spec: serde_json::Value,
    pub(crate) default_addr_pool: Vec<String>,
    pub(crate) subnet_size: Option<u32>,
    pub(crate) data_path_port: Option<u32>,
    /// A root CA rotation is under way: not every node has a certificate
    /// from the new root yet.
    pub(crate) root_rotation_in_progress: bool,
}

/// What a swarm update also rotates (`rotateWorkerToken`,
/// `rotateManagerToken`, `rotateManagerUnlockKey`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Rotation {
    pub(crate) worker_token: bool,
    pub(crate) manager_token: bool,
    pub(crate) unlock_key: bool,
}

/// A node's trust root as the node list shows it (`Description.TLSInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeTrust {
    pub(crate) id: String,
    pub(crate) hostname: String,
    pub(crate) trust_root: String,
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub(crate) struct ObjectVersion {
    #[serde(rename = "Index", default)]
    pub(crate) index: u64,
}

/// Body of `POST /swarm/init`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InitRequest {
    pub(crate) listen_addr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) advertise_addr: Option<String>,
    pub(crate) availability: Availability,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) default_addr_pool: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) subnet_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) data_path_port: Option<u16>,
    pub(crate) spec: serde_json::Value,
    /// Lock managers at rest from the start (autolock).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) auto_lock_managers: bool,
    /// Docker's last resort for a lost quorum (`swarmadm recover` only): the
    /// manager keeps its state and becomes the only member of the Raft
    /// membership.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) force_new_cluster: bool,
}

/// How many of the swarm's objects a manager lists: what a recovery must
/// keep. `None` where the manager could not list them (no leader: only the
/// swarm-scope networks are answered from the manager's own copy).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct ObjectCounts {
    pub(crate) services: Option<usize>,
    pub(crate) networks: Option<usize>,
    pub(crate) secrets: Option<usize>,
    pub(crate) configs: Option<usize>,
}

/// Body of `POST /swarm/join`. Its `Debug` is derived, but the token is a
/// [`Secret`], so it stays redacted.
#[derive(Debug, Clone)]
pub(crate) struct JoinRequest {
    pub(crate) listen_addr: String,
    pub(crate) advertise_addr: Option<String>,
    pub(crate) remote_addrs: Vec<String>,
    pub(crate) token: Secret,
    pub(crate) availability: Availability,
}

impl JoinRequest {
    /// The wire form, with the token in clear: only for the request body.
    pub(crate) fn body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "ListenAddr": self.listen_addr,
            "RemoteAddrs": self.remote_addrs,
            "JoinToken": self.token.expose(),
            "Availability": self.availability.as_str(),
        });
        if let Some(addr) = &self.advertise_addr {
            body["AdvertiseAddr"] = serde_json::Value::String(addr.clone());
        }
        body
    }
}

/// A task the swarm placed on a node (`GET /tasks`), as far as draining
/// needs it: whether it still runs there or is meant to, and which slot of
/// its service it fills, so that its replacement can be found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct NodeTask {
    pub(crate) id: String,
    pub(crate) service_id: String,
    pub(crate) node_id: String,
    /// The replica's slot (replicated services); a global service's task has
    /// none: it is not replaced elsewhere.
    pub(crate) slot: Option<u64>,
    /// Its state is `running` (not only on its way there).
    pub(crate) started: bool,
    /// The orchestrator still wants it running on this node.
    pub(crate) desired_running: bool,
    /// It is assigned to the node and not yet stopped (assigned … running).
    pub(crate) running: bool,
}

impl NodeTask {
    /// Whether the task is still on the node: wanted or still running.
    pub(crate) fn is_live(&self) -> bool {
        self.desired_running || self.running
    }
}

/// The replicated tasks of `moving` (the tasks a drained node had) whose
/// slot has no task running, and meant to run, on another node of
/// `tasks` (their services' tasks now). A global service's task has no
/// slot and is never waited for.
pub(crate) fn unplaced<'a>(moving: &'a [NodeTask], tasks: &[NodeTask]) -> Vec<&'a NodeTask> {
    moving
        .iter()
        .filter(|old| {
            old.slot.is_some()
                && !tasks.iter().any(|t| {
                    t.service_id == old.service_id
                        && t.slot == old.slot
                        && t.node_id != old.node_id
                        && t.desired_running
                        && t.started
                })
        })
        .collect()
}

/// The desired spec of a node for a node update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeUpdate {
    pub(crate) role: NodeRole,
    pub(crate) availability: Availability,
    pub(crate) labels: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_filter_asks_the_engine_by_role_or_by_whole_node_ids() {
        assert_eq!(NodeFilter::Managers.to_query(), r#"{"role":["manager"]}"#);
        let ids = NodeFilter::Ids(vec!["abc".into(), "def".into()]);
        assert_eq!(ids.to_query(), r#"{"id":["abc","def"]}"#);
    }

    fn task(service: &str, node: &str, slot: Option<u64>, state: (bool, bool)) -> NodeTask {
        let (desired_running, started) = state;
        NodeTask {
            id: format!("{service}.{slot:?}@{node}"),
            service_id: service.into(),
            node_id: node.into(),
            slot,
            started,
            desired_running,
            running: started,
        }
    }

    const RUNNING: (bool, bool) = (true, true);
    const STARTING: (bool, bool) = (true, false);
    const SHUT_DOWN: (bool, bool) = (false, false);

    #[test]
    fn a_replica_has_moved_only_when_its_slot_runs_on_another_node() {
        let moving = [task("web", "drained", Some(2), RUNNING)];
        // Stopped on the drained node, its replacement still starting.
        let now = [
            task("web", "drained", Some(2), SHUT_DOWN),
            task("web", "other", Some(2), STARTING),
        ];
        assert_eq!(unplaced(&moving, &now).len(), 1);
        // Another slot running elsewhere is not its replacement.
        let now = [task("web", "other", Some(1), RUNNING)];
        assert_eq!(unplaced(&moving, &now).len(), 1);
        // Nor is the same slot of another service.
        let now = [task("api", "other", Some(2), RUNNING)];
        assert_eq!(unplaced(&moving, &now).len(), 1);
        let now = [
            task("web", "drained", Some(2), SHUT_DOWN),
            task("web", "other", Some(2), RUNNING),
        ];
        assert!(unplaced(&moving, &now).is_empty());
    }

    #[test]
    fn a_global_task_is_not_waited_for_elsewhere() {
        let moving = [task("agent", "drained", None, RUNNING)];
        assert!(unplaced(&moving, &[]).is_empty());
    }
}
