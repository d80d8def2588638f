//! `context`: shell lines, so that `eval "$(swarmadm context)"` works, with
//! what the docker CLI's ssh needs as comments.

use crate::check::context::ContextReport;

use super::{Layout, wrap};

/// Where the docker CLI's ssh cannot reach the leader.
const TUNNEL_HINT: &str = "instead, `swarmadm tunnel` with the same -i and -F serves the leader's \
    Docker socket here through swarmadm's own SSH connection and prints its DOCKER_HOST";

/// Shell lines: `export DOCKER_HOST=…`, and as comments the leader, what
/// ssh:// needs on the node, the check's verdict and any error.
pub(crate) fn context(report: &ContextReport, layout: Layout) -> String {
    let width = layout.width();
    let mut out = String::new();
    let comment = |text: &str| wrap(&format!("# {text}"), width, 2).replace("\n  ", "\n# ");
    if let (Some(leader), Some(id)) = (&report.leader, &report.leader_node_id) {
        out.push_str(&comment(&format!(
            "Raft leader: {leader} ({id}) of swarm {}",
            report.cluster_id.as_deref().unwrap_or("?")
        )));
    }
    out.push_str(&comment(report.note));
    // The hand-off compares ProxyJump hops itself, when it ran.
    if report.proxy_jump && report.handoff.is_none() {
        out.push_str(&comment(
            "this node is reached through ProxyJump: give your ssh config the same ProxyJump for it",
        ));
    }
    if let Some(host) = &report.docker_host {
        out.push_str(&format!("export DOCKER_HOST={host}\n"));
    }
    // Offered once, after the reasons and the check's verdict.
    let mut offer_tunnel = false;
    if let (Some(handoff), Some(leader)) = (&report.handoff, &report.leader)
        && !handoff.works()
    {
        out.push_str(&comment(&format!(
            "no DOCKER_HOST: the docker CLI's ssh would not reach {leader} as swarmadm does \
             (`ssh {}`):",
            handoff.destination.name
        )));
        for missing in &handoff.missing {
            // Continuation lines of a point line up under its text.
            let point = wrap(&format!("# - {missing}"), width, 4);
            out.push_str(&point.replace("\n    ", "\n#   "));
        }
        if let Some(name) = &report.not_created {
            out.push_str(&comment(&format!(
                "no docker context {name} was created: the docker CLI would not reach the \
                 leader through it"
            )));
        }
        offer_tunnel = true;
    }
    if let Some(probe) = &report.probe {
        let verdict = if probe.passed() { "passed" } else { "failed" };
        out.push_str(&comment(&format!(
            "check {verdict}: `{}`: {}",
            probe.command, probe.outcome
        )));
        offer_tunnel |= !probe.passed();
    }
    if offer_tunnel {
        out.push_str(&comment(TUNNEL_HINT));
    }
    if let Some(name) = &report.context {
        out.push_str(&comment(&format!(
            "created docker context {name}: `docker context use {name}` or `docker --context {name} node ls`"
        )));
    }
    if let Some(error) = &report.error {
        out.push_str(&comment(&format!("error: {error}")));
    }
    out
}
