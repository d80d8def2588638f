//! Planning: desired against actual, as data, touching no network. [`up`]
//! (the plan `swarmadm up` executes), [`settings`] (the swarm-wide
//! settings), [`prune`] (scale in) and [`down`] (tear down). `--dry-run`
//! prints what is computed here; [`crate::exec`] carries it out.

pub(crate) mod down;
pub(crate) mod prune;
pub(crate) mod settings;
mod up;

pub(crate) use up::*;
