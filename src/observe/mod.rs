//! Observing: one [`Snapshot`] of every inventory node per run, what it says
//! about the swarm as a whole ([`cluster`]: which entry is which node,
//! strays, quorum), and the [`events`] that tell the reporter what is being
//! done. Everything above starts from here; nothing here plans or acts.

pub(crate) mod cluster;
pub(crate) mod events;
mod snapshot;

pub(crate) use snapshot::*;
