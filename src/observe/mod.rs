//! Observing: one [`Snapshot`] of every inventory node per run, what it says
//! about the swarm as a whole ([`cluster`]: which entry is which node,
//! strays; [`leadership`]: whether a majority confirms a leader, and what
//! this machine cannot see), and the [`events`] that tell the reporter what is being
//! done. Everything above starts from here; nothing here plans or acts.

pub(crate) mod cluster;
pub(crate) mod events;
pub(crate) mod leadership;
mod snapshot;

pub(crate) use snapshot::*;
