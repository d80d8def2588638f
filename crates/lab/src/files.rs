//! The text of every file a lab writes: each node's scripts and sshd config,
//! and the lab's inventories, ssh config and known_hosts. Rendering is pure;
//! the caller writes the results.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use serde::Serialize;

use super::host::Tools;
use super::layout::{LabInfo, LabNode, Role};

/// The node's start script. It runs as the init of the node's PID namespace
/// (inside its own network, mount and UTS namespaces), so killing it ends
/// every process of the node; it stays up to reap orphans and to keep the
/// namespaces alive while a daemon is stopped.
///
/// The node gets its own `/run` (sockets, pid files), `/etc/docker` (the
/// engine's key.json: one engine ID per node) and `/root` (an SSH session
/// must not run the host's root shell startup files).
pub(crate) fn start_script(lab: &LabInfo, node: &LabNode, path: &str) -> String {
    let dir = node.dir.display();
    let prefix = lab.subnet.prefix();
    format!(
        "# Node {host} of lab `{name}`, written by `swarmadm lab up`.\n\
         set -e\n\
         export PATH={path}\n\
         mount --make-rprivate /\n\
         mount --bind {dir}/run /run\n\
         if [ -d /etc/docker ]; then mount --bind {dir}/etc-docker /etc/docker; fi\n\
         if [ -d /root ]; then mount --bind {dir}/root /root; fi\n\
         mkdir -p /run/sshd\n\
         hostname {host}\n\
         ip addr add {ip}/{prefix} dev eth0\n\
         ip link set eth0 up\n\
         ip link set lo up\n\
         sh {dockerd} &\n\
         sh {sshd} &\n\
         set +e\n\
         while :; do sleep 86400 & wait; done\n",
        host = node.hostname,
        name = lab.name,
        ip = node.ip,
        dockerd = node.dockerd_script().display(),
        sshd = node.sshd_script().display(),
    )
}

/// Whether the nodes' dockerd writes iptables rules (`--iptables`): off,
/// like its NAT and default bridge. Without those rules the engine's
/// ingress routing mesh (published ports) cannot work, which `lab up`
/// reports (see `dataplane`).
pub(crate) const DOCKERD_IPTABLES: bool = false;

/// How the node's engine is started, at boot and by `start_daemon`. With
/// `DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1`, as Docker's own test daemons:
/// a service's image found in the node is used as it is, without asking a
/// registry first (the lab reaches none). An
/// unpacked engine's own `usr/bin` and `usr/sbin` come first on its PATH,
/// so that its dockerd finds its own containerd (and runc, if it has one).
pub(crate) fn dockerd_script(node: &LabNode, tools: &Tools) -> String {
    let dir = node.dir.display();
    let (path, dockerd) = match &node.engine {
        Some(engine) => (
            format!(
                "PATH={e}/usr/bin:{e}/usr/sbin:$PATH; export PATH\n",
                e = engine.display()
            ),
            engine.join("usr/sbin/dockerd"),
        ),
        None => (String::new(), tools.dockerd.clone()),
    };
    format!(
        "{path}DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 exec {dockerd} --iptables={DOCKERD_IPTABLES} --ip-masq=false --bridge=none \
         --storage-driver=vfs --data-root={dir}/docker >>{dir}/dockerd.log 2>&1\n",
        dockerd = dockerd.display(),
    )
}

/// How the node's sshd is started, at boot and by `start_daemon`.
pub(crate) fn sshd_script(node: &LabNode, tools: &Tools) -> String {
    let dir = node.dir.display();
    format!(
        "exec {sshd} -D -e -f {dir}/sshd_config >>{dir}/sshd.log 2>&1\n",
        sshd = tools.sshd.display(),
    )
}

/// The node's own sshd config; the host's /etc/ssh is never read.
/// `LogLevel VERBOSE` logs every accepted key, which tests count.
pub(crate) fn sshd_config(lab: &LabInfo, node: &LabNode) -> String {
    format!(
        "# sshd of node {host} of lab `{name}`, written by `swarmadm lab up`.\n\
         ListenAddress {ip}\n\
         Port 22\n\
         HostKey {key}\n\
         PidFile /run/sshd.pid\n\
         AuthorizedKeysFile {authorized}\n\
         PermitRootLogin prohibit-password\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         UsePAM no\n\
         StrictModes no\n\
         AllowStreamLocalForwarding yes\n\
         AllowTcpForwarding yes\n\
         MaxSessions 100\n\
         PrintMotd no\n\
         LogLevel VERBOSE\n",
        host = node.hostname,
        name = lab.name,
        ip = node.ip,
        key = node.host_key().display(),
        authorized = lab.authorized_keys().display(),
    )
}

/// swarmadm's own inventory format (see config/example.toml). Paths are
/// relative to the lab dir, where the file lives. Serialised by the toml
/// crate, so a name or path is always quoted as TOML wants it.
pub(crate) fn inventory_toml(lab: &LabInfo) -> String {
    #[derive(Serialize)]
    struct Inventory<'a> {
        defaults: Defaults,
        nodes: Vec<Node<'a>>,
    }
    #[derive(Serialize)]
    struct Defaults {
        user: &'static str,
        identity_file: &'static str,
        known_hosts: &'static str,
    }
    #[derive(Serialize)]
    struct Node<'a> {
        name: &'a str,
        address: Ipv4Addr,
        role: Role,
        // Through the latency relay; the swarm still sees the node's own
        // address (its only interface), so none is set here.
        #[serde(skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
    }
    let inventory = Inventory {
        defaults: Defaults {
            user: "root",
            identity_file: "id_ed25519",
            known_hosts: "known_hosts",
        },
        nodes: lab
            .nodes
            .iter()
            .map(|node| {
                let ssh = node.ssh_addr();
                Node {
                    name: &node.hostname,
                    address: *ssh.ip(),
                    role: node.role,
                    port: node.relay.map(|_| ssh.port()),
                }
            })
            .collect(),
    };
    let body = toml::to_string(&inventory)
        .unwrap_or_else(|e| unreachable!("plain strings, numbers and addresses serialise: {e}"));
    format!(
        "# swarmadm inventory of lab `{name}`, written by `swarmadm lab up`.\n\
         # Paths are relative to this file.\n\
         \n\
         {body}",
        name = lab.name,
    )
}

/// The Ansible inventory of the playbooks swarmadm replaces: the leader is
/// listed again among the managers; names only (ssh_config has addresses).
pub(crate) fn inventory_ini(lab: &LabInfo) -> String {
    let names = |keep: fn(Role) -> bool| -> String {
        lab.nodes
            .iter()
            .filter(|n| keep(n.role))
            .map(|n| format!("{}\n", n.hostname))
            .collect()
    };
    format!(
        "[swarm-leader]\n{}[swarm-manager]\n{}[swarm-worker]\n{}",
        names(|r| r == Role::Leader),
        names(Role::is_manager),
        names(|r| r == Role::Worker),
    )
}

/// An OpenSSH client config with one `Host` block per node.
pub(crate) fn ssh_config(lab: &LabInfo) -> String {
    let mut out = format!(
        "# OpenSSH client config of lab `{}`, written by `swarmadm lab up`.\n",
        lab.name
    );
    for node in &lab.nodes {
        let ssh = node.ssh_addr();
        let _ = write!(
            out,
            "\nHost {host}\n  HostName {ip}\n  User root\n  Port {port}\n  IdentityFile {key}\n  \
             IdentitiesOnly yes\n  UserKnownHostsFile {known}\n  StrictHostKeyChecking yes\n",
            host = node.hostname,
            ip = ssh.ip(),
            port = ssh.port(),
            key = lab.identity_file().display(),
            known = lab.known_hosts().display(),
        );
    }
    out
}

/// One `<ip> <type> <key>` line per node, and one `[<ip>]:<port> ...` line
/// for its latency relay (which passes the node's own host key through);
/// `host_keys` holds each node's `.pub` file, in node order.
pub(crate) fn known_hosts(lab: &LabInfo, host_keys: &[String]) -> String {
    lab.nodes
        .iter()
        .zip(host_keys)
        .map(|(node, public)| {
            let key = public
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            match node.relay {
                Some(relay) => format!(
                    "{} {key}\n[{}]:{} {key}\n",
                    node.ip,
                    relay.ip(),
                    relay.port()
                ),
                None => format!("{} {key}\n", node.ip),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::layout::DEFAULT_SUBNET;

    fn lab(managers: usize, workers: usize) -> LabInfo {
        LabInfo::plan(
            &"lab".parse().unwrap(),
            Path::new("/var/tmp/l"),
            DEFAULT_SUBNET.parse().unwrap(),
            managers,
            workers,
        )
        .unwrap()
    }

    #[test]
    fn inventory_ini_matches_the_playbooks() {
        assert_eq!(
            inventory_ini(&lab(3, 3)),
            "[swarm-leader]\nswarm-manager-01\n\
             [swarm-manager]\nswarm-manager-01\nswarm-manager-02\nswarm-manager-03\n\
             [swarm-worker]\nswarm-worker-01\nswarm-worker-02\nswarm-worker-03\n"
        );
    }

    #[test]
    fn inventory_toml_parses_and_lists_every_node() {
        let text = inventory_toml(&lab(1, 2));
        let value: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(value["defaults"]["user"].as_str(), Some("root"));
        assert_eq!(
            value["defaults"]["identity_file"].as_str(),
            Some("id_ed25519")
        );
        assert!(value.get("ssh_config").is_none());
        let nodes = value["nodes"].as_array().unwrap();
        let got: Vec<_> = nodes
            .iter()
            .map(|n| {
                (
                    n["name"].as_str().unwrap(),
                    n["address"].as_str().unwrap(),
                    n["role"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("swarm-manager-01", "10.213.0.11", "leader"),
                ("swarm-worker-01", "10.213.0.12", "worker"),
                ("swarm-worker-02", "10.213.0.13", "worker"),
            ]
        );
    }

    #[test]
    fn ssh_config_and_known_hosts_name_every_node() {
        let lab = lab(1, 1);
        let config = ssh_config(&lab);
        assert!(config.contains(
            "Host swarm-worker-01\n  HostName 10.213.0.12\n  User root\n  Port 22\n  \
             IdentityFile /var/tmp/l/id_ed25519\n"
        ));
        let keys = [
            "ssh-ed25519 AAAA1 root@x".to_owned(),
            "ssh-ed25519 AAAA2".to_owned(),
        ];
        assert_eq!(
            known_hosts(&lab, &keys),
            "10.213.0.11 ssh-ed25519 AAAA1\n10.213.0.12 ssh-ed25519 AAAA2\n"
        );
    }

    #[test]
    fn a_latency_lab_points_clients_at_the_relay_with_the_nodes_keys() {
        let lab = lab(1, 1).with_latency(std::time::Duration::from_millis(25));
        let config = ssh_config(&lab);
        assert!(
            config.contains(
                "Host swarm-worker-01\n  HostName 10.213.0.1\n  User root\n  Port 22001\n"
            )
        );
        let keys = [
            "ssh-ed25519 AAAA1".to_owned(),
            "ssh-ed25519 AAAA2".to_owned(),
        ];
        assert_eq!(
            known_hosts(&lab, &keys),
            "10.213.0.11 ssh-ed25519 AAAA1\n[10.213.0.1]:22000 ssh-ed25519 AAAA1\n\
             10.213.0.12 ssh-ed25519 AAAA2\n[10.213.0.1]:22001 ssh-ed25519 AAAA2\n"
        );
        let value: toml::Value = toml::from_str(&inventory_toml(&lab)).unwrap();
        let worker = &value["nodes"][1];
        assert_eq!(worker["address"].as_str(), Some("10.213.0.1"));
        assert_eq!(worker["port"].as_integer(), Some(22001));
    }

    #[test]
    fn an_unpacked_engine_runs_with_its_own_tools_first_on_path() {
        let lab = lab(1, 1).with_engines(None, Some(Path::new("/opt/e")));
        let tools = Tools {
            sshd: PathBuf::from("/usr/sbin/sshd"),
            dockerd: PathBuf::from("/usr/sbin/dockerd"),
        };
        assert!(
            dockerd_script(&lab.nodes[0], &tools)
                .starts_with("DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 exec /usr/sbin/dockerd ")
        );
        let worker = dockerd_script(&lab.nodes[1], &tools);
        assert!(worker.starts_with("PATH=/opt/e/usr/bin:/opt/e/usr/sbin:$PATH; export PATH\nDOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 exec /opt/e/usr/sbin/dockerd "), "{worker}");
    }

    #[test]
    fn node_scripts_use_the_node_dir_and_address() {
        let lab = lab(1, 0);
        let node = &lab.nodes[0];
        let tools = Tools {
            sshd: PathBuf::from("/usr/sbin/sshd"),
            dockerd: PathBuf::from("/usr/sbin/dockerd"),
        };
        let start = start_script(&lab, node, "/usr/bin");
        assert!(start.contains("mount --bind /var/tmp/l/nodes/swarm-manager-01/run /run\n"));
        assert!(start.contains("ip addr add 10.213.0.11/24 dev eth0\n"));
        assert!(
            dockerd_script(node, &tools)
                .contains("--data-root=/var/tmp/l/nodes/swarm-manager-01/docker ")
        );
        assert!(sshd_script(node, &tools).starts_with("exec /usr/sbin/sshd -D -e -f "));
        assert!(sshd_config(&lab, node).contains("ListenAddress 10.213.0.11\n"));
    }
}
