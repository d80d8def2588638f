//! The run lock as it is written on the swarm: the label on the swarm spec
//! and the [`Holder`] it names. Taking and releasing it is
//! [`crate::exec::lock`]'s; the inventory refuses the label as a user label.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    /// The command that took the lock (`up`, `down`, `remove`,
    /// `rotate-tokens`); none in a workload's holder and in a lock an
    /// older swarmadm wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) command: Option<String>,
}

impl Holder {
    /// This process, now: a run's own holder, unique per call.
    pub(crate) fn me() -> Holder {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Holder {
            host: hostname(),
            pid: std::process::id(),
            since: now(),
            token: format!("{}-{}-{nanos}", hostname(), std::process::id()),
            command: None,
        }
    }

    /// This process running `command`: the holder of a run lock.
    pub(crate) fn running(command: &str) -> Holder {
        Holder {
            command: Some(command.to_owned()),
            ..Holder::me()
        }
    }

    /// Whether the run that wrote this holder may still run: younger than
    /// `ttl`, and, when it was written on this host, its process still runs
    /// (a run killed here does not block the next one until `ttl`).
    pub(crate) fn is_live(&self, ttl: Duration) -> bool {
        if now().saturating_sub(self.since) >= ttl.as_secs() {
            return false;
        }
        if self.host != hostname() {
            return true;
        }
        let Ok(pid) = i32::try_from(self.pid) else {
            return true;
        };
        // Signal 0 only asks whether the process exists.
        !matches!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
            Err(nix::errno::Errno::ESRCH)
        )
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// This host's name, as holders record it.
pub(crate) fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "unknown host".into())
}

/// The holder written in a swarm spec, if any.
pub(crate) fn holder(spec: &serde_json::Value) -> Option<Holder> {
    let value = spec.get("Labels")?.get(LOCK_LABEL)?.as_str()?;
    serde_json::from_str(value).ok()
}
