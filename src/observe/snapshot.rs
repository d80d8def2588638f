//! One observation of the inventory's nodes per run: the [`Snapshot`].
//! Every node is reached in parallel (bounded, each with its own result, so
//! one failure never hides the others), its `/info` read, the swarm the
//! inventory belongs to chosen, and that swarm's node list read from one of
//! its managers. `status`, `up` and `verify` all start from a snapshot.
//!
//! This module gathers facts; it decides nothing beyond which swarm is the
//! inventory's. Deciding is [`crate::plan`] and [`crate::check::verify`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream;

use crate::inventory::{Inventory, NodeName, Role};
use crate::model::failure::Failure;
use crate::model::swarm::{EngineInfo, LocalState, SwarmNode, SwarmObject};
use crate::observe::events::{Events, Step};
use crate::remote::engine::ViewRead;
use crate::remote::host::{Connector, Reached, SwarmHost};

/// The swarm as one of its managers sees it.
#[derive(Debug, Clone)]
pub(crate) struct ClusterView {
    pub(crate) cluster_id: String,
    /// The inventory node whose node list this is.
    pub(crate) source: NodeName,
    pub(crate) nodes: Vec<SwarmNode>,
}

impl ClusterView {
    pub(crate) fn node(&self, id: &str) -> Option<&SwarmNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    pub(crate) fn leader(&self) -> Option<&SwarmNode> {
        self.nodes.iter().find(|n| n.is_leader())
    }

    pub(crate) fn managers(&self) -> impl Iterator<Item = &SwarmNode> {
        self.nodes.iter().filter(|n| n.manager.is_some())
    }
}

/// What the nodes said, as plain data: what planning, verifying and the
/// status table read. Keyed by inventory node name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    /// Each inventory node's `/info`, or why it could not be read.
    pub(crate) nodes: BTreeMap<NodeName, Result<EngineInfo, Failure>>,
    /// The swarm the inventory's managers are in (see [`choose_swarm`]).
    pub(crate) cluster_id: Option<String>,
    /// That swarm's node list, when one of its managers answered.
    pub(crate) view: Option<ClusterView>,
    /// Node lists of other swarms that inventory managers are in.
    pub(crate) others: Vec<ClusterView>,
    /// A manager of the chosen swarm answered that it has no leader.
    pub(crate) no_leader: bool,
    /// The chosen swarm's object (spec and version, no join token), read
    /// from the manager the node list came from.
    pub(crate) swarm: Option<SwarmObject>,
}

impl Facts {
    pub(crate) fn info(&self, name: &NodeName) -> Option<&EngineInfo> {
        self.nodes.get(name)?.as_ref().ok()
    }

    pub(crate) fn get(&self, name: &NodeName) -> Option<Result<&EngineInfo, &Failure>> {
        self.nodes.get(name).map(Result::as_ref)
    }
}

/// The facts plus the hosts that answered, for the commands that act.
#[derive(Debug)]
pub(crate) struct Snapshot<H> {
    pub(crate) facts: Facts,
    pub(crate) hosts: BTreeMap<NodeName, H>,
    /// Connections opened to take this snapshot.
    pub(crate) connections: usize,
    /// Node lists and swarm objects the inventory's managers sent with
    /// their `/info`; used (and dropped) by the first reading of the views,
    /// so nothing later ever sees them stale.
    prefetched: BTreeMap<NodeName, ViewRead>,
}

/// How many nodes are reached at once. Observing only reads, so it does not
/// wait for `--parallel` (which bounds changes): far away, round trips and
/// not the nodes decide the time. The bound protects file descriptors.
pub(crate) const OBSERVE_LIMIT: usize = 256;

/// A node reached, or why it could not be.
type Reaching<H> = Result<Reached<H>, Failure>;

/// Reaches every node of `inventory` (at most [`OBSERVE_LIMIT`] at once),
/// reads its `/info`, chooses the inventory's swarm and reads its node
/// list. The inventory's managers are asked for their node list and swarm
/// object along with `/info`, so that far away the node list costs no
/// round trip of its own after the slowest node's `/info`.
pub(crate) async fn snapshot<C: Connector>(
    inventory: &Inventory,
    connector: &C,
    events: &Events,
) -> Snapshot<C::Host> {
    let parallel = OBSERVE_LIMIT;
    let reached: Vec<(NodeName, Reaching<C::Host>)> = stream::iter(inventory.nodes.iter())
        .map(|node| async move {
            events.step(&node.name, Step::Connecting);
            let result = connector.connect(node, node.role.is_manager()).await;
            if let Err(failure) = &result {
                events.failed(&node.name, failure.to_string());
            }
            (node.name.clone(), result)
        })
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    let mut facts = Facts::default();
    let mut hosts = BTreeMap::new();
    let mut prefetched = BTreeMap::new();
    for (name, result) in reached {
        match result {
            Ok(Reached { host, info, view }) => {
                facts.nodes.insert(name.clone(), Ok(info));
                if let Some(view) = view {
                    prefetched.insert(name.clone(), view);
                }
                hosts.insert(name, host);
            }
            Err(failure) => {
                facts.nodes.insert(name, Err(failure));
            }
        }
    }
    let mut snapshot = Snapshot {
        facts,
        hosts,
        connections: connector.connections(),
        prefetched,
    };
    snapshot.read_views(inventory).await;
    snapshot
}

impl<H: SwarmHost> Snapshot<H> {
    /// Chooses the inventory's swarm and reads the node list of it and of
    /// every other swarm an inventory manager is in.
    async fn read_views(&mut self, inventory: &Inventory) {
        let mut prefetched = std::mem::take(&mut self.prefetched);
        self.facts.cluster_id = choose_swarm(inventory, &self.facts);
        let mut ids: BTreeSet<String> = self
            .facts
            .nodes
            .values()
            .filter_map(|r| r.as_ref().ok()?.cluster_id.clone())
            .collect();
        self.facts.view = None;
        self.facts.others.clear();
        self.facts.no_leader = false;
        self.facts.swarm = None;
        if let Some(id) = self.facts.cluster_id.clone() {
            ids.remove(&id);
            match self.cluster_view(&id, true, &mut prefetched).await {
                Ok((view, swarm)) => {
                    self.facts.view = Some(view);
                    self.facts.swarm = swarm;
                }
                Err(no_leader) => self.facts.no_leader = no_leader,
            }
        }
        for id in ids {
            if let Ok((view, _)) = self.cluster_view(&id, false, &mut prefetched).await {
                self.facts.others.push(view);
            }
        }
    }

    /// Reads the node list of swarm `cluster_id` from a reachable manager
    /// in it, trying each in turn. When none of them answers: whether one
    /// said the swarm has no leader.
    /// With `with_swarm`, the swarm object (spec, no tokens) is read from
    /// the same manager at the same time, saving a round trip far away.
    /// What a manager sent with its `/info` is used instead of asking it
    /// again.
    async fn cluster_view(
        &self,
        cluster_id: &str,
        with_swarm: bool,
        prefetched: &mut BTreeMap<NodeName, ViewRead>,
    ) -> Result<(ClusterView, Option<crate::model::swarm::SwarmObject>), bool> {
        let mut no_leader = false;
        for (name, info) in self.facts.nodes.iter() {
            let Ok(info) = info else { continue };
            if !(info.is_manager
                && info.state == LocalState::Active
                && info.cluster_id.as_deref() == Some(cluster_id))
            {
                continue;
            }
            let Some(host) = self.hosts.get(name) else {
                continue;
            };
            let (nodes, swarm) = match prefetched.remove(name) {
                Some(read) => (read.nodes, read.swarm),
                None => tokio::join!(host.nodes(), host.swarm()),
            };
            let swarm = match swarm {
                Ok(swarm) if with_swarm => Some(swarm.object()),
                Ok(_) => None,
                Err(e) => {
                    tracing::debug!("{name}: reading the swarm spec failed: {e}");
                    None
                }
            };
            match nodes {
                Ok(nodes) => {
                    let view = ClusterView {
                        cluster_id: cluster_id.to_owned(),
                        source: name.clone(),
                        nodes,
                    };
                    return Ok((view, swarm));
                }
                Err(e) => {
                    tracing::debug!("{name}: node list failed: {e}");
                    no_leader |= e.kind() == crate::remote::engine::ErrorKind::NoLeader;
                }
            }
        }
        Err(no_leader)
    }

    /// Nodes left `pending` by an interrupted join settle within seconds:
    /// re-reads their `/info` for up to `timeout`, then the node lists.
    pub(crate) async fn settle_pending(
        &mut self,
        inventory: &Inventory,
        timeout: Duration,
        events: &Events,
    ) {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut settled_any = false;
        loop {
            let pending: Vec<NodeName> = self
                .facts
                .nodes
                .iter()
                .filter(|(_, r)| r.as_ref().is_ok_and(|i| i.state == LocalState::Pending))
                .map(|(name, _)| name.clone())
                .collect();
            if pending.is_empty() || tokio::time::Instant::now() >= deadline {
                break;
            }
            settled_any = true;
            tokio::time::sleep(Duration::from_millis(500)).await;
            for name in pending {
                let Some(host) = self.hosts.get(&name) else {
                    continue;
                };
                events.step(&name, Step::Inspecting);
                if let Ok(info) = host.info().await {
                    self.facts.nodes.insert(name, Ok(info));
                }
            }
        }
        if settled_any {
            self.read_views(inventory).await;
        }
    }

    /// Reads the `/info` of `names` again (after they were unlocked, say),
    /// then the swarm and its node list.
    pub(crate) async fn refresh(&mut self, inventory: &Inventory, names: &[NodeName]) {
        let hosts = &self.hosts;
        let infos: Vec<Option<(NodeName, EngineInfo)>> = stream::iter(names)
            .map(|name| async move {
                let info = hosts.get(name)?.info().await.ok()?;
                Some((name.clone(), info))
            })
            .buffer_unordered(OBSERVE_LIMIT)
            .collect()
            .await;
        for (name, info) in infos.into_iter().flatten() {
            self.facts.nodes.insert(name, Ok(info));
        }
        self.read_views(inventory).await;
    }

    /// The host that answers for the swarm: the Raft leader when it is an
    /// inventory node that answered, else the node the view came from.
    pub(crate) fn source(&self) -> Option<(&NodeName, &H)> {
        let view = self.facts.view.as_ref()?;
        let leader_id = view.leader().map(|l| l.id.as_str());
        let by_leader = self.facts.nodes.iter().find(|(_, r)| {
            r.as_ref().is_ok_and(|i| {
                i.is_manager && i.node_id.is_some() && i.node_id.as_deref() == leader_id
            })
        });
        let name = by_leader.map(|(n, _)| n).unwrap_or(&view.source);
        self.hosts.get_key_value(name)
    }
}

/// Which existing swarm the inventory belongs to: the one its reachable
/// managers are in, preferring the leader's, then the one with the most
/// inventory managers. Only nodes the inventory lists as leader or manager
/// count: a swarm that only an inventory worker manages is a foreign one.
/// `None` when no reachable inventory manager is in a swarm.
pub(crate) fn choose_swarm(inventory: &Inventory, facts: &Facts) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for node in inventory.managers() {
        let Some(info) = facts.info(&node.name) else {
            continue;
        };
        if info.state != LocalState::Active || !info.is_manager {
            continue;
        }
        if let Some(id) = info.cluster_id.as_deref() {
            if node.role == Role::Leader {
                return Some(id.to_owned());
            }
            *counts.entry(id).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(id, _)| id.to_owned())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::remote::fake::FakeCluster;

    fn name(s: &str) -> NodeName {
        NodeName::new(s).expect("test node name")
    }

    #[tokio::test]
    async fn the_managers_node_lists_come_with_their_info() {
        let inventory = crate::inventory::test_inventory(3, 2);
        let cluster = FakeCluster::converged(&inventory);
        let connector = cluster.connector();
        let snapshot = snapshot(&inventory, &connector, &Events::discard()).await;
        // Asked of the three managers only, while they were reached; the
        // view is one of those answers, not a fourth request.
        assert_eq!(connector.prefetched.load(Ordering::Relaxed), 3);
        assert_eq!(cluster.node_lists(), 3);
        let view = snapshot.facts.view.as_ref().expect("a view");
        assert_eq!(view.nodes.len(), 5);
        assert!(
            snapshot.facts.swarm.is_some(),
            "the swarm object came along"
        );
        assert!(snapshot.prefetched.is_empty(), "nothing is kept for later");
    }

    #[tokio::test]
    async fn a_failed_prefetched_list_falls_back_to_the_next_manager() {
        let inventory = crate::inventory::test_inventory(3, 2);
        let cluster = FakeCluster::converged(&inventory);
        let first = inventory.nodes[0].name.clone();
        cluster.node_list_fails(first.as_str());
        let connector = cluster.connector();
        let snapshot = snapshot(&inventory, &connector, &Events::discard()).await;
        let view = snapshot.facts.view.as_ref().expect("a view");
        assert_ne!(view.source, first);
        assert_eq!(
            cluster.node_lists(),
            3,
            "the next manager's prefetch was used"
        );
    }

    #[tokio::test]
    async fn views_read_again_later_are_live() {
        let inventory = crate::inventory::test_inventory(3, 2);
        let cluster = FakeCluster::converged(&inventory);
        let connector = cluster.connector();
        let mut snapshot = snapshot(&inventory, &connector, &Events::discard()).await;
        let before = cluster.node_lists();
        snapshot.refresh(&inventory, &[name("w1")]).await;
        assert_eq!(cluster.node_lists(), before + 1);
    }
}
