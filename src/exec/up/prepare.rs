//! The first step of `up`: observe (pending joins settled, locked managers
//! unlocked when the run has the key) and plan, touching nothing.

use std::collections::BTreeMap;

use super::keyfile::check_key_file;
use super::{PENDING_TIMEOUT, UpOptions};
use crate::exec::unlock::UnlockResult;
use crate::inventory::Inventory;
use crate::model::names::NodeName;
use crate::observe::events::Events;
use crate::observe::{self, Snapshot};
use crate::plan::{self, Plan};
use crate::remote::host::{Connector, SwarmHost};

/// What `up` knows before it changes anything: one snapshot (pending joins
/// settled, locked managers unlocked when the run has the key), the plan
/// made from it, and whether the unlock key file refuses the run.
pub(crate) struct Prepared<H> {
    pub(super) snapshot: Snapshot<H>,
    pub(crate) plan: Plan,
    pub(super) unlocked: BTreeMap<NodeName, UnlockResult>,
    pub(super) key_refusal: Option<String>,
}

impl<H> Prepared<H> {
    /// Whether [`execute`](super::execute()) will change the swarm: the
    /// plan has changes and nothing refuses it. The CLI shows the plan first when it will.
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
        check_key_file(inventory, &snapshot, options)
            .await
            .err()
            .map(|refusal| refusal.to_string())
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

/// Unlocks the locked managers first when the run has the key, so that
/// they are planned like every other node; returns how that went.
pub(super) async fn unlock_first<H: SwarmHost>(
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
