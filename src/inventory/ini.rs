//! The Ansible INI inventory of the playbooks swarmadm replaces, read as is:
//! groups `[swarm-leader]` (one host), `[swarm-manager]` and
//! `[swarm-worker]`, host lines with `key=value` variables, `[group:vars]`,
//! `[group:children]` and host ranges such as `swarm-worker-[01:03]`.
//!
//! Of the variables, the connection ones (`ansible_host`, `ansible_user`,
//! `ansible_port`, `ansible_ssh_private_key_file` and their old `ssh_`
//! spellings) and swarmadm's own (`swarm_advertise_addr`,
//! `swarm_availability`, `swarm_label_<key>`, `docker_socket`) are used;
//! other variables and other groups are ignored, but a `swarm_*` variable or
//! a group name that looks like a typo of ours is an error. Swarm-wide
//! variables (`swarm_autolock`, the settings of TOML's `[swarm.settings]`,
//! `swarm_cluster_label_<key>`) are read from `[all:vars]` and the `:vars`
//! of our groups, which must agree; anywhere else they are an error. This module does
//! not implement Ansible's patterns, templates, plugins or YAML inventories.
//!
//! This file owns the entry points and turns what the file says (`Ini`)
//! into nodes with their roles; `reader` reads the lines, `hosts` expands
//! host patterns and ranges, `groups` works out `:children`, and `vars`
//! applies the variables.

mod groups;
mod hosts;
mod reader;
mod vars;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::address::shown;
use super::env::base_dir;
use super::error::{Origin, in_node};
use super::validate::validate;
use super::{
    Inventory, InventoryError, LoadOptions, LocalEnv, Node, SshConfigFile, SshSettings,
    choose_ssh_config,
};
#[cfg(test)]
use crate::model::names::Availability;
use crate::model::names::{NodeName, Role};
#[cfg(test)]
use hosts::{expand_hosts, split_port};
#[cfg(test)]
use reader::split_words;
use vars::Settings;

const LEADER: &str = "swarm-leader";
const MANAGER: &str = "swarm-manager";
const WORKER: &str = "swarm-worker";
const OUR_GROUPS: [&str; 3] = [LEADER, MANAGER, WORKER];

/// Parses and validates the INI inventory `text`, read from `path`,
/// with the local facts `env` (home directory, login name) that `~` and a
/// missing user come from.
pub fn parse_with(
    path: &Path,
    text: &str,
    options: &LoadOptions,
    env: &LocalEnv,
) -> Result<Inventory, InventoryError> {
    let ctx = Ctx {
        path,
        base: base_dir(path),
        env,
    };
    let ini = reader::read(&ctx, text)?;
    ini.check_cycles(&ctx)?;
    ini.check_children(&ctx)?;
    let ssh = choose_ssh_config(options.ssh_config.as_deref(), None, env)?;
    ini.build(&ctx, &ssh)
}

/// The file being read and what its paths are relative to.
struct Ctx<'a> {
    path: &'a Path,
    base: PathBuf,
    env: &'a LocalEnv,
}

impl Ctx<'_> {
    fn error(&self, line: usize, message: impl fmt::Display) -> InventoryError {
        Origin::Line(line).error(self.path, message)
    }
}

/// One `key=value` variable as written, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Var {
    key: String,
    value: String,
    line: usize,
}

/// What the file says, before roles and precedence are worked out.
#[derive(Debug, Default)]
struct Ini {
    /// Direct members of each group, with the line that lists them.
    members: BTreeMap<String, Vec<(String, usize)>>,
    /// `[group:children]`: child groups, with their line.
    children: BTreeMap<String, Vec<(String, usize)>>,
    /// `[group:vars]`, in file order.
    group_vars: BTreeMap<String, Vec<Var>>,
    /// Variables on host lines, in file order.
    host_vars: BTreeMap<String, Vec<Var>>,
    /// The first header line of each group, for messages.
    headers: BTreeMap<String, usize>,
}

impl Ini {
    fn build(self, ctx: &Ctx, ssh: &SshConfigFile) -> Result<Inventory, InventoryError> {
        let leaders = self.hosts_in(LEADER);
        let managers = self.hosts_in(MANAGER);
        let workers = self.hosts_in(WORKER);
        for (name, worker_line) in &workers {
            for (group, members) in [(LEADER, &leaders), (MANAGER, &managers)] {
                if let Some(other_line) = members.get(name) {
                    return Err(ctx.error(
                        (*worker_line).max(*other_line),
                        format!(
                            "host `{name}` is in [{group}] (line {other_line}) and in [{WORKER}] (line {worker_line}): a node is either a manager or a worker"
                        ),
                    ));
                }
            }
        }
        let mut first_line: BTreeMap<&str, usize> = BTreeMap::new();
        for (name, line) in leaders.iter().chain(&managers).chain(&workers) {
            let entry = first_line.entry(name).or_insert(*line);
            *entry = (*entry).min(*line);
        }
        if !first_line.is_empty() {
            self.check_leader(ctx, &leaders)?;
        }
        let mut order: Vec<(&str, usize)> = first_line.into_iter().collect();
        order.sort_by_key(|(name, line)| (*line, *name));

        let groups_of = self.groups_of_hosts();
        let mut nodes = Vec::with_capacity(order.len());
        let mut origins = Vec::with_capacity(order.len());
        for (name, line) in order {
            let role = if leaders.contains_key(name) {
                Role::Leader
            } else if managers.contains_key(name) {
                Role::Manager
            } else {
                Role::Worker
            };
            let groups = groups_of.get(name).map_or(&[][..], Vec::as_slice);
            nodes.push(self.node(ctx, name, line, role, groups, ssh)?);
            origins.push(Origin::Line(line));
        }
        let inventory = Inventory {
            source: ctx.path.to_owned(),
            swarm: self.swarm_settings(ctx)?,
            nodes,
        };
        validate(&inventory, &origins)?;
        Ok(inventory)
    }

    fn check_leader(
        &self,
        ctx: &Ctx,
        leaders: &BTreeMap<String, usize>,
    ) -> Result<(), InventoryError> {
        match leaders.len() {
            1 => Ok(()),
            0 => Err(match self.headers.get(LEADER) {
                Some(line) => ctx.error(
                    *line,
                    format!(
                        "[{LEADER}] lists no host: it must list exactly one, the node that initialises the swarm"
                    ),
                ),
                None => Origin::File.error(
                    ctx.path,
                    format!(
                        "no [{LEADER}] group: list exactly one host there, the node that initialises the swarm"
                    ),
                ),
            }),
            n => {
                let mut listed: Vec<(&String, &usize)> = leaders.iter().collect();
                listed.sort_by_key(|(_, line)| **line);
                let last = listed.last().map_or(0, |(_, line)| **line);
                let names: Vec<String> = listed
                    .iter()
                    .map(|(name, line)| format!("`{name}` (line {line})", name = shown(name)))
                    .collect();
                Err(ctx.error(
                    last,
                    format!(
                        "[{LEADER}] must list exactly one host, it lists {n}: {}; list the others in [{MANAGER}]",
                        names.join(", ")
                    ),
                ))
            }
        }
    }

    /// One node, its variables applied from the weakest to the strongest:
    /// `[all:vars]`, then groups from parents to children (by name among
    /// equals, as Ansible does), then the host line.
    /// `groups` are the groups that hold the host, weakest first.
    fn node(
        &self,
        ctx: &Ctx,
        name: &str,
        line: usize,
        role: Role,
        groups: &[&str],
        ssh: &SshConfigFile,
    ) -> Result<Node, InventoryError> {
        let node_name = NodeName::new(name).map_err(|m| ctx.error(line, m))?;
        let group_vars = groups
            .iter()
            .filter_map(|g| self.group_vars.get(*g))
            .flatten();
        let mut settings = Settings::default();
        for var in group_vars.chain(self.host_vars.get(name).into_iter().flatten()) {
            settings
                .apply(ctx, var)
                .map_err(|m| ctx.error(var.line, format!("`{}`: {m}", var.key)))?;
        }
        // As in Ansible, `ansible_host` is both the address and the alias
        // the ssh config matches.
        let alias = settings.address.clone().unwrap_or_else(|| name.to_owned());
        let target = ssh
            .resolve(&alias, &settings.ssh, &SshSettings::default())
            .map_err(|e| in_node(e, &node_name))?;
        Ok(Node {
            name: node_name,
            role,
            ssh: target,
            advertise_addr: settings.advertise_addr,
            availability: settings.availability,
            labels: settings.labels,
        })
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod settings_tests;
