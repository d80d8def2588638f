//! The key file's rules on a real file system, and unlocking against the
//! fake cluster.

use std::path::PathBuf;

use super::*;
use crate::remote::fake::FakeCluster;

fn mode(path: &Path) -> u32 {
    fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0)
}

#[test]
fn a_new_key_file_is_created_0600_and_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unlock.key");
    let key = Secret::new("SWMKEY-1-abc");
    let found = check(&path, Some(&key)).unwrap();
    assert_eq!(found, KeyFile::Missing);
    store(&path, &key, &found).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(fs::read_to_string(&path).unwrap(), "SWMKEY-1-abc\n");
    // A second run finds the current key and leaves the file alone.
    assert_eq!(check(&path, Some(&key)).unwrap(), KeyFile::Current);
    assert_eq!(read_key(&path).unwrap(), key);
}

#[test]
fn a_key_file_others_can_read_is_refused_without_quoting_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unlock.key");
    fs::write(&path, "SWMKEY-1-abc\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let key = Secret::new("SWMKEY-1-abc");
    let err = check(&path, Some(&key)).unwrap_err();
    assert!(
        matches!(err, KeyFileError::TooOpen { mode: 0o644, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("chmod 600"), "{err}");
    assert!(!err.to_string().contains("SWMKEY"), "{err}");
    assert!(read_key(&path).is_err());
}

#[test]
fn a_key_file_with_other_content_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unlock.key");
    fs::write(&path, "my ssh notes\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let err = check(&path, Some(&Secret::new("SWMKEY-1-abc"))).unwrap_err();
    assert!(matches!(err, KeyFileError::OtherContent { .. }), "{err:?}");
    // With autolock off, any content is someone else's.
    assert!(check(&path, None).is_err());
    assert_eq!(fs::read_to_string(&path).unwrap(), "my ssh notes\n");
}

/// Issue #20: only this file's own interrupted rotation (a journal with
/// the same content beside it) lets a rotation bring it up to date; any
/// other content is still never overwritten.
#[test]
fn only_a_files_own_interrupted_rotation_brings_it_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unlock.key");
    let old = Secret::new("SWMKEY-1-old");
    let new = Secret::new("SWMKEY-1-new");
    store(&path, &old, &KeyFile::Missing).unwrap();
    // No journal: someone else's file, left alone.
    assert!(!recover(&path, &new).unwrap());
    assert_eq!(read_key(&path).unwrap(), old);
    // A journal of other content: still not ours.
    let journal = dir.path().join("unlock.key.rotating");
    store(&journal, &Secret::new("SWMKEY-1-else"), &KeyFile::Missing).unwrap();
    assert!(!recover(&path, &new).unwrap());
    assert_eq!(read_key(&path).unwrap(), old);
    // Our own rotation, killed after the swarm update: recovered.
    fs::remove_file(&journal).unwrap();
    begin_rotation(&path).unwrap();
    assert_eq!(mode(&journal), 0o600);
    assert!(recover(&path, &new).unwrap());
    assert_eq!(read_key(&path).unwrap(), new);
    assert_eq!(mode(&path), 0o600);
    assert!(!journal.exists());
}

#[test]
fn an_empty_private_file_is_filled_and_a_directory_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unlock.key");
    fs::write(&path, "").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let key = Secret::new("SWMKEY-1-abc");
    let found = check(&path, None).unwrap();
    assert_eq!(found, KeyFile::Empty);
    store(&path, &key, &found).unwrap();
    assert_eq!(read_key(&path).unwrap(), key);
    assert!(matches!(
        check(dir.path(), None),
        Err(KeyFileError::NotAFile { .. })
    ));
}

#[test]
fn a_rotated_key_replaces_the_file_atomically_and_stays_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unlock.key");
    store(&path, &Secret::new("SWMKEY-1-old"), &KeyFile::Missing).unwrap();
    replace(&path, &Secret::new("SWMKEY-1-new")).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "SWMKEY-1-new\n");
    assert_eq!(mode(&path), 0o600);
    let leftovers: Vec<PathBuf> = fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p != &path)
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn key_errors_and_options_never_show_the_key() {
    let options = KeyOptions {
        file: None,
        env: Some(Secret::new("SWMKEY-1-env")),
    };
    assert!(!format!("{options:?}").contains("SWMKEY"));
    assert_eq!(
        options.key().unwrap().map(|k| k.expose().to_owned()),
        Some("SWMKEY-1-env".into())
    );
}

fn inventory() -> Inventory {
    crate::inventory::test_inventory(3, 1)
}

/// A converged cluster with autolock on; returns its key.
async fn autolocked(cluster: &FakeCluster) -> String {
    let mut spec = cluster.spec();
    spec["EncryptionConfig"] = serde_json::json!({ "AutoLockManagers": true });
    cluster.set_spec(spec);
    cluster.unlock_key().expect("autolock gives a key")
}

#[tokio::test(start_paused = true)]
async fn unlock_unlocks_every_locked_manager_and_no_other_node() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    let key = autolocked(&cluster).await;
    cluster.locked("m2");
    cluster.locked("m3");
    let keys = KeyOptions {
        file: None,
        env: Some(Secret::new(key)),
    };
    let report = run(&inv, &cluster.connector(), &keys, 4, &Events::discard()).await;
    assert_eq!(report.exit_code(), exit_codes::OK, "{report:?}");
    assert_eq!(report.unlocked(), 2);
    let mut log = cluster.log();
    log.sort();
    assert_eq!(log, ["unlock m2", "unlock m3"]);
    assert_eq!(cluster.state_of("m2"), LocalState::Active);
    let words: Vec<&str> = report.nodes.iter().map(|n| n.result.word()).collect();
    assert_eq!(words, ["not locked", "unlocked", "unlocked", "not locked"]);
}

#[tokio::test(start_paused = true)]
async fn a_wrong_key_fails_that_node_and_the_error_holds_no_key() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    autolocked(&cluster).await;
    cluster.locked("m2");
    let keys = KeyOptions {
        file: None,
        env: Some(Secret::new("SWMKEY-1-wrong")),
    };
    let report = run(&inv, &cluster.connector(), &keys, 4, &Events::discard()).await;
    assert_eq!(report.exit_code(), exit_codes::FAILED);
    assert_eq!(cluster.state_of("m2"), LocalState::Locked);
    let json = crate::ui::json::unlock(&report);
    assert!(!json.contains("SWMKEY"), "{json}");
}

#[tokio::test(start_paused = true)]
async fn unlock_without_a_key_exits_2_and_touches_nothing() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    let report = run(
        &inv,
        &cluster.connector(),
        &KeyOptions::default(),
        4,
        &Events::discard(),
    )
    .await;
    assert_eq!(report.exit_code(), exit_codes::UNUSABLE);
    assert!(
        report
            .error
            .is_some_and(|e| e.to_string().contains(KEY_ENV))
    );
    assert_eq!(cluster.connector().connections(), 0);
}

/// Issue #28: with every node unreachable, `unlock` said "nothing to
/// unlock: no node is locked" and exited 0. Nothing says they are not
/// locked: exit 1, naming each.
#[tokio::test(start_paused = true)]
async fn unlock_with_every_node_unreachable_fails_naming_them() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    for node in &inv.nodes {
        cluster.unreachable(node.name.as_str());
    }
    let keys = KeyOptions {
        file: None,
        env: Some(Secret::new("SWMKEY-1-any")),
    };
    let report = run(&inv, &cluster.connector(), &keys, 4, &Events::discard()).await;
    assert_eq!(report.exit_code(), exit_codes::FAILED, "{report:?}");
    assert_eq!(report.unreachable().len(), inv.nodes.len());
    let text = crate::ui::render::unlock(&report, crate::ui::Layout::Fit(200));
    assert!(!text.contains("no node is locked"), "{text}");
    assert!(
        text.contains("nothing unlocked; 4 nodes could not be reached, so whether they are locked is unknown: m1, m2, m3, w1"),
        "{text}"
    );
}

/// Issue #28: a FIFO or a device as the key file is refused at once.
#[test]
fn a_fifo_or_device_as_key_file_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    crate::model::input::make_fifo(&fifo);
    for path in [fifo.as_path(), Path::new("/dev/zero")] {
        assert!(matches!(
            check(path, None),
            Err(KeyFileError::NotAFile { .. })
        ));
        assert!(read_key(path).is_err());
    }
    let big = dir.path().join("big");
    fs::write(&big, vec![b'k'; 64 * 1024 + 1]).unwrap();
    fs::set_permissions(&big, fs::Permissions::from_mode(0o600)).unwrap();
    let err = read_key(&big).unwrap_err().to_string();
    assert!(err.contains("larger than the 64 KiB limit"), "{err}");
}
