//! The variables of an INI inventory: which are ours, a host's settings
//! after precedence (`Settings`), and the swarm-wide variables, which come
//! only from `[all:vars]` and the `:vars` of our groups and must agree.

use std::collections::BTreeMap;

use super::{Ctx, Ini, LEADER, MANAGER, OUR_GROUPS, Var, WORKER};
use crate::inventory::address::shown;
use crate::inventory::error::ValueError;
use crate::inventory::suggest::{did_you_mean, is_close};
use crate::inventory::validate::{
    check_addr_pool, check_address, check_advertise_addr, check_count, check_data_path_port,
    check_heartbeat, check_label_key, check_label_value, check_node_cert_expiry, check_port,
    check_snapshot_interval, check_socket, check_subnet_size, check_swarm_label, check_user,
    parse_bool,
};
use crate::inventory::{InventoryError, SshSettings, SwarmSettings};
use crate::model::names::Availability;

pub(super) const LABEL_PREFIX: &str = "swarm_label_";
/// Swarm labels (`[swarm.settings.labels]` in TOML).
const CLUSTER_LABEL_PREFIX: &str = "swarm_cluster_label_";
/// Swarm-wide variables: only in `[all:vars]` or the `:vars` of our groups.
const CLUSTER_VARS: [&str; 10] = [
    "swarm_autolock",
    "swarm_task_history_limit",
    "swarm_node_cert_expiry",
    "swarm_dispatcher_heartbeat",
    "swarm_snapshot_interval",
    "swarm_keep_old_snapshots",
    "swarm_log_entries_for_slow_followers",
    "swarm_default_addr_pool",
    "swarm_subnet_size",
    "swarm_data_path_port",
];
/// Our variables, for "did you mean" hints.
const SWARM_VARS: [&str; 14] = [
    "swarm_advertise_addr",
    "swarm_availability",
    LABEL_PREFIX,
    CLUSTER_LABEL_PREFIX,
    CLUSTER_VARS[0],
    CLUSTER_VARS[1],
    CLUSTER_VARS[2],
    CLUSTER_VARS[3],
    CLUSTER_VARS[4],
    CLUSTER_VARS[5],
    CLUSTER_VARS[6],
    CLUSTER_VARS[7],
    CLUSTER_VARS[8],
    CLUSTER_VARS[9],
];

/// Whether `key` is a swarm-wide variable.
pub(super) fn is_cluster_var(key: &str) -> bool {
    CLUSTER_VARS.contains(&key) || key.starts_with(CLUSTER_LABEL_PREFIX)
}

pub(super) fn unknown_swarm_var(key: &str) -> String {
    let label_like = key
        .get(..LABEL_PREFIX.len())
        .is_some_and(|prefix| is_close(prefix, LABEL_PREFIX));
    let hint = if label_like {
        format!(" (did you mean `{LABEL_PREFIX}<key>`?)")
    } else {
        did_you_mean(key, &SWARM_VARS)
            .map(|known| format!(" (did you mean `{known}`?)"))
            .unwrap_or_default()
    };
    format!(
        "unknown variable `{}`{hint}: swarmadm knows swarm_advertise_addr, swarm_availability, swarm_label_<key>, docker_socket and the swarm-wide {}, swarm_cluster_label_<key>",
        shown(key),
        CLUSTER_VARS.join(", ")
    )
}

impl Ini {
    /// The swarm-wide variables: from `[all:vars]` and the `:vars` of our
    /// groups, which must agree; anywhere else they are an error (a host
    /// line cannot change a setting of the whole swarm).
    pub(super) fn swarm_settings(&self, ctx: &Ctx) -> Result<SwarmSettings, InventoryError> {
        let misplaced = |var: &Var, place: String| {
            ctx.error(
                var.line,
                format!(
                    "`{}` is a swarm-wide setting and cannot be set {place}: set it under [all:vars]",
                    var.key
                ),
            )
        };
        for (host, vars) in &self.host_vars {
            if let Some(var) = vars.iter().find(|v| is_cluster_var(&v.key)) {
                return Err(misplaced(var, format!("on the host line of `{host}`")));
            }
        }
        let allowed = |group: &str| group == "all" || OUR_GROUPS.contains(&group);
        for (group, vars) in &self.group_vars {
            if allowed(group) {
                continue;
            }
            if let Some(var) = vars.iter().find(|v| is_cluster_var(&v.key)) {
                return Err(misplaced(var, format!("in [{group}:vars]")));
            }
        }
        let mut chosen: BTreeMap<&str, &Var> = BTreeMap::new();
        for group in ["all", LEADER, MANAGER, WORKER] {
            for var in self.group_vars.get(group).into_iter().flatten() {
                if !is_cluster_var(&var.key) {
                    continue;
                }
                if let Some(first) = chosen.get(var.key.as_str())
                    && first.value != var.value
                {
                    return Err(ctx.error(
                        var.line,
                        format!(
                            "`{}` is `{}` here but `{}` on line {}: a swarm-wide setting has one value",
                            var.key, var.value, first.value, first.line
                        ),
                    ));
                }
                chosen.entry(var.key.as_str()).or_insert(var);
            }
        }
        let mut swarm = SwarmSettings::default();
        for var in chosen.values() {
            apply_cluster_var(&mut swarm, var)
                .map_err(|m| ctx.error(var.line, format!("`{}`: {m}", var.key)))?;
        }
        if let Some(size) = swarm.subnet_size {
            let prefixes: Vec<u8> = swarm
                .default_addr_pool
                .iter()
                .filter_map(|p| check_addr_pool(p).ok())
                .collect();
            if let Err(m) = check_subnet_size(i64::from(size), &prefixes)
                && let Some(var) = chosen.get("swarm_subnet_size")
            {
                return Err(ctx.error(var.line, format!("`swarm_subnet_size`: {m}")));
            }
        }
        Ok(swarm)
    }
}

/// A host's settings after precedence.
#[derive(Debug, Default)]
pub(super) struct Settings {
    pub(super) address: Option<String>,
    pub(super) ssh: SshSettings,
    pub(super) advertise_addr: Option<String>,
    pub(super) availability: Option<Availability>,
    pub(super) labels: BTreeMap<String, String>,
}

impl Settings {
    /// Apply one variable over the weaker ones; the error says what was
    /// expected. Variables that are not ours are ignored.
    pub(super) fn apply(&mut self, ctx: &Ctx, var: &Var) -> Result<(), ValueError> {
        let value = var.value.as_str();
        let ours = matches!(
            var.key.as_str(),
            "ansible_host"
                | "ansible_ssh_host"
                | "ansible_user"
                | "ansible_ssh_user"
                | "ansible_port"
                | "ansible_ssh_port"
                | "ansible_ssh_private_key_file"
                | "ansible_private_key_file"
                | "docker_socket"
        ) || var.key.starts_with("swarm_");
        if ours && (value.contains("{{") || value.contains("{%")) {
            return Err(ValueError::Template {
                value: value.to_owned(),
            });
        }
        match var.key.as_str() {
            "ansible_host" | "ansible_ssh_host" => {
                check_address(value)?;
                self.address = Some(value.to_owned());
            }
            "ansible_user" | "ansible_ssh_user" => {
                check_user(value)?;
                self.ssh.user = Some(value.to_owned());
            }
            "ansible_port" | "ansible_ssh_port" => {
                let port = value.parse::<i64>().map_err(|_| ValueError::PortText {
                    value: value.to_owned(),
                })?;
                self.ssh.port = Some(check_port(port)?);
            }
            "ansible_ssh_private_key_file" | "ansible_private_key_file" => {
                // Relative to the inventory's directory, like TOML paths.
                self.ssh.identity_files = Some(vec![ctx.env.expand_path(value, &ctx.base)?]);
            }
            "docker_socket" => {
                check_socket(value)?;
                self.ssh.socket = Some(value.to_owned());
            }
            "swarm_advertise_addr" => {
                check_advertise_addr(value)?;
                self.advertise_addr = Some(value.to_owned());
            }
            "swarm_availability" => self.availability = Some(Availability::parse(value)?),
            key => {
                // Other ansible_* variables (ansible_python_interpreter...) and
                // the playbooks' own variables are not ours. Unknown swarm_*
                // names were refused when read.
                if let Some(label) = key.strip_prefix(LABEL_PREFIX) {
                    check_label_key(label)?;
                    check_label_value(label, value)?;
                    self.labels.insert(label.to_owned(), value.to_owned());
                }
            }
        }
        Ok(())
    }
}

/// One swarm-wide variable into the settings; the error says what was
/// expected.
fn apply_cluster_var(swarm: &mut SwarmSettings, var: &Var) -> Result<(), ValueError> {
    let value = var.value.as_str();
    if value.contains("{{") || value.contains("{%") {
        return Err(ValueError::Template {
            value: value.to_owned(),
        });
    }
    let int = |value: &str| {
        value.parse::<i64>().map_err(|_| ValueError::WholeNumber {
            value: value.to_owned(),
        })
    };
    let settings = &mut swarm.settings;
    match var.key.as_str() {
        "swarm_autolock" => swarm.autolock = Some(parse_bool(value)?),
        "swarm_task_history_limit" => {
            let limit = check_count(int(value)?)?;
            settings.task_history_limit = Some(i64::try_from(limit).unwrap_or(i64::MAX));
        }
        "swarm_node_cert_expiry" => {
            settings.node_cert_expiry = Some(check_node_cert_expiry(value)?)
        }
        "swarm_dispatcher_heartbeat" => {
            settings.dispatcher_heartbeat = Some(check_heartbeat(value)?)
        }
        "swarm_snapshot_interval" => {
            settings.snapshot_interval = Some(check_snapshot_interval(int(value)?)?);
        }
        "swarm_keep_old_snapshots" => settings.keep_old_snapshots = Some(check_count(int(value)?)?),
        "swarm_log_entries_for_slow_followers" => {
            settings.log_entries_for_slow_followers = Some(check_count(int(value)?)?);
        }
        "swarm_default_addr_pool" => {
            let pools: Vec<String> = value
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            for pool in &pools {
                check_addr_pool(pool)?;
            }
            swarm.default_addr_pool = pools;
        }
        "swarm_subnet_size" => swarm.subnet_size = Some(check_subnet_size(int(value)?, &[])?),
        "swarm_data_path_port" => swarm.data_path_port = Some(check_data_path_port(int(value)?)?),
        key => {
            if let Some(label) = key.strip_prefix(CLUSTER_LABEL_PREFIX) {
                check_swarm_label(label, value)?;
                settings.labels.insert(label.to_owned(), value.to_owned());
            }
        }
    }
    Ok(())
}
