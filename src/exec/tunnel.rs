//! `swarmadm tunnel`: the Raft leader's Docker socket (or a named node's)
//! served on a local Unix socket, through swarmadm's own SSH connection,
//! so that the docker CLI works wherever swarmadm works: any ssh config
//! swarmadm reads (`-F`, ProxyJump, certificates), nothing on the node but
//! sshd and the engine.
//!
//! Each local client connection is relayed byte for byte to its own
//! `direct-streamlocal` channel to the node's socket (HTTP, hijacked
//! attach and exec streams alike). Before each new client connection the
//! tunnel asks the node it serves whether it still leads (its node list);
//! when it does not, or does not answer, the leader is looked for again
//! among the inventory's managers (the same way `swarmadm context` finds
//! it) and new connections go there, each switch sent as a
//! [`TunnelEvent`]. Connections already relayed stay where they are.
//! At most `max_clients` connections are relayed at once; one more is
//! closed at once, with an event.
//!
//! The local socket, its mode and how the tunnel tells its own socket from
//! somebody else's are [`listener`]'s. Drawing the events is `ui`'s.

pub(crate) mod listener;

use std::path::PathBuf;
use std::sync::{Arc, PoisonError};

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use tokio::sync::Mutex;

use crate::check::context;
use crate::inventory::{Inventory, Node};
use crate::model::failure::Failure;
use crate::model::names::NodeName;
use crate::observe::events::{Event, Events};
use crate::remote::host::{Connector, Reached, SocketHost, SwarmHost as _};

pub(crate) use listener::{OwnSocket, SocketError};

/// How many client connections are relayed at once by default.
pub(crate) const DEFAULT_MAX_CLIENTS: usize = 64;

/// What `tunnel` was asked for.
#[derive(Debug, Clone)]
pub(crate) struct TunnelOptions {
    /// Serve this inventory node's socket instead of the leader's.
    pub(crate) node: Option<NodeName>,
    pub(crate) max_clients: usize,
}

/// Why the tunnel cannot start (or cannot serve a connection).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum TunnelError {
    /// No leader found; `unreached` are the managers that could not be
    /// reached, each with its cause (refused, authentication, host key).
    #[error("no leader to serve: {why}{}", causes(unreached))]
    NoLeader {
        why: String,
        unreached: Vec<(NodeName, String)>,
    },
    #[error("`{0}` is not a node of the inventory")]
    UnknownNode(String),
    #[error("cannot reach {node}: {failure}")]
    Unreachable { node: NodeName, failure: String },
}

/// `; NODE: CAUSE` for each manager that could not be reached.
fn causes(unreached: &[(NodeName, String)]) -> String {
    unreached
        .iter()
        .map(|(node, cause)| format!("; {node}: {cause}"))
        .collect()
}

/// What happens while the tunnel serves; `ui` draws it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TunnelEvent {
    /// The first node served.
    Serving { node: NodeName, leader: bool },
    /// New connections go to `to` from now on.
    Switched {
        from: NodeName,
        to: NodeName,
        why: String,
    },
    /// A client connection was closed at once: `max` are relayed already.
    Full { max: usize },
    /// A client connection could not be relayed.
    ClientFailed(String),
}

/// The node served now.
struct Target<H> {
    name: NodeName,
    /// Its NodeID, to find it in the node list.
    node_id: Option<String>,
    host: Arc<H>,
}

impl<H> Clone for Target<H> {
    fn clone(&self) -> Self {
        Target {
            name: self.name.clone(),
            node_id: self.node_id.clone(),
            host: Arc::clone(&self.host),
        }
    }
}

/// A tunnel that found its first node; [`Tunnel::serve`] serves it.
pub(crate) struct Tunnel<'a, C: Connector> {
    inventory: &'a Inventory,
    /// The inventory's managers only: where a leader is looked for.
    managers: Inventory,
    connector: &'a C,
    options: TunnelOptions,
    current: Mutex<Target<C::Host>>,
    on_event: &'a (dyn Fn(TunnelEvent) + Sync),
}

impl<'a, C> Tunnel<'a, C>
where
    C: Connector,
    C::Host: SocketHost + Clone,
{
    /// Finds the node to serve (the leader, or `options.node`) and
    /// connects to it: fails, bounded by the connector's timeouts, when no
    /// manager is reachable or the node is not.
    pub(crate) async fn start(
        inventory: &'a Inventory,
        connector: &'a C,
        options: TunnelOptions,
        on_event: &'a (dyn Fn(TunnelEvent) + Sync),
    ) -> Result<Self, TunnelError> {
        if let Some(name) = &options.node
            && inventory.node(name.as_str()).is_none()
        {
            return Err(TunnelError::UnknownNode(name.to_string()));
        }
        let managers = Inventory {
            nodes: inventory.managers().cloned().collect(),
            ..inventory.clone()
        };
        let first = find(inventory, &managers, connector, options.node.as_ref()).await?;
        on_event(TunnelEvent::Serving {
            node: first.name.clone(),
            leader: options.node.is_none(),
        });
        Ok(Tunnel {
            inventory,
            managers,
            connector,
            options,
            current: Mutex::new(first),
            on_event,
        })
    }

    /// Serves `socket` until `shutdown` completes; then stops accepting and
    /// drops every relayed connection (the socket is removed when the
    /// caller drops it).
    pub(crate) async fn serve(&self, socket: &OwnSocket, shutdown: impl Future<Output = ()>) {
        let permits = Arc::new(tokio::sync::Semaphore::new(self.options.max_clients));
        let mut relays = FuturesUnordered::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                Some(()) = relays.next(), if !relays.is_empty() => {}
                accepted = socket.listener().accept() => {
                    let client = match accepted {
                        Ok((client, _)) => client,
                        Err(e) => {
                            (self.on_event)(TunnelEvent::ClientFailed(format!("accept: {e}")));
                            continue;
                        }
                    };
                    let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                        (self.on_event)(TunnelEvent::Full { max: self.options.max_clients });
                        continue;
                    };
                    relays.push(async move {
                        let _permit = permit;
                        if let Err(e) = self.relay(client).await {
                            (self.on_event)(TunnelEvent::ClientFailed(e.to_string()));
                        }
                    });
                }
            }
        }
    }

    /// One client connection, relayed to the node served now.
    async fn relay(&self, mut client: tokio::net::UnixStream) -> Result<(), TunnelError> {
        let target = self.target().await?;
        let mut upstream = match target.host.open_socket().await {
            Ok(stream) => stream,
            // The connection dropped or the engine went away since the
            // check: look again, once.
            Err(failure) => {
                let target = self.replace(&target, failure.message).await?;
                target
                    .host
                    .open_socket()
                    .await
                    .map_err(|f| unreachable(&target.name, &f))?
            }
        };
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        Ok(())
    }

    /// The node to relay a new connection to: the one served, while it is
    /// still the leader (or the node asked for), else the leader now.
    async fn target(&self) -> Result<Target<C::Host>, TunnelError> {
        let current = self.current.lock().await.clone();
        if self.options.node.is_some() {
            return Ok(current);
        }
        let why = match current.host.nodes().await {
            Ok(nodes) => {
                let leads = nodes
                    .iter()
                    .any(|n| Some(&n.id) == current.node_id.as_ref() && n.is_leader());
                if leads {
                    return Ok(current);
                }
                "it is no longer the Raft leader".to_owned()
            }
            Err(e) => format!("it does not answer: {e}"),
        };
        self.replace(&current, why).await
    }

    /// Finds the node to serve again, unless another connection already
    /// did since `stale` was served.
    async fn replace(
        &self,
        stale: &Target<C::Host>,
        why: String,
    ) -> Result<Target<C::Host>, TunnelError> {
        let mut current = self.current.lock().await;
        if !Arc::ptr_eq(&current.host, &stale.host) {
            return Ok(current.clone());
        }
        let next = find(
            self.inventory,
            &self.managers,
            self.connector,
            self.options.node.as_ref(),
        )
        .await?;
        (self.on_event)(TunnelEvent::Switched {
            from: current.name.clone(),
            to: next.name.clone(),
            why: format!("{}: {why}", current.name),
        });
        *current = next.clone();
        Ok(next)
    }
}

fn unreachable(node: &NodeName, failure: &Failure) -> TunnelError {
    TunnelError::Unreachable {
        node: node.clone(),
        failure: failure.message.clone(),
    }
}

/// Connects to the node to serve: `node`, else the live Raft leader of the
/// inventory's swarm, found from its managers as `context` finds it.
async fn find<C>(
    inventory: &Inventory,
    managers: &Inventory,
    connector: &C,
    node: Option<&NodeName>,
) -> Result<Target<C::Host>, TunnelError>
where
    C: Connector,
    C::Host: Clone,
{
    let name = match node {
        Some(name) => name.clone(),
        None => {
            // Nobody draws progress while the tunnel serves; the nodes'
            // failures are kept for the error.
            let (events, mut sent) = Events::channel();
            let keeping = Keeping::new(connector);
            let report = context::run(managers, &keeping, &events).await;
            let why = match (report.leader, report.error) {
                (Some(leader), None) => Ok(leader),
                (_, Some(error)) => Err(error.to_string()),
                (None, None) => Err("the swarm has no leader".to_owned()),
            };
            let leader = why.map_err(|why| {
                let mut unreached = Vec::new();
                while let Ok(event) = sent.try_recv() {
                    if let Event::Failed { node, error } = event {
                        unreached.push((node, error));
                    }
                }
                TunnelError::NoLeader { why, unreached }
            })?;
            // The connection that found it serves it: no second one.
            if let Some(target) = keeping.take(&leader) {
                return Ok(target);
            }
            leader
        }
    };
    let node: &Node = inventory
        .node(name.as_str())
        .ok_or_else(|| TunnelError::UnknownNode(name.to_string()))?;
    let reached = connector
        .connect(node, false)
        .await
        .map_err(|f| unreachable(&name, &f))?;
    Ok(Target {
        name,
        node_id: reached.info.node_id.clone(),
        host: Arc::new(reached.host),
    })
}

/// A connector that keeps a handle on every host it reached, so that the
/// leader found by looking at all managers is served over the connection
/// that found it.
struct Keeping<'c, C: Connector> {
    inner: &'c C,
    kept: std::sync::Mutex<Vec<Target<C::Host>>>,
}

impl<'c, C: Connector> Keeping<'c, C> {
    fn new(inner: &'c C) -> Self {
        Keeping {
            inner,
            kept: std::sync::Mutex::new(Vec::new()),
        }
    }

    fn take(&self, name: &NodeName) -> Option<Target<C::Host>> {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        let index = kept.iter().position(|t| &t.name == name)?;
        Some(kept.swap_remove(index))
    }
}

impl<C> Connector for Keeping<'_, C>
where
    C: Connector,
    C::Host: Clone,
{
    type Host = C::Host;

    async fn connect(&self, node: &Node, view: bool) -> Result<Reached<C::Host>, Failure> {
        let reached = self.inner.connect(node, view).await?;
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Target {
                name: node.name.clone(),
                node_id: reached.info.node_id.clone(),
                host: Arc::new(reached.host.clone()),
            });
        Ok(reached)
    }

    fn connections(&self) -> usize {
        self.inner.connections()
    }
}

/// The socket path: `--socket`, else [`listener::default_path`].
pub(crate) fn socket_path(
    asked: Option<&PathBuf>,
    inventory: &Inventory,
    node: Option<&NodeName>,
) -> Result<PathBuf, SocketError> {
    match asked {
        Some(path) => Ok(path.clone()),
        None => listener::default_path(&inventory.source, node.map(NodeName::as_str)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::fake::FakeCluster;

    /// Issue 31's audit: the error said "no leader to serve" and dropped
    /// each manager's SSH reason.
    #[tokio::test(start_paused = true)]
    async fn no_leader_to_serve_names_each_unreached_manager_and_its_cause() {
        let inventory = crate::inventory::test_inventory(3, 1);
        let managers = Inventory {
            nodes: inventory.managers().cloned().collect(),
            ..inventory.clone()
        };
        let cluster = FakeCluster::converged(&inventory);
        for manager in ["m1", "m2", "m3"] {
            cluster.unreachable(manager);
        }
        let Err(error) = find(&inventory, &managers, &cluster.connector(), None).await else {
            panic!("a leader was found with every manager unreachable");
        };
        let TunnelError::NoLeader { unreached, .. } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(unreached.len(), 3, "{error}");
        let text = error.to_string();
        assert!(text.starts_with("no leader to serve: "), "{text}");
        for manager in ["m1", "m2", "m3"] {
            assert!(
                text.contains(&format!(
                    "; {manager}: tcp failed: cannot connect to {manager}: Connection refused"
                )),
                "{text}"
            );
        }
    }
}
