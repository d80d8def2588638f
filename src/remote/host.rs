//! A swarm node as the rest of the program sees it: the [`SwarmHost`]
//! trait (read `/info` and the node list, init, join, update a node, prove
//! a port is reachable from the node) and the [`Connector`] that reaches a
//! node. The real implementation is a Docker engine over the node's one SSH
//! connection ([`RemoteHost`], [`SshConnector`]); unit tests use an
//! in-memory cluster instead (`crate::remote::fake`), so that the order,
//! waits and fault handling of `up`, `down`, `recover` and the others are
//! tested without a network.
//!
//! SSH details stop here: above this module a port check is a
//! [`PortCheck`], not an SSH channel error.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::inventory::Node;
use crate::model::failure::Failure;
use crate::model::names::NodeName;
use crate::model::secret::Secret;
use crate::model::swarm::{
    EngineInfo, InitRequest, JoinRequest, NodeFilter, NodeTask, NodeTrust, NodeUpdate,
    ObjectCounts, Rotation, SwarmInspect, SwarmNode,
};
use crate::remote::engine::{Engine, EngineError, ViewRead};
use crate::remote::ssh::{Connection, SshError, SshOptions};

mod workload;
pub(crate) use workload::WorkloadHost;

/// What a node can be asked. Every call is bounded by the request timeout
/// of the implementation.
pub(crate) trait SwarmHost: Send + Sync {
    /// `GET /info`: the node's own view of itself.
    fn info(&self) -> impl Future<Output = Result<EngineInfo, EngineError>> + Send;
    /// `GET /nodes`: the swarm's node list (managers only).
    fn nodes(&self) -> impl Future<Output = Result<Vec<SwarmNode>, EngineError>> + Send;
    /// `GET /nodes?filters=…`: the node list's entries that `filter` names
    /// (managers only).
    fn nodes_where(
        &self,
        filter: &NodeFilter,
    ) -> impl Future<Output = Result<Vec<SwarmNode>, EngineError>> + Send;
    /// `GET /swarm`: the cluster ID and the join tokens (managers only).
    fn swarm(&self) -> impl Future<Output = Result<SwarmInspect, EngineError>> + Send;
    /// `POST /swarm/init`; returns the new NodeID.
    fn init(
        &self,
        request: &InitRequest,
    ) -> impl Future<Output = Result<String, EngineError>> + Send;
    /// `POST /swarm/join`.
    fn join(&self, request: &JoinRequest) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// `POST /nodes/{id}/update` at the node's version (managers only).
    fn update_node(
        &self,
        node: &SwarmNode,
        update: &NodeUpdate,
    ) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// `POST /swarm/update` of the spec at `version` (managers only).
    fn update_swarm(
        &self,
        version: u64,
        spec: &serde_json::Value,
    ) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// `POST /swarm/leave`: to clear a join that failed half-way (state
    /// `error`) before joining again, and in `down`, `remove` and
    /// `up --prune`.
    fn leave(&self, force: bool) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// `DELETE /nodes/{id}` (managers only): a stale entry.
    fn remove_node(
        &self,
        id: &str,
        force: bool,
    ) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// `GET /tasks?filters={"node":[ID]}` (managers only): the tasks on a
    /// node, to wait until a drained node's tasks have moved.
    fn node_tasks(
        &self,
        node_id: &str,
    ) -> impl Future<Output = Result<Vec<NodeTask>, EngineError>> + Send;
    /// `GET /tasks?filters={"service":[IDS]}` (managers only): the
    /// services' tasks on every node, to see a drained node's tasks running
    /// elsewhere.
    fn tasks_of_services(
        &self,
        service_ids: &[String],
    ) -> impl Future<Output = Result<Vec<NodeTask>, EngineError>> + Send;
    /// Whether this node can open a TCP connection to `addr` (`host:port`).
    fn can_reach(&self, addr: &str) -> impl Future<Output = PortCheck> + Send;
    /// `POST /swarm/update` of the spec at `version`, rotating what
    /// `rotation` names (managers only).
    fn update_swarm_rotating(
        &self,
        version: u64,
        spec: &serde_json::Value,
        rotation: Rotation,
    ) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// `GET /swarm/unlockkey` (managers only); `None` when autolock is off.
    fn unlock_key(&self) -> impl Future<Output = Result<Option<Secret>, EngineError>> + Send;
    /// `POST /swarm/unlock` on this (locked) node.
    fn unlock(&self, key: &Secret) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// Each node's trust root from the node list (managers only).
    fn node_trust(&self) -> impl Future<Output = Result<Vec<NodeTrust>, EngineError>> + Send;
    /// How many services, swarm-scope networks, secrets and configs this
    /// manager lists (`None` for a list it cannot answer without a leader).
    fn counts(&self) -> impl Future<Output = Result<ObjectCounts, EngineError>> + Send;
}

/// The answer of [`SwarmHost::can_reach`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PortCheck {
    Open,
    /// The check itself is not possible (the SSH server forbids TCP
    /// forwarding): not a failure.
    NotChecked,
    /// Connection refused, no route, ...: the message says which.
    Closed(String),
    TimedOut(Duration),
}

/// Reaches the nodes of an inventory.
pub(crate) trait Connector: Sync {
    type Host: SwarmHost;
    /// Opens the node's connection and reads its `/info` (at once, where
    /// the transport allows); with `view`, also its node list and swarm
    /// object (see [`Reached`]). A failure names the step that failed.
    fn connect(
        &self,
        node: &Node,
        view: bool,
    ) -> impl Future<Output = Result<Reached<Self::Host>, Failure>> + Send;
    /// How many connections this connector opened so far.
    fn connections(&self) -> usize;
}

/// A node just reached: its host, its `/info` and, when the connector was
/// asked for it, the node list and swarm object read alongside `/info`.
/// That read is speculative (the node may not be a manager): only the
/// observation that asked for it may use it, never a later step.
#[derive(Debug)]
pub(crate) struct Reached<H> {
    pub(crate) host: H,
    pub(crate) info: EngineInfo,
    pub(crate) view: Option<ViewRead>,
}

/// A node whose Docker socket can be opened as a plain byte stream, over
/// the node's connection: what `swarmadm tunnel` relays a local client's
/// connection to (each one its own `direct-streamlocal` channel).
pub(crate) trait SocketHost: SwarmHost {
    type Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static;
    fn open_socket(&self) -> impl Future<Output = Result<Self::Stream, Failure>> + Send;
}

/// One node's engine over its one SSH connection.
#[derive(Debug, Clone)]
pub(crate) struct RemoteHost {
    node: NodeName,
    connection: Arc<Connection>,
    engine: Engine,
    /// The Docker socket on the node.
    socket: Arc<str>,
}

impl SocketHost for RemoteHost {
    type Stream = russh::ChannelStream<russh::client::Msg>;

    async fn open_socket(&self) -> Result<Self::Stream, Failure> {
        Ok(self.connection.open_socket(&self.socket).await?)
    }
}

impl RemoteHost {
    /// Runs one API call, logging (`-v`) its duration and how it ended.
    async fn timed<T>(
        &self,
        call: &str,
        request: impl Future<Output = Result<T, EngineError>>,
    ) -> Result<T, EngineError> {
        let start = std::time::Instant::now();
        let result = request.await;
        let took = start.elapsed().as_millis();
        match &result {
            Ok(_) => tracing::debug!("{}: {call}: ok in {took} ms", self.node),
            Err(e) => tracing::debug!("{}: {call}: {:?} in {took} ms: {e}", self.node, e.kind()),
        }
        result
    }
}

/// How long a node may take to connect to another node's port.
const PORT_CHECK_TIMEOUT: Duration = Duration::from_secs(10);

impl SwarmHost for RemoteHost {
    async fn info(&self) -> Result<EngineInfo, EngineError> {
        self.timed("GET /info", self.engine.info()).await
    }

    async fn nodes(&self) -> Result<Vec<SwarmNode>, EngineError> {
        self.timed("GET /nodes", self.engine.nodes()).await
    }

    async fn nodes_where(&self, filter: &NodeFilter) -> Result<Vec<SwarmNode>, EngineError> {
        self.timed("GET /nodes (filtered)", self.engine.nodes_where(filter))
            .await
    }

    async fn swarm(&self) -> Result<SwarmInspect, EngineError> {
        self.timed("GET /swarm", self.engine.swarm()).await
    }

    async fn init(&self, request: &InitRequest) -> Result<String, EngineError> {
        self.timed("POST /swarm/init", self.engine.init(request))
            .await
    }

    async fn join(&self, request: &JoinRequest) -> Result<(), EngineError> {
        self.timed("POST /swarm/join", self.engine.join(request))
            .await
    }

    async fn update_node(&self, node: &SwarmNode, update: &NodeUpdate) -> Result<(), EngineError> {
        let call = format!("POST /nodes/{}/update", node.id);
        self.timed(&call, self.engine.update_node(node, update))
            .await
    }

    async fn update_swarm(
        &self,
        version: u64,
        spec: &serde_json::Value,
    ) -> Result<(), EngineError> {
        self.timed(
            "POST /swarm/update",
            self.engine.update_swarm(version, spec),
        )
        .await
    }

    async fn leave(&self, force: bool) -> Result<(), EngineError> {
        self.timed("POST /swarm/leave", self.engine.leave(force))
            .await
    }

    async fn remove_node(&self, id: &str, force: bool) -> Result<(), EngineError> {
        let call = format!("DELETE /nodes/{id}");
        self.timed(&call, self.engine.remove_node(id, force)).await
    }

    async fn update_swarm_rotating(
        &self,
        version: u64,
        spec: &serde_json::Value,
        rotation: Rotation,
    ) -> Result<(), EngineError> {
        self.engine
            .update_swarm_rotating(version, spec, rotation)
            .await
    }

    async fn unlock_key(&self) -> Result<Option<Secret>, EngineError> {
        self.engine.unlock_key().await
    }

    async fn unlock(&self, key: &Secret) -> Result<(), EngineError> {
        self.engine.unlock(key).await
    }

    async fn node_trust(&self) -> Result<Vec<NodeTrust>, EngineError> {
        self.engine.node_trust().await
    }

    async fn node_tasks(&self, node_id: &str) -> Result<Vec<NodeTask>, EngineError> {
        self.engine.node_tasks(node_id).await
    }

    async fn tasks_of_services(
        &self,
        service_ids: &[String],
    ) -> Result<Vec<NodeTask>, EngineError> {
        self.engine.tasks_of_services(service_ids).await
    }

    async fn counts(&self) -> Result<ObjectCounts, EngineError> {
        self.timed(
            "GET /services, /networks, /secrets, /configs",
            self.engine.counts(),
        )
        .await
    }

    async fn can_reach(&self, addr: &str) -> PortCheck {
        let Some((host, port)) = split_host_port(addr) else {
            return PortCheck::Closed(format!("{addr}: not a host:port address"));
        };
        match tokio::time::timeout(PORT_CHECK_TIMEOUT, self.connection.open_tcp(host, port)).await {
            Ok(Ok(_stream)) => PortCheck::Open,
            Ok(Err(SshError::TcpChannel {
                prohibited: true, ..
            })) => {
                tracing::debug!("port check skipped: the SSH server forbids TCP forwarding");
                PortCheck::NotChecked
            }
            Ok(Err(e)) => PortCheck::Closed(e.to_string()),
            Err(_) => PortCheck::TimedOut(PORT_CHECK_TIMEOUT),
        }
    }
}

/// `10.0.0.1:2377` or `[fd00::1]:2377` → host and port.
fn split_host_port(addr: &str) -> Option<(&str, u16)> {
    let (host, port) = addr.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host, port.parse().ok()?))
}

/// Says (`-v`) where a node's connection goes and with what: address,
/// user, keys and where they came from, known_hosts files, jump hosts and
/// the Docker socket.
fn log_target(node: &Node) {
    let hop = &node.ssh.hop;
    let keys: Vec<String> = hop
        .identity_files
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let known_hosts: Vec<String> = hop
        .known_hosts_files
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let jumps: Vec<String> = node.ssh.jumps.iter().map(|j| j.destination()).collect();
    tracing::debug!(
        "{}: ssh {}{}; keys: {} (from {:?}{}); known_hosts: {}; socket {}",
        node.name,
        hop.destination(),
        if jumps.is_empty() {
            String::new()
        } else {
            format!(" via {}", jumps.join(" → "))
        },
        if keys.is_empty() {
            "ssh-agent only".to_owned()
        } else {
            keys.join(", ")
        },
        hop.identity_origin,
        if hop.identities_only {
            ", IdentitiesOnly"
        } else {
            ""
        },
        if known_hosts.is_empty() {
            "~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts".to_owned()
        } else {
            known_hosts.join(", ")
        },
        node.ssh.socket
    );
}

/// Connects over SSH (one connection per node) and negotiates the engine's
/// API version; counts the connections it opened.
#[derive(Debug)]
pub(crate) struct SshConnector {
    ssh: SshOptions,
    request_timeout: Duration,
    opened: AtomicUsize,
}

impl SshConnector {
    pub(crate) fn new(ssh: SshOptions, request_timeout: Duration) -> Self {
        SshConnector {
            ssh,
            request_timeout,
            opened: AtomicUsize::new(0),
        }
    }
}

impl Connector for SshConnector {
    type Host = RemoteHost;

    async fn connect(&self, node: &Node, view: bool) -> Result<Reached<RemoteHost>, Failure> {
        log_target(node);
        let start = std::time::Instant::now();
        // The channels of the requests `connect_with_info` sends at once
        // (`/info`, and `/nodes` and `/swarm` with `view`) are asked for
        // during authentication, which saves a round trip far away.
        let sockets = if view { 3 } else { 1 };
        let connection = Arc::new(Connection::open(&node.ssh, &self.ssh, sockets).await?);
        tracing::debug!(
            "{}: SSH connected and authenticated in {} ms",
            node.name,
            start.elapsed().as_millis()
        );
        self.opened.fetch_add(1, Ordering::Relaxed);
        let start = std::time::Instant::now();
        let (engine, info, view) = Engine::connect_with_info(
            Arc::clone(&connection),
            &node.ssh.socket,
            self.request_timeout,
            view,
        )
        .await?;
        tracing::debug!(
            "{}: GET /info: ok in {} ms (engine {}, API {}){}",
            node.name,
            start.elapsed().as_millis(),
            info.engine_version,
            engine.api_version(),
            if view.is_some() {
                "; GET /nodes and GET /swarm sent alongside"
            } else {
                ""
            },
        );
        let host = RemoteHost {
            node: node.name.clone(),
            connection,
            engine,
            socket: Arc::from(node.ssh.socket.as_str()),
        };
        Ok(Reached { host, info, view })
    }

    fn connections(&self) -> usize {
        self.opened.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manager_addresses_split_into_host_and_port() {
        assert_eq!(split_host_port("10.0.0.1:2377"), Some(("10.0.0.1", 2377)));
        assert_eq!(split_host_port("[fd00::1]:2377"), Some(("fd00::1", 2377)));
        assert_eq!(split_host_port("10.0.0.1"), None);
        assert_eq!(split_host_port("host:port"), None);
    }
}
