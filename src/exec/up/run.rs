//! Executing the plan: the run lock, init, updates to existing members,
//! manager joins one at a time, worker joins through the join window,
//! scale-in, and the swarm settings update.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use super::execute::initial_result;
use super::join::{set_labels, wait_reachable};
use super::shared::Shared;
use super::window::JoinWindow;
use super::{RunError, SettingsOutcome, UpOptions};
use crate::exec::lock::RunLock;
use crate::exec::prune::{self, PruneOutcome};
use crate::exec::result::{NodeResult, Skip};
use crate::exec::step::{Action, FailKind, StepError, update_node};
use crate::inventory::Inventory;
use crate::model::names::{Availability, NodeName};
use crate::model::swarm::{InitRequest, NodeRole, NodeUpdate};
use crate::observe::events::{Events, Step};
use crate::observe::{ClusterView, Snapshot};
use crate::plan::settings::SettingsPlan;
use crate::plan::{Membership, NodePlan, Plan, Update};
use crate::remote::engine::ErrorKind;
use crate::remote::host::SwarmHost;

/// Execution state: the hosts, the swarm as last read, the results so far.
pub(super) struct Run<'a, H> {
    pub(super) inventory: &'a Inventory,
    pub(super) snapshot: &'a Snapshot<H>,
    pub(super) options: &'a UpOptions,
    pub(super) events: &'a Events,
    pub(super) view: Option<ClusterView>,
    /// The manager that answers for the swarm.
    pub(super) source: Option<NodeName>,
    pub(super) results: BTreeMap<NodeName, NodeResult>,
    /// NodeIDs learnt while executing (init, joins).
    pub(super) node_ids: BTreeMap<NodeName, String>,
    /// `--prune`: the nodes taken out, once that part ran.
    pub(super) pruned: Option<Vec<PruneOutcome>>,
    /// The settings update, when the plan had one.
    pub(super) settings: Option<SettingsOutcome>,
    /// How many worker joins may run at once (`--parallel` at most).
    pub(super) window: JoinWindow,
    /// The run lock, taken before the first change and left held when the
    /// run ends: the caller releases it after sweeping this run's own
    /// half-registered entries, so that no other run's joins are under way
    /// while they are told apart.
    pub(super) lock: Option<RunLock>,
}

/// A joined node's NodeID and what was done to it.
pub(super) type Joined = Result<(String, Vec<Action>), (StepError, Vec<Action>)>;

impl<'a, H: SwarmHost> Run<'a, H> {
    pub(super) fn new(
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
            lock: None,
        }
    }

    pub(super) fn host(&self, name: &NodeName) -> Option<&'a H> {
        self.snapshot.hosts.get(name)
    }

    /// Marks every planned node that has no result yet as skipped.
    pub(super) fn skip_rest(&mut self, plan: &Plan, skip: &Skip) {
        for step in plan.nodes.iter().filter(|s| s.plan.is_change()) {
            self.results
                .entry(step.name.clone())
                .or_insert_with(|| NodeResult::Skipped(skip.clone()));
        }
    }

    pub(super) async fn execute(&mut self, plan: &Plan) -> Result<(), RunError> {
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
        self.lock = Some(lock);
        Ok(())
    }

    /// Member updates, then manager joins, then worker joins and repairs.
    pub(super) async fn change(&mut self, source: &'a H, plan: &Plan) {
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

    pub(super) fn record_join(&mut self, name: &NodeName, joined: Joined) {
        let result = match joined {
            Ok((node_id, actions)) => {
                self.node_ids.insert(name.clone(), node_id);
                NodeResult::Done(actions)
            }
            Err((error, done)) => NodeResult::Failed { error, done },
        };
        self.results.insert(name.clone(), result);
    }

    pub(super) async fn init(&mut self, name: &NodeName, m: &Membership) -> Result<(), StepError> {
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

    pub(super) async fn update_member(
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
}

/// The one swarm update of the settings, at the swarm's current version.
/// The run lock moved the version since the snapshot; a change by someone
/// else to a value the inventory manages is detected, not overwritten, and
/// so is one that races the update itself.
pub(super) async fn update_settings<H: SwarmHost>(
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
