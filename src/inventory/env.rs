//! The local facts SSH defaults depend on: the home directory (for `~`,
//! `%d`, `~/.ssh/config` and the default identity files) and the login name
//! (the default SSH user), and how paths written in a file are made
//! absolute. It reads the process environment and the user database, never
//! a file of the inventory.

use std::path::{Path, PathBuf};

use super::error::PathError;

/// The local facts that SSH defaults depend on: the home directory (for
/// `~`, `%d`, `~/.ssh/config` and the default identity files) and the login
/// name (the default SSH user).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalEnv {
    pub home: Option<PathBuf>,
    pub user: Option<String>,
}

impl LocalEnv {
    /// `$HOME`, and `$USER`, else `$LOGNAME`, else the user database's name
    /// for this process's effective user id.
    pub fn from_process() -> Self {
        let non_empty = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
        Self {
            home: non_empty("HOME").map(PathBuf::from),
            user: non_empty("USER")
                .or_else(|| non_empty("LOGNAME"))
                .or_else(login_name),
        }
    }

    /// The home directory and login name of this process's effective user
    /// in the user database: what OpenSSH's `ssh` uses for `~`,
    /// `~/.ssh/config` and the default user, whatever `$HOME` says.
    pub fn from_user_database() -> Self {
        let user = nix::unistd::User::from_uid(nix::unistd::geteuid())
            .ok()
            .flatten();
        Self {
            home: user
                .as_ref()
                .map(|u| u.dir.clone())
                .filter(|d| !d.as_os_str().is_empty()),
            user: user.map(|u| u.name).filter(|n| !n.is_empty()),
        }
    }

    /// Expand a leading `~` and make a relative path relative to `base`
    /// (the directory of the file that named it).
    pub(crate) fn expand_path(&self, raw: &str, base: &Path) -> Result<PathBuf, PathError> {
        if raw.is_empty() {
            return Err(PathError::Empty);
        }
        if raw.contains('\0') {
            return Err(PathError::Nul);
        }
        let path = match tilde_rest(raw) {
            Some(rest) => {
                let home = self.home.as_ref().ok_or_else(|| PathError::NoHome {
                    raw: raw.to_owned(),
                })?;
                if rest.is_empty() {
                    home.clone()
                } else {
                    home.join(rest)
                }
            }
            None => PathBuf::from(raw),
        };
        Ok(if path.is_relative() {
            base.join(path)
        } else {
            path
        })
    }

    /// A fixed home and user, so that tests never read the real `~/.ssh`.
    #[cfg(test)]
    pub(crate) fn for_tests() -> LocalEnv {
        LocalEnv {
            home: Some(PathBuf::from("/home/tester")),
            user: Some("tester".into()),
        }
    }
}

/// The part after a leading `~` or `~/`; `None` for other paths (including
/// `~user/...`, which we do not expand).
fn tilde_rest(raw: &str) -> Option<&str> {
    let rest = raw.strip_prefix('~')?;
    if rest.is_empty() {
        Some(rest)
    } else {
        rest.strip_prefix('/').map(|r| r.trim_start_matches('/'))
    }
}

/// The login name of this process's effective user id, from the user
/// database (`getpwuid_r`: /etc/passwd, LDAP, whatever NSS is set up with).
fn login_name() -> Option<String> {
    let user = nix::unistd::User::from_uid(nix::unistd::geteuid()).ok()??;
    (!user.name.is_empty()).then_some(user.name)
}

/// The directory relative paths in the inventory at `path` are relative to.
pub(crate) fn base_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_expand_tilde_and_are_relative_to_the_file() {
        let env = LocalEnv {
            home: Some(PathBuf::from("/home/tester")),
            user: None,
        };
        let base = Path::new("/etc/swarmadm");
        assert_eq!(
            env.expand_path("~/.ssh/id", base),
            Ok(PathBuf::from("/home/tester/.ssh/id"))
        );
        assert_eq!(
            env.expand_path("~", base),
            Ok(PathBuf::from("/home/tester"))
        );
        assert_eq!(
            env.expand_path("keys/id", base),
            Ok(PathBuf::from("/etc/swarmadm/keys/id"))
        );
        assert_eq!(env.expand_path("/abs", base), Ok(PathBuf::from("/abs")));
        assert!(
            LocalEnv::default()
                .expand_path("~/x", base)
                .unwrap_err()
                .to_string()
                .contains("$HOME")
        );
        assert_eq!(
            env.expand_path("a\0b", base).map_err(|e| e.to_string()),
            Err("a path cannot contain a NUL character".into())
        );
        assert_eq!(base_dir(Path::new("inventory.toml")), PathBuf::from("."));
    }

    #[test]
    fn login_name_is_that_of_the_effective_user() {
        let uid = nix::unistd::geteuid();
        let expected = nix::unistd::User::from_uid(uid).unwrap().map(|u| u.name);
        assert_eq!(login_name(), expected);
        if uid.is_root() {
            assert_eq!(login_name().as_deref(), Some("root"));
        }
    }
}
