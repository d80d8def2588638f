//! Autolock's unlock key: the file the user names for it and unlocking
//! locked managers (`swarmadm unlock`, and `up` when it has the key).
//!
//! The key is a [`Secret`] from the moment it is read: it never reaches
//! an output, a log line, an error message or `Debug`. The key file is
//! created `0600` and written once; an existing file is only accepted when
//! no one else can read it and it holds the swarm's current key (or
//! nothing); a rotation replaces it atomically (a temporary file in the
//! same directory, then a rename), so that a crash leaves the old key or
//! the new one, never half of either.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use futures_util::stream;
use serde::Serialize;

use crate::inventory::Inventory;
use crate::model::exit_codes;
use crate::model::input::{self, Cap, Null};
use crate::model::names::{NodeName, Role};
use crate::model::secret::Secret;
use crate::model::swarm::LocalState;
use crate::observe::events::{Events, Step};
use crate::observe::{self, Snapshot};
use crate::remote::host::{Connector, SwarmHost};

/// The environment variable `unlock` and `up` take the key from when no
/// key file is named.
pub(crate) const KEY_ENV: &str = "SWARMADM_UNLOCK_KEY";

/// Where the unlock key comes from and goes to.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyOptions {
    /// `--unlock-key-file PATH`.
    pub(crate) file: Option<PathBuf>,
    /// `SWARMADM_UNLOCK_KEY`.
    pub(crate) env: Option<Secret>,
}

impl KeyOptions {
    /// The key to unlock with: the file's, else the environment's; `None`
    /// when neither is given (or the file does not exist yet).
    pub(crate) fn key(&self) -> Result<Option<Secret>, KeyFileError> {
        if let Some(path) = &self.file
            && path.exists()
        {
            return read_key(path).map(Some);
        }
        Ok(self.env.clone())
    }
}

/// Why a key file cannot be used. Never holds the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum KeyFileError {
    #[error(
        "unlock key file {path}: its permissions {mode:03o} let other users read it; \
         `chmod 600 {path}` or name another file"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error(
        "unlock key file {path} exists and holds something other than this swarm's unlock key; \
         swarmadm never overwrites it: move it away or name another file"
    )]
    OtherContent { path: PathBuf },
    #[error("unlock key file {path} holds no key")]
    Empty { path: PathBuf },
    #[error("unlock key file {path} is not a regular file")]
    NotAFile { path: PathBuf },
    #[error("unlock key file {path}: {cause}")]
    Io { path: PathBuf, cause: String },
}

fn io(path: &Path, e: &std::io::Error) -> KeyFileError {
    KeyFileError::Io {
        path: path.to_owned(),
        cause: e.to_string(),
    }
}

/// What an existing key file holds, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyFile {
    /// No file yet: it will be created.
    Missing,
    /// An empty file only its owner reads: it will be written.
    Empty,
    /// The swarm's current key.
    Current,
}

/// The file's contents, after checking that it is a regular file no one
/// else can read. `None` when it does not exist.
fn read_private(path: &Path) -> Result<Option<String>, KeyFileError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(path, &e)),
    };
    if !meta.file_type().is_file() {
        return Err(KeyFileError::NotAFile {
            path: path.to_owned(),
        });
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::TooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    // Bounded, and opened without blocking: the path may have changed
    // since the check above.
    input::read_text(path, Cap::UNLOCK_KEY, Null::Refuse)
        .map(Some)
        .map_err(|e| KeyFileError::Io {
            path: path.to_owned(),
            cause: e.to_string(),
        })
}

/// Reads the key from a file that must exist, be private and hold a key.
pub(crate) fn read_key(path: &Path) -> Result<Secret, KeyFileError> {
    let text = read_private(path)?.ok_or_else(|| KeyFileError::Io {
        path: path.to_owned(),
        cause: "no such file".into(),
    })?;
    let key = text.trim();
    if key.is_empty() {
        return Err(KeyFileError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(Secret::new(key))
}

/// Checks the key file against the swarm's current key (`None`: autolock
/// is off, so any content is someone else's).
pub(crate) fn check(path: &Path, current: Option<&Secret>) -> Result<KeyFile, KeyFileError> {
    let Some(text) = read_private(path)? else {
        return Ok(KeyFile::Missing);
    };
    let held = text.trim();
    if held.is_empty() {
        return Ok(KeyFile::Empty);
    }
    match current {
        Some(key) if key.expose() == held => Ok(KeyFile::Current),
        _ => Err(KeyFileError::OtherContent {
            path: path.to_owned(),
        }),
    }
}

/// Writes `key` to `path` as the check found it: creates it `0600` (never
/// following or replacing an existing file), fills an empty one, or leaves
/// a file that already holds it.
pub(crate) fn store(path: &Path, key: &Secret, found: &KeyFile) -> Result<(), KeyFileError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).mode(0o600);
    match found {
        KeyFile::Current => return Ok(()),
        KeyFile::Missing => options.create_new(true),
        KeyFile::Empty => options.truncate(true),
    };
    let mut file = options.open(path).map_err(|e| io(path, &e))?;
    file.write_all(format!("{}\n", key.expose()).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io(path, &e))
}

/// Replaces the key in `path` atomically: a new private file next to it,
/// then a rename over it.
pub(crate) fn replace(path: &Path, key: &Secret) -> Result<(), KeyFileError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unlock-key".into());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = store(&temp, key, &KeyFile::Missing)
        .and_then(|()| fs::rename(&temp, path).map_err(|e| io(path, &e)));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// The journal of a key rotation in progress: a private copy of the key
/// file as it was before the swarm update that rotates the key. A run
/// killed between that update and writing the new key leaves it behind;
/// the next rotation then knows the file is its own, one rotation behind,
/// and not someone else's.
fn journal(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".rotating");
    PathBuf::from(name)
}

/// Writes the journal before the key is rotated in the swarm.
pub(crate) fn begin_rotation(path: &Path) -> Result<(), KeyFileError> {
    let key = read_key(path)?;
    let journal = journal(path);
    let _ = fs::remove_file(&journal);
    store(&journal, &key, &KeyFile::Missing)
}

/// Removes the journal once the new key is in the file.
pub(crate) fn end_rotation(path: &Path) {
    let _ = fs::remove_file(journal(path));
}

/// A key file that holds another key than the swarm's, with a journal of
/// the same content next to it, is this file one interrupted rotation
/// behind: it gets the swarm's `current` key (atomically). Returns whether
/// it was recovered; any other file is left alone.
pub(crate) fn recover(path: &Path, current: &Secret) -> Result<bool, KeyFileError> {
    let journal = journal(path);
    let Ok(Some(before)) = read_private(&journal) else {
        return Ok(false);
    };
    let Some(held) = read_private(path)? else {
        return Ok(false);
    };
    if before.trim().is_empty() || before.trim() != held.trim() {
        return Ok(false);
    }
    replace(path, current)?;
    end_rotation(path);
    Ok(true)
}

/// What unlocking did to one node. JSON has its word as `result`; the
/// error goes into the node's error object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub(crate) enum UnlockResult {
    Unlocked,
    /// Looked at; not locked.
    NotLocked,
    Failed {
        #[serde(skip)]
        error: String,
    },
    Unreachable {
        #[serde(skip)]
        error: String,
    },
}

impl UnlockResult {
    pub(crate) fn word(&self) -> &'static str {
        match self {
            UnlockResult::Unlocked => "unlocked",
            UnlockResult::NotLocked => "not locked",
            UnlockResult::Failed { .. } => "failed",
            UnlockResult::Unreachable { .. } => "unreachable",
        }
    }

    pub(crate) fn error(&self) -> Option<&str> {
        match self {
            UnlockResult::Failed { error } | UnlockResult::Unreachable { error } => Some(error),
            _ => None,
        }
    }
}

/// Unlocks every locked node of the snapshot with `key`, at most
/// `parallel` at once, then reads them and the swarm again. Returns the
/// nodes that were locked, each with its result.
pub(crate) async fn unlock_locked<H: SwarmHost>(
    snapshot: &mut Snapshot<H>,
    inventory: &Inventory,
    key: &Secret,
    parallel: usize,
    events: &Events,
) -> Vec<(NodeName, UnlockResult)> {
    let locked: Vec<NodeName> = snapshot
        .facts
        .nodes
        .iter()
        .filter(|(_, r)| r.as_ref().is_ok_and(|i| i.state == LocalState::Locked))
        .map(|(name, _)| name.clone())
        .collect();
    let hosts = &snapshot.hosts;
    let results: Vec<(NodeName, UnlockResult)> = stream::iter(locked.iter())
        .map(|name| async move {
            let Some(host) = hosts.get(name) else {
                return (
                    name.clone(),
                    UnlockResult::Unreachable {
                        error: "unreachable".into(),
                    },
                );
            };
            events.step(name, Step::Unlocking);
            let result = match host.unlock(key).await {
                Ok(()) => UnlockResult::Unlocked,
                Err(e) => UnlockResult::Failed {
                    error: format!("unlock failed (is it this swarm's current key?): {e}"),
                },
            };
            (name.clone(), result)
        })
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    if !locked.is_empty() {
        snapshot.refresh(inventory, &locked).await;
    }
    results
}

/// One node's row of `swarmadm unlock`.
#[derive(Debug, Clone)]
pub(crate) struct UnlockRow {
    pub(crate) name: NodeName,
    pub(crate) role: Role,
    /// Its NodeID, when it answered with one.
    pub(crate) node_id: Option<String>,
    pub(crate) result: UnlockResult,
}

/// The result of `swarmadm unlock`; `--output json` prints it.
#[derive(Debug, Clone)]
pub(crate) struct UnlockReport {
    pub(crate) nodes: Vec<UnlockRow>,
    /// Set when nothing could be tried (no key).
    pub(crate) error: Option<UnlockError>,
}

/// Why `unlock` tried nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UnlockError {
    /// Neither a key file nor the environment gave a key.
    NoKey,
    KeyFile(KeyFileError),
}

impl std::fmt::Display for UnlockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnlockError::NoKey => write!(
                f,
                "no unlock key: pass --unlock-key-file PATH or set {KEY_ENV}"
            ),
            UnlockError::KeyFile(e) => e.fmt(f),
        }
    }
}

impl UnlockError {
    /// A short, stable name for JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            UnlockError::NoKey => "no_unlock_key",
            UnlockError::KeyFile(_) => "unlock_key_file",
        }
    }
}

impl UnlockReport {
    pub(crate) fn exit_code(&self) -> u8 {
        if self.error.is_some() {
            exit_codes::UNUSABLE
        } else if self.nodes.iter().any(|n| {
            // An unreachable node may be locked: nothing says it is not.
            matches!(
                n.result,
                UnlockResult::Failed { .. } | UnlockResult::Unreachable { .. }
            )
        }) {
            exit_codes::FAILED
        } else {
            exit_codes::OK
        }
    }

    /// The nodes that could not be reached: whether they are locked is
    /// not known.
    pub(crate) fn unreachable(&self) -> Vec<&NodeName> {
        self.nodes
            .iter()
            .filter(|n| matches!(n.result, UnlockResult::Unreachable { .. }))
            .map(|n| &n.name)
            .collect()
    }

    pub(crate) fn unlocked(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| n.result == UnlockResult::Unlocked)
            .count()
    }
}

/// `swarmadm unlock`: every locked node of the inventory is unlocked.
pub(crate) async fn run<C: Connector>(
    inventory: &Inventory,
    connector: &C,
    keys: &KeyOptions,
    parallel: usize,
    events: &Events,
) -> UnlockReport {
    let key = match keys.key() {
        Ok(Some(key)) => key,
        Ok(None) => {
            return UnlockReport {
                nodes: Vec::new(),
                error: Some(UnlockError::NoKey),
            };
        }
        Err(e) => {
            return UnlockReport {
                nodes: Vec::new(),
                error: Some(UnlockError::KeyFile(e)),
            };
        }
    };
    let mut snapshot = observe::snapshot(inventory, connector, events).await;
    let results = unlock_locked(&mut snapshot, inventory, &key, parallel, events).await;
    let mut nodes = Vec::new();
    for node in &inventory.nodes {
        let result = match results.iter().find(|(n, _)| n == &node.name) {
            Some((_, result)) => result.clone(),
            None => match snapshot.facts.get(&node.name) {
                Some(Err(failure)) => UnlockResult::Unreachable {
                    error: failure.to_string(),
                },
                _ => UnlockResult::NotLocked,
            },
        };
        match &result {
            UnlockResult::Failed { error } | UnlockResult::Unreachable { error } => {
                events.failed(&node.name, error.clone());
            }
            other => events.done(&node.name, other.word()),
        }
        nodes.push(UnlockRow {
            name: node.name.clone(),
            role: node.role,
            node_id: snapshot
                .facts
                .info(&node.name)
                .and_then(|info| info.node_id.clone()),
            result,
        });
    }
    UnlockReport { nodes, error: None }
}

#[cfg(test)]
mod tests;
