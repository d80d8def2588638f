//! `swarmadm up`: take a snapshot, plan, then execute the plan against the
//! nodes' [`SwarmHost`]s.
//!
//! Order of execution: init (if planned), changes to existing members
//! (promotions before demotions), managers joining one at a time (each
//! waited on until Reachable), then workers joining in parallel, as many at
//! once as the join window allows (`window`: `--parallel` at most, fewer
//! while joins are answered slowly), sharing one node list (`shared`). Join
//! tokens come from a reachable manager of the swarm, preferring the Raft
//! leader; the address joiners use comes from the cluster
//! (`ManagerStatus.Addr`). A join that errs is judged by observation, not
//! by its answer: when the node turns out to be a member of the right
//! swarm, it joined. Nothing here ever makes a node leave a swarm.
//!
//! Every result is per node ([`NodeResult`]); a node that was planned but
//! never worked on is `skipped`, with the reason ([`Skip`]), never
//! `unchanged`.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde::{Serialize, Serializer};
use tokio::time::{Instant, sleep};

use crate::exec::lock::{LockError, RunLock};
use crate::exec::prune::{self, PruneOutcome};
use crate::exec::result::{Blocked, NodeOutcome, NodeResult, Skip};
use crate::exec::step::{Action, FailKind, StepError, update_node};
use crate::exec::unlock::{KeyFile, KeyOptions, UnlockResult};
use crate::inventory::{Availability, Inventory, NodeName};
use crate::model::exit_codes;
use crate::model::swarm::{InitRequest, JoinRequest, LocalState, NodeRole, NodeUpdate, SwarmNode};
use crate::observe::cluster::{self, Stray, StrayKind};
use crate::observe::events::{Events, Step};
use crate::observe::{self, ClusterView, Snapshot};
use crate::plan::settings::{SettingChange, SettingsPlan};
use crate::plan::{self, BlockReason, Membership, NodePlan, Plan, PlanOptions, Refusal, Update};
use crate::remote::engine::ErrorKind;
use crate::remote::host::{Connector, PortCheck, SwarmHost};
use shared::Shared;
use window::JoinWindow;

/// How long a joined or promoted manager may take to become Reachable.
const REACHABLE_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a joined node may take to be listed Ready by the managers.
const READY_TIMEOUT: Duration = Duration::from_secs(120);
/// How long to wait for nodes still `pending` from an earlier run.
const PENDING_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a join is tried while the swarm answers with a transient error.
const JOIN_ATTEMPTS: u32 = 3;
/// How often the node list is read while waiting for a manager.
const POLL: Duration = Duration::from_millis(300);
/// The port the nodes gossip on (membership, overlay routes and service
/// discovery); Docker does not make it configurable.
const GOSSIP_PORT: u16 = 7946;
/// The VXLAN (overlay data) port when the swarm names none.
const DEFAULT_DATA_PATH_PORT: u32 = 4789;

#[derive(Debug, Clone)]
pub(crate) struct UpOptions {
    /// How many nodes are worked on at once.
    pub(crate) parallel: usize,
    pub(crate) dry_run: bool,
    pub(crate) plan: PlanOptions,
    /// Take the run lock even when another run holds it.
    pub(crate) break_lock: bool,
    /// Take the swarm's strays out of it (`up --prune`).
    pub(crate) prune: bool,
    /// The unlock key: where to write it (autolock) and what to unlock
    /// locked managers with.
    pub(crate) keys: KeyOptions,
}

/// Why the run as a whole stopped or did nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RunError {
    Refused(Refusal),
    InitFailed {
        node: NodeName,
        message: String,
    },
    NoManager,
    Lock(LockError),
    /// The unlock key file cannot be used: nothing was changed.
    KeyFile(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Refused(refusal) => refusal.fmt(f),
            RunError::InitFailed { node, message } => write!(f, "{node}: {message}"),
            RunError::NoManager => {
                f.write_str("no manager of the swarm is reachable: nothing can be changed")
            }
            RunError::Lock(e) => e.fmt(f),
            RunError::KeyFile(e) => f.write_str(e),
        }
    }
}

impl RunError {
    /// A short, stable name for JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            RunError::Refused(Refusal::Leadership(problem)) => problem.kind(),
            RunError::Refused(Refusal::ForeignNodes(_)) => "foreign_swarm",
            RunError::InitFailed { .. } => "init_failed",
            RunError::NoManager => "no_manager",
            RunError::Lock(_) => "locked_by_another_run",
            RunError::KeyFile(_) => "unlock_key_file",
        }
    }
}

impl Serialize for RunError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The result of `up`; `--output json` prints it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct UpOutcome {
    pub(crate) dry_run: bool,
    pub(crate) plan: Plan,
    pub(crate) nodes: Vec<NodeOutcome>,
    /// Set when the run stopped early or did nothing at all.
    pub(crate) error: Option<RunError>,
    /// Nodes in the swarm that the inventory does not list, after the run.
    pub(crate) strays: Vec<Stray>,
    /// `--prune`: what happened to each node taken out of the swarm.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) pruned: Vec<PruneOutcome>,
    pub(crate) ssh_connections: usize,
    /// The swarm settings update, when the plan had one.
    pub(crate) settings: Option<SettingsOutcome>,
    /// The unlock key file, when the inventory asks for autolock.
    pub(crate) unlock_key_file: Option<KeyFileOutcome>,
    /// The checks `verify` would fail on the nodes as the run left them
    /// (`NODE: check` or `cluster: check`): `up` is converged only without.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) not_conforming: Vec<String>,
    /// What the run could not prove or do that no node's result says.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) warnings: Vec<RunWarning>,
}

/// Something the operator should know after the run that is no node's
/// result and no reason to fail it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RunWarning {
    /// Nodes joined: from each, the preflight proved a manager's 2377/tcp
    /// and 7946/tcp, but the overlay's UDP ports (gossip, and VXLAN on the
    /// swarm's data path port) cannot be proved over a TCP channel.
    OverlayUnproven { data_path_port: u32 },
}

impl fmt::Display for RunWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunWarning::OverlayUnproven { data_path_port } => write!(
                f,
                "{GOSSIP_PORT}/udp and {data_path_port}/udp (overlay) cannot be proved over TCP; \
                 `swarmadm verify --workload` proves the overlay between every pair of nodes"
            ),
        }
    }
}

impl Serialize for RunWarning {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What became of the planned swarm settings update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum SettingsOutcome {
    Applied { changes: Vec<SettingChange> },
    Planned { changes: Vec<SettingChange> },
    Failed { error: String },
    Skipped { reason: String },
}

impl SettingsOutcome {
    pub(crate) fn is_ok(&self) -> bool {
        matches!(
            self,
            SettingsOutcome::Applied { .. } | SettingsOutcome::Planned { .. }
        )
    }
}

/// What became of the unlock key file (the key itself is never here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum KeyFileOutcome {
    /// The key was written to the file (created 0600).
    Written {
        path: String,
    },
    /// The file already holds the swarm's current key.
    Kept {
        path: String,
    },
    /// `--dry-run`: would be written.
    Planned {
        path: String,
    },
    Failed {
        path: String,
        error: String,
    },
}

impl UpOutcome {
    pub(crate) fn failed_nodes(&self) -> Vec<&NodeName> {
        crate::exec::result::failed_nodes(&self.nodes)
    }

    pub(crate) fn exit_code(&self) -> u8 {
        let prune_failed = self.pruned.iter().any(|p| !p.node.is_ok());
        let settings_failed = self.settings.as_ref().is_some_and(|s| !s.is_ok());
        let key_failed = matches!(self.unlock_key_file, Some(KeyFileOutcome::Failed { .. }));
        if self.error.is_some()
            || !self.failed_nodes().is_empty()
            || settings_failed
            || key_failed
            || prune_failed
            || !self.not_conforming.is_empty()
        {
            exit_codes::FAILED
        } else {
            exit_codes::OK
        }
    }
}

/// What `up` knows before it changes anything: one snapshot (pending joins
/// settled, locked managers unlocked when the run has the key), the plan
/// made from it, and whether the unlock key file refuses the run.
pub(crate) struct Prepared<H> {
    snapshot: Snapshot<H>,
    pub(crate) plan: Plan,
    unlocked: BTreeMap<NodeName, UnlockResult>,
    key_refusal: Option<String>,
}

impl<H> Prepared<H> {
    /// Whether [`execute`] will change the swarm: the plan has changes and
    /// nothing refuses it. The CLI shows the plan first when it will.
    pub(crate) fn will_change(&self, options: &UpOptions) -> bool {
        !options.dry_run
            && self.key_refusal.is_none()
            && self.plan.refused.is_none()
            && self.plan.has_changes()
    }
}

/// The first step of `up`: observe and plan, touching nothing.
pub(crate) async fn prepare<C: Connector>(
    inventory: &Inventory,
    connector: &C,
    options: &UpOptions,
    events: &Events,
) -> Prepared<C::Host> {
    let mut snapshot = observe::snapshot(inventory, connector, events).await;
    snapshot
        .settle_pending(inventory, PENDING_TIMEOUT, events)
        .await;
    let unlocked = unlock_first(&mut snapshot, inventory, options, events).await;
    let mut plan = plan::plan(inventory, &snapshot.facts, options.plan);
    // A manager a recovery left behind joins again instead of being blocked.
    plan::recover::repair_left_behind(&mut plan, inventory, &snapshot.facts);
    if options.prune {
        plan.prune_strays(inventory, &snapshot.facts);
    }
    let key_refusal = if options.dry_run {
        None
    } else {
        check_key_file(inventory, &snapshot, options).await.err()
    };
    for warning in &plan.warnings {
        events.warn(warning.to_string());
    }
    Prepared {
        snapshot,
        plan,
        unlocked,
        key_refusal,
    }
}

/// Observes, plans and (unless `dry_run`) executes, in one call.
#[cfg(test)]
pub(crate) async fn up<C: Connector>(
    inventory: &Inventory,
    connector: &C,
    options: &UpOptions,
    events: &Events,
) -> UpOutcome {
    let prepared = prepare(inventory, connector, options, events).await;
    execute(prepared, inventory, connector, options, events).await
}

/// The second step of `up`: executes the prepared plan (unless it is
/// refused or a dry run) and reports every node.
pub(crate) async fn execute<C: Connector>(
    prepared: Prepared<C::Host>,
    inventory: &Inventory,
    connector: &C,
    options: &UpOptions,
    events: &Events,
) -> UpOutcome {
    let Prepared {
        mut snapshot,
        mut plan,
        unlocked,
        key_refusal,
    } = prepared;
    let mut checked = false;
    let mut node_ids = BTreeMap::new();
    let mut final_view = snapshot.facts.view.clone();
    let before = settle::entry_ids(final_view.as_ref());
    let mut pruned = prune::not_run(&plan.prune, None);
    let mut settings_outcome = None;
    let (results, error) = if let Some(message) = key_refusal {
        let results = plan
            .nodes
            .iter()
            .map(|step| (step.name.clone(), initial_result(&step.plan, false)))
            .collect();
        plan.settings = None;
        (results, Some(RunError::KeyFile(message)))
    } else if let Some(refusal) = &plan.refused {
        let results = plan
            .nodes
            .iter()
            .map(|step| {
                let result = match &step.plan {
                    NodePlan::Blocked(reason) => NodeResult::Blocked(Blocked::Up(reason.clone())),
                    _ => NodeResult::Skipped(Skip::Refused(refusal.clone())),
                };
                (step.name.clone(), result)
            })
            .collect();
        (results, Some(RunError::Refused(refusal.clone())))
    } else if options.dry_run {
        let results = plan
            .nodes
            .iter()
            .map(|step| (step.name.clone(), initial_result(&step.plan, true)))
            .collect();
        (results, None)
    } else {
        for step in plan.nodes.iter().filter(|s| s.plan.is_change()) {
            events.step(&step.name, Step::Queued);
        }
        let mut run = Run::new(inventory, &snapshot, options, events, &plan);
        let error = run.execute(&plan).await.err();
        settings_outcome = run.settings.take();
        node_ids = std::mem::take(&mut run.node_ids);
        pruned = match run.pruned.take() {
            Some(pruned) => pruned,
            None => prune::not_run(&plan.prune, Some(Skip::NothingChanged)),
        };
        let results = run.results;
        // The nodes as `verify` would see them now. With nothing changed,
        // the snapshot is still current: reading it again would cost a
        // round trip far away.
        if plan.has_changes() {
            let changed: Vec<NodeName> = plan
                .nodes
                .iter()
                .filter(|s| s.plan.is_change())
                .map(|s| s.name.clone())
                .collect();
            snapshot.refresh(inventory, &changed).await;
            let swept = sweep_half_entries(inventory, &mut snapshot, &plan, &before, events).await;
            pruned.extend(swept);
            final_view = snapshot.facts.view.clone();
        }
        checked = true;
        (results, error)
    };
    if options.dry_run && plan.refused.is_none() {
        settings_outcome =
            plan.settings
                .as_ref()
                .filter(|s| s.has_changes())
                .map(|s| SettingsOutcome::Planned {
                    changes: s.changes.clone(),
                });
    }
    let unlock_key_file = if error.is_some() {
        None
    } else {
        store_key_file(inventory, &snapshot, options, events).await
    };
    let nodes: Vec<NodeOutcome> = plan
        .nodes
        .iter()
        .map(|step| {
            let result = results
                .get(&step.name)
                .cloned()
                .unwrap_or_else(|| initial_result(&step.plan, options.dry_run));
            NodeOutcome {
                name: step.name.clone(),
                role: step.role,
                node_id: step
                    .plan
                    .node_id()
                    .map(str::to_owned)
                    .or_else(|| node_ids.get(&step.name).cloned())
                    .or_else(|| snapshot.facts.info(&step.name)?.node_id.clone()),
                result: with_unlocked(result, unlocked.get(&step.name)),
            }
        })
        .collect();
    report_events(&nodes, events);
    // Said in the result only: it comes at the very end, so a warning
    // event would print it twice, right above the same words.
    let warnings = run_warnings(&nodes, inventory, &snapshot);
    let strays = final_view
        .as_ref()
        .map(|view| {
            let claimed = cluster::claim(inventory, &snapshot.facts, view, &node_ids);
            cluster::strays(inventory, &snapshot.facts, view, &claimed)
        })
        .unwrap_or_default();
    for stray in &strays {
        events.warn(match stray.kind {
            StrayKind::NotInInventory => format!("in the swarm but not in the inventory: {stray}"),
            StrayKind::Leftover => format!("an old entry is still in the swarm: {stray}"),
            StrayKind::HalfRegistered => {
                format!("a half-registered entry is in the swarm: {stray}")
            }
        });
    }
    // `up` says "converged" only when `verify` would pass on what it sees
    // now: every failing check is named instead.
    let not_conforming = if checked {
        crate::check::verify::evaluate(inventory, &snapshot.facts)
            .deltas()
            .into_iter()
            .map(|(scope, check)| format!("{}: {}", scope.name(), check.name.as_str()))
            .collect()
    } else {
        Vec::new()
    };
    UpOutcome {
        dry_run: options.dry_run,
        plan,
        nodes,
        error,
        strays,
        pruned,
        ssh_connections: connector.connections(),
        settings: settings_outcome,
        unlock_key_file,
        not_conforming,
        warnings,
    }
}

/// Removes the entries with no hostname that this run's own joins left
/// (see `settle::half_entries`: the engine's own certificate requests
/// answered too late, at an inventory node's address or at none), which the
/// plan could not know of; then reads the node list again. Entries the plan
/// already took out, entries that were there `before` the run, and any at an
/// address no inventory node has, are not touched.
async fn sweep_half_entries<H: SwarmHost>(
    inventory: &Inventory,
    snapshot: &mut Snapshot<H>,
    plan: &Plan,
    before: &std::collections::BTreeSet<String>,
    events: &Events,
) -> Vec<PruneOutcome> {
    let steps = {
        let Some(view) = snapshot.facts.view.as_ref() else {
            return Vec::new();
        };
        let targets: Vec<_> = settle::half_entries(inventory, &snapshot.facts, view, before)
            .into_iter()
            .filter(|t| !plan.prune.iter().any(|p| p.node_id == t.entry.id))
            .collect();
        if targets.is_empty() {
            return Vec::new();
        }
        crate::plan::prune::plan(view, targets, &|_| false).0
    };
    let Some((_, source)) = snapshot.source() else {
        return Vec::new();
    };
    for step in &steps {
        events.warn(format!(
            "removing {}: an entry with no hostname that a join of this run left",
            step.node_id
        ));
    }
    let outcome = prune::run(snapshot, source, &steps, events).await;
    snapshot.refresh(inventory, &[]).await;
    outcome
}

/// The run's warnings, from what it did: once something joined, that the
/// overlay's UDP ports were not proved.
fn run_warnings<H>(
    nodes: &[NodeOutcome],
    inventory: &Inventory,
    snapshot: &Snapshot<H>,
) -> Vec<RunWarning> {
    let joined = nodes
        .iter()
        .any(|n| n.result.actions().contains(&Action::Joined));
    if !joined {
        return Vec::new();
    }
    // A swarm that existed keeps its init-time port; one this run made has
    // the inventory's.
    let data_path_port = match &snapshot.facts.swarm {
        Some(swarm) => data_path_port(swarm.data_path_port),
        None => data_path_port(inventory.swarm.data_path_port.map(u32::from)),
    };
    vec![RunWarning::OverlayUnproven { data_path_port }]
}

/// The swarm's VXLAN port (`DataPathPort`, 0 or absent for the default).
fn data_path_port(configured: Option<u32>) -> u32 {
    configured
        .filter(|&p| p != 0)
        .unwrap_or(DEFAULT_DATA_PATH_PORT)
}

/// Unlocks the locked managers first when the run has the key, so that
/// they are planned like every other node; returns how that went.
async fn unlock_first<H: SwarmHost>(
    snapshot: &mut Snapshot<H>,
    inventory: &Inventory,
    options: &UpOptions,
    events: &Events,
) -> BTreeMap<NodeName, UnlockResult> {
    if options.dry_run {
        return BTreeMap::new();
    }
    let key = match options.keys.key() {
        Ok(Some(key)) => key,
        Ok(None) => return BTreeMap::new(),
        Err(e) => {
            events.warn(format!("cannot unlock locked managers: {e}"));
            return BTreeMap::new();
        }
    };
    crate::exec::unlock::unlock_locked(snapshot, inventory, &key, options.parallel, events)
        .await
        .into_iter()
        .collect()
}

/// A node's result with the unlock that came first.
fn with_unlocked(result: NodeResult, unlocked: Option<&UnlockResult>) -> NodeResult {
    match (unlocked, result) {
        (Some(UnlockResult::Unlocked), NodeResult::Unchanged) => {
            NodeResult::Done(vec![Action::Unlocked])
        }
        (Some(UnlockResult::Unlocked), NodeResult::Done(mut actions)) => {
            actions.insert(0, Action::Unlocked);
            NodeResult::Done(actions)
        }
        (
            Some(UnlockResult::Failed { error }),
            NodeResult::Blocked(Blocked::Up(BlockReason::Locked)),
        ) => NodeResult::Failed {
            error: StepError {
                kind: FailKind::Engine(ErrorKind::Locked),
                message: error.clone(),
            },
            done: Vec::new(),
        },
        (_, result) => result,
    }
}

/// Before anything changes: with autolock asked for, the key file must be
/// named, private, and hold nothing or the swarm's current key.
async fn check_key_file<H: SwarmHost>(
    inventory: &Inventory,
    snapshot: &Snapshot<H>,
    options: &UpOptions,
) -> Result<(), String> {
    if inventory.swarm.autolock != Some(true) {
        return Ok(());
    }
    let Some(path) = &options.keys.file else {
        return Err(NO_KEY_FILE.to_owned());
    };
    let on = snapshot
        .facts
        .swarm
        .as_ref()
        .is_some_and(|s| crate::plan::settings::autolock(&s.spec));
    let current = match (on, snapshot.source()) {
        (true, Some((_, source))) => source
            .unlock_key()
            .await
            .map_err(|e| format!("reading the unlock key: {e}"))?,
        _ => None,
    };
    crate::exec::unlock::check(path, current.as_ref())
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Why `up` refuses autolock without a key file.
pub(crate) const NO_KEY_FILE: &str = "the inventory asks for autolock, but no --unlock-key-file PATH was given: \
     the unlock key must be kept somewhere, and swarmadm never prints it; nothing was changed";

/// After the run: with autolock on, the unlock key goes into the key file
/// (once; a file that holds it already is left alone).
async fn store_key_file<H: SwarmHost>(
    inventory: &Inventory,
    snapshot: &Snapshot<H>,
    options: &UpOptions,
    events: &Events,
) -> Option<KeyFileOutcome> {
    if inventory.swarm.autolock != Some(true) {
        return None;
    }
    let path = options.keys.file.as_ref()?;
    let shown = path.display().to_string();
    if options.dry_run {
        return Some(KeyFileOutcome::Planned { path: shown });
    }
    let failed = |error: String| {
        events.warn(format!("unlock key file {shown}: {error}"));
        Some(KeyFileOutcome::Failed {
            path: shown.clone(),
            error,
        })
    };
    // After an init the snapshot has no source: any manager that answers.
    let source = snapshot.source().map(|(_, h)| h).or_else(|| {
        inventory
            .leader()
            .and_then(|leader| snapshot.hosts.get(&leader.name))
    })?;
    let key = match source.unlock_key().await {
        Ok(Some(key)) => key,
        Ok(None) => return failed("the swarm has no unlock key: autolock is not on".into()),
        Err(e) => return failed(format!("reading the unlock key: {e}")),
    };
    let result = crate::exec::unlock::check(path, Some(&key))
        .and_then(|found| crate::exec::unlock::store(path, &key, &found).map(|()| found));
    match result {
        Ok(KeyFile::Current) => Some(KeyFileOutcome::Kept { path: shown }),
        Ok(_) => Some(KeyFileOutcome::Written { path: shown }),
        Err(e) => failed(e.to_string()),
    }
}

fn report_events(nodes: &[NodeOutcome], events: &Events) {
    for node in nodes {
        match &node.result {
            NodeResult::Done(actions) => {
                let words: Vec<String> = actions.iter().map(Action::to_string).collect();
                events.done(&node.name, words.join(", "));
            }
            NodeResult::Unchanged | NodeResult::Planned => {
                events.done(&node.name, node.result.outcome().to_string());
            }
            other => events.failed(
                &node.name,
                other.error().map(|e| e.message).unwrap_or_default(),
            ),
        }
    }
}

/// The result of a node before (or without) execution.
fn initial_result(plan: &NodePlan, dry_run: bool) -> NodeResult {
    match plan {
        NodePlan::Blocked(reason) => NodeResult::Blocked(Blocked::Up(reason.clone())),
        NodePlan::Unchanged { .. } => NodeResult::Unchanged,
        _ if dry_run => NodeResult::Planned,
        _ => NodeResult::Skipped(Skip::NoManager),
    }
}

/// Execution state: the hosts, the swarm as last read, the results so far.
struct Run<'a, H> {
    inventory: &'a Inventory,
    snapshot: &'a Snapshot<H>,
    options: &'a UpOptions,
    events: &'a Events,
    view: Option<ClusterView>,
    /// The manager that answers for the swarm.
    source: Option<NodeName>,
    results: BTreeMap<NodeName, NodeResult>,
    /// NodeIDs learnt while executing (init, joins).
    node_ids: BTreeMap<NodeName, String>,
    /// `--prune`: the nodes taken out, once that part ran.
    pruned: Option<Vec<PruneOutcome>>,
    /// The settings update, when the plan had one.
    settings: Option<SettingsOutcome>,
    /// How many worker joins may run at once (`--parallel` at most).
    window: JoinWindow,
}

/// A joined node's NodeID and what was done to it.
type Joined = Result<(String, Vec<Action>), (StepError, Vec<Action>)>;

impl<'a, H: SwarmHost> Run<'a, H> {
    fn new(
        inventory: &'a Inventory,
        snapshot: &'a Snapshot<H>,
        options: &'a UpOptions,
        events: &'a Events,
        plan: &Plan,
    ) -> Self {
        let results = plan
            .nodes
            .iter()
            .filter(|s| !s.plan.is_change())
            .map(|s| (s.name.clone(), initial_result(&s.plan, false)))
            .collect();
        Run {
            inventory,
            snapshot,
            options,
            events,
            view: snapshot.facts.view.clone(),
            source: snapshot.source().map(|(name, _)| name.clone()),
            results,
            node_ids: BTreeMap::new(),
            pruned: None,
            settings: None,
            window: JoinWindow::new(options.parallel),
        }
    }

    fn host(&self, name: &NodeName) -> Option<&'a H> {
        self.snapshot.hosts.get(name)
    }

    /// Marks every planned node that has no result yet as skipped.
    fn skip_rest(&mut self, plan: &Plan, skip: &Skip) {
        for step in plan.nodes.iter().filter(|s| s.plan.is_change()) {
            self.results
                .entry(step.name.clone())
                .or_insert_with(|| NodeResult::Skipped(skip.clone()));
        }
    }

    async fn execute(&mut self, plan: &Plan) -> Result<(), RunError> {
        let init = plan.nodes.iter().find_map(|s| match &s.plan {
            NodePlan::Init(m) => Some((&s.name, m)),
            _ => None,
        });
        if let Some((name, membership)) = init
            && let Err(error) = self.init(name, membership).await
        {
            self.results.insert(
                name.clone(),
                NodeResult::Failed {
                    error: error.clone(),
                    done: Vec::new(),
                },
            );
            self.skip_rest(plan, &Skip::InitFailed(name.clone()));
            return Err(RunError::InitFailed {
                node: name.clone(),
                message: error.message,
            });
        }
        let Some(source) = self.source.clone().and_then(|n| self.host(&n)) else {
            if !plan.has_changes() {
                return Ok(());
            }
            self.skip_rest(plan, &Skip::NoManager);
            return Err(RunError::NoManager);
        };
        if !plan.has_changes() {
            let seen = self.snapshot.facts.swarm.as_ref().map(|s| &s.spec);
            if let Err(e) = RunLock::clear_dead(source, seen).await {
                self.events
                    .warn(format!("could not clear a dead run's lock: {e}"));
            }
            return Ok(());
        }
        let lock = match RunLock::acquire(source, "up", self.options.break_lock).await {
            Ok(lock) => lock,
            Err(e) => {
                self.skip_rest(plan, &Skip::Locked);
                if plan.changes_settings() {
                    self.settings = Some(SettingsOutcome::Skipped {
                        reason: Skip::Locked.to_string(),
                    });
                }
                return Err(RunError::Lock(e));
            }
        };
        self.change(source, plan).await;
        if let Some(settings) = plan.settings.as_ref().filter(|s| s.has_changes()) {
            let name = self.source.clone();
            if let Some(name) = &name {
                self.events.step(name, Step::UpdatingSettings);
            }
            let before = self.snapshot.facts.swarm.as_ref().map(|s| &s.spec);
            self.settings = Some(update_settings(source, self.inventory, settings, before).await);
        }
        if let Err(e) = lock.release(source).await {
            self.events
                .warn(format!("could not release the run lock: {e}"));
        }
        Ok(())
    }

    /// Member updates, then manager joins, then worker joins and repairs.
    async fn change(&mut self, source: &'a H, plan: &Plan) {
        // Existing members: promotions first, demotions last.
        let mut members: Vec<&crate::plan::NodeStep> = plan
            .nodes
            .iter()
            .filter(|s| matches!(s.plan, NodePlan::Update { .. }))
            .collect();
        members.sort_by_key(|s| s.plan.demotes());
        for (name, node_id, updates) in members.into_iter().filter_map(|s| match &s.plan {
            NodePlan::Update { node_id, updates } => Some((&s.name, node_id, updates)),
            _ => None,
        }) {
            let result = self.update_member(source, name, node_id, updates).await;
            self.results.insert(name.clone(), result);
        }

        // Managers join one at a time, each waited on until Reachable.
        let joins = |role: NodeRole| -> Vec<(&NodeName, &Membership, Option<&Option<String>>)> {
            plan.nodes
                .iter()
                .filter_map(|s| match &s.plan {
                    NodePlan::Join(m) if m.role == role => Some((&s.name, m, None)),
                    NodePlan::Repair { stale_entry, join } if join.role == role => {
                        Some((&s.name, join, Some(stale_entry)))
                    }
                    _ => None,
                })
                .collect()
        };
        let shared = Shared::new(source);
        let mut failed_manager: Option<NodeName> = None;
        for (name, membership, repair) in joins(NodeRole::Manager) {
            if let Some(failed) = &failed_manager {
                self.results.insert(
                    name.clone(),
                    NodeResult::Skipped(Skip::ManagerFailed(failed.clone())),
                );
                continue;
            }
            let joined = self.join(&shared, name, membership, repair).await;
            if joined.is_err() {
                failed_manager = Some(name.clone());
            }
            self.record_join(name, joined);
        }

        // Workers join in parallel, as many at once as the join window lets
        // (see `window`): a new join starts whenever one ends.
        let this = &*self;
        let shared = &shared;
        let mut pending = joins(NodeRole::Worker).into_iter();
        let mut running = FuturesUnordered::new();
        let mut joined: Vec<(&NodeName, Joined)> = Vec::new();
        loop {
            while running.len() < this.window.size() {
                let Some((name, membership, repair)) = pending.next() else {
                    break;
                };
                running
                    .push(async move { (name, this.join(shared, name, membership, repair).await) });
            }
            match running.next().await {
                Some(done) => joined.push(done),
                None => break,
            }
        }
        drop(running);
        for (name, result) in joined {
            self.record_join(name, result);
        }

        // Scale in last: whatever joined above adds to the margin.
        if !plan.prune.is_empty() {
            self.pruned = Some(prune::run(self.snapshot, source, &plan.prune, self.events).await);
        }
    }

    fn record_join(&mut self, name: &NodeName, joined: Joined) {
        let result = match joined {
            Ok((node_id, actions)) => {
                self.node_ids.insert(name.clone(), node_id);
                NodeResult::Done(actions)
            }
            Err((error, done)) => NodeResult::Failed { error, done },
        };
        self.results.insert(name.clone(), result);
    }

    async fn init(&mut self, name: &NodeName, m: &Membership) -> Result<(), StepError> {
        let host = self.host(name).ok_or_else(|| StepError {
            kind: FailKind::Engine(ErrorKind::Unreachable),
            message: "unreachable, cannot init".into(),
        })?;
        self.events.step(name, Step::Initialising);
        let swarm = &self.inventory.swarm;
        let request = InitRequest {
            listen_addr: swarm.listen_addr.clone(),
            advertise_addr: m.advertise_addr.clone(),
            availability: m.availability,
            default_addr_pool: swarm.default_addr_pool.clone(),
            subnet_size: swarm.subnet_size,
            data_path_port: swarm.data_path_port,
            spec: crate::plan::settings::apply(swarm, &serde_json::json!({})),
            auto_lock_managers: swarm.autolock == Some(true),
            force_new_cluster: false,
        };
        let node_id = host
            .init(&request)
            .await
            .map_err(|e| StepError::engine("swarm init failed: ", &e))?;
        self.node_ids.insert(name.clone(), node_id.clone());
        let mut actions = vec![Action::Initialised];
        if m.availability == Availability::Drain {
            actions.push(Action::Drained);
        }
        let info = host
            .info()
            .await
            .map_err(|e| StepError::engine("reading /info after init: ", &e))?;
        let nodes = host
            .nodes()
            .await
            .map_err(|e| StepError::engine("reading the node list after init: ", &e))?;
        self.view = Some(ClusterView {
            cluster_id: info.cluster_id.unwrap_or_default(),
            source: name.clone(),
            nodes,
        });
        self.source = Some(name.clone());
        let result = if m.labels.is_empty() {
            NodeResult::Done(actions)
        } else {
            match set_labels(host, &node_id, &m.labels).await {
                Ok(()) => {
                    actions.push(Action::Labelled);
                    NodeResult::Done(actions)
                }
                Err(error) => NodeResult::Failed {
                    error,
                    done: actions,
                },
            }
        };
        self.results.insert(name.clone(), result);
        Ok(())
    }

    async fn update_member(
        &self,
        source: &H,
        name: &NodeName,
        node_id: &str,
        updates: &[Update],
    ) -> NodeResult {
        let mut done = Vec::new();
        for update in updates {
            let (step, action) = match update {
                Update::Promote => (Step::Promoting, Action::Promoted),
                Update::Demote => (Step::Demoting, Action::Demoted),
                Update::Availability { to, .. } => (
                    if *to == Availability::Drain {
                        Step::Draining
                    } else {
                        Step::Activating
                    },
                    Action::availability(*to),
                ),
                Update::Labels { .. } => (Step::Labelling, Action::Labelled),
            };
            self.events.step(name, step);
            let result = update_node(source, node_id, |current| {
                let mut spec = NodeUpdate {
                    role: current.role,
                    availability: current.availability,
                    labels: current.labels.clone(),
                };
                match update {
                    Update::Promote => spec.role = NodeRole::Manager,
                    Update::Demote => spec.role = NodeRole::Worker,
                    Update::Availability { to, .. } => spec.availability = *to,
                    Update::Labels { labels } => spec.labels.extend(labels.clone()),
                }
                spec
            })
            .await;
            if let Err(mut error) = result {
                error.message = format!("{action}: {}", error.message);
                return NodeResult::Failed { error, done };
            }
            if *update == Update::Promote {
                self.events.step(name, Step::WaitingReachable);
                if let Err(error) = wait_reachable(&Shared::new(source), node_id).await {
                    return NodeResult::Failed { error, done };
                }
            }
            done.push(action);
        }
        NodeResult::Done(done)
    }

    /// Joins one node, then labels it; returns its NodeID and what was done.
    async fn join(
        &self,
        shared: &Shared<'_, H>,
        name: &NodeName,
        m: &Membership,
        repair: Option<&Option<String>>,
    ) -> Joined {
        let fail = |error: StepError| Err((error, Vec::new()));
        let source = shared.source;
        let Some(host) = self.host(name) else {
            return fail(StepError {
                kind: FailKind::Engine(ErrorKind::Unreachable),
                message: "unreachable".into(),
            });
        };
        let mut actions = Vec::new();
        if let Some(stale_entry) = repair {
            self.events.step(name, Step::Repairing);
            if let Err(error) = clear_failed_join(host, source, stale_entry.as_deref()).await {
                return fail(error);
            }
            actions.push(Action::Repaired);
        }
        self.events.step(name, Step::Joining);
        let swarm = match shared.swarm().await {
            Ok(swarm) => swarm,
            Err(e) => return fail(StepError::engine("reading join tokens: ", &e)),
        };
        let nodes = match shared.nodes().await {
            Ok(nodes) => nodes,
            Err(e) => return fail(StepError::engine("reading the node list: ", &e)),
        };
        let remote_addrs = manager_addrs(&nodes);
        if remote_addrs.is_empty() {
            return fail(StepError {
                kind: FailKind::PortsClosed,
                message: "no reachable manager address in the swarm".into(),
            });
        }
        self.events.step(name, Step::CheckingPorts);
        let vxlan = data_path_port(swarm.data_path_port);
        if let Err(error) = preflight(host, &remote_addrs, vxlan).await {
            return fail(error);
        }
        self.events.step(name, Step::Joining);
        let request = JoinRequest {
            listen_addr: self.inventory.swarm.listen_addr.clone(),
            advertise_addr: m.advertise_addr.clone(),
            remote_addrs,
            token: match m.role {
                NodeRole::Manager => swarm.tokens.manager.clone(),
                NodeRole::Worker => swarm.tokens.worker.clone(),
            },
            availability: m.availability,
        };
        let repairable = m.role == NodeRole::Worker && repair.is_none();
        let node_id = match join_and_observe(host, source, &request, repairable, &self.window).await
        {
            Ok((id, repaired)) => {
                if repaired {
                    actions.push(Action::Repaired);
                }
                id
            }
            Err(error) => return Err((error, actions)),
        };
        actions.push(Action::Joined);
        if m.availability == Availability::Drain {
            actions.push(Action::Drained);
        }
        if m.role == NodeRole::Manager {
            self.events.step(name, Step::WaitingReachable);
            if let Err(error) = wait_reachable(shared, &node_id).await {
                return Err((error, actions));
            }
        }
        // A join returns before the managers have the node's description:
        // "converged" waits until the node list shows it Ready, by name.
        self.events.step(name, Step::WaitingReady);
        if let Err(error) = wait_ready(shared, &node_id).await {
            return Err((error, actions));
        }
        if !m.labels.is_empty() {
            self.events.step(name, Step::Labelling);
            if let Err(error) = set_labels(source, &node_id, &m.labels).await {
                return Err((error, actions));
            }
            actions.push(Action::Labelled);
        }
        Ok((node_id, actions))
    }
}

/// The one swarm update of the settings, at the swarm's current version.
/// The run lock moved the version since the snapshot; a change by someone
/// else to a value the inventory manages is detected, not overwritten, and
/// so is one that races the update itself.
async fn update_settings<H: SwarmHost>(
    source: &H,
    inventory: &Inventory,
    planned: &SettingsPlan,
    before: Option<&serde_json::Value>,
) -> SettingsOutcome {
    let failed = |error: String| SettingsOutcome::Failed { error };
    let swarm = match source.swarm().await {
        Ok(swarm) => swarm,
        Err(e) => return failed(format!("reading the swarm spec: {e}")),
    };
    if let Some(before) = before
        && !crate::plan::settings::same_managed_values(&inventory.swarm, before, &swarm.spec)
    {
        return failed(
            "the swarm's settings were changed by someone else since this run read them;              nothing was overwritten: run `up` again to see the new plan"
                .into(),
        );
    }
    let spec = crate::plan::settings::apply(&inventory.swarm, &swarm.spec);
    match source.update_swarm(swarm.version.index, &spec).await {
        Ok(()) => SettingsOutcome::Applied {
            changes: planned.changes.clone(),
        },
        Err(e) if e.kind() == ErrorKind::OutOfSequence => failed(
            "the swarm spec was changed by someone else during the update; nothing was              overwritten: run `up` again to see the new plan"
                .into(),
        ),
        Err(e) => failed(format!("updating the swarm settings: {e}")),
    }
}

/// Joins, and when the answer is an error, looks before judging: a node
/// that is a member of the source's swarm joined, whatever the answer said
/// (a join that timed out on our side, or answered "already part of a
/// swarm" after an earlier attempt went through). A worker left in state
/// `error` by a join that stopped half-way is cleared (`repairable`) and
/// joined once more. Only transient answers are tried again as they are; a
/// timeout is never retried blind. Returns the NodeID and whether a repair
/// was needed.
async fn join_and_observe<H: SwarmHost>(
    host: &H,
    source: &H,
    request: &JoinRequest,
    repairable: bool,
    window: &JoinWindow,
) -> Result<(String, bool), StepError> {
    let mut attempt = 0;
    let mut repaired = false;
    loop {
        attempt += 1;
        let started = Instant::now();
        let answer = host.join(request).await;
        window.answered(started.elapsed());
        let error = match answer {
            Ok(()) => return joined_node_id(host).await.map(|id| (id, repaired)),
            Err(e) => e,
        };
        match member_of_source(host, source, settle::patience(&error)).await {
            Seen::Member(node_id) => {
                tracing::debug!("join answered `{error}`, but the node is a member: joined");
                return Ok((node_id, repaired));
            }
            Seen::Failed if repairable && !repaired => {
                tracing::debug!("join stopped half-way (`{error}`): clearing it and joining again");
                let stale = stale_entry(host, source).await;
                clear_failed_join(host, source, stale.as_deref()).await?;
                repaired = true;
                continue;
            }
            // The engine goes on joining: a second join now would be refused,
            // or start a second certificate request once the first fails.
            Seen::Pending(waited) => {
                return Err(StepError::engine(
                    &format!(
                        "still joining after {} s more (the engine goes on in the background; \
                         not joined again): ",
                        waited.as_secs()
                    ),
                    &error,
                ));
            }
            Seen::Failed | Seen::Not => {}
        }
        if error.kind() == ErrorKind::Transient && attempt < JOIN_ATTEMPTS {
            tracing::debug!("join attempt {attempt} failed, retrying: {error}");
            sleep(Duration::from_secs(2 * u64::from(attempt))).await;
            continue;
        }
        return Err(StepError::engine("join failed: ", &error));
    }
}

/// Clears a join that stopped half-way: the node leaves (force) the swarm
/// state it is stuck in, and its stale entry, if one is listed, is removed
/// from the swarm.
async fn clear_failed_join<H: SwarmHost>(
    host: &H,
    source: &H,
    stale_entry: Option<&str>,
) -> Result<(), StepError> {
    if let Err(e) = host.leave(true).await
        && e.kind() != ErrorKind::NotInSwarm
    {
        return Err(StepError::engine("clearing the failed join (leave): ", &e));
    }
    if let Some(id) = stale_entry
        && let Err(e) = source.remove_node(id, true).await
    {
        return Err(StepError::engine(
            &format!("removing the stale entry {id}: "),
            &e,
        ));
    }
    Ok(())
}

/// The entry a half-finished join left in the source's node list: the one
/// with the node's NodeID, else one with no hostname at the node's address.
async fn stale_entry<H: SwarmHost>(host: &H, source: &H) -> Option<String> {
    let info = host.info().await.ok()?;
    let nodes = source.nodes().await.ok()?;
    let by_id = info
        .node_id
        .as_deref()
        .and_then(|id| nodes.iter().find(|n| n.id == id));
    let by_addr = || {
        nodes
            .iter()
            .find(|n| n.hostname.is_empty() && n.addr.is_some() && n.addr == info.node_addr)
    };
    by_id.or_else(by_addr).map(|n| n.id.clone())
}

/// The NodeID a node reports after a successful join.
async fn joined_node_id<H: SwarmHost>(host: &H) -> Result<String, StepError> {
    let info = host
        .info()
        .await
        .map_err(|e| StepError::engine("reading /info after the join: ", &e))?;
    info.node_id.ok_or_else(|| StepError {
        kind: FailKind::Inconsistent,
        message: "joined, but the node reports no NodeID".into(),
    })
}

/// What a node is, seen after a join answered an error.
enum Seen {
    /// Active and listed by the source: it joined (its NodeID).
    Member(String),
    /// Stuck in state `error`: a join that stopped half-way.
    Failed,
    /// Still `pending` after this long: the engine goes on joining.
    Pending(Duration),
    /// Neither: the join did not happen.
    Not,
}

/// Looks at the node (waiting out `pending` for at most `patience`) and at
/// the source's node list (read again within the same `patience` while it
/// cannot be read or does not list the node yet).
async fn member_of_source<H: SwarmHost>(host: &H, source: &H, patience: Duration) -> Seen {
    let deadline = Instant::now() + patience;
    let info = loop {
        let Ok(info) = host.info().await else {
            return Seen::Not;
        };
        if info.state != LocalState::Pending || Instant::now() >= deadline {
            break info;
        }
        sleep(Duration::from_millis(500)).await;
    };
    match info.state {
        LocalState::Error => return Seen::Failed,
        LocalState::Pending => return Seen::Pending(patience),
        LocalState::Active => {}
        _ => return Seen::Not,
    }
    let Some(node_id) = info.node_id else {
        return Seen::Not;
    };
    // A leader starved of CPU answers "deadline exceeded", or has no
    // leader for a while (3+100 lab): the list is read again until then.
    loop {
        let listed = source
            .nodes()
            .await
            .is_ok_and(|nodes| nodes.iter().any(|n| n.id == node_id));
        if listed {
            return Seen::Member(node_id);
        }
        if Instant::now() >= deadline {
            return Seen::Not;
        }
        sleep(POLL).await;
    }
}

/// Addresses of the managers joiners may use, the leader first.
fn manager_addrs(nodes: &[SwarmNode]) -> Vec<String> {
    let mut managers: Vec<&SwarmNode> = nodes
        .iter()
        .filter(|n| n.is_leader() || n.is_reachable())
        .collect();
    managers.sort_by_key(|n| !n.is_leader());
    managers
        .iter()
        .filter_map(|n| n.manager.as_ref().map(|m| m.addr.clone()))
        .filter(|a| !a.is_empty())
        .collect()
}

/// Proves, from the joining node itself, that it reaches a manager's swarm
/// port, then that manager's gossip port: a closed firewall gets a clear
/// error instead of a join that hangs, or one that is listed Ready but
/// carries no overlay traffic. `data_path_port` only goes into the advice.
async fn preflight<H: SwarmHost>(
    host: &H,
    remote_addrs: &[String],
    data_path_port: u32,
) -> Result<(), StepError> {
    let mut failures = Vec::new();
    for addr in remote_addrs {
        match host.can_reach(addr).await {
            PortCheck::Open => return gossip_preflight(host, addr, data_path_port).await,
            PortCheck::NotChecked => return Ok(()),
            PortCheck::Closed(reason) => failures.push(format!("{addr}: {reason}")),
            PortCheck::TimedOut(after) => {
                failures.push(format!("{addr}: no answer within {}s", after.as_secs()))
            }
        }
    }
    Err(StepError {
        kind: FailKind::PortsClosed,
        message: format!(
            "this node cannot reach any manager's swarm port ({}); open 2377/tcp \
             (and {GOSSIP_PORT}/tcp+udp, {data_path_port}/udp) between the nodes",
            failures.join("; ")
        ),
    })
}

/// The gossip port of the manager whose swarm port (`manager`, as the
/// cluster lists it) answered, from the same node. A node that joins
/// without it is listed Ready, but overlay networks and service discovery
/// do not work on it.
async fn gossip_preflight<H: SwarmHost>(
    host: &H,
    manager: &str,
    data_path_port: u32,
) -> Result<(), StepError> {
    // The swarm port may not be 2377; the gossip port is always 7946.
    let manager_host = manager.rsplit_once(':').map_or(manager, |(host, _)| host);
    let gossip = format!("{manager_host}:{GOSSIP_PORT}");
    let reason = match host.can_reach(&gossip).await {
        PortCheck::Open | PortCheck::NotChecked => return Ok(()),
        PortCheck::Closed(reason) => reason,
        PortCheck::TimedOut(after) => format!("no answer within {}s", after.as_secs()),
    };
    Err(StepError {
        kind: FailKind::PortsClosed,
        message: format!(
            "this node reaches {manager} but not the gossip port {gossip}/tcp ({reason}): \
             open {GOSSIP_PORT}/tcp+udp and {data_path_port}/udp between the nodes, or \
             overlay networks and service discovery will not work"
        ),
    })
}

async fn set_labels<H: SwarmHost>(
    source: &H,
    node_id: &str,
    labels: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    update_node(source, node_id, |current| NodeUpdate {
        role: current.role,
        availability: current.availability,
        labels: {
            let mut l = current.labels.clone();
            l.extend(labels.clone());
            l
        },
    })
    .await
}

/// Waits until a joined node is listed Ready with its hostname.
async fn wait_ready<H: SwarmHost>(shared: &Shared<'_, H>, node_id: &str) -> Result<(), StepError> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Ok(nodes) = shared.nodes().await
            && nodes
                .iter()
                .any(|n| n.id == node_id && n.is_ready() && !n.hostname.is_empty())
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(StepError {
                kind: FailKind::NotReady,
                message: format!(
                    "joined, but not listed Ready by the managers within {}s: check that ports 2377/tcp \
                     and 7946/tcp+udp are open between the nodes",
                    READY_TIMEOUT.as_secs()
                ),
            });
        }
        sleep(POLL).await;
    }
}

/// Waits until a manager shows as Reachable (or leader) in the node list.
async fn wait_reachable<H: SwarmHost>(
    shared: &Shared<'_, H>,
    node_id: &str,
) -> Result<(), StepError> {
    let deadline = Instant::now() + REACHABLE_TIMEOUT;
    loop {
        if let Ok(nodes) = shared.nodes().await
            && nodes
                .iter()
                .any(|n| n.id == node_id && (n.is_reachable() || n.is_leader()))
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(StepError {
                kind: FailKind::NotReachable,
                message: format!(
                    "joined, but not Reachable as a manager within {}s: check that port 2377/tcp is open between managers",
                    REACHABLE_TIMEOUT.as_secs()
                ),
            });
        }
        sleep(POLL).await;
    }
}

mod settle;
mod shared;
#[cfg(test)]
mod tests;
mod window;
