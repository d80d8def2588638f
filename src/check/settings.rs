//! `verify`'s checks of the swarm-wide settings: one per setting the
//! inventory names, one per init-only network value. What the settings are
//! and how they are read off the spec is [`crate::plan::settings`]'s.

use crate::check::verify::{Check, Severity};
use crate::inventory::SwarmSettings;
use crate::model::swarm::SwarmObject;
use crate::plan::settings::{FIELDS, autolock, current, init_only, show, wanted};

/// A check of one swarm setting: all share the name `swarm_setting`, the
/// key is in the values.
fn setting_check(key: String, ok: bool, expected: String, actual: String) -> Check {
    Check {
        name: "swarm_setting",
        ok,
        severity: Severity::Error,
        expected: format!("{key} = {expected}"),
        actual: format!("{key} = {actual}"),
    }
}

/// `verify`'s checks: one per setting the inventory names, and one per
/// init-only value.
pub(crate) fn checks(swarm: &SwarmSettings, object: &SwarmObject) -> Vec<Check> {
    let spec = &object.spec;
    let mut checks = Vec::new();
    for field in &FIELDS {
        let Some(want) = wanted(swarm, field) else {
            continue;
        };
        let now = current(spec, field);
        checks.push(setting_check(
            field.key.to_owned(),
            now == want,
            show(field.unit, want),
            show(field.unit, now),
        ));
    }
    for (key, want) in &swarm.settings.labels {
        let now = spec["Labels"][key.as_str()].as_str();
        checks.push(setting_check(
            format!("labels.{key}"),
            now == Some(want.as_str()),
            want.clone(),
            now.unwrap_or("<unset>").to_owned(),
        ));
    }
    if let Some(want) = swarm.autolock {
        let now = autolock(spec);
        checks.push(setting_check(
            "autolock".to_owned(),
            now == want,
            want.to_string(),
            now.to_string(),
        ));
    }
    let drift = init_only(swarm, object);
    for key in ["default_addr_pool", "subnet_size", "data_path_port"] {
        let named = match key {
            "default_addr_pool" => !swarm.default_addr_pool.is_empty(),
            "subnet_size" => swarm.subnet_size.is_some(),
            _ => swarm.data_path_port.is_some(),
        };
        if !named {
            continue;
        }
        let found = drift.iter().find(|d| d.key == key);
        checks.push(setting_check(
            key.to_owned(),
            found.is_none(),
            found.map_or_else(|| "as the inventory".to_owned(), |d| d.inventory.clone()),
            found.map_or_else(
                || "as the inventory".to_owned(),
                |d| format!("{} (set at init only)", d.swarm),
            ),
        ));
    }
    checks
}
