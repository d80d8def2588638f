//! What a lab looks like, as plain values: its validated name and subnet, the
//! names of everything it creates on the host (bridge, namespaces, veths,
//! directories), and the nodes with their hostnames, roles and addresses.
//! Computing a layout touches nothing; [`LabInfo`] is also what `state.json`
//! holds.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::LabError;
use super::dataplane::DataPlane;

/// The subnet a lab uses when none is given.
pub const DEFAULT_SUBNET: &str = "10.213.0.0/24";
/// The name a lab has when none is given.
pub const DEFAULT_NAME: &str = "lab";
/// Node `i` gets host address `.11 + i`, so a /24 holds at most 240 nodes.
pub const MAX_NODES: usize = 240;
/// Where labs live unless `--dir` says otherwise: `<this>/<name>`.
pub const DEFAULT_PARENT_DIR: &str = "/var/tmp/swarmadm-lab";

const FIRST_HOST: u32 = 11;
/// With a latency relay, node `i`'s sshd is reached at the bridge address,
/// port `RELAY_FIRST_PORT + i`.
pub const RELAY_FIRST_PORT: u16 = 22000;
const NAME_MAX: usize = 8;
/// A Unix socket path must fit in `sun_path` (108 bytes with the NUL).
const SOCKET_PATH_MAX: usize = 107;

/// The default directory of the lab `name`.
pub fn default_dir(name: &LabName) -> PathBuf {
    Path::new(DEFAULT_PARENT_DIR).join(name.as_str())
}

/// A lab's name: 1 to 8 characters of `[a-z0-9]`, short enough that every
/// interface name built from it fits Linux's 15-character limit, and free of
/// `-` so that `swarmadm-<name>-<i>` parses back unambiguously.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LabName(String);

impl LabName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The bridge every node of this lab is attached to.
    pub fn bridge(&self) -> String {
        format!("swl-{}", self.0)
    }

    /// The network namespace of node `index`.
    pub fn netns(&self, index: usize) -> String {
        format!("swarmadm-{}-{index}", self.0)
    }

    /// The host side of node `index`'s veth pair (at most 15 characters).
    pub fn veth(&self, index: usize) -> String {
        format!("swl{}h{index}", self.0)
    }

    /// Whether `netns` is one of this lab's namespaces.
    pub fn owns_netns(&self, netns: &str) -> bool {
        netns
            .strip_prefix("swarmadm-")
            .and_then(|rest| rest.strip_prefix(self.as_str()))
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(is_index)
    }

    /// Whether `link` is this lab's bridge or one of its host-side veths.
    /// The index after the last `h` must be all digits, so lab `a` never
    /// claims lab `ah1`'s `swlah1h0`.
    pub fn owns_link(&self, link: &str) -> bool {
        if link == self.bridge() {
            return true;
        }
        link.strip_prefix("swl")
            .and_then(|rest| rest.strip_prefix(self.as_str()))
            .and_then(|rest| rest.strip_prefix('h'))
            .is_some_and(is_index)
    }
}

fn is_index(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl FromStr for LabName {
    type Err = LabError;

    fn from_str(s: &str) -> Result<Self, LabError> {
        let valid = (1..=NAME_MAX).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !valid {
            return Err(LabError::InvalidName { name: s.to_owned() });
        }
        Ok(Self(s.to_owned()))
    }
}

impl TryFrom<String> for LabName {
    type Error = LabError;
    fn try_from(s: String) -> Result<Self, LabError> {
        s.parse()
    }
}

impl From<LabName> for String {
    fn from(name: LabName) -> String {
        name.0
    }
}

impl fmt::Display for LabName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The lab's IPv4 range: a private (RFC 1918) network of prefix /16 to /24.
/// The bridge takes `.1`, node `i` takes `.11 + i` of the range's first /24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Subnet {
    network: Ipv4Addr,
    prefix: u8,
}

impl Subnet {
    /// [`DEFAULT_SUBNET`] as a value.
    pub const DEFAULT: Subnet = Subnet {
        network: Ipv4Addr::new(10, 213, 0, 0),
        prefix: 24,
    };

    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The host's address on the lab bridge.
    pub fn bridge_ip(&self) -> Ipv4Addr {
        self.host(1)
    }

    /// The address of node `index` (0-based, managers first).
    pub fn node_ip(&self, index: usize) -> Ipv4Addr {
        let offset = u32::try_from(index).unwrap_or(u32::MAX);
        self.host(FIRST_HOST.saturating_add(offset))
    }

    fn host(&self, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network).wrapping_add(n))
    }

    /// Whether two ranges share at least one address.
    pub fn overlaps(&self, network: Ipv4Addr, prefix: u8) -> bool {
        let shorter = self.prefix.min(prefix);
        mask(shorter) & u32::from(self.network) == mask(shorter) & u32::from(network)
    }
}

fn mask(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

impl FromStr for Subnet {
    type Err = LabError;

    fn from_str(s: &str) -> Result<Self, LabError> {
        let invalid = |reason: &str| LabError::InvalidSubnet {
            subnet: s.to_owned(),
            reason: reason.to_owned(),
        };
        let (ip, prefix) = s.split_once('/').ok_or_else(|| {
            invalid("write it as an IPv4 range with a prefix, e.g. 10.213.0.0/24")
        })?;
        let network: Ipv4Addr = ip
            .parse()
            .map_err(|_| invalid("not an IPv4 address before the `/`"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| invalid("the prefix after the `/` is not a number"))?;
        if !(16..=24).contains(&prefix) {
            return Err(invalid(
                "the prefix must be /16 to /24: the nodes need a /24, and a wider range would route too much to the lab bridge",
            ));
        }
        if u32::from(network) & !mask(prefix) != 0 {
            let base = Ipv4Addr::from(u32::from(network) & mask(prefix));
            return Err(invalid(&format!(
                "host bits are set; did you mean {base}/{prefix}?"
            )));
        }
        if !network.is_private() {
            return Err(invalid(
                "not a private (RFC 1918) range; use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 so the lab can never shadow a real network",
            ));
        }
        Ok(Self { network, prefix })
    }
}

impl TryFrom<String> for Subnet {
    type Error = LabError;
    fn try_from(s: String) -> Result<Self, LabError> {
        s.parse()
    }
}

impl From<Subnet> for String {
    fn from(subnet: Subnet) -> String {
        subnet.to_string()
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A node's part in the swarm, named as swarmadm's inventory names it
/// (`leader`, `manager`, `worker`): the lab writes it into `inventory.toml`
/// and `state.json`. The same type as swarmadm's, from the crate both share
/// (the lab does not depend on swarmadm, which depends on the lab for
/// `swarmadm lab`).
pub use swarmadm_names::Role;

/// One node of a lab: who it is and where everything of it lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabNode {
    /// `swarm-manager-01`, `swarm-worker-01`, ...
    pub hostname: String,
    pub role: Role,
    pub ip: Ipv4Addr,
    /// The network namespace (`ip netns list` shows it).
    pub netns: String,
    /// The host side of the node's veth pair.
    pub veth: String,
    /// The node's directory on the host (keys, config, logs, data root).
    pub dir: PathBuf,
    /// The process id of the node's session leader, once it runs.
    #[serde(default)]
    pub session: Option<u32>,
    /// Where the lab's latency relay listens for this node's sshd, if the
    /// lab has one: what its inventory and ssh config point at.
    #[serde(default)]
    pub relay: Option<SocketAddrV4>,
    /// The unpacked engine (a dir holding `usr/sbin/dockerd`) the node
    /// runs, if not the host's dockerd.
    #[serde(default)]
    pub engine: Option<PathBuf>,
}

impl LabNode {
    /// Where SSH clients reach the node's sshd: the relay if there is one,
    /// else the node's own address.
    pub fn ssh_addr(&self) -> SocketAddrV4 {
        self.relay.unwrap_or(SocketAddrV4::new(self.ip, 22))
    }

    /// Host-side path of the node's Docker socket (the node's
    /// `/var/run/docker.sock`: its `/run` is bound to [`Self::run_dir`]).
    pub fn socket(&self) -> PathBuf {
        self.run_dir().join("docker.sock")
    }

    /// The directory the node sees as `/run`.
    pub fn run_dir(&self) -> PathBuf {
        self.dir.join("run")
    }

    /// The output of the node's start script (mounts, hostname).
    pub fn node_log(&self) -> PathBuf {
        self.dir.join("node.log")
    }

    pub fn dockerd_log(&self) -> PathBuf {
        self.dir.join("dockerd.log")
    }

    pub fn sshd_log(&self) -> PathBuf {
        self.dir.join("sshd.log")
    }

    pub fn host_key(&self) -> PathBuf {
        self.dir.join("ssh_host_ed25519_key")
    }

    pub(crate) fn sshd_config(&self) -> PathBuf {
        self.dir.join("sshd_config")
    }

    pub(crate) fn start_script(&self) -> PathBuf {
        self.dir.join("start.sh")
    }

    pub(crate) fn dockerd_script(&self) -> PathBuf {
        self.dir.join("dockerd.sh")
    }

    pub(crate) fn sshd_script(&self) -> PathBuf {
        self.dir.join("sshd.sh")
    }
}

/// A whole lab: what `up` made and `state.json` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabInfo {
    pub name: LabName,
    pub subnet: Subnet,
    pub bridge: String,
    pub dir: PathBuf,
    pub nodes: Vec<LabNode>,
    /// The delay the latency relay adds each way, if the lab has one.
    #[serde(default)]
    pub latency: Option<Duration>,
    /// What the data plane can do here, as probed by `up`; `None` before
    /// that, and for a lab started by a swarmadm without the probe.
    #[serde(default)]
    pub data_plane: Option<DataPlane>,
    /// The workload image `up` loaded into every node ([`crate::LAB_IMAGE`]);
    /// `None` when this host has no busybox.
    #[serde(default)]
    pub image: Option<String>,
}

impl LabInfo {
    /// The layout of a lab with `managers` then `workers` nodes; the first
    /// manager is the leader. `dir` must be absolute.
    pub fn plan(
        name: &LabName,
        dir: &Path,
        subnet: Subnet,
        managers: usize,
        workers: usize,
    ) -> Result<Self, LabError> {
        let total = managers.saturating_add(workers);
        if managers == 0 || total > MAX_NODES {
            return Err(LabError::InvalidNodeCount { managers, workers });
        }
        let nodes = (0..total)
            .map(|i| {
                let (role, hostname) = match i {
                    0 => (Role::Leader, format!("swarm-manager-{:02}", 1)),
                    i if i < managers => (Role::Manager, format!("swarm-manager-{:02}", i + 1)),
                    i => (
                        Role::Worker,
                        format!("swarm-worker-{:02}", i - managers + 1),
                    ),
                };
                LabNode {
                    dir: dir.join("nodes").join(&hostname),
                    hostname,
                    role,
                    ip: subnet.node_ip(i),
                    netns: name.netns(i),
                    veth: name.veth(i),
                    session: None,
                    relay: None,
                    engine: None,
                }
            })
            .collect();
        let info = Self {
            name: name.clone(),
            subnet,
            bridge: name.bridge(),
            dir: dir.to_path_buf(),
            nodes,
            latency: None,
            data_plane: None,
            image: None,
        };
        info.check_dir()?;
        Ok(info)
    }

    /// The lab dir ends up in shell scripts, sshd and ssh configs and socket
    /// paths: keep it to characters none of them needs to quote, and short
    /// enough for a Unix socket path.
    fn check_dir(&self) -> Result<(), LabError> {
        let invalid = |reason: String| LabError::InvalidDir {
            dir: self.dir.clone(),
            reason,
        };
        let Some(text) = self.dir.to_str() else {
            return Err(invalid("the path is not UTF-8".into()));
        };
        if !self.dir.is_absolute() {
            return Err(invalid("the path is not absolute".into()));
        }
        let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+@,=".contains(c);
        if let Some(c) = text.chars().find(|&c| !plain(c)) {
            return Err(invalid(format!(
                "it contains {c:?}; use only letters, digits and / . _ - + @ , ="
            )));
        }
        let longest = self
            .nodes
            .iter()
            .map(|n| n.socket().as_os_str().len())
            .max()
            .unwrap_or(0);
        if longest > SOCKET_PATH_MAX {
            return Err(invalid(format!(
                "node sockets would be {longest} bytes long, Unix sockets allow {SOCKET_PATH_MAX}; use a shorter --dir"
            )));
        }
        Ok(())
    }

    /// Puts a latency relay of `delay` each way in front of every node's
    /// sshd: node `i` is then reached at the bridge address, port
    /// [`RELAY_FIRST_PORT`]` + i`.
    pub fn with_latency(mut self, delay: Duration) -> Self {
        let bridge = self.subnet.bridge_ip();
        for (i, node) in self.nodes.iter_mut().enumerate() {
            let port = u16::try_from(i).map_or(u16::MAX, |i| RELAY_FIRST_PORT.saturating_add(i));
            node.relay = Some(SocketAddrV4::new(bridge, port));
        }
        self.latency = Some(delay);
        self
    }

    /// Runs the engine unpacked in `managers` on the managers and the one in
    /// `workers` on the workers; `None` is the host's dockerd.
    pub fn with_engines(mut self, managers: Option<&Path>, workers: Option<&Path>) -> Self {
        for node in &mut self.nodes {
            let engine = if node.role.is_manager() {
                managers
            } else {
                workers
            };
            node.engine = engine.map(Path::to_path_buf);
        }
        self
    }

    /// The log of the latency relay.
    pub fn relay_log(&self) -> PathBuf {
        self.dir.join("relay.log")
    }

    pub fn node(&self, hostname: &str) -> Option<&LabNode> {
        self.nodes.iter().find(|n| n.hostname == hostname)
    }

    pub fn inventory_toml(&self) -> PathBuf {
        self.dir.join("inventory.toml")
    }

    pub fn inventory_ini(&self) -> PathBuf {
        self.dir.join("inventory.ini")
    }

    pub fn ssh_config(&self) -> PathBuf {
        self.dir.join("ssh_config")
    }

    pub fn known_hosts(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }

    /// The private key the nodes accept for `root`.
    pub fn identity_file(&self) -> PathBuf {
        self.dir.join("id_ed25519")
    }

    pub fn authorized_keys(&self) -> PathBuf {
        self.dir.join("authorized_keys")
    }

    pub fn state_file(&self) -> PathBuf {
        state_file(&self.dir)
    }
}

pub(crate) fn state_file(dir: &Path) -> PathBuf {
    dir.join("state.json")
}

/// The file that marks a directory as a lab's, holding the lab's name: `down`
/// removes only directories that carry it.
pub(crate) fn marker_file(dir: &Path) -> PathBuf {
    dir.join(".swarmadm-lab")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> LabName {
        s.parse().unwrap()
    }

    #[test]
    fn names_are_short_lowercase_alphanumerics() {
        for ok in ["lab", "t1", "abcdefgh", "0"] {
            assert!(ok.parse::<LabName>().is_ok(), "{ok}");
        }
        for bad in ["", "abcdefghi", "Lab", "a-b", "a b", "é"] {
            assert!(bad.parse::<LabName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn interface_names_fit_in_15_characters() {
        let n = name("abcdefgh");
        assert!(n.veth(MAX_NODES - 1).len() <= 15);
        assert!(n.bridge().len() <= 15);
    }

    #[test]
    fn a_lab_never_claims_another_labs_links_or_namespaces() {
        let a = name("a");
        assert!(a.owns_link("swlah0"));
        assert!(a.owns_link("swlah12"));
        assert!(a.owns_link("swl-a"));
        assert!(!a.owns_link("swlah1h0"), "belongs to lab ah1");
        assert!(!a.owns_link("swl-ab"));
        assert!(!a.owns_link("swlah"));
        assert!(a.owns_netns("swarmadm-a-3"));
        assert!(!a.owns_netns("swarmadm-ab-3"));
        assert!(!a.owns_netns("swarmadm-a-"));
        assert!(!a.owns_netns("swarmadm-a-3x"));
    }

    #[test]
    fn subnets_are_private_network_addresses_of_16_to_24_bits() {
        let s: Subnet = DEFAULT_SUBNET.parse().unwrap();
        assert_eq!(s, Subnet::DEFAULT);
        assert_eq!(s.bridge_ip(), Ipv4Addr::new(10, 213, 0, 1));
        assert_eq!(s.node_ip(0), Ipv4Addr::new(10, 213, 0, 11));
        assert_eq!(s.node_ip(MAX_NODES - 1), Ipv4Addr::new(10, 213, 0, 250));
        assert!("192.168.0.0/16".parse::<Subnet>().is_ok());
        for bad in [
            "10.213.0.0",
            "10.213.0.0/25",
            "10.0.0.0/8",
            "10.213.0.5/24",
            "8.8.8.0/24",
            "x/24",
        ] {
            assert!(bad.parse::<Subnet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn overlapping_ranges_are_detected() {
        let s: Subnet = "10.213.1.0/24".parse().unwrap();
        assert!(s.overlaps(Ipv4Addr::new(10, 213, 1, 0), 24));
        assert!(s.overlaps(Ipv4Addr::new(10, 0, 0, 0), 8));
        assert!(s.overlaps(Ipv4Addr::new(10, 213, 1, 128), 25));
        assert!(!s.overlaps(Ipv4Addr::new(10, 213, 2, 0), 24));
    }

    #[test]
    fn plan_puts_managers_first_and_the_leader_first_of_all() {
        let lab = LabInfo::plan(
            &name("lab"),
            Path::new("/var/tmp/l"),
            DEFAULT_SUBNET.parse().unwrap(),
            3,
            2,
        )
        .unwrap();
        let got: Vec<_> = lab
            .nodes
            .iter()
            .map(|n| {
                (
                    n.hostname.as_str(),
                    n.role,
                    n.ip.to_string(),
                    n.veth.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "swarm-manager-01",
                    Role::Leader,
                    "10.213.0.11".into(),
                    "swllabh0"
                ),
                (
                    "swarm-manager-02",
                    Role::Manager,
                    "10.213.0.12".into(),
                    "swllabh1"
                ),
                (
                    "swarm-manager-03",
                    Role::Manager,
                    "10.213.0.13".into(),
                    "swllabh2"
                ),
                (
                    "swarm-worker-01",
                    Role::Worker,
                    "10.213.0.14".into(),
                    "swllabh3"
                ),
                (
                    "swarm-worker-02",
                    Role::Worker,
                    "10.213.0.15".into(),
                    "swllabh4"
                ),
            ]
        );
        assert_eq!(
            lab.nodes[3].socket(),
            Path::new("/var/tmp/l/nodes/swarm-worker-01/run/docker.sock")
        );
    }

    /// `state.json` and the inventories name roles as swarmadm's inventory
    /// does, so labs started before the lab had its own type still load.
    #[test]
    fn roles_are_the_inventorys_words() {
        for (role, word) in [
            (Role::Leader, "leader"),
            (Role::Manager, "manager"),
            (Role::Worker, "worker"),
        ] {
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{word}\""));
            assert_eq!(
                serde_json::from_str::<Role>(&format!("\"{word}\"")).unwrap(),
                role
            );
            assert_eq!(role.to_string(), word);
        }
        assert!(serde_json::from_str::<Role>("\"Leader\"").is_err());
        let managers: Vec<Role> = Role::ALL.into_iter().filter(|r| r.is_manager()).collect();
        assert_eq!(managers, [Role::Leader, Role::Manager]);
    }

    #[test]
    fn plan_rejects_bad_counts_and_dirs() {
        let n = name("lab");
        let subnet: Subnet = DEFAULT_SUBNET.parse().unwrap();
        let dir = Path::new("/var/tmp/l");
        assert!(LabInfo::plan(&n, dir, subnet, 0, 3).is_err());
        assert!(LabInfo::plan(&n, dir, subnet, 200, 41).is_err());
        assert!(LabInfo::plan(&n, dir, subnet, 200, 40).is_ok());
        assert!(LabInfo::plan(&n, Path::new("rel"), subnet, 1, 0).is_err());
        assert!(LabInfo::plan(&n, Path::new("/a b"), subnet, 1, 0).is_err());
        let long = format!("/{}", "x".repeat(80));
        assert!(LabInfo::plan(&n, Path::new(&long), subnet, 1, 0).is_err());
    }
}
