//! An in-memory swarm for unit tests: a [`FakeCluster`] of nodes that
//! answers like Docker engines do (`/info`, node lists, init, join, node
//! updates, port checks) and can be told to misbehave: a node that cannot
//! be reached, a join that is refused, that hangs, or that goes through but
//! answers an error, a manager that never becomes Reachable, closed ports.
//! Everything it is asked to change is written to a log, so tests can
//! assert the order of operations. Time only passes through `tokio::time`,
//! so tests run with paused time.
//!
//! A kill switch stands for SIGKILL: armed with [`FakeCluster::kill_after`],
//! it fires once that many more changes (log entries) were applied. The call
//! that applied the last of them never answers, no later call of any node
//! does either, and [`FakeCluster::killed`] resolves: a test that then drops
//! the command's future has killed the run in the nastiest place, after the
//! engine did something and before the run learnt of it. The run lock it
//! held is left behind with a pid no process has, as after a real kill.
//!
//! Every API call a run makes is counted by endpoint ([`FakeCluster::calls`]).
//! The scale benchmark (`swarmadm-fake-bench`, feature `fake-bench`) also
//! builds a cluster with [`FakeCluster::for_bench`]: the CPU time spent
//! inside the fake is metered so that it can be taken out of the process's
//! own ([`FakeCluster::fake_cpu`]), and node lists and `/info` answers go
//! over the wire as an engine's JSON and through the real parsers, so that
//! the run pays what it pays against real engines.

// The benchmark (feature `fake-bench`) uses only part of the fake.
#![cfg_attr(not(test), allow(dead_code))]

use std::collections::{BTreeMap, VecDeque};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::inventory::{Inventory, Node};
use crate::model::failure::{Failure, Stage};
use crate::model::names::{Availability, NodeName};
use crate::model::secret::Secret;
use crate::model::swarm::{
    EngineInfo, InitRequest, JoinRequest, JoinTokens, LocalState, ManagerStatus, NodeFilter,
    NodeRole, NodeStatus, NodeTask, NodeTrust, NodeUpdate, ObjectCounts, ObjectVersion,
    Reachability, RemoteManager, Rotation, SwarmInspect, SwarmNode, TlsInfo,
};
use crate::remote::engine::{EngineError, ErrorKind, ViewRead};
use crate::remote::host::{Connector, PortCheck, Reached, SwarmHost};

const WORKER_TOKEN: &str = "SWMTKN-1-fake-worker";
const MANAGER_TOKEN: &str = "SWMTKN-1-fake-manager";
/// How long a drained node's tasks take to move elsewhere.
pub(crate) const TASK_MOVE: Duration = Duration::from_secs(3);
/// The request timeout of every fake engine.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(60);
/// The pid a killed run's lock holder is left with: above Linux's largest
/// `pid_max` (2^22), so no process has it.
pub(crate) const DEAD_PID: u32 = 0x3FFF_FFFF;

/// How a join misbehaves (consumed one per join).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The engine refuses the join with this kind; nothing changes.
    Refuse(ErrorKind),
    /// The join goes through, but the answer is an error of this kind (a
    /// timeout on our side, "already part of a swarm" after a retry).
    JoinedButErr(ErrorKind),
    /// No answer within the request timeout; nothing changes.
    Hang,
    /// The join stops half-way, as a cut network or the engine's own
    /// deadline leaves it: the node is in state `error` and the managers
    /// list an entry with no hostname; the answer is a timeout.
    HalfJoin,
    /// The join goes through, but an earlier attempt of it left an entry
    /// with no hostname at the node's address (seen at 3+100 under load).
    LeavesHalfEntry,
    /// The engine's own certificate request was answered too late this
    /// many times before one went through (swarmkit asks anew after 5 s):
    /// the managers list that many entries with no hostname and no
    /// address, as they do on the loaded 3+100 lab; the join goes through.
    CertificateAskedAgain(u8),
    /// The engine gives up waiting on its own join (the answer is its
    /// timeout) and goes on in the background: the node is `pending` for
    /// this long, then a member.
    JoinsInBackground(Duration),
}

/// A node's entry in the swarm's node list.
#[derive(Debug, Clone)]
struct Member {
    id: String,
    role: NodeRole,
    availability: Availability,
    labels: BTreeMap<String, String>,
    version: i64,
    leader: bool,
}

#[derive(Debug, Clone)]
struct FakeNode {
    addr: String,
    state: LocalState,
    /// The swarm this node is in, when it is one we do not model (foreign).
    foreign_cluster: Option<String>,
    member: Option<Member>,
    unreachable: bool,
    /// SSH answers, the engine's socket does not (dockerd stopped).
    engine_down: bool,
    /// Cut off from the other managers (Raft, 2377/tcp) while this machine
    /// still reaches it: the others list it Unreachable and Down, and it
    /// has no leader (see [`FakeCluster::partition`]).
    cut_off: bool,
    /// A cut-off old leader that still calls itself leader: the node list
    /// it answers, as it was when it was cut off.
    stale_list: Option<Vec<SwarmNode>>,
    /// The NodeID the node still reports although the swarm no longer has
    /// its entry in the Raft membership: a manager left behind by a
    /// recovery (`swarm init --force-new-cluster` on another manager).
    stale_id: Option<String>,
    hangs: bool,
    never_reachable: bool,
    /// Every port check from this node fails.
    ports_closed: bool,
    /// The answers of port checks from this node, by target: `HOST:PORT`,
    /// or `*:PORT` for that port on any host (the others are open).
    port_answers: BTreeMap<String, PortCheck>,
    node_list_fails: bool,
    /// The next this many node lists answer the engine's own deadline.
    lists_time_out: u32,
    /// Node lists that still show this member without its description
    /// (no hostname, state unknown), as right after a join.
    unregistered_lists: u32,
    /// Whole node lists (`GET /nodes` without filters) that list this
    /// member Down, after `ready_lists` that list it Ready (see
    /// [`FakeCluster::flaps_down`]).
    down_lists: u32,
    ready_lists: u32,
    faults: VecDeque<Fault>,
    /// Live tasks on the node; they move away [`TASK_MOVE`] after it is
    /// drained, unless `tasks_stuck`.
    tasks: usize,
    drained_at: Option<tokio::time::Instant>,
    tasks_stuck: bool,
    /// A join going on in the background: `pending` until then.
    pending_until: Option<tokio::time::Instant>,
}

impl FakeNode {
    fn inactive(addr: String) -> FakeNode {
        FakeNode {
            addr,
            state: LocalState::Inactive,
            foreign_cluster: None,
            member: None,
            unreachable: false,
            engine_down: false,
            stale_id: None,
            cut_off: false,
            stale_list: None,
            hangs: false,
            never_reachable: false,
            ports_closed: false,
            port_answers: BTreeMap::new(),
            node_list_fails: false,
            lists_time_out: 0,
            unregistered_lists: 0,
            down_lists: 0,
            ready_lists: 0,
            faults: VecDeque::new(),
            tasks: 0,
            drained_at: None,
            tasks_stuck: false,
            pending_until: None,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    nodes: BTreeMap<NodeName, FakeNode>,
    cluster_id: Option<String>,
    log: Vec<String>,
    next_id: u32,
    joins: BTreeMap<NodeName, usize>,
    update_faults: VecDeque<ErrorKind>,
    /// Removals still to answer with the engine's own deadline, after the
    /// entry went (a loaded leader commits late).
    removals_answered_late: u32,
    swarm_version: u64,
    swarm_spec: serde_json::Value,
    /// Entries of nodes that left or half-joined.
    ghosts: Vec<SwarmNode>,
    /// The managers lost quorum: none is leader.
    no_leader: bool,
    /// Every port check, as `NODE -> ADDR`, in order.
    port_checks: Vec<String>,
    /// How often each join token was rotated.
    worker_rotations: u32,
    manager_rotations: u32,
    /// The unlock key while autolock is on.
    unlock_key: Option<String>,
    unlock_rotations: u32,
    /// The swarm's root CA (a counter stands for the certificate).
    ca_generation: u32,
    /// Nodes that never take up a new root CA.
    stale_trust: Vec<NodeName>,
    /// Init requests as sent (spec, network values).
    inits: Vec<InitRequest>,
    /// How many node lists were asked for.
    node_lists: usize,
    /// How many entries the node lists held in all.
    listed_entries: usize,
    /// Managers that take `load × joins in flight` to answer each join.
    join_load: Option<Duration>,
    joins_in_flight: usize,
    /// How many joins were in flight as each join began.
    join_starts: Vec<usize>,
    /// The kill switch fires once the log is this long.
    kill_at: Option<usize>,
    /// The run was killed: no call answers until [`FakeCluster::revive`].
    killed: bool,
    /// The services, secrets and configs the swarm holds (its networks
    /// are `ingress` and one more).
    objects: usize,
    /// API calls answered, by endpoint.
    calls: BTreeMap<&'static str, usize>,
}

/// A node-list entry nobody answers for.
fn ghost(id: &str, hostname: &str, addr: &str, role: NodeRole) -> SwarmNode {
    SwarmNode {
        id: id.to_owned(),
        version: 1,
        name: None,
        hostname: hostname.to_owned(),
        role,
        availability: Availability::Active,
        labels: BTreeMap::new(),
        state: if hostname.is_empty() {
            NodeStatus::Unknown
        } else {
            NodeStatus::Down
        },
        addr: Some(addr.to_owned()),
        manager: None,
        engine_version: None,
    }
}

/// The cluster; cheap to clone, every clone sees the same state.
#[derive(Debug, Clone, Default)]
pub(crate) struct FakeCluster {
    state: Arc<Mutex<State>>,
    /// Woken when the kill switch fires.
    kill: Arc<tokio::sync::Notify>,
    /// For the benchmark: the thread CPU time spent inside the fake, in
    /// nanoseconds; node lists and `/info` answers go over the wire.
    bench: Option<Arc<AtomicU64>>,
}

/// The `n`th node's address (from 1): `10.0.0.n` up to 255, then on into
/// `10.0.1.0` and beyond, so that thousands of nodes each have their own.
fn address(n: usize) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

/// The state, locked; with the benchmark's meter, the thread CPU time it
/// was held is the fake's own work (a guard is never held across an
/// `.await`, so the time is one thread's).
struct Locked<'a> {
    guard: MutexGuard<'a, State>,
    meter: Option<(&'a AtomicU64, Duration)>,
}

impl Deref for Locked<'_> {
    type Target = State;

    fn deref(&self) -> &State {
        &self.guard
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.guard
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if let Some((meter, start)) = self.meter {
            let spent = thread_cpu().saturating_sub(start);
            meter.fetch_add(
                u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
        }
    }
}

/// The CPU time of the calling thread.
fn thread_cpu() -> Duration {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(Duration::from)
        .unwrap_or_default()
}

impl FakeCluster {
    /// Every inventory node, up and not in a swarm.
    pub(crate) fn new(inventory: &Inventory) -> FakeCluster {
        let cluster = FakeCluster::default();
        {
            let mut state = cluster.lock();
            for (i, node) in inventory.nodes.iter().enumerate() {
                state
                    .nodes
                    .insert(node.name.clone(), FakeNode::inactive(address(i + 1)));
            }
        }
        cluster
    }

    /// [`FakeCluster::new`] (or, `converged`, [`FakeCluster::converged`])
    /// for the scale benchmark: the fake's own CPU time is metered
    /// ([`FakeCluster::fake_cpu`]), and node lists and `/info` answers are
    /// sent as an engine's JSON and read by the real parsers.
    pub(crate) fn for_bench(inventory: &Inventory, converged: bool) -> FakeCluster {
        let mut cluster = if converged {
            FakeCluster::converged(inventory)
        } else {
            FakeCluster::new(inventory)
        };
        cluster.bench = Some(Arc::default());
        cluster
    }

    /// The thread CPU time spent inside the fake so far (zero unless made
    /// by [`FakeCluster::for_bench`]).
    pub(crate) fn fake_cpu(&self) -> Duration {
        self.bench.as_ref().map_or(Duration::ZERO, |m| {
            Duration::from_nanos(m.load(Ordering::Relaxed))
        })
    }

    /// Runs `f` as the fake's own work (metered like a held lock).
    fn metered<T>(&self, f: impl FnOnce() -> T) -> T {
        let Some(meter) = &self.bench else {
            return f();
        };
        let start = thread_cpu();
        let out = f();
        let spent = thread_cpu().saturating_sub(start);
        meter.fetch_add(
            u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        out
    }

    /// The API calls answered so far, by endpoint (`GET /info`, ...).
    pub(crate) fn calls(&self) -> BTreeMap<&'static str, usize> {
        self.lock().calls.clone()
    }

    /// Adds a node, up and not in a swarm.
    pub(crate) fn add(&self, name: &str) {
        let name = NodeName::new(name).expect("test node name");
        let mut state = self.lock();
        let addr = address(state.nodes.len() + 1);
        state.nodes.insert(name, FakeNode::inactive(addr));
    }

    /// The swarm the inventory describes, as `up` leaves it.
    pub(crate) fn converged(inventory: &Inventory) -> FakeCluster {
        let cluster = FakeCluster::new(inventory);
        {
            let mut state = cluster.lock();
            state.cluster_id = Some("CLUSTER".into());
            for node in &inventory.nodes {
                let id = state.new_id();
                let leader = node.role == crate::model::names::Role::Leader;
                let fake = state.node(&node.name);
                fake.state = LocalState::Active;
                fake.member = Some(Member {
                    id,
                    role: NodeRole::from(node.role),
                    availability: inventory.availability_of(node),
                    labels: node.labels.clone(),
                    version: 1,
                    leader,
                });
            }
        }
        cluster
    }

    fn lock(&self) -> Locked<'_> {
        let meter = self.bench.as_deref().map(|m| (m, thread_cpu()));
        Locked {
            guard: self.state.lock().unwrap_or_else(|e| e.into_inner()),
            meter,
        }
    }

    fn with(&self, name: &str, f: impl FnOnce(&mut FakeNode)) {
        let name = NodeName::new(name).expect("test node name");
        f(self.lock().node(&name));
    }

    /// Arms the kill switch: once `changes` more changes have been applied
    /// (what [`FakeCluster::log`] counts, the run lock's `swarm update`
    /// included), the run is killed. With 0 it is killed at its first call.
    pub(crate) fn kill_after(&self, changes: usize) {
        let mut state = self.lock();
        state.kill_at = Some(state.log.len() + changes);
    }

    /// Resolves once the kill switch has fired.
    pub(crate) async fn killed(&self) {
        loop {
            let notified = self.kill.notified();
            tokio::pin!(notified);
            // Registered before the flag is read, so no firing is missed.
            notified.as_mut().enable();
            if self.lock().killed {
                return;
            }
            notified.await;
        }
    }

    /// A new process after the kill: calls are answered again.
    pub(crate) fn revive(&self) {
        let mut state = self.lock();
        state.killed = false;
        state.kill_at = None;
    }

    /// Fires the kill switch when it is due; whether the run is dead.
    fn dead(&self) -> bool {
        let mut state = self.lock();
        if state.killed {
            return true;
        }
        if state.kill_at.is_none_or(|at| state.log.len() < at) {
            return false;
        }
        state.killed = true;
        state.kill_at = None;
        state.bury_lock();
        drop(state);
        self.kill.notify_waiters();
        true
    }

    /// Never returns once the run is dead.
    async fn stop_if_dead(&self) {
        if self.dead() {
            std::future::pending::<()>().await;
        }
    }

    pub(crate) fn connector(&self) -> FakeConnector {
        FakeConnector {
            cluster: self.clone(),
            opened: AtomicUsize::new(0),
            prefetched: AtomicUsize::new(0),
        }
    }

    /// Joins take `load` times the number of joins in flight to answer,
    /// as managers that one more join at once slows down.
    pub(crate) fn join_load(&self, load: Duration) {
        self.lock().join_load = Some(load);
    }

    /// How many joins were in flight as each join began, in order.
    pub(crate) fn join_starts(&self) -> Vec<usize> {
        self.lock().join_starts.clone()
    }

    /// How many node lists were asked for, from any node.
    pub(crate) fn node_lists(&self) -> usize {
        self.lock().node_lists
    }

    /// How many entries all node lists asked for held in all.
    pub(crate) fn listed_entries(&self) -> usize {
        self.lock().listed_entries
    }

    /// What the cluster was asked to change, in order.
    pub(crate) fn log(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    /// [`FakeCluster::log`] without the run lock's swarm spec updates.
    pub(crate) fn changes(&self) -> Vec<String> {
        self.log()
            .into_iter()
            .filter(|l| l != "swarm update")
            .collect()
    }

    /// How many joins `name` was sent.
    pub(crate) fn joins(&self, name: &str) -> usize {
        let name = NodeName::new(name).expect("test node name");
        self.lock().joins.get(&name).copied().unwrap_or(0)
    }

    pub(crate) fn state_of(&self, name: &str) -> LocalState {
        let mut state = LocalState::Inactive;
        self.with(name, |n| state = n.state);
        state
    }

    /// Role, availability and labels in the node list.
    /// The node list as the leader would answer it, without counting it.
    pub(crate) fn listed_nodes(&self) -> Vec<SwarmNode> {
        self.lock().swarm_nodes()
    }

    /// The NodeID of `name` while it is a member.
    pub(crate) fn node_id(&self, name: &str) -> Option<String> {
        let mut out = None;
        self.with(name, |n| out = n.member.as_ref().map(|m| m.id.clone()));
        out
    }

    /// `name`'s engine, reached as a run reaches it.
    pub(crate) fn host(&self, name: &str) -> KillableHost {
        KillableHost(FakeHost {
            name: NodeName::new(name).expect("a node name"),
            cluster: self.clone(),
        })
    }

    pub(crate) fn member(
        &self,
        name: &str,
    ) -> Option<(NodeRole, Availability, BTreeMap<String, String>)> {
        let mut out = None;
        self.with(name, |n| {
            out = n
                .member
                .as_ref()
                .map(|m| (m.role, m.availability, m.labels.clone()));
        });
        out
    }

    /// After its join, the next `lists` node lists show `name` without
    /// its description (no hostname, state unknown).
    pub(crate) fn registers_late(&self, name: &str, lists: u32) {
        self.with(name, |n| n.unregistered_lists = lists);
    }

    /// The first `lists` whole node lists that list `name` show it Down,
    /// as a loaded manager does for a node whose heartbeats it missed
    /// right after it was Ready; the waits of a join, which ask for its
    /// entry alone, see it Ready. The end of `up` reads whole lists.
    pub(crate) fn flaps_down(&self, name: &str, lists: u32) {
        self.flaps_down_later(name, 0, lists);
    }

    /// As [`FakeCluster::flaps_down`], after `ready` whole lists that list
    /// `name` Ready.
    pub(crate) fn flaps_down_later(&self, name: &str, ready: u32, lists: u32) {
        self.with(name, |n| {
            n.ready_lists = ready;
            n.down_lists = lists;
        });
    }

    pub(crate) fn unreachable(&self, name: &str) {
        self.with(name, |n| n.unreachable = true);
    }

    /// `name` answers again (after [`FakeCluster::unreachable`]).
    pub(crate) fn reachable_again(&self, name: &str) {
        self.with(name, |n| n.unreachable = false);
    }

    /// `name`'s engine is down while its SSH answers: its socket refuses.
    pub(crate) fn engine_down(&self, name: &str) {
        self.with(name, |n| n.engine_down = true);
    }

    /// `name`, a manager, is cut off from the other managers while this
    /// machine reaches it. When it was the leader, the first other
    /// manager becomes leader; with `stale`, the cut-off node still calls
    /// itself leader and answers the node list it had (as an isolated
    /// Raft leader does for a few seconds).
    pub(crate) fn partition(&self, name: &str, stale: bool) {
        let name = NodeName::new(name).expect("test node name");
        let mut state = self.lock();
        let before = state.swarm_nodes();
        let was_leader = state.node(&name).member.as_ref().is_some_and(|m| m.leader);
        {
            let node = state.node(&name);
            node.cut_off = true;
            if stale && was_leader {
                node.stale_list = Some(before);
            }
            if let Some(member) = node.member.as_mut() {
                member.leader = false;
            }
        }
        if was_leader {
            let next = state
                .nodes
                .iter_mut()
                .filter(|(n, node)| {
                    **n != name
                        && !node.cut_off
                        && node
                            .member
                            .as_ref()
                            .is_some_and(|m| m.role == NodeRole::Manager)
                })
                .find_map(|(_, node)| node.member.as_mut());
            if let Some(next) = next {
                next.leader = true;
            }
        }
    }

    pub(crate) fn hangs(&self, name: &str) {
        self.with(name, |n| n.hangs = true);
    }

    pub(crate) fn never_reachable(&self, name: &str) {
        self.with(name, |n| n.never_reachable = true);
    }

    pub(crate) fn ports_closed(&self, name: &str) {
        self.with(name, |n| n.ports_closed = true);
    }

    /// Port checks from `name` to `target` answer `answer`: `HOST:PORT`,
    /// or `*:PORT` for that port on every host.
    pub(crate) fn port_answers(&self, name: &str, target: &str, answer: PortCheck) {
        self.with(name, |n| {
            n.port_answers.insert(target.to_owned(), answer);
        });
    }

    /// Connections from `name` to `port` (on every node) are refused.
    pub(crate) fn port_closed(&self, name: &str, port: u16) {
        let refused = PortCheck::Closed("connection refused".into());
        self.port_answers(name, &format!("*:{port}"), refused);
    }

    /// The addresses `name` was asked to reach, in order.
    pub(crate) fn port_checks(&self, name: &str) -> Vec<String> {
        let prefix = format!("{name} -> ");
        self.lock()
            .port_checks
            .iter()
            .filter_map(|c| c.strip_prefix(&prefix).map(str::to_owned))
            .collect()
    }

    /// The next `lists` node lists `name` is asked for answer with the
    /// engine's own deadline, as a leader starved of CPU does.
    pub(crate) fn lists_time_out(&self, name: &str, lists: u32) {
        self.with(name, |n| n.lists_time_out = lists);
    }

    pub(crate) fn node_list_fails(&self, name: &str) {
        self.with(name, |n| n.node_list_fails = true);
    }

    pub(crate) fn fault(&self, name: &str, fault: Fault) {
        self.with(name, |n| n.faults.push_back(fault));
    }

    pub(crate) fn update_fault(&self, kind: ErrorKind) {
        self.lock().update_faults.push_back(kind);
    }

    /// The next `count` removals of entries with no hostname go through but
    /// are answered with the engine's own deadline.
    pub(crate) fn removals_answered_late(&self, count: u32) {
        self.lock().removals_answered_late = count;
    }

    /// The node runs `n` tasks.
    pub(crate) fn tasks(&self, name: &str, n: usize) {
        self.with(name, |node| node.tasks = n);
    }

    /// The node's tasks never move (no other node can run them).
    pub(crate) fn tasks_stuck(&self, name: &str) {
        self.with(name, |node| node.tasks_stuck = true);
    }

    /// Whether the node is in the swarm's node list.
    pub(crate) fn listed(&self, name: &str) -> bool {
        let mut listed = false;
        self.with(name, |n| listed = n.member.is_some());
        listed
    }

    /// The node initialised a swarm of its own.
    pub(crate) fn foreign(&self, name: &str, cluster_id: &str) {
        let id = self.lock().new_id();
        self.with(name, |n| {
            n.state = LocalState::Active;
            n.foreign_cluster = Some(cluster_id.into());
            n.member = Some(Member {
                id,
                role: NodeRole::Manager,
                availability: Availability::Active,
                labels: BTreeMap::new(),
                version: 1,
                leader: true,
            });
        });
    }

    /// Another run holds the run lock, taken `age` ago.
    pub(crate) fn hold_lock(&self, age: Duration) {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
            .saturating_sub(age.as_secs());
        let holder = crate::model::lock::Holder {
            host: "ci-runner-7".into(),
            pid: 4242,
            since,
            token: "other".into(),
            command: Some("up".into()),
        };
        let mut state = self.lock();
        state.swarm_spec = serde_json::json!({
            "Labels": { crate::model::lock::LOCK_LABEL: serde_json::to_string(&holder).unwrap_or_default() }
        });
        state.swarm_version += 1;
    }

    /// The run lock's holder, if any.
    pub(crate) fn lock_holder(&self) -> Option<crate::model::lock::Holder> {
        crate::model::lock::holder(&self.lock().swarm_spec)
    }

    /// A join of `name` stopped half-way in an earlier run: state `error`
    /// and an entry with no hostname.
    pub(crate) fn half_joined(&self, name: &str) {
        let name = NodeName::new(name).expect("test node name");
        let mut state = self.lock();
        let id = state.new_id();
        let addr = state.node(&name).addr.clone();
        state.ghosts.push(ghost(&id, "", &addr, NodeRole::Worker));
        state.node(&name).state = LocalState::Error;
    }

    /// An earlier join of `name` stopped half-way and left an entry with no
    /// hostname at its address; the node itself is as it is (a member
    /// under another NodeID, say).
    pub(crate) fn half_entry(&self, name: &str) {
        let name = NodeName::new(name).expect("test node name");
        let mut state = self.lock();
        let id = state.new_id();
        let addr = state.node(&name).addr.clone();
        state.ghosts.push(ghost(&id, "", &addr, NodeRole::Worker));
    }

    /// An entry with no hostname at an address no inventory node has: a
    /// join of another machine under way.
    pub(crate) fn foreign_half_entry(&self, addr: &str) {
        let mut state = self.lock();
        let id = state.new_id();
        state.ghosts.push(ghost(&id, "", addr, NodeRole::Worker));
    }

    /// Entries of the node list with no hostname or in state Down.
    pub(crate) fn stale_entries(&self) -> usize {
        self.lock().ghosts.len()
    }

    /// The node's engine restarted with autolock on: it is `locked`.
    pub(crate) fn locked(&self, name: &str) {
        self.with(name, |n| n.state = LocalState::Locked);
    }

    /// The managers lost quorum: no leader, manager calls answer 503.
    pub(crate) fn lose_quorum(&self) {
        let mut state = self.lock();
        state.no_leader = true;
        for node in state.nodes.values_mut() {
            if let Some(m) = node.member.as_mut() {
                m.leader = false;
            }
        }
    }

    /// `docker swarm init --force-new-cluster` on `node`, by hand (drained,
    /// the swarm's own spec kept), as an operator does after a quorum lost:
    /// the other managers' entries stay, with their role and no Raft
    /// membership.
    pub(crate) async fn force_new_cluster_by_hand(&self, node: &Node) {
        let reached = self
            .connector()
            .connect(node, false)
            .await
            .unwrap_or_else(|e| panic!("{} answers: {e}", node.name));
        let request = InitRequest {
            listen_addr: "0.0.0.0:2377".into(),
            advertise_addr: None,
            availability: Availability::Drain,
            default_addr_pool: Vec::new(),
            subnet_size: None,
            data_path_port: None,
            spec: serde_json::json!({}),
            auto_lock_managers: false,
            force_new_cluster: true,
        };
        reached.host.init(&request).await.expect("forced by hand");
    }

    /// The node is wiped and reinstalled: not in any swarm; its old entry
    /// stays in the node list as Down.
    pub(crate) fn reinstall(&self, name: &str) {
        let name = NodeName::new(name).expect("test node name");
        let mut state = self.lock();
        let node = state.node(&name);
        node.state = LocalState::Inactive;
        let addr = node.addr.clone();
        if let Some(member) = node.member.take() {
            state
                .ghosts
                .push(ghost(&member.id, &name.to_string(), &addr, member.role));
        }
    }

    /// The node's dockerd runs again, with the state it had. A manager a
    /// recovery left behind is taken back by the recovered leader when its
    /// entry is still listed (as engine 20.10 does, by its entry's role);
    /// without it, it stays `pending`.
    pub(crate) fn engine_up(&self, name: &str) {
        let name = NodeName::new(name).expect("test node name");
        let mut state = self.lock();
        state.node(&name).engine_down = false;
        let Some(id) = state.node(&name).stale_id.clone() else {
            return;
        };
        let Some(i) = state.ghosts.iter().position(|g| g.id == id) else {
            return;
        };
        let entry = state.ghosts.remove(i);
        let node = state.node(&name);
        node.stale_id = None;
        node.state = LocalState::Active;
        node.member = Some(Member {
            id,
            role: entry.role,
            availability: entry.availability,
            labels: entry.labels,
            version: entry.version + 1,
            leader: false,
        });
    }

    /// The node's swarm state is wiped (`/var/lib/docker/swarm` deleted):
    /// its engine says it is in no swarm; its entry stays in the swarm's
    /// node list, as a manager's does until it is removed.
    pub(crate) fn wipe(&self, name: &str) {
        let name = NodeName::new(name).expect("test node name");
        let mut state = self.lock();
        let node = state.node(&name);
        node.state = LocalState::Inactive;
        node.stale_id = None;
        let addr = node.addr.clone();
        if let Some(member) = node.member.take() {
            let mut entry = ghost(&member.id, &name.to_string(), &addr, member.role);
            entry.availability = member.availability;
            state.ghosts.push(entry);
        }
    }

    /// The node reports the NodeID it had before it was left behind.
    pub(crate) fn stale_id(&self, name: &str) -> Option<String> {
        let mut id = None;
        self.with(name, |n| id = n.stale_id.clone());
        id
    }

    /// The swarm's objects as a leader lists them.
    fn objects(state: &State) -> ObjectCounts {
        ObjectCounts {
            services: Some(state.objects),
            networks: Some(2),
            secrets: Some(state.objects),
            configs: Some(state.objects),
        }
    }

    /// The swarm holds `n` services, `n` secrets and `n` configs.
    pub(crate) fn objects_held(&self, n: usize) {
        self.lock().objects = n;
    }

    /// Changes a member's entry by hand (drift).
    pub(crate) fn set(&self, name: &str, role: NodeRole, availability: Availability) {
        self.with(name, |n| {
            if let Some(m) = n.member.as_mut() {
                m.role = role;
                m.availability = availability;
                m.version += 1;
            }
        });
    }

    /// The join tokens now (worker, manager), for tests that compare them.
    pub(crate) fn tokens(&self) -> (String, String) {
        let state = self.lock();
        (state.worker_token(), state.manager_token())
    }

    /// The swarm's root CA now (each rotation makes a new one).
    pub(crate) fn trust_root(&self) -> String {
        self.lock().trust_root()
    }

    /// The unlock key now, if autolock is on.
    pub(crate) fn unlock_key(&self) -> Option<String> {
        self.lock().unlock_key.clone()
    }

    /// The swarm spec now.
    pub(crate) fn spec(&self) -> serde_json::Value {
        self.lock().swarm_spec.clone()
    }

    /// Sets the swarm spec by hand (another writer), moving its version.
    pub(crate) fn set_spec(&self, spec: serde_json::Value) {
        let mut state = self.lock();
        state.take_spec(&spec);
        state.swarm_version += 1;
    }

    /// The init requests the cluster was sent.
    pub(crate) fn inits(&self) -> Vec<InitRequest> {
        self.lock().inits.clone()
    }

    /// `name` does not take up a new root CA (until
    /// [`FakeCluster::takes_new_root`]); the swarm's rotation stays in
    /// progress meanwhile, as swarmkit's does.
    pub(crate) fn stale_trust(&self, name: &str) {
        let name = NodeName::new(name).expect("test node name");
        self.lock().stale_trust.push(name);
    }

    /// `name` gets its certificate from the current root after all.
    pub(crate) fn takes_new_root(&self, name: &str) {
        let name = NodeName::new(name).expect("test node name");
        self.lock().stale_trust.retain(|n| *n != name);
    }

    /// Makes `name` the Raft leader (and no one else).
    pub(crate) fn elect(&self, name: &str) {
        let name = NodeName::new(name).expect("test node name");
        let mut state = self.lock();
        for (n, node) in state.nodes.iter_mut() {
            if let Some(m) = node.member.as_mut() {
                m.leader = *n == name;
            }
        }
    }
}

impl State {
    fn node(&mut self, name: &NodeName) -> &mut FakeNode {
        self.nodes
            .get_mut(name)
            .expect("a node of the fake cluster")
    }

    fn worker_token(&self) -> String {
        format!("{WORKER_TOKEN}-{}", self.worker_rotations)
    }

    fn manager_token(&self) -> String {
        format!("{MANAGER_TOKEN}-{}", self.manager_rotations)
    }

    fn trust_root(&self) -> String {
        format!("ROOT-{}", self.ca_generation)
    }

    /// A new spec: autolock on or off, a CA rotation forced.
    fn take_spec(&mut self, spec: &serde_json::Value) {
        let autolock = spec["EncryptionConfig"]["AutoLockManagers"]
            .as_bool()
            .unwrap_or(false);
        if autolock && self.unlock_key.is_none() {
            self.unlock_rotations += 1;
            self.unlock_key = Some(format!("SWMKEY-1-fake{}", self.unlock_rotations));
        } else if !autolock {
            self.unlock_key = None;
        }
        let force = |s: &serde_json::Value| s["CAConfig"]["ForceRotate"].as_u64().unwrap_or(0);
        if force(spec) != force(&self.swarm_spec) {
            self.ca_generation += 1;
        }
        self.swarm_spec = spec.clone();
    }

    /// The run lock of this (killed) process is left with a pid no process
    /// has, as a lock taken by a run that was killed is; the swarm's version
    /// does not move: the engine saw nothing.
    fn bury_lock(&mut self) {
        let Some(mut holder) = crate::model::lock::holder(&self.swarm_spec) else {
            return;
        };
        if holder.pid != std::process::id() {
            return;
        }
        holder.pid = DEAD_PID;
        if let Ok(value) = serde_json::to_string(&holder) {
            self.swarm_spec["Labels"][crate::model::lock::LOCK_LABEL] =
                serde_json::Value::String(value);
        }
    }

    fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("id{:02}", self.next_id)
    }

    fn is_manager(&self, name: &NodeName) -> bool {
        self.nodes.get(name).is_some_and(|n| {
            n.state == LocalState::Active
                && n.foreign_cluster.is_none()
                && n.member
                    .as_ref()
                    .is_some_and(|m| m.role == NodeRole::Manager)
        })
    }

    fn swarm_nodes(&self) -> Vec<SwarmNode> {
        let mut nodes = self.member_nodes();
        nodes.extend(self.ghosts.iter().cloned());
        nodes
    }

    /// The managers in the node list, as a member's `/info` names them
    /// (a left entry has no manager status).
    fn remote_managers(&self) -> Vec<RemoteManager> {
        self.nodes
            .values()
            .filter(|n| n.foreign_cluster.is_none())
            .filter_map(|n| {
                let m = n.member.as_ref().filter(|m| m.role == NodeRole::Manager)?;
                Some(RemoteManager {
                    node_id: m.id.clone(),
                    addr: format!("{}:2377", n.addr),
                })
            })
            .collect()
    }

    fn member_nodes(&self) -> Vec<SwarmNode> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.foreign_cluster.is_none())
            .filter_map(|(name, n)| {
                let m = n.member.as_ref()?;
                Some(SwarmNode {
                    id: m.id.clone(),
                    version: m.version,
                    name: None,
                    hostname: if n.unregistered_lists > 0 {
                        String::new()
                    } else {
                        name.to_string()
                    },
                    role: m.role,
                    availability: m.availability,
                    labels: m.labels.clone(),
                    state: if n.unreachable || n.engine_down || n.cut_off {
                        NodeStatus::Down
                    } else if n.unregistered_lists > 0 {
                        NodeStatus::Unknown
                    } else {
                        NodeStatus::Ready
                    },
                    addr: Some(n.addr.clone()),
                    manager: (m.role == NodeRole::Manager).then(|| ManagerStatus {
                        leader: m.leader,
                        reachability: if n.never_reachable
                            || n.unreachable
                            || n.engine_down
                            || n.cut_off
                        {
                            Reachability::Unreachable
                        } else {
                            Reachability::Reachable
                        },
                        addr: format!("{}:2377", n.addr),
                    }),
                    engine_version: Some("20.10.24".into()),
                })
            })
            .collect()
    }
}

fn error(kind: ErrorKind, text: &str) -> EngineError {
    EngineError::new(kind, Stage::Api, text)
}

/// Reaches the fake nodes; counts what it opened.
#[derive(Debug)]
pub(crate) struct FakeConnector {
    cluster: FakeCluster,
    opened: AtomicUsize,
    /// How many nodes were asked for their view while being reached.
    pub(crate) prefetched: AtomicUsize,
}

impl Connector for FakeConnector {
    type Host = KillableHost;

    async fn connect(&self, node: &Node, view: bool) -> Result<Reached<KillableHost>, Failure> {
        let unreachable = self
            .cluster
            .lock()
            .nodes
            .get(&node.name)
            .is_none_or(|n| n.unreachable);
        if unreachable {
            return Err(Failure {
                stage: Stage::Tcp,
                message: format!("cannot connect to {}: Connection refused", node.name),
                timed_out: false,
            });
        }
        let engine_down = self
            .cluster
            .lock()
            .nodes
            .get(&node.name)
            .is_some_and(|n| n.engine_down);
        if engine_down {
            return Err(Failure {
                stage: Stage::Socket,
                message: "/var/run/docker.sock: Connection refused".into(),
                timed_out: false,
            });
        }
        self.opened.fetch_add(1, Ordering::Relaxed);
        let host = KillableHost(FakeHost {
            name: node.name.clone(),
            cluster: self.cluster.clone(),
        });
        let info = host.info().await?;
        let view = if view {
            self.prefetched.fetch_add(1, Ordering::Relaxed);
            let (nodes, swarm) = tokio::join!(host.nodes(), host.swarm());
            Some(ViewRead { nodes, swarm })
        } else {
            None
        };
        Ok(Reached { host, info, view })
    }

    fn connections(&self) -> usize {
        self.opened.load(Ordering::Relaxed)
    }
}

/// One fake node's engine.
#[derive(Debug, Clone)]
pub(crate) struct FakeHost {
    name: NodeName,
    cluster: FakeCluster,
}

impl FakeHost {
    /// Waits out the request timeout when the node hangs.
    async fn hang_check(&self, call: &'static str) -> Result<(), EngineError> {
        // Every call yields, as a network round trip does, so that
        // concurrent runs interleave.
        tokio::task::yield_now().await;
        // A call still on its way when the run is killed is not applied:
        // the kill leaves exactly the changes it counted.
        self.cluster.stop_if_dead().await;
        let hangs = self.cluster.lock().node(&self.name).hangs;
        if hangs {
            tokio::time::sleep(TIMEOUT).await;
            return Err(EngineError::timeout(call, TIMEOUT));
        }
        Ok(())
    }

    fn manager_only(&self, state: &State) -> Result<(), EngineError> {
        if state.is_manager(&self.name) {
            Ok(())
        } else {
            Err(error(
                ErrorKind::NotManager,
                "the engine answered 503: This node is not a swarm manager.",
            ))
        }
    }
}

impl FakeHost {
    /// `swarm init --force-new-cluster`, as engine 20.10 answers it: a
    /// locked manager is refused; the manager becomes the only member of
    /// the Raft membership and the leader; every other manager's entry
    /// keeps its role but has no manager status; those managers' engines
    /// keep their old state.
    fn force_new_cluster(
        &self,
        state: &mut State,
        request: &InitRequest,
    ) -> Result<String, EngineError> {
        let node = state.node(&self.name);
        if node.state == LocalState::Locked || node.member.is_none() {
            return Err(error(
                ErrorKind::NotManager,
                "POST /swarm/init: the engine answered 503: This node is not a swarm manager.",
            ));
        }
        let survivor = self.name.clone();
        let mut entries = Vec::new();
        for (name, node) in state.nodes.iter_mut() {
            let Some(member) = node.member.as_mut() else {
                continue;
            };
            if *name == survivor {
                member.leader = true;
                continue;
            }
            member.leader = false;
            if member.role == NodeRole::Worker {
                continue;
            }
            let Some(member) = node.member.take() else {
                continue;
            };
            node.stale_id = Some(member.id.clone());
            if node.state == LocalState::Active {
                node.state = LocalState::Pending;
            }
            let mut entry = ghost(&member.id, &name.to_string(), &node.addr, member.role);
            entry.availability = member.availability;
            entry.state = NodeStatus::Unknown;
            entries.push(entry);
        }
        state.ghosts.extend(entries);
        state.no_leader = false;
        state.log.push(format!("force-new-cluster {}", self.name));
        state.inits.push(request.clone());
        let id = state
            .node(&self.name)
            .member
            .as_ref()
            .map(|m| m.id.clone())
            .unwrap_or_default();
        Ok(id)
    }
}

impl FakeHost {
    /// The whole node list as the node answers it (`GET /nodes`), with its
    /// faults; each read counts as one node list.
    async fn node_list(&self) -> Result<Vec<SwarmNode>, EngineError> {
        self.hang_check("GET /nodes").await?;
        let mut state = self.cluster.lock();
        state.node_lists += 1;
        self.manager_only(&state)?;
        if state.no_leader {
            return Err(error(
                ErrorKind::NoLeader,
                "GET /nodes: the engine answered 503: The swarm does not have a leader.",
            ));
        }
        if let Some(stale) = &state.node(&self.name).stale_list {
            return Ok(stale.clone());
        }
        if state.node(&self.name).cut_off {
            return Err(error(
                ErrorKind::NoLeader,
                "GET /nodes: the engine answered 503: The swarm does not have a leader.",
            ));
        }
        if state.node(&self.name).lists_time_out > 0 {
            state.node(&self.name).lists_time_out -= 1;
            return Err(error(
                ErrorKind::Timeout,
                "GET /nodes: the engine answered 500: rpc error: code = DeadlineExceeded \
                 desc = context deadline exceeded",
            ));
        }
        if state.node(&self.name).node_list_fails {
            return Err(error(
                ErrorKind::Transient,
                "GET /nodes: the engine answered 500",
            ));
        }
        let nodes = state.swarm_nodes();
        for node in state.nodes.values_mut().filter(|n| n.member.is_some()) {
            node.unregistered_lists = node.unregistered_lists.saturating_sub(1);
        }
        Ok(nodes)
    }
}

impl SwarmHost for FakeHost {
    async fn info(&self) -> Result<EngineInfo, EngineError> {
        self.hang_check("GET /info").await?;
        let mut state = self.cluster.lock();
        let is_manager = state.is_manager(&self.name);
        let cluster_id = state.cluster_id.clone();
        let no_leader = state.no_leader;
        let remote_managers = state.remote_managers();
        let node = state.node(&self.name);
        if node
            .pending_until
            .is_some_and(|at| tokio::time::Instant::now() >= at)
        {
            node.pending_until = None;
            node.state = LocalState::Active;
        }
        let left_behind = node.stale_id.is_some() && node.member.is_none();
        let leaderless = no_leader || (node.cut_off && node.stale_list.is_none());
        Ok(EngineInfo {
            hostname: self.name.to_string(),
            engine_version: "20.10.24".into(),
            api_version: "1.41".into(),
            state: node.state,
            node_id: node
                .member
                .as_ref()
                .map(|m| m.id.clone())
                .or_else(|| node.stale_id.clone()),
            node_addr: Some(node.addr.clone()),
            cluster_id: if node.foreign_cluster.is_some() {
                node.foreign_cluster.clone()
            } else if is_manager && !leaderless {
                cluster_id
            } else {
                None
            },
            is_manager: is_manager || node.foreign_cluster.is_some() || left_behind,
            remote_managers: if matches!(node.state, LocalState::Active | LocalState::Pending) {
                remote_managers
            } else {
                Vec::new()
            },
            error: if node.state == LocalState::Error {
                Some("context deadline exceeded".to_owned())
            } else if (no_leader && is_manager) || left_behind {
                Some("The swarm does not have a leader.".to_owned())
            } else {
                None
            },
        })
    }

    async fn nodes(&self) -> Result<Vec<SwarmNode>, EngineError> {
        let mut nodes = self.node_list().await?;
        let mut state = self.cluster.lock();
        for node in state.nodes.values_mut().filter(|n| n.down_lists > 0) {
            let id = node.member.as_ref().map(|m| m.id.as_str());
            if let Some(entry) = nodes.iter_mut().find(|e| Some(e.id.as_str()) == id) {
                if node.ready_lists > 0 {
                    node.ready_lists -= 1;
                } else {
                    entry.state = NodeStatus::Down;
                    node.down_lists -= 1;
                }
            }
        }
        state.listed_entries += nodes.len();
        Ok(nodes)
    }

    async fn nodes_where(&self, filter: &NodeFilter) -> Result<Vec<SwarmNode>, EngineError> {
        let mut nodes = self.node_list().await?;
        // The engine filters its list: the entries it leaves out are its
        // own work, not the run's (the benchmark meters it as the fake's).
        self.cluster.metered(|| nodes.retain(|n| filter.matches(n)));
        self.cluster.lock().listed_entries += nodes.len();
        Ok(nodes)
    }

    async fn swarm(&self) -> Result<SwarmInspect, EngineError> {
        self.hang_check("GET /swarm").await?;
        let mut state = self.cluster.lock();
        self.manager_only(&state)?;
        let node = state.node(&self.name);
        if node.cut_off && node.stale_list.is_none() {
            return Err(error(
                ErrorKind::NoLeader,
                "GET /swarm: the engine answered 503: The swarm does not have a leader.",
            ));
        }
        Ok(SwarmInspect {
            tokens: JoinTokens {
                worker: Secret::new(state.worker_token()),
                manager: Secret::new(state.manager_token()),
            },
            version: ObjectVersion {
                index: state.swarm_version,
            },
            spec: state.swarm_spec.clone(),
            default_addr_pool: Some(vec!["10.0.0.0/8".into()]),
            subnet_size: Some(24),
            // As the engine: the port the swarm was made with, else 4789.
            data_path_port: state
                .inits
                .last()
                .and_then(|init| init.data_path_port)
                .map_or(Some(4789), |port| Some(u32::from(port))),
            tls_info: Some(TlsInfo {
                trust_root: state.trust_root(),
            }),
            root_rotation_in_progress: state.ca_generation > 0
                && state
                    .stale_trust
                    .iter()
                    .any(|n| state.nodes.get(n).is_some_and(|n| n.member.is_some())),
        })
    }

    async fn init(&self, request: &InitRequest) -> Result<String, EngineError> {
        self.hang_check("POST /swarm/init").await?;
        let mut state = self.cluster.lock();
        if let Some(Fault::Refuse(kind)) = state.node(&self.name).faults.front().copied() {
            state.node(&self.name).faults.pop_front();
            return Err(error(kind, "POST /swarm/init: refused"));
        }
        if request.force_new_cluster {
            return self.force_new_cluster(&mut state, request);
        }
        if state.node(&self.name).state != LocalState::Inactive {
            return Err(error(
                ErrorKind::AlreadyInSwarm,
                "POST /swarm/init: the engine answered 503: This node is already part of a swarm.",
            ));
        }
        // A swarm that every member left is gone, its node list with it:
        // the new one lists its first node only.
        if state.member_nodes().is_empty() {
            state.ghosts.clear();
        }
        let id = state.new_id();
        state.cluster_id = Some("CLUSTER".into());
        state.log.push(format!("init {}", self.name));
        state.inits.push(request.clone());
        state.take_spec(&request.spec);
        let node = state.node(&self.name);
        node.state = LocalState::Active;
        node.member = Some(Member {
            id: id.clone(),
            role: NodeRole::Manager,
            availability: request.availability,
            labels: BTreeMap::new(),
            version: 1,
            leader: true,
        });
        Ok(id)
    }

    async fn join(&self, request: &JoinRequest) -> Result<(), EngineError> {
        let (fault, load) = {
            let mut state = self.cluster.lock();
            *state.joins.entry(self.name.clone()).or_default() += 1;
            state.joins_in_flight += 1;
            let in_flight = state.joins_in_flight;
            state.join_starts.push(in_flight);
            let load = state
                .join_load
                .map(|l| l * u32::try_from(in_flight).unwrap_or(u32::MAX));
            (state.node(&self.name).faults.pop_front(), load)
        };
        if let Some(load) = load {
            tokio::time::sleep(load).await;
        }
        self.cluster.lock().joins_in_flight -= 1;
        if fault == Some(Fault::Hang) {
            tokio::time::sleep(TIMEOUT).await;
            return Err(EngineError::timeout("POST /swarm/join", TIMEOUT));
        }
        self.hang_check("POST /swarm/join").await?;
        if let Some(Fault::Refuse(kind)) = fault {
            return Err(error(
                kind,
                "POST /swarm/join: the engine answered 500: refused",
            ));
        }
        if fault == Some(Fault::HalfJoin) {
            let mut state = self.cluster.lock();
            let id = state.new_id();
            let addr = state.node(&self.name).addr.clone();
            state.ghosts.push(ghost(&id, "", &addr, NodeRole::Worker));
            state.log.push(format!("half-join {}", self.name));
            state.node(&self.name).state = LocalState::Error;
            return Err(error(
                ErrorKind::Timeout,
                "POST /swarm/join: the engine answered 500: context deadline exceeded",
            ));
        }
        let mut state = self.cluster.lock();
        let token = request.token.expose();
        let role = match () {
            () if token == state.worker_token() => NodeRole::Worker,
            () if token == state.manager_token() => NodeRole::Manager,
            () => {
                return Err(error(
                    ErrorKind::InvalidToken,
                    "POST /swarm/join: invalid join token",
                ));
            }
        };
        if state.node(&self.name).state != LocalState::Inactive {
            return Err(error(
                ErrorKind::AlreadyInSwarm,
                "POST /swarm/join: the engine answered 503: This node is already part of a swarm.",
            ));
        }
        let id = state.new_id();
        state.log.push(format!("join {} {role}", self.name));
        let node = state.node(&self.name);
        node.state = LocalState::Active;
        node.member = Some(Member {
            id,
            role,
            availability: request.availability,
            labels: BTreeMap::new(),
            version: 1,
            leader: false,
        });
        if fault == Some(Fault::LeavesHalfEntry) {
            let id = state.new_id();
            let addr = state.node(&self.name).addr.clone();
            state.ghosts.push(ghost(&id, "", &addr, NodeRole::Worker));
        }
        if let Some(Fault::CertificateAskedAgain(times)) = fault {
            for _ in 0..times {
                let id = state.new_id();
                state.ghosts.push(SwarmNode {
                    addr: Some(String::new()),
                    ..ghost(&id, "", "", NodeRole::Worker)
                });
            }
        }
        if let Some(Fault::JoinsInBackground(after)) = fault {
            let node = state.node(&self.name);
            node.state = LocalState::Pending;
            node.pending_until = Some(tokio::time::Instant::now() + after);
            return Err(error(
                ErrorKind::Timeout,
                "POST /swarm/join: the engine answered 503: Timeout was reached before node \
                 joined. The attempt to join the swarm will continue in the background.",
            ));
        }
        match fault {
            Some(Fault::JoinedButErr(kind)) => Err(error(kind, "POST /swarm/join: answered late")),
            _ => Ok(()),
        }
    }

    async fn update_node(&self, node: &SwarmNode, update: &NodeUpdate) -> Result<(), EngineError> {
        self.hang_check("POST /nodes/{id}/update").await?;
        let mut state = self.cluster.lock();
        self.manager_only(&state)?;
        if let Some(kind) = state.update_faults.pop_front() {
            return Err(error(
                kind,
                "POST /nodes/{id}/update: update out of sequence",
            ));
        }
        let raftless = state
            .ghosts
            .iter()
            .any(|g| g.id == node.id && g.role == NodeRole::Manager);
        if raftless {
            return Err(error(
                ErrorKind::NotInRaft,
                "POST /nodes/{id}/update: the engine answered 404: rpc error: code = NotFound \
                 desc = can't find manager in raft memberlist",
            ));
        }
        let Some((name, target)) = state
            .nodes
            .iter_mut()
            .find(|(_, n)| n.member.as_ref().is_some_and(|m| m.id == node.id))
        else {
            return Err(error(ErrorKind::Rejected, "node not found"));
        };
        let name = name.clone();
        let Some(member) = target.member.as_mut() else {
            return Err(error(ErrorKind::Rejected, "node not found"));
        };
        if member.version != node.version {
            return Err(error(ErrorKind::OutOfSequence, "update out of sequence"));
        }
        let mut entries = Vec::new();
        if member.role != update.role {
            entries.push(match update.role {
                NodeRole::Manager => format!("promote {name}"),
                NodeRole::Worker => format!("demote {name}"),
            });
        }
        if member.availability != update.availability {
            entries.push(format!("availability {name} {}", update.availability));
            if update.availability == Availability::Drain {
                target.drained_at = Some(tokio::time::Instant::now());
            }
        }
        if member.labels != update.labels {
            entries.push(format!("labels {name}"));
        }
        member.role = update.role;
        member.availability = update.availability;
        member.labels = update.labels.clone();
        member.version += 1;
        state.log.extend(entries);
        Ok(())
    }

    async fn update_swarm(
        &self,
        version: u64,
        spec: &serde_json::Value,
    ) -> Result<(), EngineError> {
        self.hang_check("POST /swarm/update").await?;
        let mut state = self.cluster.lock();
        self.manager_only(&state)?;
        if version != state.swarm_version {
            return Err(error(
                ErrorKind::OutOfSequence,
                "POST /swarm/update: update out of sequence",
            ));
        }
        state.swarm_version += 1;
        state.take_spec(spec);
        state.log.push("swarm update".into());
        Ok(())
    }

    async fn update_swarm_rotating(
        &self,
        version: u64,
        spec: &serde_json::Value,
        rotation: Rotation,
    ) -> Result<(), EngineError> {
        self.update_swarm(version, spec).await?;
        let mut state = self.cluster.lock();
        if rotation.worker_token {
            state.worker_rotations += 1;
            state.log.push("rotate worker token".into());
        }
        if rotation.manager_token {
            state.manager_rotations += 1;
            state.log.push("rotate manager token".into());
        }
        if rotation.unlock_key && state.unlock_key.is_some() {
            state.unlock_rotations += 1;
            state.unlock_key = Some(format!("SWMKEY-1-fake{}", state.unlock_rotations));
            state.log.push("rotate unlock key".into());
        }
        Ok(())
    }

    async fn unlock_key(&self) -> Result<Option<Secret>, EngineError> {
        self.hang_check("GET /swarm/unlockkey").await?;
        let state = self.cluster.lock();
        self.manager_only(&state)?;
        Ok(state.unlock_key.clone().map(Secret::new))
    }

    async fn unlock(&self, key: &Secret) -> Result<(), EngineError> {
        self.hang_check("POST /swarm/unlock").await?;
        let mut state = self.cluster.lock();
        if state.node(&self.name).state != LocalState::Locked {
            return Err(error(
                ErrorKind::Rejected,
                "POST /swarm/unlock: the engine answered 503: swarm is not locked",
            ));
        }
        if state.unlock_key.as_deref() != Some(key.expose()) {
            return Err(error(
                ErrorKind::Rejected,
                "POST /swarm/unlock: the engine answered 400: invalid key",
            ));
        }
        state.log.push(format!("unlock {}", self.name));
        state.node(&self.name).state = LocalState::Active;
        Ok(())
    }

    async fn node_trust(&self) -> Result<Vec<NodeTrust>, EngineError> {
        self.hang_check("GET /nodes").await?;
        let state = self.cluster.lock();
        self.manager_only(&state)?;
        let current = state.trust_root();
        Ok(state
            .nodes
            .iter()
            .filter_map(|(name, n)| {
                let m = n.member.as_ref()?;
                let trust_root = if state.stale_trust.contains(name) {
                    "ROOT-0".to_owned()
                } else {
                    current.clone()
                };
                Some(NodeTrust {
                    id: m.id.clone(),
                    hostname: name.to_string(),
                    trust_root,
                })
            })
            .collect())
    }

    async fn leave(&self, force: bool) -> Result<(), EngineError> {
        self.hang_check("POST /swarm/leave").await?;
        let mut state = self.cluster.lock();
        // The engine refuses a manager's leave without force: it would
        // cost the swarm a Raft member without shrinking the membership.
        if !force && state.is_manager(&self.name) {
            return Err(error(
                ErrorKind::Rejected,
                "POST /swarm/leave: You are attempting to leave the swarm on a node that is \
                 participating as a manager.",
            ));
        }
        state.log.push(format!("leave {} force={force}", self.name));
        let node = state.node(&self.name);
        if node.state == LocalState::Inactive {
            return Err(error(
                ErrorKind::NotInSwarm,
                "POST /swarm/leave: This node is not part of a swarm",
            ));
        }
        node.state = LocalState::Inactive;
        node.stale_id = None;
        // Its entry stays in the node list (Down), as the engine leaves it.
        let addr = node.addr.clone();
        if let Some(member) = node.member.take() {
            state.ghosts.push(ghost(
                &member.id,
                &self.name.to_string(),
                &addr,
                member.role,
            ));
        }
        Ok(())
    }

    async fn remove_node(&self, id: &str, force: bool) -> Result<(), EngineError> {
        self.hang_check("DELETE /nodes/{id}").await?;
        let mut state = self.cluster.lock();
        self.manager_only(&state)?;
        if let Some(i) = state.ghosts.iter().position(|g| g.id == id) {
            let ghost = state.ghosts.remove(i);
            state
                .log
                .push(format!("rm {} force={force}", ghost.hostname));
            if ghost.hostname.is_empty() && state.removals_answered_late > 0 {
                state.removals_answered_late -= 1;
                return Err(error(
                    ErrorKind::Timeout,
                    "DELETE /nodes/{id}: the engine answered 500: rpc error: code = \
                     DeadlineExceeded desc = context deadline exceeded",
                ));
            }
            return Ok(());
        }
        let Some(name) = state
            .nodes
            .iter()
            .find(|(_, n)| n.member.as_ref().is_some_and(|m| m.id == id))
            .map(|(name, _)| name.clone())
        else {
            return Err(error(ErrorKind::Rejected, "node not found"));
        };
        let node = state.node(&name);
        let is_manager = node
            .member
            .as_ref()
            .is_some_and(|m| m.role == NodeRole::Manager);
        let live = node.state == LocalState::Active && !node.unreachable;
        // As the engine: a manager must be demoted first, and a node that is
        // not down is only removed with force.
        if is_manager {
            return Err(error(
                ErrorKind::Rejected,
                "DELETE /nodes/{id}: node is a cluster manager and is a member of the raft cluster. \
                 It must be demoted to worker before removal",
            ));
        }
        if live && !force {
            return Err(error(
                ErrorKind::Rejected,
                "DELETE /nodes/{id}: node is not down and can't be removed",
            ));
        }
        state.log.push(format!("rm {name} force={force}"));
        state.node(&name).member = None;
        Ok(())
    }

    async fn node_tasks(&self, node_id: &str) -> Result<Vec<NodeTask>, EngineError> {
        self.hang_check("GET /tasks").await?;
        let state = self.cluster.lock();
        self.manager_only(&state)?;
        let Some(node) = state
            .nodes
            .values()
            .find(|n| n.member.as_ref().is_some_and(|m| m.id == node_id))
        else {
            return Ok(Vec::new());
        };
        let moved = !node.tasks_stuck
            && node
                .drained_at
                .is_some_and(|at| tokio::time::Instant::now() >= at + TASK_MOVE);
        Ok((0..node.tasks)
            .map(|i| NodeTask {
                id: format!("task{i}"),
                service_id: "service".into(),
                node_id: node_id.to_owned(),
                // The fake's tasks are a global service's: draining stops
                // them and nothing takes their place elsewhere.
                slot: None,
                started: !moved,
                desired_running: !moved && node.drained_at.is_none(),
                running: !moved,
            })
            .collect())
    }

    async fn tasks_of_services(
        &self,
        service_ids: &[String],
    ) -> Result<Vec<NodeTask>, EngineError> {
        let ids: Vec<String> = {
            let state = self.cluster.lock();
            self.manager_only(&state)?;
            state
                .nodes
                .values()
                .filter_map(|n| n.member.as_ref().map(|m| m.id.clone()))
                .collect()
        };
        let mut tasks = Vec::new();
        for id in ids {
            tasks.extend(
                self.node_tasks(&id)
                    .await?
                    .into_iter()
                    .filter(|t| service_ids.contains(&t.service_id)),
            );
        }
        Ok(tasks)
    }

    async fn counts(&self) -> Result<ObjectCounts, EngineError> {
        self.hang_check("GET /services").await?;
        let state = self.cluster.lock();
        self.manager_only(&state)?;
        let mut counts = FakeCluster::objects(&state);
        if state.no_leader {
            counts.services = None;
            counts.secrets = None;
            counts.configs = None;
        }
        Ok(counts)
    }

    async fn can_reach(&self, addr: &str) -> PortCheck {
        let mut state = self.cluster.lock();
        state.port_checks.push(format!("{} -> {addr}", self.name));
        let node = state.node(&self.name);
        let any_host = addr.rsplit_once(':').map(|(_, port)| format!("*:{port}"));
        let answer = node
            .port_answers
            .get(addr)
            .or_else(|| node.port_answers.get(&any_host?));
        if node.ports_closed {
            PortCheck::Closed(format!("{addr}: connection refused"))
        } else {
            answer.cloned().unwrap_or(PortCheck::Open)
        }
    }
}

/// One fake node as a run reaches it: every call goes through the
/// cluster's kill switch, before it is sent and after its change was
/// applied (see [`FakeCluster::kill_after`]).
#[derive(Debug, Clone)]
pub(crate) struct KillableHost(FakeHost);

impl KillableHost {
    /// Counts the call (`endpoint`) and answers it through the kill switch.
    async fn answer<T>(&self, endpoint: &'static str, call: impl Future<Output = T>) -> T {
        let cluster = &self.0.cluster;
        *cluster.lock().calls.entry(endpoint).or_default() += 1;
        cluster.stop_if_dead().await;
        let answer = call.await;
        cluster.stop_if_dead().await;
        answer
    }
}

impl SwarmHost for KillableHost {
    async fn info(&self) -> Result<EngineInfo, EngineError> {
        let info = self.answer("GET /info", self.0.info()).await?;
        let cluster = &self.0.cluster;
        if cluster.bench.is_none() {
            return Ok(info);
        }
        let api_version = info.api_version.clone();
        // The fake's answer is made and dropped inside the meter.
        let bytes = cluster.metered(move || wire::info(&info));
        crate::remote::engine::parse_info(&bytes, api_version)
    }

    async fn nodes(&self) -> Result<Vec<SwarmNode>, EngineError> {
        let nodes = self.answer("GET /nodes", self.0.nodes()).await?;
        let cluster = &self.0.cluster;
        if cluster.bench.is_none() {
            return Ok(nodes);
        }
        let bytes = cluster.metered(|| wire::nodes(nodes));
        crate::remote::engine::parse_nodes(&bytes)
    }

    async fn nodes_where(&self, filter: &NodeFilter) -> Result<Vec<SwarmNode>, EngineError> {
        let nodes = self
            .answer("GET /nodes (filtered)", self.0.nodes_where(filter))
            .await?;
        let cluster = &self.0.cluster;
        if cluster.bench.is_none() {
            return Ok(nodes);
        }
        let bytes = cluster.metered(|| wire::nodes(nodes));
        crate::remote::engine::parse_nodes(&bytes)
    }

    async fn swarm(&self) -> Result<SwarmInspect, EngineError> {
        self.answer("GET /swarm", self.0.swarm()).await
    }

    async fn init(&self, request: &InitRequest) -> Result<String, EngineError> {
        self.answer("POST /swarm/init", self.0.init(request)).await
    }

    async fn join(&self, request: &JoinRequest) -> Result<(), EngineError> {
        self.answer("POST /swarm/join", self.0.join(request)).await
    }

    async fn update_node(&self, node: &SwarmNode, update: &NodeUpdate) -> Result<(), EngineError> {
        self.answer("POST /nodes/{id}/update", self.0.update_node(node, update))
            .await
    }

    async fn update_swarm(
        &self,
        version: u64,
        spec: &serde_json::Value,
    ) -> Result<(), EngineError> {
        self.answer("POST /swarm/update", self.0.update_swarm(version, spec))
            .await
    }

    async fn update_swarm_rotating(
        &self,
        version: u64,
        spec: &serde_json::Value,
        rotation: Rotation,
    ) -> Result<(), EngineError> {
        self.answer(
            "POST /swarm/update (rotate)",
            self.0.update_swarm_rotating(version, spec, rotation),
        )
        .await
    }

    async fn unlock_key(&self) -> Result<Option<Secret>, EngineError> {
        self.answer("GET /swarm/unlockkey", self.0.unlock_key())
            .await
    }

    async fn unlock(&self, key: &Secret) -> Result<(), EngineError> {
        self.answer("POST /swarm/unlock", self.0.unlock(key)).await
    }

    async fn node_trust(&self) -> Result<Vec<NodeTrust>, EngineError> {
        self.answer("GET /nodes (trust)", self.0.node_trust()).await
    }

    async fn leave(&self, force: bool) -> Result<(), EngineError> {
        self.answer("POST /swarm/leave", self.0.leave(force)).await
    }

    async fn remove_node(&self, id: &str, force: bool) -> Result<(), EngineError> {
        self.answer("DELETE /nodes/{id}", self.0.remove_node(id, force))
            .await
    }

    async fn node_tasks(&self, node_id: &str) -> Result<Vec<NodeTask>, EngineError> {
        self.answer("GET /tasks", self.0.node_tasks(node_id)).await
    }

    async fn tasks_of_services(
        &self,
        service_ids: &[String],
    ) -> Result<Vec<NodeTask>, EngineError> {
        self.answer(
            "GET /tasks (services)",
            self.0.tasks_of_services(service_ids),
        )
        .await
    }

    async fn counts(&self) -> Result<ObjectCounts, EngineError> {
        self.answer(
            "GET /services, /networks, /secrets, /configs",
            self.0.counts(),
        )
        .await
    }

    async fn can_reach(&self, addr: &str) -> PortCheck {
        self.answer("port check", self.0.can_reach(addr)).await
    }
}

/// What an engine sends: the JSON of a Docker 20.10 engine's `/info` and
/// `/nodes` answers, with the fields swarmadm reads taken from the fake
/// and the rest as a real engine fills them (a node list entry is about
/// 1.8 KB, an `/info` about 2.3 KB), so that the real
/// parsers read what they read from real engines.
mod wire {
    use std::sync::LazyLock;

    use serde_json::{Value, json};

    use crate::model::swarm::{
        EngineInfo, LocalState, NodeRole, NodeStatus, Reachability, SwarmNode,
    };

    /// A root CA certificate in PEM, as long as a swarm's.
    const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBajCCARCgAwIBAgIUAWyUNLbNfmVPNNJgQ0E2mCnb3oswCgYIKoZIzj0EAwIw\nEzERMA8GA1UEAxMIc3dhcm0tY2EwHhcNMjYxMjA2MDAwMDAwWhcNNDYxMjAxMDAw\nMDAwWjATMREwDwYDVQQDEwhzd2FybS1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH\nA0IABFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake\nFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeo0IwQDAOBgNV\nHQ8BAf8EBAMCAQYwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUFakeFakeFake\nFakeFakeFakeFakeFakeMAoGCCqGSM49BAMCA0gAMEUCIQDFakeFakeFakeFakeF\nakeFakeFakeFakeFakeFakeFakeFakeFakeAiBFakeFakeFakeFakeFakeFakeFa\nkeFakeFakeFakeFakeFakeFake\n-----END CERTIFICATE-----\n";

    /// The rest of a 20.10 engine's `/info`, as it answers it.
    static INFO: LazyLock<Value> =
        LazyLock::new(|| serde_json::from_str(INFO_REST).unwrap_or(Value::Null));

    const INFO_REST: &str = r#"{
        "ID": "ABCD:EFGH:IJKL:MNOP:QRST:UVWX:YZ01:2345:6789:ABCD:EFGH:IJKL",
        "Containers": 1, "ContainersRunning": 1, "ContainersPaused": 0, "ContainersStopped": 0,
        "Images": 2, "Driver": "vfs", "DriverStatus": [],
        "Plugins": {
            "Volume": ["local"],
            "Network": ["bridge", "host", "ipvlan", "macvlan", "null", "overlay"],
            "Authorization": null,
            "Log": ["awslogs", "fluentd", "gcplogs", "gelf", "journald", "json-file", "local",
                    "logentries", "splunk", "syslog"]
        },
        "MemoryLimit": true, "SwapLimit": true, "KernelMemory": false, "CpuCfsPeriod": true,
        "CpuCfsQuota": true, "CPUShares": true, "CPUSet": true, "PidsLimit": true,
        "IPv4Forwarding": true, "BridgeNfIptables": false, "BridgeNfIp6tables": false,
        "Debug": false, "NFd": 40, "OomKillDisable": true, "NGoroutines": 120,
        "SystemTime": "2026-12-06T21:00:00.123456789Z",
        "LoggingDriver": "json-file", "CgroupDriver": "cgroupfs", "CgroupVersion": "2",
        "NEventsListener": 0, "KernelVersion": "6.18.44-fc-v1272",
        "OperatingSystem": "Debian GNU/Linux 12 (bookworm)", "OSVersion": "12",
        "OSType": "linux", "Architecture": "x86_64",
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": {
            "AllowNondistributableArtifactsCIDRs": [],
            "AllowNondistributableArtifactsHostnames": [],
            "InsecureRegistryCIDRs": ["127.0.0.0/8"],
            "IndexConfigs": {"docker.io": {"Name": "docker.io", "Mirrors": [], "Secure": true,
                                           "Official": true}},
            "Mirrors": []
        },
        "NCPU": 2, "MemTotal": 25769803776, "GenericResources": null,
        "DockerRootDir": "/var/lib/docker", "HttpProxy": "", "HttpsProxy": "", "NoProxy": "",
        "Name": "", "Labels": [], "ExperimentalBuild": false, "ServerVersion": "",
        "Runtimes": {"io.containerd.runc.v2": {"path": "runc"},
                     "io.containerd.runtime.v1.linux": {"path": "runc"},
                     "runc": {"path": "runc"}},
        "DefaultRuntime": "runc", "Swarm": {}, "LiveRestoreEnabled": false, "Isolation": "",
        "InitBinary": "docker-init",
        "ContainerdCommit": {"ID": "1.6.20~ds1-1+b1", "Expected": "1.6.20~ds1-1+b1"},
        "RuncCommit": {"ID": "1.1.5+ds1-1+deb12u1", "Expected": "1.1.5+ds1-1+deb12u1"},
        "InitCommit": {"ID": "", "Expected": ""},
        "SecurityOptions": ["name=seccomp,profile=default", "name=cgroupns"],
        "Warnings": ["WARNING: No swap limit support"]
    }"#;

    fn plugins() -> Value {
        let plugin = |kind: &str, name: &str| json!({"Type": kind, "Name": name});
        Value::Array(vec![
            plugin("Log", "awslogs"),
            plugin("Log", "fluentd"),
            plugin("Log", "gcplogs"),
            plugin("Log", "gelf"),
            plugin("Log", "journald"),
            plugin("Log", "json-file"),
            plugin("Log", "local"),
            plugin("Log", "logentries"),
            plugin("Log", "splunk"),
            plugin("Log", "syslog"),
            plugin("Network", "bridge"),
            plugin("Network", "host"),
            plugin("Network", "ipvlan"),
            plugin("Network", "macvlan"),
            plugin("Network", "null"),
            plugin("Network", "overlay"),
            plugin("Volume", "local"),
        ])
    }

    /// A `/nodes` answer.
    pub(super) fn nodes(nodes: Vec<SwarmNode>) -> Vec<u8> {
        let entries: Vec<Value> = nodes.into_iter().map(node).collect();
        serde_json::to_vec(&entries).unwrap_or_default()
    }

    fn node(n: SwarmNode) -> Value {
        let role = match n.role {
            NodeRole::Manager => "manager",
            NodeRole::Worker => "worker",
        };
        let state = match n.state {
            NodeStatus::Ready => "ready",
            NodeStatus::Down => "down",
            NodeStatus::Disconnected => "disconnected",
            NodeStatus::Unknown => "unknown",
        };
        let mut entry = json!({
            "ID": n.id,
            "Version": {"Index": n.version},
            "CreatedAt": "2026-12-06T21:00:00.123456789Z",
            "UpdatedAt": "2026-12-06T21:00:05.123456789Z",
            "Spec": {
                "Labels": n.labels,
                "Role": role,
                "Availability": n.availability.to_string(),
            },
            "Description": {
                "Hostname": n.hostname,
                "Platform": {"Architecture": "x86_64", "OS": "linux"},
                "Resources": {"NanoCPUs": 2_000_000_000_u64, "MemoryBytes": 25_769_803_776_u64},
                "Engine": {"EngineVersion": n.engine_version, "Plugins": plugins()},
                "TLSInfo": {
                    "TrustRoot": PEM,
                    "CertIssuerSubject": "MBMxETAPBgNVBAMTCHN3YXJtLWNh",
                    "CertIssuerPublicKey": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake==",
                },
            },
            "Status": {"State": state, "Addr": n.addr},
        });
        if let Some(m) = n.manager {
            let reachability = match m.reachability {
                Reachability::Reachable => "reachable",
                Reachability::Unreachable => "unreachable",
                Reachability::Unknown => "unknown",
            };
            entry["ManagerStatus"] =
                json!({"Leader": m.leader, "Reachability": reachability, "Addr": m.addr});
        }
        entry
    }

    /// A `/info` answer.
    pub(super) fn info(info: &EngineInfo) -> Vec<u8> {
        let state = match info.state {
            LocalState::Inactive => "inactive",
            LocalState::Pending => "pending",
            LocalState::Active => "active",
            LocalState::Error => "error",
            LocalState::Locked => "locked",
        };
        let managers: Vec<Value> = info
            .remote_managers
            .iter()
            .map(|m| json!({"NodeID": m.node_id, "Addr": m.addr}))
            .collect();
        let mut swarm = json!({
            "NodeID": info.node_id.clone().unwrap_or_default(),
            "NodeAddr": info.node_addr.clone().unwrap_or_default(),
            "LocalNodeState": state,
            "ControlAvailable": info.is_manager,
            "Error": info.error.clone().unwrap_or_default(),
            "RemoteManagers": managers,
            "Nodes": 0,
            "Managers": 0,
        });
        if let Some(id) = &info.cluster_id {
            swarm["Cluster"] = json!({
                "ID": id,
                "Version": {"Index": 10},
                "CreatedAt": "2026-12-06T21:00:00.123456789Z",
                "UpdatedAt": "2026-12-06T21:00:05.123456789Z",
                "Spec": {"Name": "default", "Labels": {}},
                "TLSInfo": {"TrustRoot": PEM},
                "RootRotationInProgress": false,
                "DefaultAddrPool": ["10.0.0.0/8"],
                "SubnetSize": 24,
                "DataPathPort": 4789,
            });
        }
        let mut answer = INFO.clone();
        answer["Name"] = json!(info.hostname);
        answer["ServerVersion"] = json!(info.engine_version);
        answer["Swarm"] = swarm;
        serde_json::to_vec(&answer).unwrap_or_default()
    }
}
