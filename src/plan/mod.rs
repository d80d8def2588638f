//! Planning: desired against actual, as data, touching no network. [`up`]
//! (the plan `swarmadm up` executes), [`settings`] (the swarm-wide
//! settings), [`prune`] (scale in) and [`down`] (tear down). `--dry-run`
//! prints what is computed here; [`crate::exec`] carries it out.

pub(crate) mod down;
pub(crate) mod prune;
pub(crate) mod recover;
pub(crate) mod settings;
mod up;

pub(crate) use up::*;

/// What kind of reason blocks a node, as JSON names it (`error.kind` of a
/// blocked node): the same word for the same cause in `up`, `down` and
/// `remove`. Each plan's reason type says which kind it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum BlockKind {
    Unreachable,
    Locked,
    SwarmError,
    Pending,
    SwarmUnreachable,
    ManagersUnknown,
    ManagerInError,
    /// A manager of this swarm that its majority cannot reach (Raft), while
    /// this machine reaches it: cut off by the network, left alone.
    Partitioned,
    #[serde(rename = "foreign_swarm")]
    Foreign,
    NoNodeList,
    Quorum,
    LastManager,
}
