//! `swarmadm context`: the hand-off to the docker CLI. It finds the current
//! Raft leader in the live cluster (one snapshot, the leader's NodeID from
//! a manager's node list, not the inventory's `leader` role), maps it to
//! its inventory node, and gives `DOCKER_HOST=ssh://user@host[:port]` for
//! it, or creates a docker context with it through the docker CLI.
//!
//! The docker CLI's `ssh://` transport runs `docker system dial-stdio` on
//! the node over the user's `ssh`: unlike swarmadm, it needs the docker CLI
//! installed on the node, the node's host key in the user's known_hosts,
//! and a user that may open the Docker socket. The report says so.
//!
//! [`hand_off`] decides what the docker CLI gets: `ssh://NAME` when plain
//! `ssh NAME` resolves the way swarmadm's connection did, else no
//! DOCKER_HOST and what is missing ([`handoff`]); [`check`] proves it by
//! running `ssh` ([`probe`]). Where it cannot work, `swarmadm tunnel`
//! serves the leader's socket here (`crate::exec::tunnel`).

pub(crate) mod handoff;
pub(crate) mod probe;

use std::collections::BTreeMap;
use std::process::Command;

use crate::inventory::Inventory;
use crate::model::exit_codes;
use crate::model::names::NodeName;
use crate::observe;
use crate::observe::cluster;
use crate::observe::events::Events;
use crate::observe::leadership::Unconfirmed;
use crate::remote::host::Connector;

/// What the docker CLI's ssh:// transport needs on the node.
pub(crate) const SSH_NEEDS: &str = "the docker CLI's ssh:// runs `docker system dial-stdio` on the \
    node through your ssh: the node needs the docker CLI (not only the engine), its host key in \
    your known_hosts, and the ssh user must be root or in the docker group";

/// The result of `context`; `--output json` prints it.
#[derive(Debug, Clone)]
pub(crate) struct ContextReport {
    pub(crate) cluster_id: Option<String>,
    /// The inventory node that is the Raft leader now.
    pub(crate) leader: Option<NodeName>,
    pub(crate) leader_node_id: Option<String>,
    /// `ssh://user@host[:port]`.
    pub(crate) docker_host: Option<String>,
    /// The node is reached through ProxyJump: the docker CLI's ssh needs
    /// the same jump in the user's ssh config.
    pub(crate) proxy_jump: bool,
    /// The docker context created (`--create NAME`).
    pub(crate) context: Option<String>,
    /// `--create NAME` asked for a context that was not created, because
    /// the docker CLI's ssh would not reach the leader: NAME.
    pub(crate) not_created: Option<String>,
    pub(crate) note: &'static str,
    /// Why there is no DOCKER_HOST, or the context could not be created.
    pub(crate) error: Option<ContextError>,
    pub(crate) ssh_connections: usize,
    /// How the docker CLI's ssh reaches the leader, or what it lacks
    /// ([`hand_off`]).
    pub(crate) handoff: Option<handoff::Handoff>,
    /// `--check`: running `ssh` as the docker CLI will.
    pub(crate) probe: Option<probe::Probe>,
}

/// Why `context` has no DOCKER_HOST, or could not create the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ContextError {
    /// No leader confirmed by a majority of the managers.
    Leadership(Unconfirmed),
    /// No manager of the inventory's swarm answered with a node list.
    NoManager,
    NoLeader,
    /// The leader, by hostname and NodeID, is no inventory node.
    LeaderNotInInventory {
        hostname: String,
        node_id: String,
    },
    /// `docker` is not on PATH.
    NoDockerCli,
    /// `docker context create` could not run, or failed.
    DockerContext(String),
}

impl std::fmt::Display for ContextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContextError::Leadership(problem) => problem.fmt(f),
            ContextError::NoManager => {
                f.write_str("no manager of the inventory's swarm answered with a node list")
            }
            ContextError::NoLeader => f.write_str("the swarm has no leader"),
            ContextError::LeaderNotInInventory { hostname, node_id } => write!(
                f,
                "the leader {hostname} ({node_id}) is not in the inventory"
            ),
            ContextError::NoDockerCli => f.write_str(
                "the docker CLI is not installed here (`docker` is not on PATH): use the \
                 DOCKER_HOST above instead",
            ),
            ContextError::DockerContext(message) => f.write_str(message),
        }
    }
}

impl ContextError {
    /// A short, stable name for JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ContextError::Leadership(problem) => problem.kind(),
            ContextError::NoManager => "no_manager",
            ContextError::NoLeader => "no_leader",
            ContextError::LeaderNotInInventory { .. } => "leader_not_in_inventory",
            ContextError::NoDockerCli => "no_docker_cli",
            ContextError::DockerContext(_) => "docker_context",
        }
    }
}

impl ContextReport {
    /// 0: printed (and created, and checked); 1: the docker CLI's ssh
    /// would not reach the leader as swarmadm does, `--check` failed, or
    /// the context could not be created; 2: no leader could be found in
    /// the inventory.
    pub(crate) fn exit_code(&self) -> u8 {
        let checked = self.probe.as_ref().is_none_or(probe::Probe::passed);
        match (&self.docker_host, &self.error) {
            (None, None) if self.handoff.is_some() => exit_codes::FAILED,
            (None, _) => exit_codes::UNUSABLE,
            (Some(_), Some(_)) => exit_codes::FAILED,
            (Some(_), None) if !checked => exit_codes::FAILED,
            (Some(_), None) => exit_codes::OK,
        }
    }
}

/// Decides the DOCKER_HOST the docker CLI gets for the leader that [`run`]
/// found: `ssh://NAME` through the user's own ssh names when plain `ssh`
/// reaches it as swarmadm did, else none, and the report says what is
/// missing.
pub(crate) fn hand_off(report: &mut ContextReport, inventory: &Inventory, view: &handoff::SshView) {
    let Some(node) = report
        .leader
        .as_ref()
        .and_then(|name| inventory.node(name.as_str()))
    else {
        return;
    };
    let handoff = handoff::handoff(&node.ssh, view);
    report.docker_host = handoff.works().then(|| handoff.destination.url());
    report.handoff = Some(handoff);
}

/// `--check`: runs `ssh` to the hand-off's destination as the docker CLI
/// will (also when something is missing, to show what it meets).
pub(crate) async fn check(
    report: &mut ContextReport,
    connect_timeout: std::time::Duration,
    timeout: std::time::Duration,
) {
    if let Some(handoff) = &report.handoff {
        report.probe = Some(probe::run(&handoff.destination, connect_timeout, timeout).await);
    }
}

/// Finds the leader and its DOCKER_HOST.
pub(crate) async fn run<C: Connector>(
    inventory: &Inventory,
    connector: &C,
    events: &Events,
) -> ContextReport {
    let snapshot = observe::snapshot(inventory, connector, events).await;
    for name in snapshot.hosts.keys() {
        events.done(name, "read");
    }
    let facts = &snapshot.facts;
    let mut report = ContextReport {
        cluster_id: facts.cluster_id.clone(),
        leader: None,
        leader_node_id: None,
        docker_host: None,
        handoff: None,
        probe: None,
        proxy_jump: false,
        context: None,
        not_created: None,
        note: SSH_NEEDS,
        error: None,
        ssh_connections: connector.connections(),
    };
    let Some(view) = &facts.view else {
        report.error = Some(match facts.leadership.unconfirmed() {
            Some(problem) => ContextError::Leadership(problem.clone()),
            None => ContextError::NoManager,
        });
        return report;
    };
    let Some(leader) = view.leader() else {
        report.error = Some(ContextError::NoLeader);
        return report;
    };
    report.leader_node_id = Some(leader.id.clone());
    let claimed = cluster::claim(inventory, facts, view, &BTreeMap::new());
    let Some(node) = claimed
        .iter()
        .find(|(_, id)| **id == leader.id)
        .and_then(|(name, _)| inventory.node(name.as_str()))
    else {
        report.error = Some(ContextError::LeaderNotInInventory {
            hostname: leader.hostname.clone(),
            node_id: leader.id.clone(),
        });
        return report;
    };
    report.leader = Some(node.name.clone());
    report.docker_host = Some(docker_host(
        &node.ssh.hop.user,
        &node.ssh.hop.host,
        node.ssh.hop.port,
    ));
    report.proxy_jump = !node.ssh.jumps.is_empty();
    report
}

/// `ssh://user@host`, with `:port` unless 22 and brackets around IPv6.
pub(crate) fn docker_host(user: &str, host: &str, port: u16) -> String {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let port = if port == 22 {
        String::new()
    } else {
        format!(":{port}")
    };
    format!("ssh://{user}@{host}{port}")
}

/// Creates docker context `name` for the report's DOCKER_HOST through the
/// docker CLI; records the context or the error in the report.
/// Without a DOCKER_HOST nothing is created, and the report says so.
pub(crate) fn create(report: &mut ContextReport, name: &str) {
    let Some(host) = report.docker_host.clone() else {
        if report.handoff.is_some() {
            report.not_created = Some(name.to_owned());
        }
        return;
    };
    let description = format!(
        "swarmadm: Raft leader {} of swarm {}",
        report
            .leader
            .as_ref()
            .map(NodeName::as_str)
            .unwrap_or_default(),
        report.cluster_id.as_deref().unwrap_or("?")
    );
    let output = Command::new("docker")
        .args(["context", "create", name, "--description", &description])
        .arg("--docker")
        .arg(format!("host={host}"))
        .output();
    match output {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            report.error = Some(ContextError::NoDockerCli);
        }
        Err(e) => {
            report.error = Some(ContextError::DockerContext(format!(
                "cannot run `docker context create`: {e}"
            )));
        }
        Ok(out) if !out.status.success() => {
            report.error = Some(ContextError::DockerContext(format!(
                "`docker context create {name}` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(_) => report.context = Some(name.to_owned()),
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::remote::fake::FakeCluster;
    use crate::ui::{Layout, render};

    fn inventory() -> Inventory {
        crate::inventory::test_inventory(3, 1)
    }

    #[tokio::test(start_paused = true)]
    async fn the_live_leader_is_named_not_the_inventory_leader() {
        let inv = inventory();
        let cluster = FakeCluster::converged(&inv);
        cluster.elect("m3");
        cluster.unreachable("m1");
        let report = run(&inv, &cluster.connector(), &Events::discard()).await;
        assert_eq!(report.leader.as_ref().map(NodeName::as_str), Some("m3"));
        assert_eq!(report.docker_host.as_deref(), Some("ssh://core@m3.example"));
        assert_eq!(report.exit_code(), exit_codes::OK);
        let text = render::context(&report, Layout::Fit(80));
        assert!(
            text.contains("export DOCKER_HOST=ssh://core@m3.example\n"),
            "{text}"
        );
        assert!(text.contains("docker CLI"), "{text}");
        for line in text.lines() {
            assert!(
                line.starts_with("# ") || line.starts_with("export "),
                "{line}"
            );
            assert!(line.chars().count() <= 80, "{line}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_leader_there_is_no_docker_host_and_exit_2() {
        let inv = inventory();
        let cluster = FakeCluster::converged(&inv);
        cluster.lose_quorum();
        let report = run(&inv, &cluster.connector(), &Events::discard()).await;
        assert_eq!(report.docker_host, None);
        assert!(
            report
                .error
                .as_ref()
                .is_some_and(|e| e.to_string().contains("quorum")),
            "{report:?}"
        );
        assert_eq!(report.exit_code(), exit_codes::UNUSABLE);
        assert!(!render::context(&report, Layout::Wide).contains("DOCKER_HOST"));
    }

    #[tokio::test(start_paused = true)]
    async fn what_is_missing_is_said_in_comments_without_a_docker_host_and_exit_1() {
        let inv = inventory();
        let cluster = FakeCluster::converged(&inv);
        let mut report = run(&inv, &cluster.connector(), &Events::discard()).await;
        let home = tempfile::tempdir().unwrap();
        let view = handoff::SshView::with(
            crate::inventory::LocalEnv {
                home: Some(home.path().to_owned()),
                user: Some("core".into()),
            },
            Some(home.path().to_owned()),
        );
        hand_off(&mut report, &inv, &view);
        // Nothing is missing for a node plain ssh reaches by its address.
        assert_eq!(report.docker_host.as_deref(), Some("ssh://m1.example"));
        assert_eq!(report.exit_code(), exit_codes::OK);

        let handoff = report.handoff.as_mut().unwrap();
        handoff.missing.push(handoff::Missing::Identity {
            name: "m1.example".into(),
            files: vec!["/srv/keys/a-rather-long-directory-name/swarm_deploy_key".into()],
            ssh_tries: vec![],
        });
        report.docker_host = None;
        assert_eq!(report.exit_code(), exit_codes::FAILED);
        let text = render::context(&report, Layout::Fit(80));
        assert!(!text.contains("export"), "{text}");
        assert!(text.contains("# - swarmadm authenticates with"), "{text}");
        assert!(text.contains("`swarmadm tunnel`"), "{text}");
        assert!(!text.contains("no docker context"), "{text}");

        // `--create NAME`: nothing is run, and the output says so.
        create(&mut report, "swarm");
        assert_eq!(report.context, None);
        assert_eq!(report.not_created.as_deref(), Some("swarm"));
        assert_eq!(report.exit_code(), exit_codes::FAILED);
        let text = render::context(&report, Layout::Fit(80));
        assert!(
            text.contains("# no docker context swarm was created: "),
            "{text}"
        );
        for line in text.lines() {
            assert!(line.starts_with("# "), "{line}");
            assert!(line.chars().count() <= 80, "{line}");
        }
    }

    #[test]
    fn docker_host_leaves_out_port_22_and_brackets_ipv6() {
        assert_eq!(docker_host("core", "10.0.0.1", 22), "ssh://core@10.0.0.1");
        assert_eq!(
            docker_host("core", "127.0.0.1", 2222),
            "ssh://core@127.0.0.1:2222"
        );
        assert_eq!(docker_host("root", "fd00::1", 22), "ssh://root@[fd00::1]");
    }
}
