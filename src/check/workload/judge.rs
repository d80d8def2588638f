//! The likely cause of each failing probe: the MTU, a node cut off, gossip
//! a node had not caught up with, the names (DNS, VIP), or the path.
//! Pure: judged from all the probes at once.

use std::collections::BTreeMap;

use super::{Cause, Probe, ProbeKind};

/// How many of a node's peers must have passed a ping of their own for the
/// node whose every ping fails to be named cut off: with the linear plan a
/// node has only four pings (two each way), and where everything fails no
/// one node is to blame.
pub(super) const CUT_PROVEN_PEERS: usize = 2;

/// Gives each failing probe its likely cause: a ping whose full-size
/// packet alone was lost is the MTU; a node whose every ping, to
/// and from it, fails is cut off (with three or more tasks, and at least
/// [`CUT_PROVEN_PEERS`] of the peers it pinged or was pinged by passing a
/// ping of their own, so that the others prove themselves); names that fail where pings pass point to DNS
/// or the VIP; anything else is the path. Before all but the MTU: a probe
/// between two tasks one of whose nodes had not learned of the other's
/// task (`unlearned`: node → the nodes whose task it lacks) is gossip, and
/// so is a name that fails on a node that lacked any.
pub(crate) fn judge_probes(mut probes: Vec<Probe>, mtu: u32, unlearned: &Unlearned) -> Vec<Probe> {
    let pings: Vec<&Probe> = probes
        .iter()
        .filter(|p| p.kind == ProbeKind::Ping)
        .collect();
    let mut nodes: Vec<&str> = pings
        .iter()
        .flat_map(|p| [p.from.as_str(), p.to.as_str()])
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    // A node that passed a ping proves its own end of the overlay.
    let proven = |node: &str| {
        pings
            .iter()
            .any(|p| p.ok && (p.from == node || p.to == node))
    };
    let cut: Vec<String> = if nodes.len() >= 3 {
        nodes
            .iter()
            .filter(|n| {
                let own: Vec<&&Probe> = pings
                    .iter()
                    .filter(|p| p.from == **n || p.to == **n)
                    .collect();
                let mut peers: Vec<&str> = own
                    .iter()
                    .map(|p| {
                        if p.from == **n {
                            p.to.as_str()
                        } else {
                            p.from.as_str()
                        }
                    })
                    .collect();
                peers.sort_unstable();
                peers.dedup();
                own.iter()
                    .all(|p| !p.ok && p.failure.is_none() && !p.big_lost)
                    && peers.iter().filter(|peer| proven(peer)).count() >= CUT_PROVEN_PEERS
            })
            .map(|n| (*n).to_owned())
            .collect()
    } else {
        Vec::new()
    };
    let pings_from_ok: BTreeMap<String, bool> = nodes
        .iter()
        .map(|n| {
            let own = pings.iter().filter(|p| p.from == *n);
            ((*n).to_owned(), own.clone().all(|p| p.ok))
        })
        .collect();
    for probe in probes.iter_mut().filter(|p| !p.ok) {
        probe.cause = Some(if let Some(message) = &probe.failure {
            Cause::Probe {
                message: message.clone(),
            }
        } else if probe.big_lost {
            Cause::Mtu { mtu }
        } else if let Some(cause) = unlearned_cause(probe, unlearned) {
            cause
        } else if let Some(node) = cut.iter().find(|n| **n == probe.from || **n == probe.to) {
            Cause::NodeCut { node: node.clone() }
        } else if let [node] = cut.as_slice()
            && probe.kind == ProbeKind::TasksDns
        {
            // `tasks.<name>` answers with every task, the cut one's too.
            Cause::NodeCut { node: node.clone() }
        } else if probe.kind != ProbeKind::Ping
            && pings_from_ok.get(&probe.from).copied().unwrap_or(false)
        {
            Cause::Names
        } else {
            Cause::Path
        });
    }
    probes
}

/// What each task's node had not learned by gossip when the probes ran:
/// its name → the names of the nodes whose task it lacked.
pub(crate) type Unlearned = BTreeMap<String, Vec<String>>;

/// Gossip as the cause of a failing probe: a ping needs both ends to know
/// each other's task (the answer comes back the same way); a name needs
/// the asking node to know every task.
pub(super) fn unlearned_cause(probe: &Probe, unlearned: &Unlearned) -> Option<Cause> {
    let lacks = |node: &str| unlearned.get(node).filter(|peers| !peers.is_empty());
    if probe.kind == ProbeKind::Ping {
        let lacking = |node: &str, peer: &str| {
            lacks(node)
                .filter(|peers| peers.iter().any(|p| p == peer))
                .map(|_| Cause::Unlearned {
                    node: node.to_owned(),
                    peers: vec![peer.to_owned()],
                })
        };
        return lacking(&probe.from, &probe.to).or_else(|| lacking(&probe.to, &probe.from));
    }
    lacks(&probe.from).map(|peers| Cause::Unlearned {
        node: probe.from.clone(),
        peers: peers.clone(),
    })
}

/// The failing pings worth sending once more: a ping from A to B whose
/// packets simply went unanswered while B's ping to A answered. B's answer
/// proves the path both ways (VXLAN carries a ping's request one way and
/// its reply the other), so neither 4789/udp nor the MTU explains A's
/// loss: the most likely cause is that one engine had not yet programmed
/// the other's overlay entry when A pinged. A second try tells a slow
/// engine from a broken path; a ping that fails again keeps its cause.
pub(crate) fn second_tries(probes: &[Probe]) -> Vec<usize> {
    let answered = |from: &str, to: &str| {
        probes
            .iter()
            .any(|p| p.kind == ProbeKind::Ping && p.ok && p.from == from && p.to == to)
    };
    probes
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.kind == ProbeKind::Ping
                && !p.ok
                && p.failure.is_none()
                && !p.big_lost
                && answered(&p.to, &p.from)
        })
        .map(|(i, _)| i)
        .collect()
}
