//! `swarmadm rotate-tokens`: new join tokens (worker, manager or both),
//! optionally a new unlock key (into the key file, atomically) and a new
//! root CA (waiting, bounded, until every node trusts it), all through one
//! swarm update at the swarm's version.
//!
//! Tokens and keys are compared by their SHA-256, never shown: the report
//! says what was rotated and that the new value differs from the old one.
//! Rotation does not touch the members: nodes that joined keep working,
//! only new joins need the new token. It runs under the run lock, like
//! `up`, `down` and `remove`.

use std::convert::Infallible;
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::exec::lock::{LockError, RunLock};
use crate::exec::unlock::{KeyFile, KeyFileError, KeyOptions};
use crate::inventory::Inventory;
use crate::model::exit_codes;
use crate::model::names::NodeName;
use crate::model::secret::Secret;
use crate::model::swarm::{NodeStatus, Rotation, SwarmInspect};
use crate::model::wait::{Look, Wait, WaitError};
use crate::observe::events::{Events, Step};
use crate::observe::{self, Snapshot};
use crate::remote::engine::ErrorKind;
use crate::remote::host::{Connector, SwarmHost};

/// How often the update is tried while another writer moves the version.
const ATTEMPTS: u32 = 4;
/// How often the node list is read while waiting for the new root CA.
const POLL: Duration = Duration::from_secs(1);

/// What to rotate.
#[derive(Debug, Clone, Default)]
pub(crate) struct RotateOptions {
    pub(crate) worker: bool,
    pub(crate) manager: bool,
    pub(crate) unlock_key: bool,
    pub(crate) ca: bool,
    /// How long to wait for every node to trust the new root CA.
    pub(crate) ca_timeout: Duration,
    /// Rotate the root CA although some inventory nodes cannot be reached
    /// (they catch up when they are back; the wait names them).
    pub(crate) allow_unreachable: bool,
    pub(crate) keys: KeyOptions,
    /// Take the run lock even when another run holds it.
    pub(crate) break_lock: bool,
}

/// One thing rotated, or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Rotated {
    /// `worker token`, `manager token`, `unlock key`, `root CA`.
    pub(crate) what: &'static str,
    pub(crate) ok: bool,
    pub(crate) detail: String,
}

/// The result of `rotate-tokens`; `--output json` prints it.
#[derive(Debug, Clone)]
pub(crate) struct RotateReport {
    pub(crate) cluster_id: Option<String>,
    /// The manager the update went through.
    pub(crate) source: Option<NodeName>,
    pub(crate) rotated: Vec<Rotated>,
    /// Set when nothing could be rotated.
    pub(crate) error: Option<RotateError>,
    /// What the rotation means for the members.
    pub(crate) notes: Vec<&'static str>,
}

/// Why nothing was rotated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RotateError {
    /// No manager of the inventory's swarm is reachable.
    NoManager,
    /// `--ca`: nodes cannot be reached (without `--allow-unreachable`).
    Unreachable(String),
    /// `--unlock-key`: no key file, a key file that cannot be used, or a
    /// swarm without autolock.
    UnlockKey(String),
    /// The swarm could not be read or updated.
    Engine(String),
    /// Another run holds the run lock (an `up` between reading the join
    /// tokens and joining with them, for example), or it could not be taken.
    Lock(LockError),
}

impl std::fmt::Display for RotateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RotateError::NoManager => {
                f.write_str("no manager of the inventory's swarm is reachable: nothing was rotated")
            }
            RotateError::Unreachable(message)
            | RotateError::UnlockKey(message)
            | RotateError::Engine(message) => f.write_str(message),
            RotateError::Lock(e) => e.fmt(f),
        }
    }
}

impl RotateError {
    /// A short, stable name for JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            RotateError::NoManager => "no_manager",
            RotateError::Unreachable(_) => "unreachable",
            RotateError::UnlockKey(_) => "unlock_key",
            RotateError::Engine(_) => "engine",
            RotateError::Lock(_) => "locked_by_another_run",
        }
    }
}

/// Said with every token rotation: the members are not affected.
pub(crate) const NOTE: &str = "existing members are not affected: nodes that already joined keep \
     working; only new joins need the new token";
const KEY_NOTE: &str = "running managers stay unlocked; a manager that restarts needs the new key";
const CA_NOTE: &str = "members are not affected: each got a certificate from the new root CA";

impl RotateReport {
    pub(crate) fn exit_code(&self) -> u8 {
        if self.error.is_some() {
            exit_codes::UNUSABLE
        } else if self.rotated.iter().any(|r| !r.ok) {
            exit_codes::FAILED
        } else {
            exit_codes::OK
        }
    }

    fn refused(error: RotateError) -> RotateReport {
        RotateReport {
            cluster_id: None,
            source: None,
            rotated: Vec::new(),
            error: Some(error),
            notes: Vec::new(),
        }
    }
}

fn digest(secret: &Secret) -> [u8; 32] {
    Sha256::digest(secret.expose().as_bytes()).into()
}

/// Observes, rotates through the swarm's source manager, checks.
pub(crate) async fn run<C: Connector>(
    inventory: &Inventory,
    connector: &C,
    options: &RotateOptions,
    events: &Events,
) -> RotateReport {
    let snapshot = observe::snapshot(inventory, connector, events).await;
    if options.ca
        && !options.allow_unreachable
        && let Some(refusal) = unreachable_refusal(&snapshot)
    {
        return RotateReport::refused(refusal);
    }
    let Some((name, source)) = snapshot.source() else {
        return RotateReport::refused(RotateError::NoManager);
    };
    // A key file that cannot be used refuses the run before anything
    // changes, the lock included.
    let key_file = if options.unlock_key {
        match check_key_file(source, &options.keys).await {
            Ok(found) => Some(found),
            Err(error) => {
                events.failed(name, error.to_string());
                return RotateReport::refused(error);
            }
        }
    } else {
        None
    };
    // Under the run lock, so that an `up` does not join with a token
    // read before the rotation, nor two rotations cross.
    let lock = match RunLock::acquire(source, "rotate-tokens", options.break_lock).await {
        Ok(lock) => lock,
        Err(e) => {
            let error = RotateError::Lock(e);
            events.failed(name, error.to_string());
            return RotateReport::refused(error);
        }
    };
    let rotated = rotate(&snapshot, name, source, options, key_file, events).await;
    lock.release_or_warn(source, events).await;
    let mut report = match rotated {
        Ok(report) => report,
        Err(error) => {
            events.failed(name, error.to_string());
            return RotateReport::refused(error);
        }
    };
    report.cluster_id = snapshot.facts.cluster_id.clone();
    for host_name in snapshot.hosts.keys().filter(|n| *n != name) {
        events.done(host_name, "not affected");
    }
    report
}

/// A root CA rotation is only over once every node has a certificate from
/// the new root: one that cannot be reached holds it up, so the rotation
/// is refused up front (like `down`) unless `--allow-unreachable`.
fn unreachable_refusal<H>(snapshot: &Snapshot<H>) -> Option<RotateError> {
    let unreachable: Vec<String> = snapshot
        .facts
        .nodes
        .iter()
        .filter_map(|(name, info)| info.as_ref().err().map(|f| format!("{name} ({f})")))
        .collect();
    if unreachable.is_empty() {
        return None;
    }
    Some(RotateError::Unreachable(format!(
        "cannot reach {}: a root CA rotation is over only when every node has a certificate \
         from the new root, so it would wait for {}; bring {} back first, or run with \
         --allow-unreachable to rotate now and let {} catch up later",
        unreachable.join(", "),
        if unreachable.len() == 1 { "it" } else { "them" },
        if unreachable.len() == 1 { "it" } else { "them" },
        if unreachable.len() == 1 { "it" } else { "them" },
    )))
}

async fn rotate<H: SwarmHost>(
    snapshot: &Snapshot<H>,
    name: &NodeName,
    source: &H,
    options: &RotateOptions,
    key_file: Option<KeyFile>,
    events: &Events,
) -> Result<RotateReport, RotateError> {
    events.step(name, Step::Rotating);
    let rotation = Rotation {
        worker_token: options.worker,
        manager_token: options.manager,
        unlock_key: options.unlock_key,
    };
    let old_key = if options.unlock_key {
        source
            .unlock_key()
            .await
            .map_err(engine("reading the unlock key"))?
    } else {
        None
    };
    // A rotation an earlier run started (and stopped waiting for) is
    // waited for, not replaced by another one.
    let resumed = options.ca
        && source
            .swarm()
            .await
            .map_err(engine("reading the swarm"))?
            .root_rotation_in_progress;
    let journal = match (&key_file, &options.keys.file) {
        (Some(KeyFile::Current), Some(path)) => Some(path),
        _ => None,
    };
    if let Some(path) = journal {
        crate::exec::unlock::begin_rotation(path)
            .map_err(|e| RotateError::UnlockKey(e.to_string()))?;
    }
    let before = match update(source, rotation, options.ca && !resumed).await {
        Ok(before) => before,
        Err(e) => {
            if let Some(path) = journal {
                crate::exec::unlock::end_rotation(path);
            }
            return Err(e);
        }
    };
    let after = source
        .swarm()
        .await
        .map_err(engine("reading the swarm after the rotation"))?;
    let mut rotated = Vec::new();
    let tokens = [
        (
            options.worker,
            "worker token",
            &before.tokens.worker,
            &after.tokens.worker,
        ),
        (
            options.manager,
            "manager token",
            &before.tokens.manager,
            &after.tokens.manager,
        ),
    ];
    for (asked, what, old, new) in tokens {
        if !asked {
            continue;
        }
        let differs = digest(old) != digest(new);
        rotated.push(Rotated {
            what,
            ok: differs,
            detail: if differs {
                "rotated: the new token differs from the old one (compared by SHA-256)".into()
            } else {
                "the engine still answers the old token".into()
            },
        });
    }
    if let Some(found) = key_file {
        rotated.push(store_new_key(source, &options.keys, old_key.as_ref(), &found).await);
    }
    if options.ca {
        let mut ca = wait_for_ca(snapshot, source, options.ca_timeout, events).await;
        if resumed {
            ca.detail = format!(
                "{} (the rotation an earlier run started; no new one was started)",
                ca.detail
            );
        }
        rotated.push(ca);
    }
    let summary: Vec<&str> = rotated.iter().filter(|r| r.ok).map(|r| r.what).collect();
    if rotated.iter().all(|r| r.ok) {
        events.done(name, format!("rotated {}", summary.join(", ")));
    } else {
        events.failed(name, "a rotation could not be confirmed");
    }
    Ok(RotateReport {
        cluster_id: None,
        source: Some(name.clone()),
        rotated,
        error: None,
        notes: [
            (options.worker || options.manager, NOTE),
            (options.unlock_key, KEY_NOTE),
            (options.ca, CA_NOTE),
        ]
        .into_iter()
        .filter_map(|(said, note)| said.then_some(note))
        .collect(),
    })
}

fn engine(what: &'static str) -> impl Fn(crate::remote::engine::EngineError) -> RotateError {
    move |e| RotateError::Engine(format!("{what}: {e}"))
}

/// The key file must be named and hold nothing or the current key, and
/// autolock must be on, before anything is rotated.
async fn check_key_file<H: SwarmHost>(
    source: &H,
    keys: &KeyOptions,
) -> Result<KeyFile, RotateError> {
    let Some(path) = &keys.file else {
        return Err(RotateError::UnlockKey(
            "--unlock-key needs --unlock-key-file PATH: the new key is written there, never printed"
                .into(),
        ));
    };
    let current = source
        .unlock_key()
        .await
        .map_err(engine("reading the unlock key"))?;
    let Some(current) = current else {
        return Err(RotateError::UnlockKey(
            "autolock is off on this swarm: there is no unlock key to rotate".into(),
        ));
    };
    match crate::exec::unlock::check(path, Some(&current)) {
        // A rotation killed before it wrote the new key: the file is ours.
        Err(e @ KeyFileError::OtherContent { .. }) => {
            match crate::exec::unlock::recover(path, &current) {
                Ok(true) => Ok(KeyFile::Current),
                Ok(false) => Err(RotateError::UnlockKey(e.to_string())),
                Err(e) => Err(RotateError::UnlockKey(e.to_string())),
            }
        }
        other => other.map_err(|e| RotateError::UnlockKey(e.to_string())),
    }
}

/// One swarm update with the rotation flags (and a forced CA rotation),
/// at the swarm's version, tried again when another writer moved it.
/// Returns the swarm as it was just before.
async fn update<H: SwarmHost>(
    source: &H,
    rotation: Rotation,
    ca: bool,
) -> Result<SwarmInspect, RotateError> {
    for _ in 0..ATTEMPTS {
        let swarm = source.swarm().await.map_err(engine("reading the swarm"))?;
        let mut spec = swarm.spec.clone();
        if ca {
            let next = spec["CAConfig"]["ForceRotate"].as_u64().unwrap_or(0) + 1;
            if !spec["CAConfig"].is_object() {
                spec["CAConfig"] = serde_json::json!({});
            }
            spec["CAConfig"]["ForceRotate"] = serde_json::json!(next);
        }
        match source
            .update_swarm_rotating(swarm.version.index, &spec, rotation)
            .await
        {
            Ok(()) => return Ok(swarm),
            Err(e) if e.kind() == ErrorKind::OutOfSequence => continue,
            Err(e) => return Err(engine("rotating")(e)),
        }
    }
    Err(RotateError::Engine(
        "the swarm spec kept changing while rotating: run again".into(),
    ))
}

async fn store_new_key<H: SwarmHost>(
    source: &H,
    keys: &KeyOptions,
    old: Option<&Secret>,
    found: &KeyFile,
) -> Rotated {
    let failed = |detail: String| Rotated {
        what: "unlock key",
        ok: false,
        detail,
    };
    let Some(path) = &keys.file else {
        return failed("no key file".into());
    };
    let new = match source.unlock_key().await {
        Ok(Some(key)) => key,
        Ok(None) => return failed("the swarm has no unlock key after the rotation".into()),
        Err(e) => {
            return failed(format!(
                "reading the new unlock key: {e}; read it on a manager with `docker swarm unlock-key -q` \
                 and keep it: the old key no longer unlocks"
            ));
        }
    };
    if old.is_some_and(|old| digest(old) == digest(&new)) {
        return failed("the engine still answers the old unlock key".into());
    }
    let written = match found {
        KeyFile::Missing => crate::exec::unlock::store(path, &new, found),
        _ => crate::exec::unlock::replace(path, &new),
    };
    match written {
        Ok(()) => {
            crate::exec::unlock::end_rotation(path);
            Rotated {
                what: "unlock key",
                ok: true,
                detail: format!(
                    "rotated: the new key differs from the old one and is in {}",
                    path.display()
                ),
            }
        }
        Err(e) => failed(format!(
            "{e}; the old key no longer unlocks: read the new one on a manager with \
             `docker swarm unlock-key -q`"
        )),
    }
}

/// Waits, bounded, until every node of the swarm reports the swarm's new
/// trust root; each node's line shows whether it has it yet.
async fn wait_for_ca<H: SwarmHost>(
    snapshot: &Snapshot<H>,
    source: &H,
    timeout: Duration,
    events: &Events,
) -> Rotated {
    let ours = |hostname: &str| {
        snapshot
            .facts
            .nodes
            .iter()
            .find(|(_, r)| r.as_ref().is_ok_and(|i| i.hostname == hostname))
            .map(|(n, _)| n.clone())
    };
    let wait = Wait::new("every node to trust the new root CA", POLL, timeout);
    let waited = wait
        .until(|| async {
            let root = source
                .swarm()
                .await
                .ok()
                .and_then(|s| (!s.root_rotation_in_progress).then_some(s.tls_info))
                .flatten()
                .map(|t| t.trust_root);
            let nodes = source.node_trust().await.unwrap_or_default();
            let behind: Vec<&str> = match &root {
                Some(root) => nodes
                    .iter()
                    .filter(|n| &n.trust_root != root)
                    .map(|n| n.hostname.as_str())
                    .collect(),
                None => nodes.iter().map(|n| n.hostname.as_str()).collect(),
            };
            for node in &nodes {
                if let Some(name) = ours(&node.hostname)
                    && behind.contains(&node.hostname.as_str())
                {
                    events.step(&name, Step::WaitingTrust);
                }
            }
            if root.is_some() && behind.is_empty() && !nodes.is_empty() {
                return Ok::<_, Infallible>(Look::Done(nodes.len()));
            }
            Ok(Look::NotYet(
                behind.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>(),
            ))
        })
        .await;
    match waited {
        Ok(trusting) => Rotated {
            what: "root CA",
            ok: true,
            detail: format!("rotated: all {trusting} nodes trust the new root CA"),
        },
        Err(WaitError::Failed(never)) => match never {},
        Err(WaitError::TimedOut { last: behind, .. }) => {
            // The swarm waits for every entry, a Down one too: name them.
            let down: Vec<String> = source
                .nodes()
                .await
                .unwrap_or_default()
                .iter()
                .filter(|n| n.state != NodeStatus::Ready)
                .map(|n| format!("{} ({}, {})", n.hostname, n.id, n.state))
                .collect();
            let unreachable: Vec<&str> = snapshot
                .facts
                .nodes
                .iter()
                .filter(|(_, info)| info.is_err())
                .map(|(name, _)| name.as_str())
                .collect();
            Rotated {
                what: "root CA",
                ok: false,
                detail: format!(
                    "not every node has the new root CA after {}s (without it: {}{}{}); the \
                     rotation goes on in the swarm and ends once they have it: `swarmadm verify` \
                     tells when it is complete, and `swarmadm rotate-tokens --ca` run meanwhile \
                     waits for it without starting another",
                    timeout.as_secs(),
                    if behind.is_empty() {
                        "none listed; the swarm has not finished its rotation".to_owned()
                    } else {
                        behind.join(", ")
                    },
                    if unreachable.is_empty() {
                        String::new()
                    } else {
                        format!("; unreachable from here: {}", unreachable.join(", "))
                    },
                    if down.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; not Ready in the swarm, which holds the rotation up until they are \
                             back or their entries are removed: {}",
                            down.join(", ")
                        )
                    }
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests;
