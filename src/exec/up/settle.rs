//! What a join leaves behind when the managers answer slowly, and how `up`
//! settles it: how long a node still `pending` after its join answered an
//! error is waited for, and which entries with no hostname this run's own
//! joins left in the node list (removed by the same run).
//!
//! Measured on the 3+100 lab (bench/RESULTS.md, "Cold 3+100"): the engine
//! asks a manager for its certificate with a deadline of its own, 5 s
//! (swarmkit's `GetRemoteSignedCertificate`), and asks anew, up to 5 times,
//! when that passes. The manager creates the node's entry before it answers,
//! so every request answered after the deadline leaves an entry that never
//! gets a hostname, an address or a heartbeat; all of it inside one
//! `POST /swarm/join`, which swarmadm neither sees nor can prevent. The join
//! window (`window`) makes it rarer; this module cleans up what is left.
//! It touches no entry that was in the swarm before this run.
//!
//! On the same lab, under load, a node this run joined and saw listed Ready
//! was sometimes listed Down or Unknown again when the run read the swarm
//! at its end (the leader missed a few heartbeats), or no manager answered
//! that read at all; `up` then failed a swarm that was Ready a minute
//! later. So the end of a run waits a bounded time ([`SETTLE`]) for the
//! nodes it joined to be listed Ready again, and for a node list.
//!
//! A manager this run promoted or joined is listed Reachable by the leader
//! before its own engine serves the node list: for a moment its `/info`
//! still says worker, or its `GET /nodes` fails. `verify` right after
//! would count it as a manager that names no leader (`one_leader`), so the
//! same wait lasts until each such manager answers the node list with a
//! leader of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio::time::Instant;

use crate::inventory::Inventory;
use crate::model::names::NodeName;
use crate::model::swarm::{LocalState, NodeRole, NodeStatus, SwarmNode};
use crate::observe::cluster::StrayKind;
use crate::observe::events::{Events, Step};
use crate::observe::leadership::Claim;
use crate::observe::{ClusterView, Facts, Snapshot};
use crate::plan::prune::{PruneReason, Target};
use crate::remote::engine::{EngineError, ErrorKind};
use crate::remote::host::SwarmHost;

/// How long a node may stay `pending` after the engine gave up waiting on
/// its own join (20 s, "Timeout was reached before node joined. The attempt
/// to join the swarm will continue in the background"). On the loaded
/// 3+100 lab such a node took up to a minute more to be a member at a load
/// average near 100, and more than two minutes once at 140 (it was failed
/// at 120 s, the run's only failure); joining it again meanwhile is refused
/// ("already part of a swarm") or, once its attempt failed, starts a second
/// certificate request. The engine goes on by itself: waiting is all there
/// is to do, and a node that fails instead (state `error`) ends the wait.
pub(super) const BACKGROUND_JOIN: Duration = Duration::from_secs(300);

/// How long to wait for a node still `pending` after its join answered
/// `error`: long when the engine said it goes on in the background.
pub(super) fn patience(error: &EngineError) -> Duration {
    if error.kind() == ErrorKind::Timeout {
        BACKGROUND_JOIN
    } else {
        super::PENDING_TIMEOUT
    }
}

/// The entries with no hostname that joins of this run left, to be removed
/// by the same run: an unclaimed worker entry that is not Ready and either
/// sits at an inventory node's address (a leftover of that node) or has no
/// address at all and was not in the node list `before` this run (a
/// certificate request the engine made again: see the module docs). An
/// entry at an address no inventory node has, and any entry that was there
/// before, is left alone: it may be another machine's join.
pub(super) fn half_entries<'v>(
    inventory: &Inventory,
    facts: &Facts,
    view: &'v ClusterView,
    before: &BTreeSet<String>,
) -> Vec<Target<'v>> {
    crate::plan::prune::strays(inventory, facts, view)
        .into_iter()
        .filter(|t| t.entry.hostname.is_empty() && t.entry.state != NodeStatus::Ready)
        .filter_map(|t| match t.reason {
            PruneReason::Stray(StrayKind::Leftover) => Some(t),
            PruneReason::Stray(StrayKind::HalfRegistered)
                if t.entry.role == NodeRole::Worker
                    && t.entry.addr.as_deref().is_none_or(str::is_empty)
                    && !before.contains(&t.entry.id) =>
            {
                Some(Target {
                    reason: PruneReason::Stray(StrayKind::Leftover),
                    ..t
                })
            }
            _ => None,
        })
        .collect()
}

/// The NodeIDs of the entries in `view`: what was in the swarm before a run.
pub(super) fn entry_ids(view: Option<&ClusterView>) -> BTreeSet<String> {
    view.map(|v| v.nodes.iter().map(|n| n.id.clone()).collect())
        .unwrap_or_default()
}

/// How long the end of a run waits without progress for the nodes it
/// joined to be listed Ready again, and for the managers it made to answer
/// the node list: a minute and a half. On the loaded 3+100 lab such a node
/// took up to a minute; one was still listed not Ready 60 s after the
/// sweep while nine others became Ready in that minute (bench/RESULTS.md).
pub(super) const SETTLE: Duration = Duration::from_secs(90);

/// The whole wait's ceiling grows by this much for each node the run
/// joined, from [`SETTLE`] up to [`SETTLE_CEILING`]: while nodes keep
/// settling, the wait goes on.
const SETTLE_PER_NODE: Duration = Duration::from_secs(2);

/// The most the end of a run waits at once, however many nodes move.
pub(super) const SETTLE_CEILING: Duration = Duration::from_secs(300);

/// The ceiling of one wait for a run that joined `joined` nodes.
pub(super) fn ceiling(joined: usize) -> Duration {
    SETTLE
        .saturating_add(SETTLE_PER_NODE.saturating_mul(u32::try_from(joined).unwrap_or(u32::MAX)))
        .min(SETTLE_CEILING)
}

/// How often the swarm is read again meanwhile: each read is every
/// manager's node list, so not as often as a join's poll.
const SETTLE_POLL: Duration = Duration::from_secs(2);

/// The nodes of `joined` (name and NodeID) that `view` does not list Ready
/// with their hostname; all of them when there is no view.
pub(super) fn unsettled(
    view: Option<&ClusterView>,
    joined: &BTreeMap<NodeName, String>,
) -> Vec<NodeName> {
    let ready: BTreeSet<&str> = view
        .map(|v| {
            v.nodes
                .iter()
                .filter(|n| n.is_ready_by_name())
                .map(|n| n.id.as_str())
                .collect()
        })
        .unwrap_or_default();
    joined
        .iter()
        .filter(|(_, id)| !ready.contains(id.as_str()))
        .map(|(name, _)| name.clone())
        .collect()
}

/// The inventory nodes that an earlier run joined and the managers have
/// not heard from yet: the node's own engine says it is an active member,
/// and the managers list its entry as right after a join (state unknown,
/// or no hostname yet). A run killed while joining leaves such nodes, the
/// engines finish those joins by themselves, and the next run finds
/// nothing to change; without a wait it would judge them a moment too
/// early (#30: a fresh-clone CI run failed `ready` so). A node listed
/// Down is not waited for: the managers heard from it and then lost it,
/// which is for the checks to name.
pub(super) fn settling(facts: &Facts) -> BTreeMap<NodeName, String> {
    let Some(view) = facts.view.as_ref() else {
        return BTreeMap::new();
    };
    let by_id = view.by_id();
    facts
        .nodes
        .iter()
        .filter_map(|(name, info)| {
            let info = info.as_ref().ok()?;
            let id = info.node_id.as_deref()?;
            let entry = by_id.get(id)?;
            (info.state == LocalState::Active && is_fresh(entry))
                .then(|| (name.clone(), id.to_owned()))
        })
        .collect()
}

/// Whether the managers list `entry` as right after a join: state unknown
/// (never heard from, or not since a new leader took over), or Ready
/// without its description yet.
fn is_fresh(entry: &SwarmNode) -> bool {
    entry.state == NodeStatus::Unknown || (entry.is_ready() && entry.hostname.is_empty())
}

/// The nodes of `earlier` that are still [`settling`]: all of them without
/// a node list; with one, those still listed as right after a join. One
/// listed Down (the managers heard from it and lost it again) or no longer
/// listed is not waited for any more.
pub(super) fn still_settling(
    view: Option<&ClusterView>,
    earlier: &BTreeMap<NodeName, String>,
) -> Vec<NodeName> {
    if earlier.is_empty() {
        return Vec::new();
    }
    // The list by NodeID, once: a search per node grows with the square
    // of the swarm.
    let by_id = view.map(ClusterView::by_id);
    earlier
        .iter()
        .filter(|(_, id)| {
            by_id
                .as_ref()
                .is_none_or(|by_id| by_id.get(id.as_str()).is_some_and(|e| is_fresh(e)))
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// What the end of a run waits for.
#[derive(Debug, Default)]
pub(super) struct Awaited {
    /// The nodes (name and NodeID) this run joined or initialised and saw
    /// Ready: until they are listed Ready again.
    pub(super) joined: BTreeMap<NodeName, String>,
    /// The nodes an earlier run joined that were [`settling`] when this
    /// run read the swarm: while they still are.
    pub(super) earlier: BTreeMap<NodeName, String>,
    /// The managers this run promoted, joined or initialised: until they
    /// answer the node list with a leader.
    pub(super) managers: BTreeSet<NodeName>,
}

impl Awaited {
    /// A node's NodeID, for the log.
    fn id(&self, name: &NodeName) -> Option<&str> {
        self.joined
            .get(name)
            .or_else(|| self.earlier.get(name))
            .map(String::as_str)
    }

    /// How many nodes the wait's [`ceiling`] is for.
    fn size(&self) -> usize {
        (self.joined.len() + self.earlier.len()).max(self.managers.len())
    }
}

/// The managers of `managers` (those this run promoted, joined or
/// initialised) that do not answer the node list with a leader: their
/// `/info` still says worker, their `GET /nodes` failed, or it names no
/// leader.
fn silent_managers(facts: &Facts, managers: &BTreeSet<NodeName>) -> Vec<NodeName> {
    managers
        .iter()
        .filter(|name| !matches!(facts.claims.get(*name), Some(Claim::Leader { .. })))
        .cloned()
        .collect()
}

/// What the end of a run still waits for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Unsettled {
    /// No manager answered the node list.
    pub(super) unlisted: bool,
    /// Joined nodes not listed Ready (all of them without a node list).
    pub(super) not_ready: Vec<NodeName>,
    /// Managers of this run that do not answer the node list with a leader.
    pub(super) silent: Vec<NodeName>,
}

impl Unsettled {
    fn of(facts: &Facts, awaited: &Awaited) -> Unsettled {
        let view = facts.view.as_ref();
        let not_ready: BTreeSet<NodeName> = unsettled(view, &awaited.joined)
            .into_iter()
            .chain(still_settling(view, &awaited.earlier))
            .collect();
        Unsettled {
            unlisted: view.is_none(),
            not_ready: not_ready.into_iter().collect(),
            silent: silent_managers(facts, &awaited.managers),
        }
    }

    /// How many things are awaited (without a node list, every joined
    /// node is in `not_ready`).
    fn count(&self) -> usize {
        self.not_ready.len() + self.silent.len()
    }

    fn is_empty(&self) -> bool {
        self.not_ready.is_empty() && self.silent.is_empty()
    }

    /// The nodes whose `/info` is read again: the joined nodes not listed
    /// Ready when there is a node list (without one, their `/info` says
    /// nothing of what the managers list), and the silent managers (whose
    /// `/info` may still say worker).
    fn to_read(&self) -> Vec<NodeName> {
        let mut nodes: BTreeSet<NodeName> = self.silent.iter().cloned().collect();
        if !self.unlisted {
            nodes.extend(self.not_ready.iter().cloned());
        }
        nodes.into_iter().collect()
    }
}

/// Reads the swarm again, every [`SETTLE_POLL`], while a node this run
/// joined is not listed Ready, a node an earlier run joined is still
/// [`settling`], no manager answers the node list, or a manager this run
/// made does not answer it with a leader ([`Awaited`]). The wait follows
/// progress: it ends after [`SETTLE`] in which nothing more settled, and
/// at the latest at [`ceiling`]. What is still unsettled then is judged as
/// it is, by `verify`'s checks.
pub(super) async fn wait_settled<H: SwarmHost>(
    inventory: &Inventory,
    snapshot: &mut Snapshot<H>,
    awaited: &Awaited,
    events: &Events,
) {
    let mut waiting = Unsettled::of(&snapshot.facts, awaited);
    if waiting.is_empty() {
        return;
    }
    // Said on each node's line too: without `-v` a run that has nothing
    // left to do would otherwise sit silent for up to a minute and a half.
    for name in &waiting.not_ready {
        events.step(name, Step::WaitingReady);
    }
    for name in &waiting.silent {
        events.step(name, Step::WaitingReachable);
    }
    let start = Instant::now();
    let ceiling = start + ceiling(awaited.size());
    let mut fewest = waiting.count();
    let mut quiet_until = start + SETTLE;
    tracing::info!(
        "the end of the run reads the swarm again, for up to {}s without progress \
         and {}s in all: {}",
        SETTLE.as_secs(),
        ceiling.saturating_duration_since(start).as_secs(),
        what_is_awaited(&waiting)
    );
    while !waiting.is_empty() && Instant::now() + SETTLE_POLL <= quiet_until.min(ceiling) {
        tokio::time::sleep(SETTLE_POLL).await;
        snapshot.refresh(inventory, &waiting.to_read()).await;
        waiting = Unsettled::of(&snapshot.facts, awaited);
        let count = waiting.count();
        if count < fewest {
            fewest = count;
            quiet_until = Instant::now() + SETTLE;
            tracing::debug!("still waiting: {}", what_is_awaited(&waiting));
        }
    }
    if waiting.is_empty() {
        tracing::info!(
            "every joined node is listed Ready, and every manager this run made answers ({}s)",
            start.elapsed().as_secs()
        );
    } else {
        tracing::info!(
            "still, after {}s: {}",
            start.elapsed().as_secs(),
            what_is_awaited(&waiting)
        );
        for line in listed_as(&snapshot.facts, awaited, &waiting.not_ready) {
            tracing::info!("{line}");
        }
    }
}

/// How the managers list each of `names` (at most [`NAMED`]) and what its
/// own engine says: for the run's log, so that a node still not Ready
/// after the wait can be told from one whose engine left or stopped.
pub(super) fn listed_as(facts: &Facts, awaited: &Awaited, names: &[NodeName]) -> Vec<String> {
    names
        .iter()
        .take(NAMED)
        .map(|name| {
            let id = awaited.id(name).unwrap_or_default();
            let listed = match facts.view.as_ref() {
                None => "no node list".to_owned(),
                Some(view) => match view.node(id) {
                    None => format!("{id} not listed"),
                    Some(n) if n.hostname.is_empty() => {
                        format!("{id} listed {}, no hostname", n.state)
                    }
                    Some(n) => format!("{id} listed {}", n.state),
                },
            };
            let own = match facts.info(name) {
                Some(info) => format!(
                    "its engine: {:?}, NodeID {}",
                    info.state,
                    info.node_id.as_deref().unwrap_or("none")
                ),
                None => "its engine did not answer".to_owned(),
            };
            format!("{name}: {listed}; {own}")
        })
        .collect()
}

/// At most this many nodes are named in a line of the wait.
const NAMED: usize = 8;

/// `names`, at most [`NAMED`] of them, and how many more.
fn some_of(names: &[NodeName]) -> String {
    let more = names.len().saturating_sub(NAMED);
    let named = NodeName::join(&names[..names.len().min(NAMED)]);
    if more > 0 {
        format!("{named} and {more} more")
    } else {
        named
    }
}

/// What the end of a run waits for, in a line: no node list, or the
/// joined nodes not listed Ready, and the managers that do not answer the
/// node list (at most 8 named of each).
pub(super) fn what_is_awaited(waiting: &Unsettled) -> String {
    let mut parts = Vec::new();
    if waiting.unlisted {
        parts.push("no manager answered the node list".to_owned());
    } else if !waiting.not_ready.is_empty() {
        parts.push(format!(
            "{} joined node(s) not listed Ready: {}",
            waiting.not_ready.len(),
            some_of(&waiting.not_ready)
        ));
    }
    if !waiting.silent.is_empty() {
        parts.push(format!(
            "{} manager(s) it made not answering the node list with a leader: {}",
            waiting.silent.len(),
            some_of(&waiting.silent)
        ));
    }
    parts.join("; ")
}
