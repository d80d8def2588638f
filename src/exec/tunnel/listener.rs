//! The local socket `swarmadm tunnel` serves: where it goes by default,
//! how it is made (mode 0600 from the start), how the tunnel tells its own
//! socket from somebody else's, and that it is removed again.
//!
//! "Own" is decided by a lock file beside the socket, `PATH.lock`, which
//! says `swarmadm tunnel pid N` and which the serving process holds locked
//! (`flock`) for as long as it serves. At start:
//! - the lock is held by a live process: another tunnel serves PATH;
//!   refused, naming its pid;
//! - PATH exists and a `PATH.lock` of a tunnel is beside it, unlocked: the
//!   socket of a tunnel that died (SIGKILL, a crash); it is replaced;
//! - PATH exists without such a lock file (another program's socket, a
//!   file, a directory): refused, never removed.
//!
//! A new lock file is written, marked and locked under a temporary name
//! and then linked into place, which fails when one exists: of tunnels
//! starting at once on one path exactly one makes it, and none ever
//! removes a lock file it did not make.
//!
//! Both files are removed when the [`OwnSocket`] is dropped. It knows
//! nothing of SSH or Docker.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, Write as _};
use std::os::unix::fs::{
    DirBuilderExt as _, FileTypeExt as _, MetadataExt as _, OpenOptionsExt as _,
    PermissionsExt as _,
};
use std::path::{Path, PathBuf};

/// What the lock file beside the socket starts with.
const MARK: &str = "swarmadm tunnel pid ";

/// The longest path a Unix socket address holds (`sun_path`, with its NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Why the socket cannot be served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SocketError {
    #[error(
        "{} is served by another swarmadm tunnel{}: stop it, or choose another path with --socket",
        path.display(),
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    InUse { path: PathBuf, pid: Option<u32> },
    #[error(
        "{} exists and is not a socket of swarmadm tunnel (it is {what}, and no {}.lock of a \
         tunnel is beside it): it is left alone; remove it if nothing uses it, or choose \
         another path with --socket",
        path.display(),
        path.display()
    )]
    NotOwn { path: PathBuf, what: &'static str },
    #[error("{}: {reason}", dir.display())]
    UnsafeDir { dir: PathBuf, reason: String },
    #[error(
        "{} is too long for a Unix socket ({len} bytes, at most {MAX_SOCKET_PATH}): choose a \
         shorter one with --socket",
        path.display()
    )]
    TooLong { path: PathBuf, len: usize },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> SocketError {
    let path = path.to_owned();
    move |source| SocketError::Io {
        action,
        path,
        source,
    }
}

/// The default socket: `$XDG_RUNTIME_DIR/swarmadm/NAME`, else
/// `/tmp/swarmadm-UID/NAME`, where NAME is `tunnel-INVENTORY[-NODE].sock`
/// (the inventory's file name without its extension). The directory is
/// made (0700) if missing, and must be this user's and closed to others.
pub(crate) fn default_path(inventory: &Path, node: Option<&str>) -> Result<PathBuf, SocketError> {
    let env = SocketEnv {
        runtime_dir: std::env::var_os("XDG_RUNTIME_DIR"),
        temp_dir: std::env::temp_dir(),
        uid: nix::unistd::geteuid().as_raw(),
    };
    default_path_in(&env, inventory, node)
}

/// What [`default_path`] reads of the process: given as values, so that
/// tests choose them.
#[derive(Debug, Clone)]
struct SocketEnv {
    /// `$XDG_RUNTIME_DIR`; empty counts as unset.
    runtime_dir: Option<std::ffi::OsString>,
    /// Where `/tmp/swarmadm-UID` goes without it.
    temp_dir: PathBuf,
    /// The effective uid the directory must belong to.
    uid: u32,
}

impl SocketEnv {
    fn dir(&self) -> PathBuf {
        match self.runtime_dir.as_ref().filter(|d| !d.is_empty()) {
            Some(runtime) => PathBuf::from(runtime).join("swarmadm"),
            None => self.temp_dir.join(format!("swarmadm-{}", self.uid)),
        }
    }
}

fn default_path_in(
    env: &SocketEnv,
    inventory: &Path,
    node: Option<&str>,
) -> Result<PathBuf, SocketError> {
    let dir = env.dir();
    private_dir(&dir, env.uid)?;
    let stem = inventory
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "inventory".to_owned());
    let mut name = format!("tunnel-{}", safe(&stem));
    if let Some(node) = node {
        name.push('-');
        name.push_str(&safe(node));
    }
    name.push_str(".sock");
    Ok(dir.join(name))
}

fn safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Makes `dir` (mode 0700) or checks that it is this user's own and that
/// nobody else may write in it or list it.
fn private_dir(dir: &Path, uid: u32) -> Result<(), SocketError> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io("create the directory", dir)(e)),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(io("look at", dir))?;
    let unsafe_dir = |reason: String| SocketError::UnsafeDir {
        dir: dir.to_owned(),
        reason,
    };
    if !meta.is_dir() {
        return Err(unsafe_dir("exists and is not a directory".to_owned()));
    }
    if meta.uid() != uid {
        return Err(unsafe_dir(format!(
            "belongs to uid {}, not to this user (uid {uid}); choose a path with --socket",
            meta.uid()
        )));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(unsafe_dir(format!(
            "is open to others (mode {:o}); `chmod 700` it or choose a path with --socket",
            meta.mode() & 0o777
        )));
    }
    Ok(())
}

/// The socket the tunnel serves, with its lock file; both removed on drop.
#[derive(Debug)]
pub(crate) struct OwnSocket {
    path: PathBuf,
    lock_path: PathBuf,
    /// Held locked while serving; released when dropped.
    _lock: File,
    listener: tokio::net::UnixListener,
    /// A dead tunnel's socket was replaced.
    pub(crate) replaced_stale: bool,
}

impl OwnSocket {
    /// Takes `path` (see the module's rules) and listens on it, mode 0600.
    /// Must run inside the tokio runtime.
    pub(crate) fn bind(path: &Path) -> Result<Self, SocketError> {
        let len = path.as_os_str().len();
        if len > MAX_SOCKET_PATH {
            return Err(SocketError::TooLong {
                path: path.to_owned(),
                len,
            });
        }
        let lock_path = with_suffix(path, ".lock");
        let (mut lock, created) = take_lock(&lock_path, path)?;
        let replaced_stale = match claim(path, created) {
            Ok(replaced) => replaced,
            Err(e) => {
                // Never remove a lock file that was there before us.
                if created {
                    let _ = std::fs::remove_file(&lock_path);
                }
                return Err(e);
            }
        };
        let listener = mark(&mut lock, &lock_path, created).and_then(|()| listen(path));
        let listener = match listener {
            Ok(listener) => listener,
            Err(e) => {
                let _ = std::fs::remove_file(&lock_path);
                return Err(e);
            }
        };
        Ok(OwnSocket {
            path: path.to_owned(),
            lock_path,
            _lock: lock,
            listener,
            replaced_stale,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn listener(&self) -> &tokio::net::UnixListener {
        &self.listener
    }
}

impl Drop for OwnSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_file(&self.lock_path);
    }
}

/// How often the lock file is looked for again when it went away between
/// two looks (a tunnel that stopped just then).
const LOCK_TRIES: usize = 5;

/// The lock file at `lock_path`, locked, and whether this call made it.
///
/// A new one is written and locked under a temporary name first, then
/// linked into place, which fails when one exists: so a lock file appears
/// only marked and locked, and of tunnels starting at once exactly one
/// makes it. An existing one is taken only when it is a tunnel's and its
/// lock is free (the tunnel died); a locked one means another tunnel.
fn take_lock(lock_path: &Path, path: &Path) -> Result<(File, bool), SocketError> {
    static UNIQUE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let unique = UNIQUE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary = with_suffix(lock_path, &format!(".{}.{unique}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    let mut fresh = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(io("create", &temporary))?;
    let taken = writeln!(fresh, "{MARK}{}", std::process::id())
        .map_err(io("write", &temporary))
        .and_then(|()| {
            fresh
                .try_lock()
                .map_err(|e| io("lock", &temporary)(std::io::Error::from(e)))
        })
        .and_then(|()| {
            for _ in 0..LOCK_TRIES {
                match std::fs::hard_link(&temporary, lock_path) {
                    Ok(()) => return Ok(None),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(io("create", lock_path)(e)),
                }
                if let Some(existing) = existing_lock(lock_path, path)? {
                    return Ok(Some(existing));
                }
            }
            Err(SocketError::InUse {
                path: path.to_owned(),
                pid: None,
            })
        });
    let _ = std::fs::remove_file(&temporary);
    match taken? {
        None => Ok((fresh, true)),
        Some(existing) => Ok((existing, false)),
    }
}

/// The lock file that exists at `lock_path`, locked by this call: `None`
/// when it went away meanwhile (a tunnel that stops removes it before it
/// lets go of the lock), refused when a live tunnel holds it or when it is
/// not a tunnel's.
fn existing_lock(lock_path: &Path, path: &Path) -> Result<Option<File>, SocketError> {
    let mut file = match OpenOptions::new().read(true).write(true).open(lock_path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("open", lock_path)(e)),
    };
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(SocketError::InUse {
                path: path.to_owned(),
                pid: text
                    .strip_prefix(MARK)
                    .and_then(|rest| rest.trim().parse().ok()),
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io("lock", lock_path)(e)),
    }
    let still_there = match (file.metadata(), std::fs::symlink_metadata(lock_path)) {
        (Ok(ours), Ok(there)) => ours.dev() == there.dev() && ours.ino() == there.ino(),
        _ => false,
    };
    if !still_there {
        return Ok(None);
    }
    if !text.starts_with(MARK) {
        // Somebody else's file named like our lock file.
        return Err(SocketError::NotOwn {
            path: lock_path.to_owned(),
            what: "a file that swarmadm did not write",
        });
    }
    Ok(Some(file))
}

/// Decides about what is at `path` already: nothing; a dead tunnel's
/// socket (its lock file was there, `created` is false), removed; else
/// refused. Whether a dead tunnel's socket was removed.
fn claim(path: &Path, created: bool) -> Result<bool, SocketError> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io("look at", path)(e)),
        Ok(meta) if meta.file_type().is_socket() && !created => {
            std::fs::remove_file(path).map_err(io("remove the stale socket", path))?;
            Ok(true)
        }
        Ok(meta) => Err(SocketError::NotOwn {
            path: path.to_owned(),
            what: describe(&meta),
        }),
    }
}

/// Writes this process's mark into a dead tunnel's lock file taken over
/// (a lock file made by [`take_lock`] has it already).
fn mark(lock: &mut File, lock_path: &Path, created: bool) -> Result<(), SocketError> {
    if created {
        return Ok(());
    }
    lock.set_len(0).map_err(io("write", lock_path))?;
    lock.rewind().map_err(io("write", lock_path))?;
    writeln!(lock, "{MARK}{}", std::process::id()).map_err(io("write", lock_path))
}

fn describe(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_socket() {
        "a socket"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Binds beside `path` under a temporary name, makes it 0600, then renames
/// it into place: the socket is never reachable with a looser mode.
fn listen(path: &Path) -> Result<tokio::net::UnixListener, SocketError> {
    let temporary = with_suffix(path, &format!(".{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    let listener =
        std::os::unix::net::UnixListener::bind(&temporary).map_err(io("listen on", &temporary))?;
    let done = std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o600))
        .map_err(io("set the mode of", &temporary))
        .and_then(|()| std::fs::rename(&temporary, path).map_err(io("move the socket to", path)))
        .and_then(|()| {
            listener
                .set_nonblocking(true)
                .map_err(io("listen on", path))
        })
        .and_then(|()| tokio::net::UnixListener::from_std(listener).map_err(io("listen on", path)));
    if done.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_socket_of_its_own_is_0600_replaced_when_stale_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sock");
        let socket = OwnSocket::bind(&path).unwrap();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.mode() & 0o777, 0o600);
        assert!(!socket.replaced_stale);
        // A second tunnel on the same path is refused, naming the first.
        let err = OwnSocket::bind(&path).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "another swarmadm tunnel (pid {})",
                std::process::id()
            )),
            "{err}"
        );
        drop(socket);
        assert!(!path.exists());
        assert!(!with_suffix(&path, ".lock").exists());
    }

    #[tokio::test]
    async fn a_path_that_is_not_its_own_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("foreign.sock");
        let _foreign = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let err = OwnSocket::bind(&path).unwrap_err().to_string();
        assert!(
            err.contains("exists and is not a socket of swarmadm tunnel (it is a socket"),
            "{err}"
        );
        assert!(path.exists());
        assert!(!with_suffix(&path, ".lock").exists());
        let file = dir.path().join("file");
        std::fs::write(&file, "data").unwrap();
        let err = OwnSocket::bind(&file).unwrap_err().to_string();
        assert!(err.contains("it is a regular file"), "{err}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "data");
    }

    #[tokio::test]
    async fn a_dead_tunnels_socket_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sock");
        let _left = std::os::unix::net::UnixListener::bind(&path).unwrap();
        std::fs::write(with_suffix(&path, ".lock"), format!("{MARK}999999\n")).unwrap();
        let socket = OwnSocket::bind(&path).unwrap();
        assert!(socket.replaced_stale);
        let text = std::fs::read_to_string(with_suffix(&path, ".lock")).unwrap();
        assert_eq!(text, format!("{MARK}{}\n", std::process::id()));
    }

    /// A foreign socket whose listener is gone (the file stays, nobody
    /// answers) is still not the tunnel's: refused, and left alone.
    #[tokio::test]
    async fn a_dead_foreign_socket_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(std::os::unix::net::UnixStream::connect(&path).is_err());
        let err = OwnSocket::bind(&path).unwrap_err().to_string();
        assert!(
            err.contains("exists and is not a socket of swarmadm tunnel (it is a socket"),
            "{err}"
        );
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_socket(), "left alone");
        assert!(!with_suffix(&path, ".lock").exists());
    }

    fn env(runtime_dir: Option<&Path>, temp_dir: &Path, uid: u32) -> SocketEnv {
        SocketEnv {
            runtime_dir: runtime_dir.map(|d| d.as_os_str().to_owned()),
            temp_dir: temp_dir.to_owned(),
            uid,
        }
    }

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().mode() & 0o777
    }

    #[test]
    fn the_default_path_is_in_xdg_runtime_dir_else_a_private_dir_in_tmp() {
        let runtime = tempfile::tempdir().unwrap();
        let temp = tempfile::tempdir().unwrap();
        let uid = nix::unistd::geteuid().as_raw();
        let inventory = Path::new("/srv/swarm/my lab.ini");

        let path = default_path_in(
            &env(Some(runtime.path()), temp.path(), uid),
            inventory,
            None,
        )
        .unwrap();
        assert_eq!(path, runtime.path().join("swarmadm/tunnel-my_lab.sock"));
        assert_eq!(mode(&runtime.path().join("swarmadm")), 0o700);

        // Unset, or empty (as `XDG_RUNTIME_DIR= swarmadm …`): /tmp.
        for runtime_dir in [None, Some(Path::new(""))] {
            let path = default_path_in(
                &env(runtime_dir, temp.path(), uid),
                inventory,
                Some("swarm-manager-01"),
            )
            .unwrap();
            let dir = temp.path().join(format!("swarmadm-{uid}"));
            assert_eq!(path, dir.join("tunnel-my_lab-swarm-manager-01.sock"));
            assert_eq!(mode(&dir), 0o700);
        }
    }

    #[test]
    fn a_socket_dir_of_another_user_or_open_to_others_is_refused() {
        let temp = tempfile::tempdir().unwrap();
        let uid = nix::unistd::geteuid().as_raw();
        let inventory = Path::new("lab.toml");

        // Open to others: refused and left as it is.
        let dir = temp.path().join(format!("swarmadm-{uid}"));
        std::fs::DirBuilder::new().mode(0o755).create(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = default_path_in(&env(None, temp.path(), uid), inventory, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("is open to others (mode 755); `chmod 700` it"),
            "{err}"
        );
        assert_eq!(mode(&dir), 0o755);

        // Another user's (here: the directory is this user's, the uid
        // asked for is not): refused.
        let other = uid + 4242;
        let theirs = temp.path().join(format!("swarmadm-{other}"));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&theirs)
            .unwrap();
        let err = default_path_in(&env(None, temp.path(), other), inventory, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!(
                "belongs to uid {uid}, not to this user (uid {other})"
            )),
            "{err}"
        );

        // A file, or a symbolic link to a private directory: not a
        // directory of its own.
        let runtime = tempfile::tempdir().unwrap();
        std::fs::write(runtime.path().join("swarmadm"), "").unwrap();
        let err = default_path_in(
            &env(Some(runtime.path()), temp.path(), uid),
            inventory,
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("exists and is not a directory"), "{err}");
        let linked = tempfile::tempdir().unwrap();
        let private = linked.path().join("private");
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&private)
            .unwrap();
        std::os::unix::fs::symlink(&private, linked.path().join("swarmadm")).unwrap();
        let err = default_path_in(&env(Some(linked.path()), temp.path(), uid), inventory, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("exists and is not a directory"), "{err}");
    }

    /// Issue 31's audit: of tunnels starting at once on one path, a loser
    /// could delete the winner's lock file (both saw none, both created
    /// it), or take the winner's fresh, still empty one for a foreign
    /// file. Exactly one wins; every other is told the path is in use; the
    /// winner's lock file stays.
    #[test]
    fn of_tunnels_starting_at_once_one_wins_and_its_lock_file_stays() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_io()
            .build()
            .unwrap();
        let _entered = runtime.enter();
        const TUNNELS: usize = 6;
        for round in 0..300 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.sock");
            let start = std::sync::Arc::new(std::sync::Barrier::new(TUNNELS));
            let results: Vec<Result<OwnSocket, String>> = std::thread::scope(|scope| {
                let threads: Vec<_> = (0..TUNNELS)
                    .map(|_| {
                        let start = std::sync::Arc::clone(&start);
                        let path = &path;
                        let handle = runtime.handle().clone();
                        scope.spawn(move || {
                            let _entered = handle.enter();
                            start.wait();
                            OwnSocket::bind(path).map_err(|e| e.to_string())
                        })
                    })
                    .collect();
                threads.into_iter().map(|t| t.join().unwrap()).collect()
            });
            let (won, lost): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
            assert_eq!(won.len(), 1, "round {round}: {lost:?}");
            for err in lost.iter().map(|r| r.as_ref().unwrap_err()) {
                assert!(
                    err.contains("is served by another swarmadm tunnel"),
                    "round {round}: {err}"
                );
            }
            let lock = with_suffix(&path, ".lock");
            assert_eq!(
                std::fs::read_to_string(&lock).ok(),
                Some(format!("{MARK}{}\n", std::process::id())),
                "round {round}: the winner's lock file"
            );
            assert!(path.exists(), "round {round}");
            drop(won);
            let left: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert!(left.is_empty(), "round {round}: {left:?}");
        }
    }

    #[test]
    fn default_names_are_made_safe() {
        assert_eq!(safe("my inventory"), "my_inventory");
        assert_eq!(safe("swarm-manager-01"), "swarm-manager-01");
    }
}
