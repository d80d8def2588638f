//! Events: the only way the engine side (observe, exec, check) tells the
//! user what it is doing. The engine sends; [`crate::ui`] draws. Nothing in
//! an event may hold a secret.

use tokio::sync::mpsc;

use crate::model::names::NodeName;

/// A step a node is in, shown on its progress line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Connecting,
    Inspecting,
    /// Planned, waiting for its turn (managers join one at a time).
    Queued,
    Initialising,
    /// Proving the node reaches a manager's swarm port.
    CheckingPorts,
    /// Clearing a join that stopped half-way before joining again.
    Repairing,
    Joining,
    WaitingReachable,
    /// Waiting until a joined node is listed Ready.
    WaitingReady,
    Promoting,
    Demoting,
    Draining,
    Activating,
    Labelling,
    Checking,
    /// Leaving the swarm (`down`, `remove`, `up --prune`).
    Leaving,
    /// Waiting until a demoted manager is out of the Raft membership.
    WaitingDemoted,
    /// Waiting until a drained node's tasks have moved: how many are left.
    WaitingTasks(usize),
    /// Removing the node's entry from the swarm.
    Removing,
    /// Unlocking a locked manager (autolock).
    Unlocking,
    /// The one swarm spec update of the inventory's settings.
    UpdatingSettings,
    /// Rotating join tokens, the unlock key or the root CA.
    Rotating,
    /// Waiting until every node trusts the new root CA.
    WaitingTrust,
    /// Creating the overlay network and service of `verify --workload`.
    CreatingWorkload,
    /// Looking for (and removing) the workload of an earlier run that is over.
    CheckingLeftovers,
    /// Removing this run's workload service and network.
    RemovingWorkload,
    /// Waiting until the node runs its workload task.
    WaitingTask,
    /// Waiting until the node's overlay has learned of every other task.
    WaitingOverlay,
    /// Pinging the other tasks, the VIP and `tasks.<name>` from its task.
    Probing,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::Connecting => "connecting",
            Step::Inspecting => "inspecting",
            Step::Queued => "queued",
            Step::Initialising => "initialising the swarm",
            Step::CheckingPorts => "checking ports",
            Step::Repairing => "clearing a failed join",
            Step::Joining => "joining",
            Step::WaitingReachable => "waiting until reachable",
            Step::WaitingReady => "waiting until ready",
            Step::Promoting => "promoting",
            Step::Demoting => "demoting",
            Step::Draining => "draining",
            Step::Activating => "setting availability",
            Step::Labelling => "labelling",
            Step::Checking => "checking",
            Step::Leaving => "leaving the swarm",
            Step::WaitingTasks(n) => {
                return write!(f, "waiting until its tasks have moved ({n} left)");
            }
            Step::Removing => "removing its entry",
            Step::WaitingDemoted => "waiting until out of the Raft membership",
            Step::Unlocking => "unlocking",
            Step::UpdatingSettings => "updating swarm settings",
            Step::Rotating => "rotating",
            Step::WaitingTrust => "waiting for the new root CA",
            Step::CreatingWorkload => "creating the workload",
            Step::CheckingLeftovers => "looking for leftovers of earlier runs",
            Step::RemovingWorkload => "removing the workload",
            Step::WaitingTask => "waiting for its workload task",
            Step::WaitingOverlay => "waiting for its overlay to learn the other tasks",
            Step::Probing => "probing the overlay",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// A node started a step.
    Step { node: NodeName, step: Step },
    /// A node finished; `summary` says what was done.
    Done { node: NodeName, summary: String },
    /// A node failed; `error` names the cause.
    Failed { node: NodeName, error: String },
    /// Something the user should know that is not tied to one node's line.
    Warn(String),
    /// Lines shown above the progress, as they are: what the run is about
    /// to do (the plan of `up`, rendered by the reporter's side).
    Notice(Vec<String>),
}

/// The sending side, cheap to clone into every node's task. Sending never
/// fails the run: with no reporter left, events are dropped.
#[derive(Debug, Clone)]
pub(crate) struct Events(mpsc::UnboundedSender<Event>);

impl Events {
    pub(crate) fn channel() -> (Events, mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Events(tx), rx)
    }

    /// Events that go nowhere (tests).
    #[cfg(test)]
    pub(crate) fn discard() -> Events {
        Events::channel().0
    }

    /// Lines to show above the progress.
    pub(crate) fn notice(&self, lines: Vec<String>) {
        self.send(Event::Notice(lines));
    }

    fn send(&self, event: Event) {
        let _ = self.0.send(event);
    }

    pub(crate) fn step(&self, node: &NodeName, step: Step) {
        self.send(Event::Step {
            node: node.clone(),
            step,
        });
    }

    pub(crate) fn done(&self, node: &NodeName, summary: impl Into<String>) {
        self.send(Event::Done {
            node: node.clone(),
            summary: summary.into(),
        });
    }

    pub(crate) fn failed(&self, node: &NodeName, error: impl Into<String>) {
        self.send(Event::Failed {
            node: node.clone(),
            error: error.into(),
        });
    }

    pub(crate) fn warn(&self, text: impl Into<String>) {
        self.send(Event::Warn(text.into()));
    }
}
