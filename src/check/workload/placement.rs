//! Where the workload's tasks must run, where they do, and, when the wait
//! for them ends without every active node running one, why: each node by
//! name with its task's state and error. Pure: judged from the manager's
//! task list.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Expect, Member, Placement};
use crate::model::names::Availability;
use crate::model::workload::{TaskError, TaskErrorKind, TaskPhase, WorkloadTask};

/// Where a task must run: on every node the inventory wants active, and
/// nowhere else; a node the inventory lacks by its own availability (the
/// scheduler places no new task on a drained or paused node).
pub(crate) fn expected(member: &Member) -> Expect {
    match member.wanted.unwrap_or(member.availability) {
        Availability::Active => Expect::Task,
        Availability::Pause | Availability::Drain => Expect::NoTask,
    }
}

/// Each member's placement, from the newest task on its node.
pub(crate) fn judge_placement(members: &[Member], tasks: &[WorkloadTask]) -> Vec<Placement> {
    let newest = newest_tasks(tasks);
    members
        .iter()
        .map(|m| {
            let task = newest.get(m.node_id.as_str());
            let expect = expected(m);
            let running = task.is_some_and(|t| t.phase == TaskPhase::Running);
            let placed = task.is_some_and(|t| t.desired_running && t.phase != TaskPhase::Ended);
            let error = task
                .and_then(|t| t.error.as_ref())
                .or_else(|| last_error(tasks, &m.node_id));
            Placement {
                node: m.name.clone(),
                node_id: m.node_id.clone(),
                availability: m.availability,
                wanted_availability: m.wanted.filter(|w| *w != m.availability),
                expected: expect,
                task_state: task.map(|t| t.state.clone()),
                address: task.and_then(|t| t.address.clone()),
                task_error: error.map(|e| e.message.clone()),
                task_error_kind: error.map(|e| e.kind),
                ipvs: None,
                ok: match expect {
                    Expect::Task => running,
                    Expect::NoTask => !placed && !running,
                },
            }
        })
        .collect()
}

/// The error of the newest task of a node that ended with one: while a
/// task is retried, why the last attempt failed.
pub(super) fn last_error<'t>(tasks: &'t [WorkloadTask], node_id: &str) -> Option<&'t TaskError> {
    tasks
        .iter()
        .filter(|t| t.node_id == node_id && t.phase == TaskPhase::Ended && t.error.is_some())
        .max_by(|a, b| a.updated.cmp(&b.updated))
        .and_then(|t| t.error.as_ref())
}

/// Tasks that ended with an error this many times on a node, with none
/// running there, are failing for good: waiting longer will not help.
pub(super) const FAILED_ATTEMPTS: usize = 2;

/// When the wait for tasks can stop at once, why: every active node runs
/// its task or keeps failing (at least [`FAILED_ATTEMPTS`] ended with an
/// error, none running), and some keep failing.
///
/// - Failing on every active node: an image the nodes cannot get says so,
///   any other error is named as it is.
/// - Failing on some while the others run: only when each failing node's
///   engine says it has no such image (it will not have one on the next
///   retry either). Other errors (a network not yet attached, a loaded
///   engine) can pass, so the run waits for them to the timeout.
pub(crate) fn failing_for_good(
    placement: &[Placement],
    tasks: &[WorkloadTask],
    image: &str,
) -> Option<String> {
    let active: Vec<&Placement> = placement
        .iter()
        .filter(|p| p.availability == Availability::Active)
        .collect();
    let mut failing: Vec<&Placement> = Vec::new();
    for p in &active {
        if p.runs() {
            continue;
        }
        let mine: Vec<&WorkloadTask> = tasks.iter().filter(|t| t.node_id == p.node_id).collect();
        let failed = mine
            .iter()
            .filter(|t| t.phase == TaskPhase::Ended && t.error.is_some())
            .count();
        if failed < FAILED_ATTEMPTS || mine.iter().any(|t| t.phase == TaskPhase::Running) {
            return None;
        }
        failing.push(p);
    }
    if failing.is_empty() {
        return None;
    }
    if failing.len() < active.len() {
        let image_gone = |p: &&Placement| p.task_error_kind == Some(TaskErrorKind::ImageMissing);
        if !failing.iter().all(image_gone) {
            return None;
        }
        let nodes: Vec<String> = failing.iter().map(|p| p.waiting()).collect();
        return Some(format!(
            "the image {image} is missing on {}, while the other active nodes run it: \
             load it into those nodes, or name another image with --workload-image",
            nodes.join(", ")
        ));
    }
    let mut errors: Vec<&str> = failing
        .iter()
        .filter_map(|p| p.task_error.as_deref())
        .collect();
    errors.sort_unstable();
    errors.dedup();
    let error = errors.join("; ");
    Some(if failing.iter().any(|p| image_unavailable(p)) {
        format!(
            "the nodes cannot get the image {image} ({error}): push it to a registry they \
             reach, load it into each node, or name another with --workload-image"
        )
    } else {
        format!("the workload's tasks fail on every active node: {error}")
    })
}

/// Whether the node's task failed because the node could not get the
/// image ([`TaskErrorKind::image_unavailable`]).
fn image_unavailable(placement: &Placement) -> bool {
    placement
        .task_error_kind
        .is_some_and(TaskErrorKind::image_unavailable)
}

/// Why the wait for tasks ended without every active node running one:
/// each such node by name, with its newest task's state and error, so
/// that one node without the image (or out of disk, or refusing the
/// network) is named rather than a bare timeout.
pub(crate) fn not_running_within(
    placement: &[Placement],
    timeout: Duration,
    image: &str,
) -> String {
    let waiting: Vec<&Placement> = placement
        .iter()
        .filter(|p| p.availability == Availability::Active)
        .filter(|p| !p.runs())
        .collect();
    let nodes: Vec<String> = waiting.iter().map(|p| p.waiting()).collect();
    let mut error = format!(
        "not every active node ran its task within {}s: {}",
        timeout.as_secs(),
        nodes.join(", ")
    );
    if waiting.iter().any(|p| image_unavailable(p)) {
        error.push_str(&format!(
            "; load {image} into those nodes, or name another image with --workload-image"
        ));
    }
    error
}

/// Why the wait for tasks ended early: the nodes at `stuck` (indices into
/// `placement`) made no progress for `timeout`, each named with its newest
/// task's state and error; the others still on their way are counted.
pub(crate) fn stuck_without_progress(
    placement: &[Placement],
    stuck: &[usize],
    timeout: Duration,
    image: &str,
) -> String {
    let named: Vec<&Placement> = stuck.iter().filter_map(|i| placement.get(*i)).collect();
    let nodes: Vec<String> = named.iter().map(|p| p.waiting()).collect();
    let moving = placement
        .iter()
        .enumerate()
        .filter(|(i, p)| p.availability == Availability::Active && !p.runs() && !stuck.contains(i))
        .count();
    let mut error = format!(
        "no progress towards a running task for {}s (--workload-timeout) on {}",
        timeout.as_secs(),
        nodes.join(", ")
    );
    if moving > 0 {
        error.push_str(&format!(" ({moving} other node(s) still starting theirs)"));
    }
    if named.iter().any(|p| image_unavailable(p)) {
        error.push_str(&format!(
            "; load {image} into those nodes, or name another image with --workload-image"
        ));
    }
    error
}

/// The task each node runs, or last ran: tasks meant to run first, then
/// the newest.
pub(super) fn newest_tasks(tasks: &[WorkloadTask]) -> BTreeMap<&str, &WorkloadTask> {
    let mut newest: BTreeMap<&str, &WorkloadTask> = BTreeMap::new();
    for task in tasks {
        let key = |t: &WorkloadTask| (t.desired_running, t.updated.clone());
        match newest.get(task.node_id.as_str()) {
            Some(kept) if key(kept) >= key(task) => {}
            _ => {
                newest.insert(&task.node_id, task);
            }
        }
    }
    newest
}

/// Whether every node the scheduler places a task on (an active one,
/// wanted so or not) runs it, with an address: a task that is still
/// coming on a wrongly active node is waited for, so that it is seen.
pub(super) fn all_running(placement: &[Placement]) -> bool {
    placement
        .iter()
        .filter(|p| p.availability == Availability::Active)
        .all(Placement::runs)
}
