//! `verify`'s checks of the swarm-wide settings: one per setting the
//! inventory names, one per init-only network value. What the settings are
//! and how they are read off the spec is [`crate::plan::settings`]'s.

use std::time::Duration;

use crate::check::value::Value;
use crate::check::verify::Check;
use crate::inventory::SwarmSettings;
use crate::model::swarm::SwarmObject;
use crate::plan::settings::{FIELDS, Unit, autolock, current, init_only, wanted};

/// A numeric setting's value as its unit says: a count or a duration.
fn numeric(unit: Unit, value: u64) -> Value {
    match unit {
        Unit::Count => Value::Count(value),
        Unit::Nanos => Value::Duration(Duration::from_nanos(value)),
    }
}

/// `verify`'s checks: one per setting the inventory names, and one per
/// init-only value. All are `swarm_setting` checks; the key says which.
pub(crate) fn checks(swarm: &SwarmSettings, object: &SwarmObject) -> Vec<Check> {
    let spec = &object.spec;
    let mut checks = Vec::new();
    for field in &FIELDS {
        let Some(want) = wanted(swarm, field) else {
            continue;
        };
        let now = current(spec, field);
        checks.push(Check::setting(
            field.key.to_owned(),
            now == want,
            numeric(field.unit, want),
            numeric(field.unit, now),
        ));
    }
    for (key, want) in &swarm.settings.labels {
        let now = spec["Labels"][key.as_str()].as_str();
        checks.push(Check::setting(
            format!("labels.{key}"),
            now == Some(want.as_str()),
            Value::Text(want.clone()),
            now.map_or(Value::Unset, |now| Value::Text(now.to_owned())),
        ));
    }
    if let Some(want) = swarm.autolock {
        let now = autolock(spec);
        checks.push(Check::setting(
            "autolock".to_owned(),
            now == want,
            Value::Bool(want),
            Value::Bool(now),
        ));
    }
    checks.extend(init_only_checks(swarm, object));
    checks
}

/// The init-only values the inventory names: the inventory's value against
/// the swarm's, marked as set at init only when they differ.
fn init_only_checks(swarm: &SwarmSettings, object: &SwarmObject) -> Vec<Check> {
    let count = |n: Option<u32>| n.map_or(Value::Unreported, |n| Value::Count(u64::from(n)));
    let mut named = Vec::new();
    if !swarm.default_addr_pool.is_empty() {
        named.push((
            "default_addr_pool",
            Value::AddrPools(swarm.default_addr_pool.clone()),
            Value::AddrPools(object.default_addr_pool.clone()),
        ));
    }
    if let Some(want) = swarm.subnet_size {
        named.push(("subnet_size", count(Some(want)), count(object.subnet_size)));
    }
    if let Some(want) = swarm.data_path_port {
        named.push((
            "data_path_port",
            count(Some(u32::from(want))),
            count(object.data_path_port),
        ));
    }
    let drift = init_only(swarm, object);
    named
        .into_iter()
        .map(|(key, want, now)| {
            let differs = drift.iter().any(|d| d.key == key);
            let now = if differs {
                Value::InitOnly(Box::new(now))
            } else {
                now
            };
            Check::setting(key.to_owned(), !differs, want, now)
        })
        .collect()
}
