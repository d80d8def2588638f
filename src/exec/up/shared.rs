//! The swarm's answers that many concurrent joins need, read once for all
//! of them: the node list (at most [`FRESH`] old) and the join tokens.
//!
//! Every worker join needs the manager addresses and a token, and every
//! joined node is then polled until the managers list it Ready. Reading the
//! node list per join and per poll made 16 parallel joins ask the leader
//! for its whole node list some 50 times a second on a 100-node swarm; that
//! load slowed the joins until engines timed out mid-join and left
//! half-registered entries behind. Now concurrent callers share one read.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OnceCell};
use tokio::time::Instant;

use crate::model::swarm::{SwarmInspect, SwarmNode};
use crate::remote::engine::EngineError;
use crate::remote::host::SwarmHost;

/// How old a shared node list may be: the poll interval of the waits.
pub(super) const FRESH: Duration = super::POLL;

/// The manager answering for the swarm during a run, with its answers
/// shared between the joins and waits running at the same time.
pub(super) struct Shared<'a, H> {
    pub(super) source: &'a H,
    list: Mutex<Option<(Instant, Arc<Vec<SwarmNode>>)>>,
    swarm: OnceCell<SwarmInspect>,
}

impl<'a, H: SwarmHost> Shared<'a, H> {
    pub(super) fn new(source: &'a H) -> Self {
        Shared {
            source,
            list: Mutex::new(None),
            swarm: OnceCell::new(),
        }
    }

    /// The node list, read at most [`FRESH`] ago. Callers that arrive while
    /// it is being read wait for that read instead of starting their own.
    pub(super) async fn nodes(&self) -> Result<Arc<Vec<SwarmNode>>, EngineError> {
        let mut last = self.list.lock().await;
        if let Some((at, nodes)) = last.as_ref()
            && at.elapsed() < FRESH
        {
            return Ok(Arc::clone(nodes));
        }
        let nodes = Arc::new(self.source.nodes().await?);
        *last = Some((Instant::now(), Arc::clone(&nodes)));
        Ok(nodes)
    }

    /// The swarm object with the join tokens, read once per run. Tokens
    /// rotated meanwhile (by hand, or `rotate-tokens`, which does not take
    /// the run lock) make the joins still to come fail with "invalid join
    /// token"; the next `up` reads the new ones.
    pub(super) async fn swarm(&self) -> Result<&SwarmInspect, EngineError> {
        self.swarm.get_or_try_init(|| self.source.swarm()).await
    }
}
