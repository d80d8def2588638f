//! The run lock: an advisory lock on the swarm, so that two runs that
//! change it (`up`, `down`, `remove`, `rotate-tokens`) do not race. It is
//! a label on the swarm's own spec (`io.swarmadm.lock`), taken with the
//! swarm's version like every spec update, so of two runs that take it at
//! the same time exactly one wins; the other sees the holder (and the
//! command it runs) and refuses. A lock older than [`LOCK_TTL`]
//! has expired (its run died), and so has one taken on this host by a
//! process that no longer runs; both are taken over. `--break-lock` takes
//! over any lock. The lock is released at the end of the run.
//!
//! A swarm that does not exist yet cannot be locked: two cold runs race on
//! `swarm init`, which only one node can win for a given leader.

use std::fmt;
use std::time::Duration;

use crate::model::lock::{Holder, LOCK_LABEL, holder, now};
use crate::observe::events::Events;
use crate::remote::engine::{EngineError, ErrorKind};
use crate::remote::host::SwarmHost;

/// After this long a lock is taken to belong to a run that died.
pub(crate) const LOCK_TTL: Duration = Duration::from_secs(30 * 60);
/// How often taking the lock is tried when another writer changed the
/// swarm spec in between.
const ATTEMPTS: u32 = 4;

/// Why the lock could not be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LockError {
    Held(Holder),
    Engine(String),
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Held(holder) => write!(
                f,
                "{} from {} (pid {}) since {}s ago; \
                 wait for it, or run with --break-lock if it died (locks expire after {} minutes)",
                match &holder.command {
                    Some(command) => format!("another swarmadm {command} is running on this swarm"),
                    None => "another swarmadm run holds this swarm's lock".to_owned(),
                },
                holder.host,
                holder.pid,
                now().saturating_sub(holder.since),
                LOCK_TTL.as_secs() / 60
            ),
            LockError::Engine(e) => write!(f, "taking the run lock: {e}"),
        }
    }
}

/// A lock this run holds.
#[derive(Debug)]
pub(crate) struct RunLock {
    token: String,
}

impl RunLock {
    /// Takes the lock through `source` (a manager of the swarm) for
    /// `command`, which a refused run names.
    pub(crate) async fn acquire<H: SwarmHost>(
        source: &H,
        command: &str,
        break_lock: bool,
    ) -> Result<RunLock, LockError> {
        let me = Holder::running(command);
        let value = serde_json::to_string(&me).map_err(|e| LockError::Engine(e.to_string()))?;
        for _ in 0..ATTEMPTS {
            let swarm = source.swarm().await.map_err(engine)?;
            if let Some(holder) = holder(&swarm.spec)
                && !break_lock
                && holder.is_live(LOCK_TTL)
            {
                return Err(LockError::Held(holder));
            }
            let mut spec = swarm.spec.clone();
            set_label(&mut spec, Some(&value));
            match source.update_swarm(swarm.version.index, &spec).await {
                Ok(()) => return Ok(RunLock { token: me.token }),
                Err(e) if e.kind() == ErrorKind::OutOfSequence => continue,
                Err(e) => return Err(engine(e)),
            }
        }
        Err(LockError::Engine(
            "the swarm spec kept changing while taking the lock".into(),
        ))
    }

    /// Clears a lock left by a run that died (expired, or taken on this
    /// host by a process that no longer runs), for a run that has nothing
    /// to change and so takes no lock of its own. `seen` is the swarm spec
    /// the run observed: without a dead lock in it, this costs nothing.
    pub(crate) async fn clear_dead<H: SwarmHost>(
        source: &H,
        seen: Option<&serde_json::Value>,
    ) -> Result<bool, LockError> {
        let Some(dead) = seen.and_then(holder).filter(|h| !h.is_live(LOCK_TTL)) else {
            return Ok(false);
        };
        RunLock { token: dead.token }
            .release(source)
            .await
            .map(|()| true)
    }

    /// Removes the lock, if it is still ours.
    pub(crate) async fn release<H: SwarmHost>(self, source: &H) -> Result<(), LockError> {
        for _ in 0..ATTEMPTS {
            let swarm = source.swarm().await.map_err(engine)?;
            if holder(&swarm.spec).is_none_or(|h| h.token != self.token) {
                return Ok(());
            }
            let mut spec = swarm.spec.clone();
            set_label(&mut spec, None);
            match source.update_swarm(swarm.version.index, &spec).await {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == ErrorKind::OutOfSequence => continue,
                Err(e) => return Err(engine(e)),
            }
        }
        Err(LockError::Engine(
            "the swarm spec kept changing while releasing the lock".into(),
        ))
    }

    /// [`RunLock::release`], a failure said as a warning: the run's own
    /// result stands, and the next run clears a lock whose holder is gone.
    pub(crate) async fn release_or_warn<H: SwarmHost>(self, source: &H, events: &Events) {
        if let Err(e) = self.release(source).await {
            events.warn(format!("could not release the run lock: {e}"));
        }
    }
}

fn engine(e: EngineError) -> LockError {
    LockError::Engine(e.to_string())
}

fn set_label(spec: &mut serde_json::Value, value: Option<&str>) {
    if !spec.is_object() {
        *spec = serde_json::json!({});
    }
    let labels = &mut spec["Labels"];
    if !labels.is_object() {
        *labels = serde_json::json!({});
    }
    if let Some(map) = labels.as_object_mut() {
        match value {
            Some(v) => {
                map.insert(
                    LOCK_LABEL.to_owned(),
                    serde_json::Value::String(v.to_owned()),
                );
            }
            None => {
                map.remove(LOCK_LABEL);
            }
        }
    }
}
