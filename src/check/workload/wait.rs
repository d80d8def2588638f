//! The wait for the workload's tasks, following each node's progress. A
//! node whose newest task moves (assigned → preparing → starting →
//! running), or is replaced by a new one, is not failed while it moves:
//! `--workload-timeout` bounds the time a node may go without progress,
//! and the whole wait has a larger ceiling, derived from the node count
//! ([`ceiling`]). A node that is stuck is named as soon as it is.
//!
//! Pure: it is handed what the manager listed and the time it was listed
//! at; listing, sleeping and the early stop on tasks failing for good are
//! the caller's.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::Placement;
use super::placement::{all_running, newest_tasks};
use crate::model::names::Availability;
use crate::model::workload::WorkloadTask;

/// Time the whole wait may take per active node, above the timeout: tasks
/// of a global service start side by side, but on a loaded machine the
/// engines' work adds up.
pub(crate) const CEILING_PER_NODE: Duration = Duration::from_secs(2);

/// How long the whole wait may take for `nodes` active nodes: the larger
/// of twice `timeout` and `timeout` plus [`CEILING_PER_NODE`] per node.
pub(crate) fn ceiling(timeout: Duration, nodes: usize) -> Duration {
    let per_node = CEILING_PER_NODE.saturating_mul(u32::try_from(nodes).unwrap_or(u32::MAX));
    (timeout * 2).max(timeout.saturating_add(per_node))
}

/// Where the wait stands after a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Waited {
    /// Every active node runs its task.
    Running,
    /// Some still move; wait on.
    Moving,
    /// These nodes (their placements' indices) made no progress for the
    /// timeout.
    Stuck(Vec<usize>),
    /// The whole wait's ceiling has passed.
    Ceiling,
}

/// A node's newest task as last seen, and since when.
#[derive(Debug)]
struct Seen {
    /// The task's id and state; none while the node has no task.
    task: Option<(String, String)>,
    since: Instant,
}

/// The progress of every active node's task.
#[derive(Debug)]
pub(crate) struct TaskWait {
    timeout: Duration,
    ceiling: Duration,
    started: Instant,
    /// When the manager last answered a listing.
    listed: Instant,
    seen: BTreeMap<String, Seen>,
}

impl TaskWait {
    /// A wait that starts at `now` for `nodes` active nodes.
    pub(crate) fn new(timeout: Duration, nodes: usize, now: Instant) -> TaskWait {
        TaskWait {
            timeout,
            ceiling: ceiling(timeout, nodes),
            started: now,
            listed: now,
            seen: BTreeMap::new(),
        }
    }

    /// The whole wait's ceiling.
    pub(crate) fn ceiling(&self) -> Duration {
        self.ceiling
    }

    /// The timeout without progress.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Takes in a listing of the tasks made at `now` (and the placement
    /// judged from it): whether to go on waiting.
    pub(crate) fn observe(
        &mut self,
        placement: &[Placement],
        tasks: &[WorkloadTask],
        now: Instant,
    ) -> Waited {
        self.listed = now;
        let newest = newest_tasks(tasks);
        // Every active node's task is followed, running or not: one that
        // loses its running task starts counting from then.
        for p in placement
            .iter()
            .filter(|p| p.availability == Availability::Active)
        {
            let task = newest
                .get(p.node_id.as_str())
                .map(|t| (t.id.clone(), t.state.clone()));
            let seen = self.seen.entry(p.node_id.clone()).or_insert(Seen {
                task: None,
                since: self.started,
            });
            if seen.task != task {
                if let Some((_, state)) = &task {
                    tracing::debug!(
                        "{}: workload task {state} after {:.1}s",
                        p.node,
                        now.duration_since(self.started).as_secs_f64()
                    );
                }
                seen.task = task;
                seen.since = now;
            }
        }
        if all_running(placement) {
            return Waited::Running;
        }
        let stuck: Vec<usize> = placement
            .iter()
            .enumerate()
            .filter(|(_, p)| p.availability == Availability::Active && !p.runs())
            .filter(|(_, p)| {
                self.seen
                    .get(&p.node_id)
                    .is_some_and(|seen| now.duration_since(seen.since) >= self.timeout)
            })
            .map(|(i, _)| i)
            .collect();
        if !stuck.is_empty() {
            Waited::Stuck(stuck)
        } else if now.duration_since(self.started) >= self.ceiling {
            Waited::Ceiling
        } else {
            Waited::Moving
        }
    }

    /// Whether a listing that failed at `now` ends the wait: the manager
    /// has not answered for the timeout, or the ceiling has passed.
    pub(crate) fn unanswered(&self, now: Instant) -> bool {
        now.duration_since(self.listed) >= self.timeout
            || now.duration_since(self.started) >= self.ceiling
    }
}
