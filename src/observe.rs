//! Reaching every node of an inventory and reading what it says about
//! itself, in parallel, bounded, each node with its own result: one failure
//! never hides the others.
//!
//! This module gathers facts (connections, `/info`, a manager's node list);
//! it decides nothing. Deciding is [`crate::plan`] and [`crate::verify`].

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream;
use serde::Serialize;

use crate::engine::{Engine, EngineError, EngineInfo, LocalState, SwarmNode};
use crate::events::{Events, Step};
use crate::inventory::{Inventory, Node};
use crate::ssh::{Connection, SshError, SshOptions, Stage};

/// Options for a run that talks to nodes.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub ssh: SshOptions,
    /// Timeout of one Docker API request.
    pub request_timeout: Duration,
    /// How many nodes are worked on at once.
    pub parallel: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            ssh: SshOptions::default(),
            request_timeout: Duration::from_secs(60),
            parallel: 16,
        }
    }
}

/// Why a node could not be reached or read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub stage: Stage,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed: {}", self.stage, self.message)
    }
}

impl From<SshError> for Failure {
    fn from(e: SshError) -> Self {
        Failure {
            stage: e.stage(),
            message: e.to_string(),
        }
    }
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Failure {
            stage: e.stage(),
            message: e.to_string(),
        }
    }
}

/// A node that answered: its connection, its engine and its `/info`.
#[derive(Debug, Clone)]
pub struct Reached {
    pub connection: Arc<Connection>,
    pub engine: Engine,
    pub info: EngineInfo,
}

/// One inventory node and what reaching it gave.
#[derive(Debug, Clone)]
pub struct Observed {
    pub node: Node,
    pub reach: Result<Reached, Failure>,
}

impl Observed {
    pub fn reached(&self) -> Option<&Reached> {
        self.reach.as_ref().ok()
    }

    pub fn info(&self) -> Option<&EngineInfo> {
        self.reached().map(|r| &r.info)
    }
}

/// Connects to every node (one SSH connection each) and reads its `/info`.
/// Results come back in inventory order.
pub async fn reach_all(
    inventory: &Inventory,
    options: &RunOptions,
    events: &Events,
) -> Vec<Observed> {
    let parallel = options.parallel.max(1);
    stream::iter(inventory.nodes.iter().cloned())
        .map(|node| async move {
            let reach = reach(&node, options, events).await;
            if let Err(failure) = &reach {
                events.failed(&node.name, failure.to_string());
            }
            Observed { node, reach }
        })
        .buffered(parallel)
        .collect()
        .await
}

async fn reach(node: &Node, options: &RunOptions, events: &Events) -> Result<Reached, Failure> {
    events.step(&node.name, Step::Connecting);
    let connection = Arc::new(Connection::open(&node.ssh, &options.ssh).await?);
    events.step(&node.name, Step::Inspecting);
    let engine = Engine::connect(
        Arc::clone(&connection),
        &node.ssh.socket,
        options.request_timeout,
    )
    .await?;
    let info = engine.info().await?;
    Ok(Reached {
        connection,
        engine,
        info,
    })
}

/// The swarm as one of its managers sees it.
#[derive(Debug, Clone)]
pub struct ClusterView {
    pub cluster_id: String,
    /// Index into the observations of the manager that answered.
    pub source: usize,
    pub nodes: Vec<SwarmNode>,
}

impl ClusterView {
    pub fn node(&self, id: &str) -> Option<&SwarmNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    pub fn leader(&self) -> Option<&SwarmNode> {
        self.nodes.iter().find(|n| n.is_leader())
    }

    pub fn managers(&self) -> impl Iterator<Item = &SwarmNode> {
        self.nodes.iter().filter(|n| n.manager.is_some())
    }
}

/// Reads the node list of swarm `cluster_id` from a reachable manager of
/// the inventory that is in it, trying each such manager in turn (the Raft
/// leader first once known). `None` when no manager of that swarm answers.
pub async fn cluster_view(observed: &[Observed], cluster_id: &str) -> Option<ClusterView> {
    let candidates = observed.iter().enumerate().filter(|(_, o)| {
        o.info().is_some_and(|i| {
            i.is_manager
                && i.state == LocalState::Active
                && i.cluster_id.as_deref() == Some(cluster_id)
        })
    });
    for (index, o) in candidates {
        let Some(reached) = o.reached() else { continue };
        match reached.engine.nodes().await {
            Ok(nodes) => {
                return Some(ClusterView {
                    cluster_id: cluster_id.to_owned(),
                    source: index,
                    nodes,
                });
            }
            Err(e) => tracing::debug!("{}: node list failed: {e}", o.node.name),
        }
    }
    None
}
