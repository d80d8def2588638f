//! Which tasks of the workload ping which: the full mesh (every task every
//! other, N·(N−1) pings) or, above [`FULL_MESH_UP_TO`] tasks, a plan that
//! grows linearly. Pure: it sees the tasks in order (by node name) with
//! their node's subnet, and answers pairs of indices; gathering and judging
//! are elsewhere.
//!
//! The linear plan is a ring: each task pings the next [`RING`] tasks, so
//! that every node probes two others and is probed by two others, and a
//! node cut off fails all four of its pings while each of its neighbours
//! still has passing ones (what [`super::judge_probes`] needs to name it).
//! Then every ordered pair of the nodes' subnets that the ring left out
//! gets one ping, spread over the subnets' nodes, so that a cut between
//! two subnets is seen.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Which pings `verify --workload` plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ProbePlan {
    /// Every task pings every other.
    Full,
    /// Each task pings the next two (a ring), plus one ping for each
    /// ordered pair of subnets the ring left out.
    Linear,
    /// The full mesh up to [`FULL_MESH_UP_TO`] tasks, linear above.
    #[default]
    Auto,
}

/// Up to this many tasks, `auto` pings the full mesh (90 pings at 10).
pub(crate) const FULL_MESH_UP_TO: usize = 10;

/// The linear plan's offsets: task `i` pings tasks `i+1` and `i+2` (in
/// node name order, wrapping around).
const RING: [usize; 2] = [1, 2];

impl ProbePlan {
    /// The plan for `tasks` tasks: `auto` decided.
    pub(crate) fn resolve(self, tasks: usize) -> ProbePlan {
        match self {
            ProbePlan::Auto if tasks > FULL_MESH_UP_TO => ProbePlan::Linear,
            ProbePlan::Auto => ProbePlan::Full,
            plan => plan,
        }
    }
}

/// The subnet a node's address (as the swarm lists it) is taken to be in:
/// its /24 for IPv4, its /64 for IPv6 (the swarm does not list prefix
/// lengths); none for what is not an address.
pub(crate) fn subnet(addr: &str) -> Option<String> {
    match addr.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            Some(format!("{a}.{b}.{c}.0/24"))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
        }
    }
}

/// The pings of `plan` among tasks whose nodes are in `subnets` (one entry
/// per task, in the tasks' order; none when unknown, which counts as one
/// subnet of its own): `(from, to)` indices, sorted, without duplicates.
pub(crate) fn pings(plan: ProbePlan, subnets: &[Option<String>]) -> Vec<(usize, usize)> {
    let n = subnets.len();
    let linear = plan.resolve(n) == ProbePlan::Linear && n > RING.len() + 1;
    if !linear {
        return (0..n)
            .flat_map(|i| (0..n).filter(move |j| *j != i).map(move |j| (i, j)))
            .collect();
    }
    let mut pairs: BTreeSet<(usize, usize)> = (0..n)
        .flat_map(|i| RING.iter().map(move |k| (i, (i + k) % n)))
        .collect();
    let mut groups: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
    for (i, s) in subnets.iter().enumerate() {
        groups.entry(s.as_deref()).or_default().push(i);
    }
    // Each extra ping from the next node of the one subnet to the next of
    // the other, so that no node carries them all.
    let mut turn: BTreeMap<Option<&str>, usize> = BTreeMap::new();
    for (a, from) in &groups {
        for (b, to) in &groups {
            let covered = pairs
                .iter()
                .any(|(i, j)| from.contains(i) && to.contains(j));
            if a == b || covered {
                continue;
            }
            let i = next_of(&mut turn, *a, from);
            let j = next_of(&mut turn, *b, to);
            pairs.insert((i, j));
        }
    }
    pairs.into_iter().collect()
}

/// The next of `nodes` (a subnet's) to carry an extra ping, in turn.
fn next_of<'k>(
    turn: &mut BTreeMap<Option<&'k str>, usize>,
    key: Option<&'k str>,
    nodes: &[usize],
) -> usize {
    let t = turn.entry(key).or_default();
    *t += 1;
    nodes[(*t - 1) % nodes.len()]
}

/// The tasks whose probes can start now, by index: not `started` yet,
/// `running`, and so is every task they ping or are pinged by (so that
/// with the full mesh, none starts before all run).
pub(crate) fn startable(
    pairs: &[(usize, usize)],
    running: &[bool],
    started: &[bool],
) -> Vec<usize> {
    let runs = |i: usize| running.get(i).copied().unwrap_or(false);
    (0..running.len())
        .filter(|i| !started.get(*i).copied().unwrap_or(false) && runs(*i))
        .filter(|i| {
            pairs
                .iter()
                .filter(|(f, t)| f == i || t == i)
                .all(|(f, t)| runs(*f) && runs(*t))
        })
        .collect()
}
