//! Swarm-wide settings: what `[swarm.settings]` and `[swarm] autolock` of
//! the inventory ask of the swarm spec, the difference to the swarm's own
//! spec as data ([`SettingsPlan`]), and the spec that carries them (at init, or
//! in the one swarm update of `up`). `verify`'s checks of them are in
//! [`crate::check::settings`].
//!
//! Only what the inventory names is compared or changed: a setting the
//! inventory leaves out, and a swarm label it does not list (swarmadm's own
//! run lock label among them), keep the swarm's value. The init-only
//! network values (address pools, subnet size, data path port) cannot be
//! changed after `swarm init`: a difference is reported, never "fixed".
//! Nothing here touches the network.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::inventory::SwarmSettings;
use crate::model::swarm::SwarmObject;

/// How a numeric spec field is written in the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Count,
    /// Nanoseconds in the spec, a duration in the inventory.
    Nanos,
}

/// A numeric setting: its inventory key and where it sits in the spec.
pub(crate) struct Field {
    pub(crate) key: &'static str,
    pub(crate) section: &'static str,
    pub(crate) name: &'static str,
    pub(crate) unit: Unit,
}

pub(crate) const FIELDS: [Field; 6] = [
    Field {
        key: "task_history_limit",
        section: "Orchestration",
        name: "TaskHistoryRetentionLimit",
        unit: Unit::Count,
    },
    Field {
        key: "node_cert_expiry",
        section: "CAConfig",
        name: "NodeCertExpiry",
        unit: Unit::Nanos,
    },
    Field {
        key: "dispatcher_heartbeat",
        section: "Dispatcher",
        name: "HeartbeatPeriod",
        unit: Unit::Nanos,
    },
    Field {
        key: "snapshot_interval",
        section: "Raft",
        name: "SnapshotInterval",
        unit: Unit::Count,
    },
    Field {
        key: "keep_old_snapshots",
        section: "Raft",
        name: "KeepOldSnapshots",
        unit: Unit::Count,
    },
    Field {
        key: "log_entries_for_slow_followers",
        section: "Raft",
        name: "LogEntriesForSlowFollowers",
        unit: Unit::Count,
    },
];

/// The value the inventory wants for `field`, as the spec writes it.
pub(crate) fn wanted(swarm: &SwarmSettings, field: &Field) -> Option<u64> {
    let s = &swarm.settings;
    let nanos = |d: Option<Duration>| d.map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    match field.key {
        "task_history_limit" => s.task_history_limit.and_then(|v| u64::try_from(v).ok()),
        "node_cert_expiry" => nanos(s.node_cert_expiry),
        "dispatcher_heartbeat" => nanos(s.dispatcher_heartbeat),
        "snapshot_interval" => s.snapshot_interval,
        "keep_old_snapshots" => s.keep_old_snapshots,
        "log_entries_for_slow_followers" => s.log_entries_for_slow_followers,
        _ => None,
    }
}

/// The spec's value of `field`; the engine leaves zero values out.
pub(crate) fn current(spec: &Value, field: &Field) -> u64 {
    let v = &spec[field.section][field.name];
    v.as_u64()
        .or_else(|| v.as_i64().map(|i| u64::try_from(i).unwrap_or(0)))
        .unwrap_or(0)
}

pub(crate) fn show(unit: Unit, value: u64) -> String {
    match unit {
        Unit::Count => value.to_string(),
        Unit::Nanos => show_duration(Duration::from_nanos(value)),
    }
}

/// `90d`, `12h`, `10s`, `500ms`: the largest unit that divides evenly.
pub(crate) fn show_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ] {
        if ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// One setting to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct SettingChange {
    /// The inventory key: `task_history_limit`, `labels.team`, `autolock`.
    pub(crate) key: String,
    /// The swarm's value now (`None`: not set).
    pub(crate) from: Option<String>,
    pub(crate) to: String,
}

/// An init-only value that differs from the inventory: reported, never
/// changed (the swarm would have to be built anew).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct InitOnlyDrift {
    pub(crate) key: &'static str,
    pub(crate) swarm: String,
    pub(crate) inventory: String,
}

impl std::fmt::Display for InitOnlyDrift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "swarm setting `{}` is {} but the inventory says {}; it is set at `swarm init` only \
             and is not changed on a running swarm",
            self.key, self.swarm, self.inventory
        )
    }
}

/// The settings part of the plan: changes for one swarm update, and the
/// init-only differences that are only reported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct SettingsPlan {
    /// The swarm's version the changes were computed from.
    pub(crate) version: u64,
    pub(crate) changes: Vec<SettingChange>,
    pub(crate) init_only: Vec<InitOnlyDrift>,
}

impl SettingsPlan {
    pub(crate) fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }
}

/// The difference between the inventory's settings and the swarm's.
pub(crate) fn plan(swarm: &SwarmSettings, object: &SwarmObject) -> SettingsPlan {
    let spec = &object.spec;
    let mut changes = Vec::new();
    for field in &FIELDS {
        let Some(want) = wanted(swarm, field) else {
            continue;
        };
        let now = current(spec, field);
        if now != want {
            changes.push(SettingChange {
                key: field.key.to_owned(),
                from: Some(show(field.unit, now)),
                to: show(field.unit, want),
            });
        }
    }
    for (key, want) in &swarm.settings.labels {
        let now = spec["Labels"][key.as_str()].as_str();
        if now != Some(want.as_str()) {
            changes.push(SettingChange {
                key: format!("labels.{key}"),
                from: now.map(str::to_owned),
                to: want.clone(),
            });
        }
    }
    if let Some(want) = swarm.autolock {
        let now = autolock(spec);
        if now != want {
            changes.push(SettingChange {
                key: "autolock".into(),
                from: Some(now.to_string()),
                to: want.to_string(),
            });
        }
    }
    SettingsPlan {
        version: object.version,
        changes,
        init_only: init_only(swarm, object),
    }
}

/// Whether the spec locks managers at rest.
pub(crate) fn autolock(spec: &Value) -> bool {
    spec["EncryptionConfig"]["AutoLockManagers"]
        .as_bool()
        .unwrap_or(false)
}

pub(crate) fn init_only(swarm: &SwarmSettings, object: &SwarmObject) -> Vec<InitOnlyDrift> {
    let mut drift = Vec::new();
    if !swarm.default_addr_pool.is_empty() && swarm.default_addr_pool != object.default_addr_pool {
        drift.push(InitOnlyDrift {
            key: "default_addr_pool",
            swarm: object.default_addr_pool.join(", "),
            inventory: swarm.default_addr_pool.join(", "),
        });
    }
    if let Some(want) = swarm.subnet_size
        && object.subnet_size.is_some_and(|now| now != want)
    {
        drift.push(InitOnlyDrift {
            key: "subnet_size",
            swarm: object.subnet_size.unwrap_or_default().to_string(),
            inventory: want.to_string(),
        });
    }
    if let Some(want) = swarm.data_path_port
        && object
            .data_path_port
            .is_some_and(|now| now != u32::from(want))
    {
        drift.push(InitOnlyDrift {
            key: "data_path_port",
            swarm: object.data_path_port.unwrap_or_default().to_string(),
            inventory: want.to_string(),
        });
    }
    drift
}

/// `spec` with the inventory's settings written into it; every other
/// field, and every label the inventory does not name, stays.
pub(crate) fn apply(swarm: &SwarmSettings, spec: &Value) -> Value {
    let mut spec = if spec.is_object() {
        spec.clone()
    } else {
        json!({})
    };
    for field in &FIELDS {
        if let Some(want) = wanted(swarm, field) {
            let section = object_at(&mut spec, field.section);
            section.insert(field.name.to_owned(), json!(want));
        }
    }
    if !swarm.settings.labels.is_empty() {
        let labels = object_at(&mut spec, "Labels");
        for (key, value) in &swarm.settings.labels {
            labels.insert(key.clone(), Value::String(value.clone()));
        }
    }
    if let Some(on) = swarm.autolock {
        object_at(&mut spec, "EncryptionConfig")
            .insert("AutoLockManagers".to_owned(), Value::Bool(on));
    }
    spec
}

/// The object at `spec[key]`, made one if it is missing or not an object.
fn object_at<'a>(spec: &'a mut Value, key: &str) -> &'a mut serde_json::Map<String, Value> {
    if !spec[key].is_object() {
        spec[key] = json!({});
    }
    match spec[key].as_object_mut() {
        Some(map) => map,
        None => unreachable!("just made an object"),
    }
}

/// Whether the values the inventory manages are the same in two specs:
/// a change by someone else between the snapshot and the update is
/// detected, not overwritten. The run lock's label does not count.
pub(crate) fn same_managed_values(swarm: &SwarmSettings, a: &Value, b: &Value) -> bool {
    FIELDS
        .iter()
        .filter(|f| wanted(swarm, f).is_some())
        .all(|f| current(a, f) == current(b, f))
        && swarm
            .settings
            .labels
            .keys()
            .all(|k| a["Labels"][k.as_str()] == b["Labels"][k.as_str()])
        && (swarm.autolock.is_none() || autolock(a) == autolock(b))
}

#[cfg(test)]
mod tests;
