//! The run lock as it is written on the swarm: the label on the swarm spec
//! and the [`Holder`] it names. Taking and releasing it is
//! [`crate::exec::lock`]'s; the inventory refuses the label as a user label.

use serde::{Deserialize, Serialize};

/// The swarm spec label that holds the lock.
pub(crate) const LOCK_LABEL: &str = "io.swarmadm.lock";

/// Who holds the lock, as written into the label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Holder {
    pub(crate) host: String,
    pub(crate) pid: u32,
    /// Seconds since the Unix epoch.
    pub(crate) since: u64,
    /// Unique per run: release only removes our own lock.
    pub(crate) token: String,
}

/// The holder written in a swarm spec, if any.
pub(crate) fn holder(spec: &serde_json::Value) -> Option<Holder> {
    let value = spec.get("Labels")?.get(LOCK_LABEL)?.as_str()?;
    serde_json::from_str(value).ok()
}
