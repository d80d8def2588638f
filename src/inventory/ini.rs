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

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use super::address::shown;
use super::env::base_dir;
use super::error::{Origin, in_node};
use super::suggest::{did_you_mean, is_close};
use super::validate::{
    check_addr_pool, check_address, check_advertise_addr, check_count, check_data_path_port,
    check_heartbeat, check_label_key, check_label_value, check_node_cert_expiry, check_port,
    check_snapshot_interval, check_socket, check_subnet_size, check_swarm_label, check_user,
    parse_bool, validate,
};
use super::{
    Availability, Inventory, InventoryError, LoadOptions, LocalEnv, Node, NodeName, Role,
    SshConfigFile, SshSettings, SwarmSettings, choose_ssh_config,
};

const LEADER: &str = "swarm-leader";
const MANAGER: &str = "swarm-manager";
const WORKER: &str = "swarm-worker";
const OUR_GROUPS: [&str; 3] = [LEADER, MANAGER, WORKER];
const LABEL_PREFIX: &str = "swarm_label_";
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
fn is_cluster_var(key: &str) -> bool {
    CLUSTER_VARS.contains(&key) || key.starts_with(CLUSTER_LABEL_PREFIX)
}
/// How deep `:children` may nest before we call it a cycle.
const MAX_GROUP_DEPTH: usize = 32;
/// The most hosts one host line may expand to (`n[1:100000]`): a typo in
/// a range must not fill the memory.
const MAX_RANGE_HOSTS: usize = 100_000;

/// Parse and validate the INI inventory `text`, read from `path`.
pub fn parse(path: &Path, text: &str, options: &LoadOptions) -> Result<Inventory, InventoryError> {
    parse_with(path, text, options, &LocalEnv::from_process())
}

/// [`parse`] with explicit local facts (home directory, login name).
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
    let mut reader = Reader {
        ctx: &ctx,
        ini: Ini::default(),
        section: Section::Hosts("ungrouped".into()),
    };
    // Editors on Windows start UTF-8 files with a byte order mark; Ansible
    // reads past it, and so do we.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, line) in text.lines().enumerate() {
        reader.line(i + 1, line)?;
    }
    reader.ini.check_cycles(&ctx)?;
    reader.ini.check_children(&ctx)?;
    let ssh = choose_ssh_config(options.ssh_config.as_deref(), None, env)?;
    reader.ini.build(&ctx, &ssh)
}

/// The file being read and what its paths are relative to.
struct Ctx<'a> {
    path: &'a Path,
    base: PathBuf,
    env: &'a LocalEnv,
}

impl Ctx<'_> {
    fn error(&self, line: usize, message: impl Into<String>) -> InventoryError {
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

#[derive(Debug, Clone)]
enum Section {
    Hosts(String),
    Vars(String),
    Children(String),
}

struct Reader<'a> {
    ctx: &'a Ctx<'a>,
    ini: Ini,
    /// Lines before the first header list ungrouped hosts.
    section: Section,
}

impl Reader<'_> {
    fn line(&mut self, number: usize, raw: &str) -> Result<(), InventoryError> {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            return Ok(());
        }
        // Said as what it is: an escape sequence would otherwise read as
        // an unclosed host range (`ESC[31m`) or vanish on the terminal.
        if let Some((column, c)) = line_control_char(raw) {
            return Err(self.error(
                number,
                format!(
                    "the control character {} at column {column}: an inventory line holds only text (tabs are fine); remove it",
                    c.escape_default()
                ),
            ));
        }
        if line.starts_with('[') {
            return self.header(number, line);
        }
        match self.section.clone() {
            Section::Hosts(group) => self.host_line(number, line, &group),
            Section::Vars(group) => self.var_line(number, line, &group),
            Section::Children(group) => self.child_line(number, line, &group),
        }
    }

    fn error(&self, line: usize, message: impl Into<String>) -> InventoryError {
        self.ctx.error(line, message)
    }

    fn header(&mut self, number: usize, line: &str) -> Result<(), InventoryError> {
        let (inner, rest) = line[1..].split_once(']').ok_or_else(|| {
            self.error(
                number,
                format!("unclosed section header `{line}`", line = shown(line)),
            )
        })?;
        let rest = rest.trim();
        if !(rest.is_empty() || rest.starts_with('#') || rest.starts_with(';')) {
            return Err(self.error(
                number,
                format!(
                    "unexpected `{rest}` after section header",
                    rest = shown(rest)
                ),
            ));
        }
        let (name, kind) = match inner.split_once(':') {
            Some((name, kind)) => (name, Some(kind)),
            None => (inner, None),
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(self.error(
                number,
                format!(
                    "invalid group name `{name}` in `{line}`",
                    name = shown(name),
                    line = shown(line)
                ),
            ));
        }
        self.check_group_name(number, name)?;
        let section = match kind {
            None => Section::Hosts(name.to_owned()),
            Some("vars") => Section::Vars(name.to_owned()),
            Some("children") => Section::Children(name.to_owned()),
            Some(other) => {
                return Err(self.error(
                    number,
                    format!(
                        "section `{line}` has unknown type `{other}`: expected `vars` or `children`",
                        line = shown(line),
                        other = shown(other)
                    ),
                ));
            }
        };
        self.ini.headers.entry(name.to_owned()).or_insert(number);
        self.section = section;
        Ok(())
    }

    /// Other groups are ignored, but one a typo away from ours is an error:
    /// silently ignoring `[swarm-workers]` would leave its hosts out.
    fn check_group_name(&self, number: usize, name: &str) -> Result<(), InventoryError> {
        if OUR_GROUPS.contains(&name) {
            return Ok(());
        }
        match did_you_mean(name, &OUR_GROUPS) {
            Some(ours) => Err(self.error(
                number,
                format!(
                    "unknown group `{name}`: did you mean `{ours}`? (swarmadm reads swarm-leader, swarm-manager and swarm-worker and ignores other groups)"
                ),
            )),
            None => Ok(()),
        }
    }

    fn host_line(&mut self, number: usize, line: &str, group: &str) -> Result<(), InventoryError> {
        let words = split_words(line).map_err(|m| self.error(number, m))?;
        let Some((pattern, assignments)) = words.split_first() else {
            return Ok(());
        };
        let (pattern, port) = split_port(pattern);
        let names = expand_hosts(pattern).map_err(|m| self.error(number, m))?;
        let mut vars = Vec::new();
        if let Some(port) = port {
            vars.push(Var {
                key: "ansible_port".into(),
                value: port.to_owned(),
                line: number,
            });
        }
        for assignment in assignments {
            let (key, value) = assignment.split_once('=').ok_or_else(|| {
                self.error(
                    number,
                    format!(
                        "expected key=value host variable assignment, got `{assignment}`",
                        assignment = shown(assignment)
                    ),
                )
            })?;
            vars.push(self.var(number, key, value)?);
        }
        for name in names {
            self.ini
                .members
                .entry(group.to_owned())
                .or_default()
                .push((name.clone(), number));
            self.ini
                .host_vars
                .entry(name)
                .or_default()
                .extend(vars.iter().cloned());
        }
        Ok(())
    }

    fn var_line(&mut self, number: usize, line: &str, group: &str) -> Result<(), InventoryError> {
        let (key, value) = line.split_once('=').ok_or_else(|| {
            self.error(
                number,
                format!("expected key=value, got `{line}`", line = shown(line)),
            )
        })?;
        let words = split_words(value).map_err(|m| self.error(number, m))?;
        let var = self.var(number, key.trim(), &words.join(" "))?;
        self.ini
            .group_vars
            .entry(group.to_owned())
            .or_default()
            .push(var);
        Ok(())
    }

    fn child_line(&mut self, number: usize, line: &str, group: &str) -> Result<(), InventoryError> {
        let words = split_words(line).map_err(|m| self.error(number, m))?;
        let Some(child) = words.first() else {
            return Ok(());
        };
        self.check_group_name(number, child)?;
        self.ini
            .children
            .entry(group.to_owned())
            .or_default()
            .push((child.clone(), number));
        Ok(())
    }

    /// A variable. Values are read when they apply to a node (a host we
    /// ignore may use templates we do not evaluate), but a `swarm_*` name is
    /// checked wherever it appears: a typo must not go unnoticed.
    fn var(&self, number: usize, key: &str, value: &str) -> Result<Var, InventoryError> {
        let known = matches!(key, "swarm_advertise_addr" | "swarm_availability")
            || key.starts_with(LABEL_PREFIX)
            || is_cluster_var(key);
        if key.starts_with("swarm_") && !known {
            return Err(self.error(number, unknown_swarm_var(key)));
        }
        Ok(Var {
            key: key.to_owned(),
            value: value.to_owned(),
            line: number,
        })
    }
}

fn unknown_swarm_var(key: &str) -> String {
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

    /// The swarm-wide variables: from `[all:vars]` and the `:vars` of our
    /// groups, which must agree; anywhere else they are an error (a host
    /// line cannot change a setting of the whole swarm).
    fn swarm_settings(&self, ctx: &Ctx) -> Result<SwarmSettings, InventoryError> {
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

    /// Every group the file mentions, and `all`.
    fn group_names(&self) -> BTreeSet<&str> {
        let mut names: BTreeSet<&str> = ["all"].into();
        names.extend(self.members.keys().map(String::as_str));
        names.extend(self.children.keys().map(String::as_str));
        names.extend(self.group_vars.keys().map(String::as_str));
        names.extend(self.headers.keys().map(String::as_str));
        for children in self.children.values() {
            names.extend(children.iter().map(|(c, _)| c.as_str()));
        }
        names
    }

    /// The hosts of `group` and of its children, each with the first line
    /// that put it there. `all` holds every host. Each group is visited
    /// once, so that cycles and diamonds of `:children` cost nothing extra.
    fn hosts_in(&self, group: &str) -> BTreeMap<String, usize> {
        let mut hosts = BTreeMap::new();
        if group == "all" {
            for members in self.members.values() {
                add_hosts(&mut hosts, members);
            }
            return hosts;
        }
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut queue: VecDeque<&str> = VecDeque::from([group]);
        while let Some(current) = queue.pop_front() {
            if !seen.insert(current) {
                continue;
            }
            if let Some(members) = self.members.get(current) {
                add_hosts(&mut hosts, members);
            }
            for (child, _) in self.children.get(current).into_iter().flatten() {
                queue.push_back(child);
            }
        }
        hosts
    }

    /// For every host, the groups that hold it, weakest first: by depth
    /// under `all` (children beat parents), then by name, as Ansible orders
    /// group variables. One pass over the groups, not one per host.
    fn groups_of_hosts(&self) -> HashMap<String, Vec<&str>> {
        let depths = self.depths();
        let mut by_host: HashMap<String, Vec<(usize, &str)>> = HashMap::new();
        for group in self.group_names() {
            let depth = depths.get(group).copied().unwrap_or(0);
            for host in self.hosts_in(group).into_keys() {
                by_host.entry(host).or_default().push((depth, group));
            }
        }
        by_host
            .into_iter()
            .map(|(host, mut groups)| {
                groups.sort_unstable();
                (host, groups.into_iter().map(|(_, g)| g).collect())
            })
            .collect()
    }

    /// How deep each group sits under `all`: 1 + the depth of its deepest
    /// parent, `all` being 0. Computed by relaxing from `all` downwards at
    /// most [`MAX_GROUP_DEPTH`] times, which also ends cycles.
    fn depths(&self) -> HashMap<&str, usize> {
        let names = self.group_names();
        let mut depths: HashMap<&str, usize> = names.iter().map(|g| (*g, 1)).collect();
        depths.insert("all", 0);
        for _ in 0..MAX_GROUP_DEPTH {
            let mut changed = false;
            for (parent, children) in &self.children {
                let below = depths.get(parent.as_str()).copied().unwrap_or(1) + 1;
                for (child, _) in children {
                    let depth = depths.entry(child.as_str()).or_insert(1);
                    if child != "all" && *depth < below {
                        *depth = below;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        depths
    }

    /// `:children` must not make a cycle: Ansible refuses one, and a group
    /// that holds itself has no meaning. The error is at the line that
    /// closes the cycle and names every group in it.
    fn check_cycles(&self, ctx: &Ctx) -> Result<(), InventoryError> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Open,
            Done,
        }
        let mut marks: HashMap<&str, Mark> = HashMap::new();
        for root in self.children.keys() {
            if marks.contains_key(root.as_str()) {
                continue;
            }
            // The path from `root`: each group with the index of its next child.
            let mut path: Vec<(&str, usize)> = vec![(root.as_str(), 0)];
            marks.insert(root, Mark::Open);
            while let Some((group, next)) = path.last_mut() {
                let children = self.children.get(*group).map_or(&[][..], Vec::as_slice);
                let Some((child, line)) = children.get(*next) else {
                    marks.insert(group, Mark::Done);
                    path.pop();
                    continue;
                };
                *next += 1;
                let parent = *group;
                match marks.get(child.as_str()) {
                    Some(Mark::Done) => {}
                    Some(Mark::Open) => {
                        let start = path.iter().position(|(g, _)| *g == child).unwrap_or(0);
                        let mut cycle: Vec<&str> = path[start..].iter().map(|(g, _)| *g).collect();
                        cycle.push(child);
                        return Err(ctx.error(
                            *line,
                            format!(
                                "[{parent}:children] names `{child}`, which makes a cycle: {} (Ansible refuses :children cycles)",
                                cycle.join(" → ")
                            ),
                        ));
                    }
                    None => {
                        marks.insert(child, Mark::Open);
                        path.push((child.as_str(), 0));
                    }
                }
            }
        }
        Ok(())
    }

    /// A `:children` entry of one of our groups, or of a group that feeds
    /// them, must name a group the file defines: an undefined one is empty,
    /// which is how a typo would leave hosts out silently.
    fn check_children(&self, ctx: &Ctx) -> Result<(), InventoryError> {
        let defined: Vec<&str> = self.headers.keys().map(String::as_str).collect();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut queue: VecDeque<&str> = OUR_GROUPS.into_iter().collect();
        while let Some(group) = queue.pop_front() {
            if !seen.insert(group) {
                continue;
            }
            for (child, line) in self.children.get(group).into_iter().flatten() {
                if !self.headers.contains_key(child) && child != "all" {
                    let hint = did_you_mean(child, &defined)
                        .map(|g| format!(": did you mean `{g}`?"))
                        .unwrap_or_else(|| format!(" (no [{child}] section)"));
                    return Err(ctx.error(
                        *line,
                        format!(
                            "[{group}:children] names group `{child}`, which this file does not define{hint}"
                        ),
                    ));
                }
                queue.push_back(child);
            }
        }
        Ok(())
    }
}

fn add_hosts(hosts: &mut BTreeMap<String, usize>, members: &[(String, usize)]) {
    for (name, line) in members {
        let entry = hosts.entry(name.clone()).or_insert(*line);
        *entry = (*entry).min(*line);
    }
}

/// A host's settings after precedence.
#[derive(Debug, Default)]
struct Settings {
    address: Option<String>,
    ssh: SshSettings,
    advertise_addr: Option<String>,
    availability: Option<Availability>,
    labels: BTreeMap<String, String>,
}

impl Settings {
    /// Apply one variable over the weaker ones; the error says what was
    /// expected. Variables that are not ours are ignored.
    fn apply(&mut self, ctx: &Ctx, var: &Var) -> Result<(), String> {
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
            return Err(format!(
                "`{}` is a template: swarmadm does not evaluate Jinja, write the value itself",
                shown(value)
            ));
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
                let port = value.parse::<i64>().map_err(|_| {
                    format!(
                        "expected a port number from 1 to 65535, got `{value}`",
                        value = shown(value)
                    )
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
fn apply_cluster_var(swarm: &mut SwarmSettings, var: &Var) -> Result<(), String> {
    let value = var.value.as_str();
    if value.contains("{{") || value.contains("{%") {
        return Err(format!(
            "`{}` is a template: swarmadm does not evaluate Jinja, write the value itself",
            shown(value)
        ));
    }
    let int = |value: &str| {
        value.parse::<i64>().map_err(|_| {
            format!(
                "expected a whole number, got `{value}`",
                value = shown(value)
            )
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

/// The first control character of a line other than a tab, with its
/// column (counted in characters from 1).
fn line_control_char(line: &str) -> Option<(usize, char)> {
    line.chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && *c != '\t')
        .map(|(i, c)| (i + 1, c))
}

/// Split a line into words like a shell, as Ansible does with `shlex`:
/// whitespace separates, quotes group, `#` at the start of a word begins a
/// comment.
fn split_words(line: &str) -> Result<Vec<String>, String> {
    shlex::split(line).ok_or_else(|| {
        format!(
            "unclosed quote or trailing backslash in `{line}`",
            line = shown(line)
        )
    })
}

/// `host:2222` → (`host`, Some("2222")). A colon inside a range (`[1:3]`)
/// or in a bare IPv6 address is not a port.
fn split_port(pattern: &str) -> (&str, Option<&str>) {
    let mut depth = 0usize;
    let mut colons = Vec::new();
    for (i, c) in pattern.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => colons.push(i),
            _ => {}
        }
    }
    match colons.as_slice() {
        [i] if pattern[i + 1..].chars().all(|c| c.is_ascii_digit()) && *i + 1 < pattern.len() => {
            (&pattern[..*i], Some(&pattern[i + 1..]))
        }
        _ => (pattern, None),
    }
}

/// Expand Ansible host ranges: `web[01:03]`, `db-[a:c]`, `n[0:10:5]`.
fn expand_hosts(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('[') else {
        return Ok(vec![pattern.to_owned()]);
    };
    let close = pattern[open..].find(']').map(|i| open + i).ok_or_else(|| {
        format!(
            "host range in `{pattern}` has no closing `]`",
            pattern = shown(pattern)
        )
    })?;
    let (head, range, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let bad = |why: &str| {
        format!(
            "bad host range `[{range}]` in `{pattern}`: {why}",
            range = shown(range),
            pattern = shown(pattern)
        )
    };
    let parts: Vec<&str> = range.split(':').collect();
    let (begin, end, step) = match parts.as_slice() {
        [b, e] => (*b, *e, 1),
        [b, e, s] => (
            *b,
            *e,
            s.parse::<usize>()
                .ok()
                .filter(|s| *s > 0)
                .ok_or_else(|| bad("the step must be a positive integer"))?,
        ),
        _ => return Err(bad("expected [begin:end] or [begin:end:step]")),
    };
    let begin = if begin.is_empty() { "0" } else { begin };
    if end.is_empty() {
        return Err(bad("the end is missing"));
    }
    let values: Vec<String> = if let (Ok(b), Ok(e)) = (begin.parse::<u64>(), end.parse::<u64>()) {
        // A leading zero asks for zero-padding to the width of both ends.
        let width = if begin.len() > 1 && begin.starts_with('0') {
            if begin.len() != end.len() {
                return Err(bad("zero-padded begin and end must have the same width"));
            }
            begin.len()
        } else {
            0
        };
        if b > e {
            return Err(bad("the begin is greater than the end"));
        }
        let count = (e - b) / u64::try_from(step).unwrap_or(u64::MAX) + 1;
        if count > MAX_RANGE_HOSTS as u64 {
            return Err(bad(&format!(
                "it makes {count} hosts, more than {MAX_RANGE_HOSTS}"
            )));
        }
        (b..=e)
            .step_by(step)
            .map(|n| format!("{n:0width$}"))
            .collect()
    } else {
        let letter = |s: &str| {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() => Some(c),
                _ => None,
            }
        };
        let (Some(b), Some(e)) = (letter(begin), letter(end)) else {
            return Err(bad("expected numbers or single letters"));
        };
        if b > e {
            return Err(bad("the begin is greater than the end"));
        }
        (b..=e).step_by(step).map(String::from).collect()
    };
    let tails = expand_hosts(tail)?;
    if values.len().saturating_mul(tails.len()) > MAX_RANGE_HOSTS {
        return Err(bad(&format!(
            "with the ranges after it, it makes more than {MAX_RANGE_HOSTS} hosts"
        )));
    }
    Ok(values
        .iter()
        .flat_map(|v| tails.iter().map(move |t| format!("{head}{v}{t}")))
        .collect())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod settings_tests;
