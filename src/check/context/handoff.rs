//! Whether the docker CLI's `ssh://` reaches a node the way swarmadm does.
//! The docker CLI runs the local `ssh` with a destination and nothing else
//! (no `-F`, no `-i`, no `-o UserKnownHostsFile`), so `ssh` reads only its
//! own config: `~/.ssh/config` of the home directory in the user database
//! (not `$HOME`), and what that includes. This module resolves the node's
//! ssh name there with the same parser swarmadm uses, compares it with
//! what swarmadm used (address, ProxyJump, identity files, the
//! known_hosts file that holds the host key) and says what is missing.
//! User and port are not missing: they go into the `ssh://` URL.
//!
//! It reads the ssh config and known_hosts files and never connects: the
//! proof by running `ssh` is [`super::probe`].

use std::path::{Path, PathBuf};

use crate::inventory::{
    ConfigOrigin, HostKeyPolicy, LocalEnv, SshConfigFile, SshHop, SshSettings, SshTarget,
};
use crate::remote::known_hosts;

/// What `ssh` itself reads: its config (already parsed, or why it could
/// not be) and the home directory it takes `~` from.
#[derive(Debug, Clone)]
pub(crate) struct SshView {
    /// `~/.ssh/config` of `home`.
    pub(crate) config_path: PathBuf,
    /// Why it could not be read is kept as its message (`Result<_,
    /// String>` on purpose): it is only ever shown as the reason the
    /// hand-off cannot use `ssh`, and the view is cloned with it.
    pub(crate) config: Result<SshConfigFile, String>,
    /// The user database's home: `ssh`'s `~`.
    pub(crate) home: Option<PathBuf>,
    /// `$HOME`, which swarmadm's own `~` comes from.
    pub(crate) process_home: Option<PathBuf>,
}

impl SshView {
    /// What the local `ssh` of this user reads.
    pub(crate) fn of_this_user() -> Self {
        Self::with(
            LocalEnv::from_user_database(),
            LocalEnv::from_process().home,
        )
    }

    /// What `ssh` reads for a user whose database entry is `env`.
    pub(crate) fn with(env: LocalEnv, process_home: Option<PathBuf>) -> Self {
        let home = env.home.clone();
        let config_path = home.clone().unwrap_or_default().join(".ssh").join("config");
        let config = SshConfigFile::user_default_with(env).map_err(|e| e.to_string());
        Self {
            config_path,
            config,
            home,
            process_home,
        }
    }

    /// The known_hosts files `ssh` reads for `hop` (as resolved from its
    /// own config): UserKnownHostsFile, else `~/.ssh/known_hosts` and
    /// `known_hosts2`; then the global ones.
    fn known_hosts_files(&self, hop: &SshHop) -> Vec<PathBuf> {
        let mut files = hop.known_hosts_files.clone();
        if files.is_empty()
            && let Some(home) = &self.home
        {
            files.push(home.join(".ssh/known_hosts"));
            files.push(home.join(".ssh/known_hosts2"));
        }
        files.push(PathBuf::from(known_hosts::GLOBAL_FILE));
        files.push(PathBuf::from("/etc/ssh/ssh_known_hosts2"));
        files
    }
}

/// The destination the docker CLI gets: `ssh://[user@]name[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Destination {
    /// The ssh name: a `Host` alias or an address.
    pub(crate) name: String,
    /// Only when plain `ssh NAME` would log in as another user.
    pub(crate) user: Option<String>,
    /// Only when plain `ssh NAME` would use another port.
    pub(crate) port: Option<u16>,
}

impl Destination {
    /// `ssh://[user@]name[:port]`, brackets around an IPv6 address.
    pub(crate) fn url(&self) -> String {
        let name = if self.name.contains(':') {
            format!("[{}]", self.name)
        } else {
            self.name.clone()
        };
        let user = self
            .user
            .as_ref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("ssh://{user}{name}{port}")
    }

    /// The arguments the docker CLI gives `ssh` for this destination.
    pub(crate) fn ssh_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(user) = &self.user {
            args.extend(["-l".to_owned(), user.clone()]);
        }
        if let Some(port) = self.port {
            args.extend(["-p".to_owned(), port.to_string()]);
        }
        args.extend(["--".to_owned(), self.name.clone()]);
        args
    }
}

/// Why plain `ssh` would not reach the node as swarmadm does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Missing {
    /// swarmadm read its ssh config from a file `ssh` does not read.
    Config {
        path: PathBuf,
        origin: ConfigOrigin,
        ssh_reads: PathBuf,
    },
    /// swarmadm's `~` is `$HOME`, `ssh`'s is the user database's.
    Home { home: PathBuf, ssh_home: PathBuf },
    /// `ssh`'s own config cannot be read or does not resolve the name.
    SshConfig(String),
    Address {
        name: String,
        swarmadm: String,
        ssh: String,
    },
    ProxyJump {
        name: String,
        swarmadm: String,
        ssh: String,
    },
    Identity {
        name: String,
        files: Vec<PathBuf>,
        ssh_tries: Vec<PathBuf>,
    },
    /// The host key is only in files `ssh` does not read.
    KnownHosts {
        host: String,
        files: Vec<PathBuf>,
        ssh_reads: Vec<PathBuf>,
    },
}

impl Missing {
    /// A short, stable name for JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Missing::Config { .. } => "ssh_config_not_read",
            Missing::Home { .. } => "home",
            Missing::SshConfig(_) => "ssh_config",
            Missing::Address { .. } => "address",
            Missing::ProxyJump { .. } => "proxy_jump",
            Missing::Identity { .. } => "identity",
            Missing::KnownHosts { .. } => "known_hosts",
        }
    }
}

fn paths(files: &[PathBuf]) -> String {
    if files.is_empty() {
        return "none".to_owned();
    }
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::Config {
                path,
                origin,
                ssh_reads,
            } => write!(
                f,
                "swarmadm read the ssh config {}{origin}, but the docker CLI's ssh reads only {} \
                 and what it includes: add `Include {}` to {}",
                path.display(),
                ssh_reads.display(),
                path.display(),
                ssh_reads.display()
            ),
            Missing::Home { home, ssh_home } => write!(
                f,
                "ssh takes ~ from the user database ({}), not from $HOME ({}) as swarmadm does",
                ssh_home.display(),
                home.display()
            ),
            Missing::SshConfig(message) => {
                write!(f, "the docker CLI's ssh cannot use its config: {message}")
            }
            Missing::Address {
                name,
                swarmadm,
                ssh,
            } => write!(
                f,
                "plain `ssh {name}` connects to {ssh}, swarmadm connects to {swarmadm}"
            ),
            Missing::ProxyJump {
                name,
                swarmadm,
                ssh,
            } => write!(
                f,
                "plain `ssh {name}` goes through {ssh}, swarmadm through {swarmadm}"
            ),
            Missing::Identity {
                name,
                files,
                ssh_tries,
            } => write!(
                f,
                "swarmadm authenticates with {}, which plain `ssh {name}` does not try (it tries \
                 {}the ssh-agent's keys): name it with IdentityFile in the Host block, or add it \
                 to your ssh-agent",
                paths(files),
                if ssh_tries.is_empty() {
                    "only ".to_owned()
                } else {
                    format!("{} and ", paths(ssh_tries))
                }
            ),
            Missing::KnownHosts {
                host,
                files,
                ssh_reads,
            } => write!(
                f,
                "the host key of {host} is only in {}, which plain ssh does not read (it reads \
                 {}): name it with UserKnownHostsFile in the Host block",
                paths(files),
                paths(ssh_reads)
            ),
        }
    }
}

/// The hand-off to the docker CLI for one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Handoff {
    pub(crate) destination: Destination,
    /// Empty when `ssh://destination` reaches the node as swarmadm does.
    pub(crate) missing: Vec<Missing>,
}

impl Handoff {
    pub(crate) fn works(&self) -> bool {
        self.missing.is_empty()
    }
}

/// How the docker CLI can reach the node of `target`: its ssh name first,
/// else its address; when neither resolves as swarmadm's connection did,
/// what is missing for its ssh name.
pub(crate) fn handoff(target: &SshTarget, view: &SshView) -> Handoff {
    let by_name = evaluate(target, view, &target.alias);
    if by_name.works() || target.hop.host == target.alias {
        return with_causes(by_name, target, view);
    }
    let by_address = evaluate(target, view, &target.hop.host);
    if by_address.works() {
        return by_address;
    }
    with_causes(by_name, target, view)
}

/// Adds why `ssh` reads another config than swarmadm did, first: the
/// cause of the differences listed after it.
fn with_causes(mut handoff: Handoff, target: &SshTarget, view: &SshView) -> Handoff {
    if handoff.works() {
        return handoff;
    }
    let mut causes = Vec::new();
    if let Some(used) = &target.ssh_config
        && !same_file(&used.path, &view.config_path)
    {
        if used.origin == ConfigOrigin::UserDefault
            && let (Some(home), Some(ssh_home)) = (&view.process_home, &view.home)
            && !same_file(home, ssh_home)
        {
            causes.push(Missing::Home {
                home: home.clone(),
                ssh_home: ssh_home.clone(),
            });
        } else {
            causes.push(Missing::Config {
                path: absolute(&used.path),
                origin: used.origin,
                ssh_reads: view.config_path.clone(),
            });
        }
    }
    causes.append(&mut handoff.missing);
    handoff.missing = causes;
    handoff
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

fn hop_name(hop: &SshHop) -> String {
    format!("{}@{}:{}", hop.user, hop.host, hop.port)
}

fn jumps_name(jumps: &[SshHop]) -> String {
    if jumps.is_empty() {
        "no jump host".to_owned()
    } else {
        jumps.iter().map(hop_name).collect::<Vec<_>>().join(" → ")
    }
}

/// Plain `ssh name` against swarmadm's connection.
fn evaluate(target: &SshTarget, view: &SshView, name: &str) -> Handoff {
    let ours = &target.hop;
    let mut destination = Destination {
        name: name.to_owned(),
        user: Some(ours.user.clone()),
        port: (ours.port != crate::inventory::sshconfig::DEFAULT_PORT).then_some(ours.port),
    };
    let plain = match &view.config {
        Ok(config) => config
            .resolve(name, &SshSettings::default(), &SshSettings::default())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.clone()),
    };
    let plain = match plain {
        Ok(plain) => plain,
        Err(message) => {
            return Handoff {
                destination,
                missing: vec![Missing::SshConfig(message)],
            };
        }
    };
    let theirs = &plain.hop;
    if theirs.user == ours.user {
        destination.user = None;
    }
    destination.port = (theirs.port != ours.port).then_some(ours.port);
    let mut missing = Vec::new();
    if theirs.host != ours.host {
        missing.push(Missing::Address {
            name: name.to_owned(),
            swarmadm: ours.host.clone(),
            ssh: theirs.host.clone(),
        });
    }
    let route = |jumps: &[SshHop]| -> Vec<(String, u16, String)> {
        jumps
            .iter()
            .map(|j| (j.host.clone(), j.port, j.user.clone()))
            .collect()
    };
    if route(&plain.jumps) != route(&target.jumps) {
        missing.push(Missing::ProxyJump {
            name: name.to_owned(),
            swarmadm: jumps_name(&target.jumps),
            ssh: jumps_name(&plain.jumps),
        });
    }
    let untried: Vec<PathBuf> = ours
        .identity_files
        .iter()
        .filter(|f| !theirs.identity_files.contains(f))
        .filter(|f| !ours.identity_origin.is_builtin() || f.exists())
        .cloned()
        .collect();
    if !untried.is_empty() {
        missing.push(Missing::Identity {
            name: name.to_owned(),
            files: untried,
            ssh_tries: theirs
                .identity_files
                .iter()
                .filter(|f| !theirs.identity_origin.is_builtin() || f.exists())
                .cloned()
                .collect(),
        });
    }
    if let Some(known) = known_hosts_missing(ours, theirs, view) {
        missing.push(known);
    }
    Handoff {
        destination,
        missing,
    }
}

/// The host key is in a file swarmadm reads and in none that `ssh` reads
/// (unless `ssh` would learn it: StrictHostKeyChecking accept-new).
fn known_hosts_missing(ours: &SshHop, theirs: &SshHop, view: &SshView) -> Option<Missing> {
    let knows = |files: &[PathBuf]| {
        known_hosts::lookup(files, &ours.host, ours.port).is_ok_and(|e| e.names_host())
    };
    let ssh_reads = view.known_hosts_files(theirs);
    if knows(&ssh_reads) || theirs.host_key_policy == Some(HostKeyPolicy::AcceptNew) {
        return None;
    }
    let holding: Vec<PathBuf> = known_hosts::files_for(&ours.known_hosts_files)
        .into_iter()
        .filter(|f| knows(std::slice::from_ref(f)))
        .collect();
    // A key swarmadm did not find either was accepted by a flag (`off`,
    // `accept-new`): nothing to point at; `context --check` tells.
    if holding.is_empty() {
        return None;
    }
    let host = if ours.port == crate::inventory::sshconfig::DEFAULT_PORT {
        ours.host.clone()
    } else {
        format!("[{}]:{}", ours.host, ours.port)
    };
    Some(Missing::KnownHosts {
        host,
        files: holding,
        ssh_reads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lab-like layout in a temporary directory: a key, a known_hosts
    /// file that knows 10.0.0.11, and an ssh config naming both for the
    /// alias `m1`.
    struct Layout {
        dir: tempfile::TempDir,
    }

    const HOST_KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB9nVpzuq6VUWRR9YqGJnpbFWnJLgnCFh1AFZOZefi02";

    impl Layout {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("home/.ssh")).unwrap();
            std::fs::write(dir.path().join("id_lab"), "not read").unwrap();
            std::fs::write(
                dir.path().join("known_hosts"),
                format!("10.0.0.11 {HOST_KEY}\n"),
            )
            .unwrap();
            std::fs::write(
                dir.path().join("lab.config"),
                format!(
                    "Host m1\n  HostName 10.0.0.11\n  User root\n  IdentityFile {}\n  \
                     UserKnownHostsFile {}\n",
                    dir.path().join("id_lab").display(),
                    dir.path().join("known_hosts").display()
                ),
            )
            .unwrap();
            Layout { dir }
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        fn env(&self) -> LocalEnv {
            LocalEnv {
                home: Some(self.path("home")),
                user: Some("tester".into()),
            }
        }

        /// How swarmadm resolves `m1` with the lab config chosen by `origin`.
        fn target(&self, origin: ConfigOrigin) -> SshTarget {
            SshConfigFile::load_with(&self.path("lab.config"), self.env())
                .unwrap()
                .with_origin(origin)
                .resolve("m1", &SshSettings::default(), &SshSettings::default())
                .unwrap()
        }

        fn view(&self) -> SshView {
            SshView::with(self.env(), Some(self.path("home")))
        }

        fn user_config(&self, text: &str) {
            std::fs::write(self.path("home/.ssh/config"), text).unwrap();
        }
    }

    #[test]
    fn an_alias_included_from_the_users_config_is_handed_off_by_name() {
        let lab = Layout::new();
        lab.user_config(&format!("Include {}\n", lab.path("lab.config").display()));
        let home_config = lab.path("home/.ssh/config");
        let target = SshConfigFile::load_with(&home_config, lab.env())
            .unwrap()
            .resolve("m1", &SshSettings::default(), &SshSettings::default())
            .unwrap();
        let handoff = handoff(&target, &lab.view());
        assert_eq!(handoff.missing, vec![], "{handoff:?}");
        assert_eq!(handoff.destination.url(), "ssh://m1");
        assert_eq!(handoff.destination.ssh_args(), ["--", "m1"]);
    }

    #[test]
    fn a_config_given_with_f_names_itself_the_key_and_the_known_hosts() {
        let lab = Layout::new();
        let handoff = handoff(&lab.target(ConfigOrigin::CommandLine), &lab.view());
        let kinds: Vec<&str> = handoff.missing.iter().map(Missing::kind).collect();
        assert_eq!(
            kinds,
            ["ssh_config_not_read", "address", "identity", "known_hosts"],
            "{handoff:?}"
        );
        let text: Vec<String> = handoff.missing.iter().map(ToString::to_string).collect();
        assert!(text[0].contains("(given with -F)"), "{}", text[0]);
        assert!(
            text[0].contains(&format!(
                "add `Include {}`",
                lab.path("lab.config").display()
            )),
            "{}",
            text[0]
        );
        assert!(
            text[1].contains("plain `ssh m1` connects to m1, swarmadm connects to 10.0.0.11"),
            "{}",
            text[1]
        );
        assert!(text[2].contains("id_lab"), "{}", text[2]);
        assert!(
            text[3].contains(&format!(
                "the host key of 10.0.0.11 is only in {}",
                lab.path("known_hosts").display()
            )),
            "{}",
            text[3]
        );
    }

    #[test]
    fn the_address_is_used_when_the_users_config_covers_it_and_not_the_alias() {
        let lab = Layout::new();
        lab.user_config(&format!(
            "Host 10.0.0.*\n  User root\n  Port 2222\n  IdentityFile {}\n  UserKnownHostsFile {}\n",
            lab.path("id_lab").display(),
            lab.path("known_hosts").display()
        ));
        let handoff = handoff(&lab.target(ConfigOrigin::CommandLine), &lab.view());
        assert_eq!(handoff.missing, vec![], "{handoff:?}");
        // The user is the same; the port is not, so the URL carries it.
        assert_eq!(handoff.destination.url(), "ssh://10.0.0.11:22");
    }

    #[test]
    fn ssh_reads_the_user_databases_home_not_home() {
        let lab = Layout::new();
        std::fs::create_dir_all(lab.path("other/.ssh")).unwrap();
        std::fs::copy(lab.path("lab.config"), lab.path("other/.ssh/config")).unwrap();
        // swarmadm took ~ from $HOME (`other`), ssh takes it from `home`.
        let other = LocalEnv {
            home: Some(lab.path("other")),
            user: Some("tester".into()),
        };
        let target = SshConfigFile::user_default_with(other)
            .unwrap()
            .resolve("m1", &SshSettings::default(), &SshSettings::default())
            .unwrap();
        let view = SshView::with(lab.env(), Some(lab.path("other")));
        let handoff = handoff(&target, &view);
        assert_eq!(handoff.missing[0].kind(), "home", "{handoff:?}");
        assert!(
            handoff.missing[0].to_string().contains("not from $HOME"),
            "{handoff:?}"
        );
    }

    #[test]
    fn urls_carry_user_and_port_and_bracket_ipv6() {
        let d = Destination {
            name: "fd00::1".into(),
            user: Some("core".into()),
            port: Some(2222),
        };
        assert_eq!(d.url(), "ssh://core@[fd00::1]:2222");
        assert_eq!(d.ssh_args(), ["-l", "core", "-p", "2222", "--", "fd00::1"]);
    }
}
