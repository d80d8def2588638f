//! The unlock key file of an autolocked swarm: checked before anything
//! changes, written (once) after the run.

use super::{KeyFileOutcome, UpOptions};
use crate::exec::unlock::KeyFile;
use crate::inventory::Inventory;
use crate::observe::Snapshot;
use crate::observe::events::Events;
use crate::remote::host::SwarmHost;

/// Before anything changes: with autolock asked for, the key file must be
/// named, private, and hold nothing or the swarm's current key.
pub(super) async fn check_key_file<H: SwarmHost>(
    inventory: &Inventory,
    snapshot: &Snapshot<H>,
    options: &UpOptions,
) -> Result<(), KeyFileRefusal> {
    if inventory.swarm.autolock != Some(true) {
        return Ok(());
    }
    let Some(path) = &options.keys.file else {
        return Err(KeyFileRefusal::NoKeyFile);
    };
    let on = snapshot
        .facts
        .swarm
        .as_ref()
        .is_some_and(|s| crate::plan::settings::autolock(&s.spec));
    let current = match (on, snapshot.source()) {
        (true, Some((_, source))) => source
            .unlock_key()
            .await
            .map_err(KeyFileRefusal::ReadingKey)?,
        _ => None,
    };
    crate::exec::unlock::check(path, current.as_ref())
        .map(drop)
        .map_err(KeyFileRefusal::KeyFile)
}

/// Why `up` refuses to start with autolock asked for: said before anything
/// changes.
#[derive(Debug, thiserror::Error)]
pub(super) enum KeyFileRefusal {
    #[error("{NO_KEY_FILE}")]
    NoKeyFile,
    #[error("reading the unlock key: {0}")]
    ReadingKey(crate::remote::engine::EngineError),
    #[error(transparent)]
    KeyFile(crate::exec::unlock::KeyFileError),
}

/// Why `up` refuses autolock without a key file.
pub(crate) const NO_KEY_FILE: &str = "the inventory asks for autolock, but no --unlock-key-file PATH was given: \
     the unlock key must be kept somewhere, and swarmadm never prints it; nothing was changed";

/// After the run: with autolock on, the unlock key goes into the key file
/// (once; a file that holds it already is left alone).
pub(super) async fn store_key_file<H: SwarmHost>(
    inventory: &Inventory,
    snapshot: &Snapshot<H>,
    options: &UpOptions,
    events: &Events,
) -> Option<KeyFileOutcome> {
    if inventory.swarm.autolock != Some(true) {
        return None;
    }
    let path = options.keys.file.as_ref()?;
    let shown = path.display().to_string();
    if options.dry_run {
        return Some(KeyFileOutcome::Planned { path: shown });
    }
    let failed = |error: String| {
        events.warn(format!("unlock key file {shown}: {error}"));
        Some(KeyFileOutcome::Failed {
            path: shown.clone(),
            error,
        })
    };
    // After an init the snapshot has no source: any manager that answers.
    let source = snapshot.source().map(|(_, h)| h).or_else(|| {
        inventory
            .leader()
            .and_then(|leader| snapshot.hosts.get(&leader.name))
    })?;
    let key = match source.unlock_key().await {
        Ok(Some(key)) => key,
        Ok(None) => return failed("the swarm has no unlock key: autolock is not on".into()),
        Err(e) => return failed(format!("reading the unlock key: {e}")),
    };
    let result = crate::exec::unlock::check(path, Some(&key))
        .and_then(|found| crate::exec::unlock::store(path, &key, &found).map(|()| found));
    match result {
        Ok(KeyFile::Current) => Some(KeyFileOutcome::Kept { path: shown }),
        Ok(_) => Some(KeyFileOutcome::Written { path: shown }),
        Err(e) => failed(e.to_string()),
    }
}
