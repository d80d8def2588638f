//! The Docker Engine API of one node, spoken through that node's tunnel:
//! `/info`, the node list, swarm inspect (join tokens), swarm init and join,
//! and node updates.
//!
//! Most calls go through bollard. Init and join go through the same hyper
//! client as raw JSON, because bollard's models lack `Availability`, which
//! makes a node join already drained; swarm inspect is raw too so that the
//! join tokens are parsed straight into [`Secret`]s and never sit in a
//! `Debug`-printable model. Engine error messages are scrubbed of anything
//! that looks like a join token before they go anywhere.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{
    LocalNodeState, NodeSpec, NodeSpecAvailabilityEnum, NodeSpecRoleEnum, NodeState, Reachability,
};
use http_body_util::BodyExt;
use hyper::body::Bytes;
use serde::{Deserialize, Serialize};

use crate::inventory::Availability;
use crate::secret::Secret;
use crate::ssh::{Connection, SshError, Stage};
use crate::tunnel::{self, HttpClient};

/// A failed Docker API call, with the step it failed at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The tunnel could not carry the request (socket, SSH connection).
    #[error("{message}")]
    Tunnel { stage: Stage, message: String },
    /// The engine answered with an error.
    #[error("{call}: the engine answered {status}: {message}")]
    Api {
        call: &'static str,
        status: u16,
        message: String,
    },
    /// The engine did not answer in time, or answered something unreadable.
    #[error("{call}: {message}")]
    Other { call: &'static str, message: String },
}

impl EngineError {
    pub fn stage(&self) -> Stage {
        match self {
            EngineError::Tunnel { stage, .. } => *stage,
            _ => Stage::Api,
        }
    }

    /// HTTP status of an engine error answer, if it was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            EngineError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    fn from_bollard(call: &'static str, error: bollard::errors::Error) -> Self {
        if let Some(ssh) = find_ssh_error(&error) {
            return EngineError::Tunnel {
                stage: ssh.stage(),
                message: ssh.to_string(),
            };
        }
        match error {
            bollard::errors::Error::DockerResponseServerError {
                status_code,
                message,
            } => EngineError::Api {
                call,
                status: status_code,
                message: redact(&message),
            },
            other => EngineError::Other {
                call,
                message: redact(&other.to_string()),
            },
        }
    }

    fn from_hyper(call: &'static str, error: hyper_util::client::legacy::Error) -> Self {
        if let Some(ssh) = find_ssh_error(&error) {
            return EngineError::Tunnel {
                stage: ssh.stage(),
                message: ssh.to_string(),
            };
        }
        EngineError::Other {
            call,
            message: redact(&error.to_string()),
        }
    }
}

fn find_ssh_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a SshError> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(ssh) = e.downcast_ref::<SshError>() {
            return Some(ssh);
        }
        current = e.source();
    }
    None
}

/// Replaces anything shaped like a swarm join token with `<redacted>`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("SWMTKN-") {
        out.push_str(&rest[..pos]);
        out.push_str("<redacted>");
        let tail = &rest[pos..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `/info` `.Swarm.LocalNodeState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LocalState {
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
pub struct RemoteManager {
    pub node_id: String,
    pub addr: String,
}

/// What a node's own `/info` says about it: its identity and swarm state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngineInfo {
    pub hostname: String,
    pub engine_version: String,
    pub api_version: String,
    pub state: LocalState,
    pub node_id: Option<String>,
    pub node_addr: Option<String>,
    /// Only managers know the ClusterID.
    pub cluster_id: Option<String>,
    pub is_manager: bool,
    pub remote_managers: Vec<RemoteManager>,
    pub error: Option<String>,
}

/// A node as a manager's node list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SwarmNode {
    pub id: String,
    pub version: i64,
    pub name: Option<String>,
    pub hostname: String,
    pub role: NodeRole,
    pub availability: Availability,
    pub labels: BTreeMap<String, String>,
    pub state: String,
    pub addr: Option<String>,
    pub manager: Option<ManagerStatus>,
    pub engine_version: Option<String>,
}

impl SwarmNode {
    pub fn is_ready(&self) -> bool {
        self.state == "ready"
    }

    pub fn is_leader(&self) -> bool {
        self.manager.as_ref().is_some_and(|m| m.leader)
    }

    pub fn is_reachable(&self) -> bool {
        self.manager
            .as_ref()
            .is_some_and(|m| m.reachability == "reachable")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeRole {
    Manager,
    Worker,
}

impl std::fmt::Display for NodeRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NodeRole::Manager => "manager",
            NodeRole::Worker => "worker",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagerStatus {
    pub leader: bool,
    /// `reachable`, `unreachable` or `unknown`.
    pub reachability: String,
    /// The manager's swarm address (`IP:2377`): where joiners connect.
    pub addr: String,
}

/// The swarm's join tokens. Secrets: never printed.
#[derive(Debug, Clone, Deserialize)]
pub struct JoinTokens {
    #[serde(rename = "Worker", deserialize_with = "secret")]
    pub worker: Secret,
    #[serde(rename = "Manager", deserialize_with = "secret")]
    pub manager: Secret,
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    String::deserialize(d).map(Secret::new)
}

/// `GET /swarm` from a manager.
#[derive(Debug, Clone, Deserialize)]
pub struct SwarmInspect {
    #[serde(rename = "ID")]
    pub cluster_id: String,
    #[serde(rename = "JoinTokens")]
    pub tokens: JoinTokens,
}

/// Body of `POST /swarm/init`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitRequest {
    pub listen_addr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advertise_addr: Option<String>,
    pub availability: Availability,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub default_addr_pool: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_path_port: Option<u16>,
    pub spec: serde_json::Value,
}

/// Body of `POST /swarm/join`. Its `Debug` is derived, but the token is a
/// [`Secret`], so it stays redacted.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub listen_addr: String,
    pub advertise_addr: Option<String>,
    pub remote_addrs: Vec<String>,
    pub token: Secret,
    pub availability: Availability,
}

impl JoinRequest {
    /// The wire form, with the token in clear: only for the request body.
    fn body(&self) -> serde_json::Value {
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

/// The desired spec of a node for a node update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeUpdate {
    pub role: NodeRole,
    pub availability: Availability,
    pub labels: BTreeMap<String, String>,
}

/// One node's engine, reached through its SSH connection.
#[derive(Clone)]
pub struct Engine {
    docker: Docker,
    http: HttpClient,
    timeout: Duration,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("api_version", &self.api_version())
            .finish()
    }
}

impl Engine {
    /// Builds the clients and negotiates the API version: the first request,
    /// so a socket that cannot be opened shows here.
    pub async fn connect(
        connection: Arc<Connection>,
        socket: &str,
        timeout: Duration,
    ) -> Result<Engine, EngineError> {
        let http = tunnel::http_client(connection, socket);
        let transport_client = http.clone();
        let docker = Docker::connect_with_custom_transport(
            move |req: bollard::BollardRequest| {
                let client = transport_client.clone();
                async move {
                    client
                        .request(req)
                        .await
                        .map_err(bollard::errors::Error::from)
                }
            },
            Some("http://docker.sock"),
            timeout.as_secs().max(1),
            bollard::API_DEFAULT_VERSION,
        )
        .map_err(|e| EngineError::from_bollard("connect", e))?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| EngineError::from_bollard("GET /version", e))?;
        Ok(Engine {
            docker,
            http,
            timeout,
        })
    }

    /// The negotiated API version, e.g. `1.41`.
    pub fn api_version(&self) -> String {
        self.docker.client_version().to_string()
    }

    pub async fn info(&self) -> Result<EngineInfo, EngineError> {
        let info = self
            .docker
            .info()
            .await
            .map_err(|e| EngineError::from_bollard("GET /info", e))?;
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
            api_version: self.api_version(),
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

    /// The swarm's node list (managers only).
    pub async fn nodes(&self) -> Result<Vec<SwarmNode>, EngineError> {
        let nodes = self
            .docker
            .list_nodes(None::<bollard::query_parameters::ListNodesOptions>)
            .await
            .map_err(|e| EngineError::from_bollard("GET /nodes", e))?;
        Ok(nodes.into_iter().filter_map(convert_node).collect())
    }

    /// The cluster ID and join tokens (managers only).
    pub async fn swarm(&self) -> Result<SwarmInspect, EngineError> {
        let bytes = self.raw("GET /swarm", "GET", "/swarm", None).await?;
        serde_json::from_slice(&bytes).map_err(|e| EngineError::Other {
            call: "GET /swarm",
            message: format!("unreadable answer: {e}"),
        })
    }

    /// Initialises a new swarm on this node; returns its NodeID.
    pub async fn init(&self, request: &InitRequest) -> Result<String, EngineError> {
        let body = serde_json::to_vec(request).map_err(|e| EngineError::Other {
            call: "POST /swarm/init",
            message: e.to_string(),
        })?;
        let bytes = self
            .raw("POST /swarm/init", "POST", "/swarm/init", Some(body))
            .await?;
        serde_json::from_slice::<String>(&bytes).map_err(|e| EngineError::Other {
            call: "POST /swarm/init",
            message: format!("unreadable answer: {e}"),
        })
    }

    /// Joins this node to a swarm.
    pub async fn join(&self, request: &JoinRequest) -> Result<(), EngineError> {
        let body = serde_json::to_vec(&request.body()).map_err(|e| EngineError::Other {
            call: "POST /swarm/join",
            message: e.to_string(),
        })?;
        self.raw("POST /swarm/join", "POST", "/swarm/join", Some(body))
            .await
            .map(|_| ())
    }

    /// Updates a node's spec (role, availability, labels) at `version`.
    pub async fn update_node(
        &self,
        node: &SwarmNode,
        update: &NodeUpdate,
    ) -> Result<(), EngineError> {
        let spec = NodeSpec {
            name: node.name.clone(),
            labels: Some(update.labels.clone().into_iter().collect()),
            role: Some(match update.role {
                NodeRole::Manager => NodeSpecRoleEnum::MANAGER,
                NodeRole::Worker => NodeSpecRoleEnum::WORKER,
            }),
            availability: Some(match update.availability {
                Availability::Active => NodeSpecAvailabilityEnum::ACTIVE,
                Availability::Pause => NodeSpecAvailabilityEnum::PAUSE,
                Availability::Drain => NodeSpecAvailabilityEnum::DRAIN,
            }),
        };
        let options = bollard::query_parameters::UpdateNodeOptions {
            version: node.version,
        };
        self.docker
            .update_node(&node.id, spec, options)
            .await
            .map_err(|e| EngineError::from_bollard("POST /nodes/{id}/update", e))
    }

    /// A request outside bollard's models, through the same tunnel.
    async fn raw(
        &self,
        call: &'static str,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Bytes, EngineError> {
        let uri = format!("http://docker.sock/v{}{path}", self.api_version());
        let has_body = body.is_some();
        let mut builder = hyper::Request::builder().method(method).uri(uri);
        if has_body {
            builder = builder.header("content-type", "application/json");
        }
        let request = builder
            .body(bollard::body_full(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| EngineError::Other {
                call,
                message: e.to_string(),
            })?;
        let exchange = async {
            let response = self
                .http
                .request(request)
                .await
                .map_err(|e| EngineError::from_hyper(call, e))?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| EngineError::Other {
                    call,
                    message: format!("reading the answer: {e}"),
                })?
                .to_bytes();
            if !status.is_success() {
                return Err(EngineError::Api {
                    call,
                    status: status.as_u16(),
                    message: redact(&engine_message(&bytes)),
                });
            }
            Ok(bytes)
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(EngineError::Other {
                    call,
                    message: format!("no answer within {}s", self.timeout.as_secs()),
                })
            })
    }
}

/// The `message` of an engine error body, or the body itself.
fn engine_message(bytes: &[u8]) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        message: String,
    }
    serde_json::from_slice::<ErrorBody>(bytes)
        .map(|b| b.message)
        .unwrap_or_else(|_| String::from_utf8_lossy(bytes).trim().to_owned())
}

fn convert_node(node: bollard::models::Node) -> Option<SwarmNode> {
    let spec = node.spec.unwrap_or_default();
    let status = node.status.unwrap_or_default();
    let description = node.description.unwrap_or_default();
    Some(SwarmNode {
        id: node.id?,
        version: node.version.and_then(|v| v.index).unwrap_or(0) as i64,
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
        labels: spec.labels.unwrap_or_default().into_iter().collect(),
        state: match status.state {
            Some(NodeState::READY) => "ready",
            Some(NodeState::DOWN) => "down",
            Some(NodeState::DISCONNECTED) => "disconnected",
            _ => "unknown",
        }
        .to_owned(),
        addr: status.addr,
        manager: node.manager_status.map(|m| ManagerStatus {
            leader: m.leader.unwrap_or(false),
            reachability: match m.reachability {
                Some(Reachability::REACHABLE) => "reachable",
                Some(Reachability::UNREACHABLE) => "unreachable",
                _ => "unknown",
            }
            .to_owned(),
            addr: m.addr.unwrap_or_default(),
        }),
        engine_version: description.engine.and_then(|e| e.engine_version),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_removes_every_token() {
        let text = "join failed: token SWMTKN-1-abc123-def456 rejected; also SWMTKN-1-x";
        let out = redact(text);
        assert!(!out.contains("SWMTKN"), "{out}");
        assert_eq!(
            out,
            "join failed: token <redacted> rejected; also <redacted>"
        );
    }

    #[test]
    fn join_request_debug_hides_the_token() {
        let request = JoinRequest {
            listen_addr: "0.0.0.0:2377".into(),
            advertise_addr: None,
            remote_addrs: vec!["10.0.0.1:2377".into()],
            token: Secret::new("SWMTKN-1-secret"),
            availability: Availability::Drain,
        };
        assert!(!format!("{request:?}").contains("SWMTKN"));
        let body = request.body();
        assert_eq!(body["JoinToken"], "SWMTKN-1-secret");
        assert_eq!(body["Availability"], "drain");
        assert!(body.get("AdvertiseAddr").is_none());
    }

    #[test]
    fn swarm_inspect_tokens_parse_into_secrets() {
        let json = br#"{"ID":"abc","JoinTokens":{"Worker":"SWMTKN-1-w","Manager":"SWMTKN-1-m"},"Spec":{}}"#;
        let inspect: SwarmInspect = serde_json::from_slice(json).unwrap();
        assert_eq!(inspect.cluster_id, "abc");
        assert_eq!(inspect.tokens.worker.expose(), "SWMTKN-1-w");
        assert!(!format!("{inspect:?}").contains("SWMTKN"));
    }

    #[test]
    fn engine_error_bodies_are_read_and_redacted() {
        let msg = engine_message(br#"{"message":"bad token SWMTKN-1-zz"}"#);
        assert_eq!(redact(&msg), "bad token <redacted>");
        assert_eq!(engine_message(b"plain text\n"), "plain text");
    }
}
