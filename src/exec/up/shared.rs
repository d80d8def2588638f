//! The swarm's answers that many concurrent joins need, read once for all
//! of them: the managers' entries, the entries of the nodes being waited
//! for, and the join tokens.
//!
//! Every worker join needs the manager addresses and a token, and every
//! joined node is then polled until the managers list it Ready. Reading the
//! node list per join and per poll made 16 parallel joins ask the leader
//! for its whole node list some 50 times a second on a 100-node swarm; that
//! load slowed the joins until engines timed out mid-join and left
//! half-registered entries behind. Now concurrent callers share one read,
//! and no read asks for more than it needs: the managers' entries
//! (`role=manager`) for a join, and for the waits only the entries of the
//! nodes awaited right now (`id=…`), one read for all of them. A cold run
//! then reads a few entries per poll instead of the whole list, so its
//! cost no longer grows with the swarm's size times the length of its
//! join phase (bench/RESULTS.md, "Scale on the fake cluster").

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OnceCell};
use tokio::time::Instant;

use crate::model::swarm::{NodeFilter, SwarmInspect, SwarmNode};
use crate::remote::engine::EngineError;
use crate::remote::host::SwarmHost;

/// How old a shared read may be: the poll interval of the waits.
pub(super) const FRESH: Duration = super::POLL;

/// One read of entries, with when it was made and which NodeIDs it asked
/// for (for the managers' read, none: it asked by role).
struct Read {
    at: Instant,
    asked: BTreeSet<String>,
    nodes: Arc<Vec<SwarmNode>>,
}

impl Read {
    fn fresh(&self) -> bool {
        self.at.elapsed() < FRESH
    }
}

/// The manager answering for the swarm during a run, with its answers
/// shared between the joins and waits running at the same time.
pub(super) struct Shared<'a, H> {
    pub(super) source: &'a H,
    managers: Mutex<Option<Read>>,
    /// The NodeIDs whose entries a wait is polling for now.
    awaited: std::sync::Mutex<BTreeSet<String>>,
    polled: Mutex<Option<Read>>,
    swarm: OnceCell<SwarmInspect>,
}

impl<'a, H: SwarmHost> Shared<'a, H> {
    pub(super) fn new(source: &'a H) -> Self {
        Shared {
            source,
            managers: Mutex::new(None),
            awaited: std::sync::Mutex::new(BTreeSet::new()),
            polled: Mutex::new(None),
            swarm: OnceCell::new(),
        }
    }

    /// The managers' entries, read at most [`FRESH`] ago. Callers that
    /// arrive while they are being read wait for that read instead of
    /// starting their own.
    pub(super) async fn managers(&self) -> Result<Arc<Vec<SwarmNode>>, EngineError> {
        let mut last = self.managers.lock().await;
        if let Some(read) = last.as_ref().filter(|r| r.fresh()) {
            return Ok(Arc::clone(&read.nodes));
        }
        let nodes = Arc::new(self.source.nodes_where(&NodeFilter::Managers).await?);
        *last = Some(Read {
            at: Instant::now(),
            asked: BTreeSet::new(),
            nodes: Arc::clone(&nodes),
        });
        Ok(nodes)
    }

    /// Marks `id` as awaited until the returned guard is dropped: every
    /// poll made meanwhile asks for its entry, whoever makes it.
    pub(super) fn await_entry(&self, id: &str) -> Awaiting<'_, 'a, H> {
        self.awaited_ids().insert(id.to_owned());
        Awaiting {
            shared: self,
            id: id.to_owned(),
        }
    }

    fn awaited_ids(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        // A poisoned set only lost an insert or removal of a waiter that
        // panicked; the set itself is still whole.
        self.awaited
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The entry with NodeID `id` (`None`: not listed), from a read at most
    /// [`FRESH`] old that asked for it; one read asks for every entry
    /// awaited at the time.
    async fn entry(&self, id: &str) -> Result<Option<SwarmNode>, EngineError> {
        let find = |nodes: &[SwarmNode]| nodes.iter().find(|n| n.id == id).cloned();
        let mut last = self.polled.lock().await;
        if let Some(read) = last.as_ref().filter(|r| r.fresh() && r.asked.contains(id)) {
            return Ok(find(&read.nodes));
        }
        let mut asked = self.awaited_ids().clone();
        asked.insert(id.to_owned());
        let filter = NodeFilter::Ids(asked.iter().cloned().collect());
        let nodes = Arc::new(self.source.nodes_where(&filter).await?);
        let found = find(&nodes);
        *last = Some(Read {
            at: Instant::now(),
            asked,
            nodes,
        });
        Ok(found)
    }

    /// The swarm object with the join tokens, read once per run. Tokens
    /// rotated meanwhile (by hand, or `rotate-tokens`, which does not take
    /// the run lock) make the joins still to come fail with "invalid join
    /// token"; the next `up` reads the new ones.
    pub(super) async fn swarm(&self) -> Result<&SwarmInspect, EngineError> {
        self.swarm.get_or_try_init(|| self.source.swarm()).await
    }
}

/// A node whose entry is awaited: while it lives, every shared poll asks
/// for the entry.
pub(super) struct Awaiting<'s, 'a, H: SwarmHost> {
    shared: &'s Shared<'a, H>,
    id: String,
}

impl<H: SwarmHost> Awaiting<'_, '_, H> {
    /// The node's entry as a read at most [`FRESH`] old shows it.
    pub(super) async fn entry(&self) -> Result<Option<SwarmNode>, EngineError> {
        self.shared.entry(&self.id).await
    }
}

impl<H: SwarmHost> Drop for Awaiting<'_, '_, H> {
    fn drop(&mut self) {
        self.shared.awaited_ids().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::fake::FakeCluster;

    /// Two waits in flight share one read that asks for both entries and
    /// for nothing else; a wait that ended is no longer asked for.
    #[tokio::test(start_paused = true)]
    async fn one_poll_asks_for_exactly_the_entries_awaited() {
        let inventory = crate::inventory::test_inventory(3, 20);
        let cluster = FakeCluster::converged(&inventory);
        let leader = cluster.host("m1");
        let shared = Shared::new(&leader);
        let ids: Vec<String> = ["w1", "w7"]
            .iter()
            .map(|n| cluster.node_id(n).expect("a member"))
            .collect();
        let first = shared.await_entry(&ids[0]);
        let second = shared.await_entry(&ids[1]);
        let lists = cluster.node_lists();
        let entries = cluster.listed_entries();
        let a = first.entry().await.expect("read").expect("listed");
        let b = second.entry().await.expect("read").expect("listed");
        assert_eq!(
            (a.id.as_str(), b.id.as_str()),
            (ids[0].as_str(), ids[1].as_str())
        );
        assert_eq!(cluster.node_lists() - lists, 1, "one read for both waits");
        assert_eq!(
            cluster.listed_entries() - entries,
            2,
            "only the two awaited"
        );
        drop(first);
        tokio::time::advance(FRESH * 2).await;
        let b = second.entry().await.expect("read").expect("listed");
        assert_eq!(b.id, ids[1]);
        assert_eq!(
            cluster.listed_entries() - entries,
            3,
            "the ended wait not asked for"
        );
    }

    /// A join's read of the managers lists the managers only, once while
    /// it is fresh.
    #[tokio::test(start_paused = true)]
    async fn the_managers_read_lists_the_managers_only_and_is_shared() {
        let inventory = crate::inventory::test_inventory(3, 20);
        let cluster = FakeCluster::converged(&inventory);
        let leader = cluster.host("m1");
        let shared = Shared::new(&leader);
        let (a, b) = tokio::join!(shared.managers(), shared.managers());
        let (a, b) = (a.expect("read"), b.expect("read"));
        assert_eq!(a.len(), 3);
        assert!(
            a.iter()
                .all(|n| n.role == crate::model::swarm::NodeRole::Manager)
        );
        assert_eq!(a, b);
        assert_eq!(cluster.node_lists(), 1);
    }
}
