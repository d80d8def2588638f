//! One observation of the inventory's nodes per run: the [`Snapshot`].
//! Every node is reached in parallel (bounded, each with its own result, so
//! one failure never hides the others), its `/info` read, the swarm the
//! inventory belongs to chosen, and that swarm's node list read from one of
//! its managers. `status`, `up` and `verify` all start from a snapshot.
//!
//! This module gathers facts; it decides nothing beyond which swarm is the
//! inventory's. Deciding is [`crate::plan`] and [`crate::check::verify`].

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::convert::Infallible;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream;

use crate::inventory::Inventory;
use crate::model::failure::{Failure, Stage};
use crate::model::names::{NodeName, Role};
use crate::model::swarm::{EngineInfo, LocalState, SwarmNode, SwarmObject};
use crate::model::wait::{Look, Wait};
use crate::observe::events::{Events, Step};
use crate::observe::leadership::{Claim, Confirmed, Leadership};
use crate::remote::engine::{ErrorKind, ViewRead};
use crate::remote::host::{Connector, Reached, SwarmHost};

/// The swarm as one of its managers sees it: for the inventory's swarm, a
/// manager that agrees with the confirmed leader (see [`Leadership`]).
#[derive(Debug, Clone)]
pub(crate) struct ClusterView {
    pub(crate) cluster_id: String,
    /// The inventory node whose node list this is.
    pub(crate) source: NodeName,
    pub(crate) nodes: Vec<SwarmNode>,
}

impl ClusterView {
    /// The entry with this NodeID: a search of the list, for one lookup.
    /// A loop over the nodes takes [`ClusterView::by_id`] once instead, so
    /// that it does not grow with the square of the swarm.
    pub(crate) fn node(&self, id: &str) -> Option<&SwarmNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// The entries by NodeID, for looking many up.
    pub(crate) fn by_id(&self) -> HashMap<&str, &SwarmNode> {
        self.nodes.iter().map(|n| (n.id.as_str(), n)).collect()
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
    /// What each manager said about the leader (inventory managers, and
    /// inventory nodes that answer as managers), by node name.
    pub(crate) claims: BTreeMap<NodeName, Claim>,
    /// What those claims prove: a confirmed leader, or why there is none.
    pub(crate) leadership: Leadership,
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
    /// Chooses the inventory's swarm, asks every manager for its node list
    /// (what the inventory's managers sent with their `/info` counts as
    /// their answer), judges the leadership from all of them, and keeps the
    /// node list of a manager that agrees with the confirmed leader. Reads
    /// the node list of every other swarm an inventory manager is in.
    async fn read_views(&mut self, inventory: &Inventory) {
        let mut prefetched = std::mem::take(&mut self.prefetched);
        self.facts.cluster_id = choose_swarm(inventory, &self.facts);
        self.facts.view = None;
        self.facts.others.clear();
        self.facts.swarm = None;
        let mut reads = self.manager_reads(inventory, &mut prefetched).await;
        let claims = claims(inventory, &self.facts, &reads);
        // Borrowed: a copy of each manager's list costs as much as reading
        // it again.
        let lists: BTreeMap<NodeName, &[SwarmNode]> = reads
            .iter()
            .filter_map(|(name, read)| Some((name.clone(), read.nodes.as_ref().ok()?.as_slice())))
            .collect();
        let floor = known_managers(inventory, &self.facts);
        let known = inventory_identities(inventory, &self.facts);
        self.facts.leadership = Leadership::judge(&claims, floor, &lists, &known);
        self.facts.claims = claims;
        if let Some(confirmed) = self.facts.leadership.confirmed()
            && let Some(source) = self.view_source(confirmed)
            && let Some(read) = reads.remove(&source)
            && let Ok(nodes) = read.nodes
        {
            self.facts.swarm = match read.swarm {
                Ok(swarm) => Some(swarm.object()),
                Err(e) => {
                    tracing::debug!("{source}: reading the swarm spec failed: {e}");
                    None
                }
            };
            let cluster_id = self.facts.cluster_id.clone().unwrap_or_default();
            self.facts.view = Some(ClusterView {
                cluster_id,
                source,
                nodes,
            });
        }
        let mut others: BTreeSet<String> = self
            .facts
            .nodes
            .values()
            .filter_map(|r| r.as_ref().ok()?.cluster_id.clone())
            .collect();
        if let Some(id) = &self.facts.cluster_id {
            others.remove(id);
        }
        for id in others {
            if let Some(view) = self.cluster_view(&id, &mut prefetched).await {
                self.facts.others.push(view);
            }
        }
    }

    /// The node list and swarm object of every inventory node that answers
    /// as a manager of the chosen swarm (or of no known swarm: a manager
    /// without a leader names none), all at once: one round trip.
    async fn manager_reads(
        &self,
        inventory: &Inventory,
        prefetched: &mut BTreeMap<NodeName, ViewRead>,
    ) -> BTreeMap<NodeName, ViewRead> {
        let cluster_id = self.facts.cluster_id.as_deref();
        let asked: Vec<&NodeName> = inventory
            .nodes
            .iter()
            .map(|n| &n.name)
            .filter(|name| {
                self.facts.info(name).is_some_and(|info| {
                    info.is_manager
                        && info.state == LocalState::Active
                        && (info.cluster_id.is_none() || info.cluster_id.as_deref() == cluster_id)
                })
            })
            .collect();
        let mut reads: BTreeMap<NodeName, ViewRead> = BTreeMap::new();
        let mut missing = Vec::new();
        for name in asked {
            match prefetched.remove(name) {
                Some(read) => {
                    reads.insert(name.clone(), read);
                }
                None => missing.extend(self.hosts.get_key_value(name)),
            }
        }
        let fetched: Vec<(NodeName, ViewRead)> = stream::iter(missing)
            .map(|(name, host)| async move {
                let (nodes, swarm) = tokio::join!(host.nodes(), host.swarm());
                (name.clone(), ViewRead { nodes, swarm })
            })
            .buffer_unordered(OBSERVE_LIMIT)
            .collect()
            .await;
        reads.extend(fetched);
        reads
    }

    /// The manager whose node list stands for the swarm: the confirmed
    /// leader itself when it is an inventory node, else the first manager
    /// that agrees with it.
    fn view_source(&self, confirmed: &Confirmed) -> Option<NodeName> {
        confirmed
            .agree
            .iter()
            .find(|name| {
                self.facts.info(name).and_then(|i| i.node_id.as_deref())
                    == Some(confirmed.leader.as_str())
            })
            .or(confirmed.agree.first())
            .cloned()
    }

    /// Reads the node list of another swarm `cluster_id` from a reachable
    /// manager in it, trying each in turn. What a manager sent with its
    /// `/info` is used instead of asking it again.
    async fn cluster_view(
        &self,
        cluster_id: &str,
        prefetched: &mut BTreeMap<NodeName, ViewRead>,
    ) -> Option<ClusterView> {
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
            let nodes = match prefetched.remove(name) {
                Some(read) => read.nodes,
                None => host.nodes().await,
            };
            match nodes {
                Ok(nodes) => {
                    return Some(ClusterView {
                        cluster_id: cluster_id.to_owned(),
                        source: name.clone(),
                        nodes,
                    });
                }
                Err(e) => tracing::debug!("{name}: node list failed: {e}"),
            }
        }
        None
    }

    /// Nodes left `pending` by an interrupted join settle within seconds:
    /// re-reads their `/info` for up to `timeout`, then the node lists.
    pub(crate) async fn settle_pending(
        &mut self,
        inventory: &Inventory,
        timeout: Duration,
        events: &Events,
    ) {
        let pending: Vec<NodeName> = self
            .facts
            .nodes
            .iter()
            .filter(|(_, r)| r.as_ref().is_ok_and(|i| i.state == LocalState::Pending))
            .map(|(name, _)| name.clone())
            .collect();
        if pending.is_empty() || timeout.is_zero() {
            return;
        }
        // The first look is the snapshot's own reads; each later one reads
        // the nodes still pending again.
        let hosts = &self.hosts;
        let first = Cell::new(true);
        let still = RefCell::new(pending);
        let read = RefCell::new(BTreeMap::new());
        let wait = Wait::new(
            "nodes left pending by an interrupted join to settle",
            Duration::from_millis(500),
            timeout,
        );
        let _settled_or_not = wait
            .until(|| async {
                if !first.replace(false) {
                    let names = still.borrow().clone();
                    let mut left = Vec::new();
                    for name in names {
                        let Some(host) = hosts.get(&name) else {
                            left.push(name);
                            continue;
                        };
                        events.step(&name, Step::Inspecting);
                        match host.info().await {
                            Ok(info) => {
                                if info.state == LocalState::Pending {
                                    left.push(name.clone());
                                }
                                read.borrow_mut().insert(name, info);
                            }
                            Err(_) => left.push(name),
                        }
                    }
                    *still.borrow_mut() = left;
                }
                let left = still.borrow().clone();
                Ok::<_, Infallible>(if left.is_empty() {
                    Look::Done(())
                } else {
                    Look::NotYet(left)
                })
            })
            .await;
        for (name, info) in read.into_inner() {
            self.facts.nodes.insert(name, Ok(info));
        }
        // Every node is read again, not only the ones that were pending:
        // while this run waited, another may have changed the others (joined
        // them, say), and a fresh node list next to their old `/info` would
        // make their new entries look like leftovers.
        let reached: Vec<NodeName> = self.hosts.keys().cloned().collect();
        self.refresh(inventory, &reached).await;
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

impl Facts {
    /// Claims and leadership for facts built by hand in tests: every node
    /// that answers as a manager answers `view`'s node list (as every
    /// follower that reaches the leader does), or "no leader" without one.
    #[cfg(test)]
    pub(crate) fn judged(mut self, inventory: &Inventory) -> Facts {
        let no_leader = || {
            crate::remote::engine::EngineError::new(
                ErrorKind::NoLeader,
                Stage::Api,
                "the swarm does not have a leader",
            )
        };
        let reads: BTreeMap<NodeName, ViewRead> = self
            .nodes
            .iter()
            .filter(|(_, r)| r.as_ref().is_ok_and(|i| i.is_manager))
            .map(|(name, info)| {
                // A manager without a leader names no cluster.
                let leaderless = info.as_ref().is_ok_and(|i| i.cluster_id.is_none());
                let nodes = match &self.view {
                    Some(view) if !leaderless => Ok(view.nodes.clone()),
                    _ => Err(no_leader()),
                };
                (
                    name.clone(),
                    ViewRead {
                        nodes,
                        swarm: Err(no_leader()),
                    },
                )
            })
            .collect();
        let lists = reads
            .iter()
            .filter_map(|(n, r)| Some((n.clone(), r.nodes.as_ref().ok()?.as_slice())))
            .collect();
        self.claims = claims(inventory, &self, &reads);
        self.leadership = Leadership::judge(
            &self.claims,
            known_managers(inventory, &self),
            &lists,
            &inventory_identities(inventory, &self),
        );
        self
    }
}

/// What each manager said about the leader: every inventory manager, and
/// every inventory node that answers as a manager. `reads` are the node
/// lists of those that answered as managers of the chosen swarm.
fn claims(
    inventory: &Inventory,
    facts: &Facts,
    reads: &BTreeMap<NodeName, ViewRead>,
) -> BTreeMap<NodeName, Claim> {
    inventory
        .nodes
        .iter()
        .filter(|node| {
            node.role.is_manager() || facts.info(&node.name).is_some_and(|i| i.is_manager)
        })
        .filter_map(|node| {
            let claim = match facts.get(&node.name)? {
                Err(failure) if failure.stage == Stage::Socket => Claim::EngineDown,
                // SSH worked and the engine did not answer in time: it is
                // there, busy (an election), not out of reach.
                Err(failure) if failure.timed_out => Claim::Silent,
                Err(_) => Claim::Unseen,
                Ok(info) => claim(facts, info, reads.get(&node.name)),
            };
            Some((node.name.clone(), claim))
        })
        .collect()
}

/// What a node that answered said about the leader.
fn claim(facts: &Facts, info: &EngineInfo, read: Option<&ViewRead>) -> Claim {
    match info.state {
        LocalState::Locked => return Claim::Locked,
        LocalState::Inactive => return Claim::Out,
        LocalState::Pending | LocalState::Error => return Claim::Silent,
        LocalState::Active => {}
    }
    if !info.is_manager {
        return Claim::Out;
    }
    let ours = info.cluster_id.is_none() || info.cluster_id == facts.cluster_id;
    if !ours {
        return Claim::Out;
    }
    match read.map(|r| &r.nodes) {
        Some(Ok(nodes)) => match nodes.iter().find(|n| n.is_leader()) {
            Some(leader) => Claim::Leader {
                leader: leader.id.clone(),
                raft_members: nodes.iter().filter(|n| n.manager.is_some()).count(),
            },
            None => Claim::NoLeader,
        },
        Some(Err(e)) if e.kind() == ErrorKind::NoLeader => Claim::NoLeader,
        // A manager without a leader names no cluster in `/info`.
        _ if info.cluster_id.is_none() => Claim::NoLeader,
        _ => Claim::Silent,
    }
}

/// Every inventory node's name and, when it answered, its NodeID: the
/// members this machine can ask.
fn inventory_identities(inventory: &Inventory, facts: &Facts) -> BTreeSet<String> {
    inventory
        .nodes
        .iter()
        .flat_map(|node| {
            let id = facts.info(&node.name).and_then(|i| i.node_id.clone());
            [Some(node.name.to_string()), id]
        })
        .flatten()
        .collect()
}

/// The fewest managers the swarm has, as far as known without a node
/// list: the inventory's managers, or the managers a node's `/info` names
/// (its `RemoteManagers`), whichever is more.
fn known_managers(inventory: &Inventory, facts: &Facts) -> usize {
    facts
        .nodes
        .values()
        .filter_map(|r| r.as_ref().ok())
        .map(|i| i.remote_managers.len())
        .chain([inventory.managers().count()])
        .max()
        .unwrap_or(0)
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
        // Every manager is asked again, at once: the leader is confirmed
        // by what they say now.
        assert_eq!(cluster.node_lists(), before + 3);
    }
}
