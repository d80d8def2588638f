//! The TOML inventory, swarmadm's own format (`config/example.toml`
//! documents every key).
//!
//! Read in two stages: raw serde structs that refuse unknown keys, then
//! validation into the types of [`super`], with every error naming the file,
//! the key path (`nodes[2].role`) and its line. The document is parsed once:
//! positions come from [`Spanned`] values and error paths from
//! `serde_path_to_error`, so reading is linear in the size of the file.
//! SSH settings are completed by [`super::sshconfig`]; the checks both
//! formats share are in `validate`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use ::toml::Spanned;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_path_to_error::Segment;

use crate::model::names::shown;

use super::env::base_dir;
use super::error::{Origin, PathError, ValueError, in_node};
use super::suggest::closest;
use super::validate::{
    check_addr_pool, check_address, check_advertise_addr, check_count, check_data_path_port,
    check_heartbeat, check_label_key, check_label_value, check_listen_addr, check_node_cert_expiry,
    check_port, check_snapshot_interval, check_socket, check_subnet_size, check_swarm_label,
    check_user, validate,
};
use super::{
    ClusterSettings, Inventory, InventoryError, LoadOptions, LocalEnv, Node, SshConfigFile,
    SshSettings, SwarmSettings, choose_ssh_config,
};
use crate::model::names::{Availability, NodeName, Role};

/// Parses and validates the TOML inventory `text`, read from `path`,
/// with the local facts `env` (home directory, login name) that `~` and a
/// missing user come from.
pub fn parse_with(
    path: &Path,
    text: &str,
    options: &LoadOptions,
    env: &LocalEnv,
) -> Result<Inventory, InventoryError> {
    let lines = LineIndex::new(text);
    let document =
        ::toml::Deserializer::parse(text).map_err(|e| syntax_error(path, text, &lines, &e))?;
    let raw: RawInventory = serde_path_to_error::deserialize(document)
        .map_err(|e| deserialize_error(path, &lines, e))?;
    let ctx = Ctx {
        path,
        lines,
        base: base_dir(path),
        env,
    };
    ctx.build(raw, options)
}

// Stage one: the file as written, every value with its position.

type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory {
    ssh_config: Option<S<String>>,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    swarm: RawSwarm,
    #[serde(default)]
    nodes: Vec<S<RawNode>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    user: Option<S<String>>,
    port: Option<S<Int>>,
    identity_file: Option<S<Paths>>,
    known_hosts: Option<S<Paths>>,
    socket: Option<S<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSwarm {
    listen_addr: Option<S<String>>,
    advertise_addr: Option<S<String>>,
    default_addr_pool: Option<Vec<S<String>>>,
    subnet_size: Option<S<Int>>,
    data_path_port: Option<S<Int>>,
    #[serde(default)]
    availability: RawAvailability,
    autolock: Option<S<bool>>,
    #[serde(default)]
    settings: RawSettings,
}

/// `[swarm.settings]`: swarm spec values, and the init-only network
/// values (which may also be written in `[swarm]`, not in both).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    task_history_limit: Option<S<Int>>,
    node_cert_expiry: Option<S<String>>,
    dispatcher_heartbeat: Option<S<String>>,
    snapshot_interval: Option<S<Int>>,
    keep_old_snapshots: Option<S<Int>>,
    log_entries_for_slow_followers: Option<S<Int>>,
    default_addr_pool: Option<Vec<S<String>>>,
    subnet_size: Option<S<Int>>,
    data_path_port: Option<S<Int>>,
    labels: Option<S<Labels>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAvailability {
    leader: Option<S<String>>,
    manager: Option<S<String>>,
    worker: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    // `name` and `role` are required, but checked in stage two for a
    // message that names the node.
    name: Option<S<String>>,
    address: Option<S<String>>,
    role: Option<S<String>>,
    user: Option<S<String>>,
    port: Option<S<Int>>,
    identity_file: Option<S<Paths>>,
    socket: Option<S<String>>,
    advertise_addr: Option<S<String>>,
    availability: Option<S<String>>,
    labels: Option<S<Labels>>,
}

impl RawNode {
    /// The line of each field that is written, for messages of the shared
    /// validation, which only knows the key path.
    fn field_lines(&self, lines: &LineIndex) -> Vec<(&'static str, usize)> {
        let mut out = Vec::new();
        let mut add = |field: &'static str, span: Option<std::ops::Range<usize>>| {
            if let Some(span) = span {
                out.push((field, lines.line(span.start)));
            }
        };
        add("name", self.name.as_ref().map(Spanned::span));
        add("address", self.address.as_ref().map(Spanned::span));
        add("role", self.role.as_ref().map(Spanned::span));
        add("user", self.user.as_ref().map(Spanned::span));
        add("port", self.port.as_ref().map(Spanned::span));
        add("socket", self.socket.as_ref().map(Spanned::span));
        add(
            "advertise_addr",
            self.advertise_addr.as_ref().map(Spanned::span),
        );
        add("labels", self.labels.as_ref().map(Spanned::span));
        out
    }
}

/// An integer, range-checked in stage two (so that `port = 0` gets the
/// same message as in the INI format).
#[derive(Debug, Clone, Copy)]
struct Int(i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntVisitor;
        impl Visitor<'_> for IntVisitor {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::custom(format!("integer {v} is too large")))
            }
        }
        deserializer.deserialize_i64(IntVisitor)
    }
}

/// A path or a list of paths.
#[derive(Debug, Clone)]
struct Paths(Vec<String>);

impl<'de> Deserialize<'de> for Paths {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PathsVisitor;
        impl<'de> Visitor<'de> for PathsVisitor {
            type Value = Paths;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a path or a list of paths")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Paths, E> {
                Ok(Paths(vec![v.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Paths, A::Error> {
                let mut paths = Vec::new();
                while let Some(path) = seq.next_element::<String>()? {
                    paths.push(path);
                }
                Ok(Paths(paths))
            }
        }
        deserializer.deserialize_any(PathsVisitor)
    }
}

/// A table of string labels.
#[derive(Debug, Clone, Default)]
struct Labels(BTreeMap<String, String>);

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LabelsVisitor;
        impl<'de> Visitor<'de> for LabelsVisitor {
            type Value = Labels;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of string labels such as { zone = \"a\" }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Labels, A::Error> {
                let mut labels = BTreeMap::new();
                while let Some((key, value)) = map.next_entry::<String, String>()? {
                    labels.insert(key, value);
                }
                Ok(Labels(labels))
            }
        }
        deserializer.deserialize_map(LabelsVisitor)
    }
}

/// Line numbers of byte offsets, from one pass over the text.
struct LineIndex {
    /// The byte offset where each line starts.
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { starts }
    }

    /// The 1-based line of byte `offset`.
    fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|start| *start <= offset).max(1)
    }

    /// 1-based line and column (in characters) of byte `offset`.
    fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = self.line(offset);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = text.get(start..offset).map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }
}

// Stage two: validation into the inventory types.

struct Ctx<'a> {
    path: &'a Path,
    lines: LineIndex,
    base: PathBuf,
    env: &'a LocalEnv,
}

impl Ctx<'_> {
    fn build(&self, raw: RawInventory, options: &LoadOptions) -> Result<Inventory, InventoryError> {
        let inventory_ssh_config = raw
            .ssh_config
            .as_ref()
            .map(|p| self.path_at("ssh_config", p))
            .transpose()?;
        let ssh = choose_ssh_config(
            options.ssh_config.as_deref(),
            inventory_ssh_config.as_deref(),
            self.env,
        )?;
        let defaults = self.defaults(raw.defaults)?;
        let swarm = self.swarm(raw.swarm)?;
        let mut nodes = Vec::with_capacity(raw.nodes.len());
        let mut origins = Vec::with_capacity(raw.nodes.len());
        let mut field_lines = Vec::with_capacity(raw.nodes.len());
        for (i, raw_node) in raw.nodes.into_iter().enumerate() {
            let origin = self.origin(&format!("nodes[{i}]"), &raw_node);
            let raw_node = raw_node.into_inner();
            field_lines.push(raw_node.field_lines(&self.lines));
            nodes.push(self.node(raw_node, &origin, &ssh, &defaults)?);
            origins.push(origin);
        }
        let inventory = Inventory {
            source: self.path.to_owned(),
            swarm,
            nodes,
        };
        validate(&inventory, &origins).map_err(|e| relocate(e, &field_lines))?;
        Ok(inventory)
    }

    fn defaults(&self, raw: RawDefaults) -> Result<SshSettings, InventoryError> {
        Ok(SshSettings {
            user: self.checked("defaults.user", raw.user, check_user)?,
            port: raw
                .port
                .map(|p| check_port(p.get_ref().0).map_err(|m| self.error("defaults.port", &p, m)))
                .transpose()?,
            identity_files: raw
                .identity_file
                .map(|paths| self.paths_at("defaults.identity_file", &paths))
                .transpose()?,
            known_hosts_files: match raw.known_hosts {
                Some(paths) => self.paths_at("defaults.known_hosts", &paths)?,
                None => Vec::new(),
            },
            socket: self.checked("defaults.socket", raw.socket, check_socket)?,
        })
    }

    fn swarm(&self, mut raw: RawSwarm) -> Result<SwarmSettings, InventoryError> {
        let mut swarm = SwarmSettings::default();
        self.move_network_settings(&mut raw)?;
        swarm.autolock = raw.autolock.map(Spanned::into_inner);
        swarm.settings = self.settings(&raw.settings)?;
        if let Some(addr) = self.checked("swarm.listen_addr", raw.listen_addr, check_listen_addr)? {
            swarm.listen_addr = addr;
        }
        swarm.advertise_addr = self.checked(
            "swarm.advertise_addr",
            raw.advertise_addr,
            check_advertise_addr,
        )?;
        let mut prefixes = Vec::new();
        let mut pools = Vec::new();
        for (i, pool) in raw.default_addr_pool.into_iter().flatten().enumerate() {
            let key = format!("swarm.default_addr_pool[{i}]");
            prefixes.push(check_addr_pool(pool.get_ref()).map_err(|m| self.error(&key, &pool, m))?);
            pools.push(pool.into_inner());
        }
        swarm.default_addr_pool = pools;
        swarm.subnet_size = raw
            .subnet_size
            .map(|s| {
                check_subnet_size(s.get_ref().0, &prefixes)
                    .map_err(|m| self.error("swarm.subnet_size", &s, m))
            })
            .transpose()?;
        swarm.data_path_port = raw
            .data_path_port
            .map(|p| {
                check_data_path_port(p.get_ref().0)
                    .map_err(|m| self.error("swarm.data_path_port", &p, m))
            })
            .transpose()?;
        let availability = raw.availability;
        let policy = |key: &str, value: Option<S<String>>, default: Availability| {
            value.map_or(Ok(default), |v| {
                Availability::parse(v.get_ref()).map_err(|m| self.error(key, &v, m))
            })
        };
        swarm.leader_availability = policy(
            "swarm.availability.leader",
            availability.leader,
            swarm.leader_availability,
        )?;
        swarm.manager_availability = policy(
            "swarm.availability.manager",
            availability.manager,
            swarm.manager_availability,
        )?;
        swarm.worker_availability = policy(
            "swarm.availability.worker",
            availability.worker,
            swarm.worker_availability,
        )?;
        Ok(swarm)
    }

    /// The init-only network values may be written in `[swarm]` or in
    /// `[swarm.settings]`; moves the latter into the former, refusing both.
    fn move_network_settings(&self, raw: &mut RawSwarm) -> Result<(), InventoryError> {
        let twice = |key: &str, line: usize| {
            Origin::key(format!("swarm.settings.{key}"), Some(line)).error(
                self.path,
                format!(
                    "`{key}` is set in [swarm] and in [swarm.settings]: keep one",
                    key = shown(key)
                ),
            )
        };
        if let Some(pools) = raw.settings.default_addr_pool.take() {
            if raw.default_addr_pool.is_some() {
                let line = pools.first().map_or(1, |p| self.lines.line(p.span().start));
                return Err(twice("default_addr_pool", line));
            }
            raw.default_addr_pool = Some(pools);
        }
        if let Some(size) = raw.settings.subnet_size.take() {
            if raw.subnet_size.is_some() {
                return Err(twice("subnet_size", self.lines.line(size.span().start)));
            }
            raw.subnet_size = Some(size);
        }
        if let Some(port) = raw.settings.data_path_port.take() {
            if raw.data_path_port.is_some() {
                return Err(twice("data_path_port", self.lines.line(port.span().start)));
            }
            raw.data_path_port = Some(port);
        }
        Ok(())
    }

    /// `[swarm.settings]`, each value checked with its key path.
    fn settings(&self, raw: &RawSettings) -> Result<ClusterSettings, InventoryError> {
        let int = |key: &str, value: &Option<S<Int>>, check: fn(i64) -> Result<u64, ValueError>| {
            value
                .as_ref()
                .map(|v| {
                    check(v.get_ref().0)
                        .map_err(|m| self.error(&format!("swarm.settings.{key}"), v, m))
                })
                .transpose()
        };
        let duration =
            |key: &str,
             value: &Option<S<String>>,
             check: fn(&str) -> Result<std::time::Duration, ValueError>| {
                value
                    .as_ref()
                    .map(|v| {
                        check(v.get_ref())
                            .map_err(|m| self.error(&format!("swarm.settings.{key}"), v, m))
                    })
                    .transpose()
            };
        let task_history_limit = int("task_history_limit", &raw.task_history_limit, check_count)?
            .map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        let mut labels = BTreeMap::new();
        if let Some(raw_labels) = &raw.labels {
            for (key, value) in &raw_labels.get_ref().0 {
                check_swarm_label(key, value).map_err(|m| {
                    self.error(&format!("swarm.settings.labels.{key}"), raw_labels, m)
                })?;
                labels.insert(key.clone(), value.clone());
            }
        }
        Ok(ClusterSettings {
            task_history_limit,
            node_cert_expiry: duration(
                "node_cert_expiry",
                &raw.node_cert_expiry,
                check_node_cert_expiry,
            )?,
            dispatcher_heartbeat: duration(
                "dispatcher_heartbeat",
                &raw.dispatcher_heartbeat,
                check_heartbeat,
            )?,
            snapshot_interval: int(
                "snapshot_interval",
                &raw.snapshot_interval,
                check_snapshot_interval,
            )?,
            keep_old_snapshots: int("keep_old_snapshots", &raw.keep_old_snapshots, check_count)?,
            log_entries_for_slow_followers: int(
                "log_entries_for_slow_followers",
                &raw.log_entries_for_slow_followers,
                check_count,
            )?,
            labels,
        })
    }

    fn node(
        &self,
        raw: RawNode,
        origin: &Origin,
        ssh: &SshConfigFile,
        defaults: &SshSettings,
    ) -> Result<Node, InventoryError> {
        let key = |field: &str| match origin {
            Origin::Key { key, .. } => format!("{key}.{field}"),
            _ => field.to_owned(),
        };
        let Some(raw_name) = raw.name else {
            return Err(origin.error(
                self.path,
                "missing `name`: every [[nodes]] table needs a name",
            ));
        };
        let name = NodeName::new(raw_name.get_ref())
            .map_err(|m| self.error(&key("name"), &raw_name, m))?;
        // From here on messages name the node too.
        let fail = |field: &str, line: Option<usize>, message: &dyn fmt::Display| {
            Origin::key(key(field), line).error(self.path, format!("node `{name}`: {message}"))
        };
        let line_of = |span: std::ops::Range<usize>| Some(self.lines.line(span.start));
        let role = match &raw.role {
            Some(role) => {
                Role::parse(role.get_ref()).map_err(|m| fail("role", line_of(role.span()), &m))?
            }
            None => {
                return Err(fail(
                    "role",
                    origin_line(origin),
                    &"missing `role`: expected one of: leader, manager, worker",
                ));
            }
        };
        if let Some(address) = &raw.address {
            check_address(address.get_ref())
                .map_err(|m| fail("address", line_of(address.span()), &m))?;
        }
        let string = |field: &str,
                      value: Option<S<String>>,
                      check: fn(&str) -> Result<(), ValueError>|
         -> Result<Option<String>, InventoryError> {
            value
                .map(|v| match check(v.get_ref()) {
                    Ok(()) => Ok(v.into_inner()),
                    Err(m) => Err(fail(field, line_of(v.span()), &m)),
                })
                .transpose()
        };
        let settings = SshSettings {
            user: string("user", raw.user, check_user)?,
            port: raw
                .port
                .map(|p| check_port(p.get_ref().0).map_err(|m| fail("port", line_of(p.span()), &m)))
                .transpose()?,
            identity_files: raw
                .identity_file
                .map(|paths| {
                    self.expand_paths(paths.get_ref())
                        .map_err(|m| fail("identity_file", line_of(paths.span()), &m))
                })
                .transpose()?,
            known_hosts_files: Vec::new(),
            socket: string("socket", raw.socket, check_socket)?,
        };
        let advertise_addr = string("advertise_addr", raw.advertise_addr, |v| {
            Ok(check_advertise_addr(v)?)
        })?;
        let availability = raw
            .availability
            .map(|a| {
                Availability::parse(a.get_ref())
                    .map_err(|m| fail("availability", line_of(a.span()), &m))
            })
            .transpose()?;
        let (labels, labels_line) = match raw.labels {
            Some(labels) => (labels.get_ref().0.clone(), line_of(labels.span())),
            None => (BTreeMap::new(), None),
        };
        for (label, value) in &labels {
            check_label_key(label)
                .and_then(|()| check_label_value(label, value))
                .map_err(|m| fail(&format!("labels.{label}"), labels_line, &m))?;
        }
        // As `ssh <address>` would: the address is the alias the ssh config matches.
        let alias = raw
            .address
            .as_ref()
            .map_or(name.as_str(), |a| a.get_ref().as_str());
        let ssh = ssh
            .resolve(alias, &settings, defaults)
            .map_err(|e| in_node(e, &name))?;
        Ok(Node {
            name,
            role,
            ssh,
            advertise_addr,
            availability,
            labels,
        })
    }

    /// Check an optional string value at `key`.
    fn checked<E: fmt::Display>(
        &self,
        key: &str,
        value: Option<S<String>>,
        check: impl Fn(&str) -> Result<(), E>,
    ) -> Result<Option<String>, InventoryError> {
        value
            .map(|v| match check(v.get_ref()) {
                Ok(()) => Ok(v.into_inner()),
                Err(m) => Err(self.error(key, &v, m)),
            })
            .transpose()
    }

    fn path_at(&self, key: &str, raw: &S<String>) -> Result<PathBuf, InventoryError> {
        self.env
            .expand_path(raw.get_ref(), &self.base)
            .map_err(|m| self.error(key, raw, m))
    }

    fn paths_at(&self, key: &str, paths: &S<Paths>) -> Result<Vec<PathBuf>, InventoryError> {
        self.expand_paths(paths.get_ref())
            .map_err(|m| self.error(key, paths, m))
    }

    fn expand_paths(&self, paths: &Paths) -> Result<Vec<PathBuf>, PathError> {
        if paths.0.is_empty() {
            return Err(PathError::NoPaths);
        }
        paths
            .0
            .iter()
            .map(|p| self.env.expand_path(p, &self.base))
            .collect()
    }

    /// Where the value `spanned` at `key` is written.
    fn origin<T>(&self, key: &str, spanned: &S<T>) -> Origin {
        Origin::key(key, Some(self.lines.line(spanned.span().start)))
    }

    fn error<T>(&self, key: &str, spanned: &S<T>, message: impl fmt::Display) -> InventoryError {
        self.origin(key, spanned).error(self.path, message)
    }
}

fn origin_line(origin: &Origin) -> Option<usize> {
    match origin {
        Origin::Key { line, .. } => *line,
        Origin::Line(line) => Some(*line),
        Origin::File => None,
    }
}

/// Point an error of the shared validation at the line of its exact key
/// (`nodes[1].role`) rather than of the node's table, when it is written.
fn relocate(error: InventoryError, field_lines: &[Vec<(&'static str, usize)>]) -> InventoryError {
    let InventoryError::Invalid {
        path,
        key,
        line,
        message,
    } = error
    else {
        return error;
    };
    let exact = key
        .strip_prefix("nodes[")
        .and_then(|rest| rest.split_once("]."))
        .and_then(|(index, field)| {
            let fields = field_lines.get(index.parse::<usize>().ok()?)?;
            let field = field.split('.').next().unwrap_or(field);
            fields.iter().find(|(f, _)| *f == field).map(|(_, l)| *l)
        });
    InventoryError::Invalid {
        line: exact.or(line),
        path,
        key,
        message,
    }
}

// Errors of stage one, with their position.

fn syntax_error(
    path: &Path,
    text: &str,
    lines: &LineIndex,
    error: &::toml::de::Error,
) -> InventoryError {
    let position = error
        .span()
        .map(|span| {
            let (line, column) = lines.line_column(text, span.start);
            format!("line {line}, column {column}: ")
        })
        .unwrap_or_default();
    InventoryError::Syntax {
        path: path.to_owned(),
        message: format!("TOML syntax error at {position}{}", error.message().trim()),
    }
}

fn deserialize_error(
    path: &Path,
    lines: &LineIndex,
    error: serde_path_to_error::Error<::toml::de::Error>,
) -> InventoryError {
    let mut key = key_path(error.path());
    let error = error.into_inner();
    let mut message = humanize(error.message().trim());
    if let Some((field, with_hint)) = unknown_field(&message) {
        // The path ends at the table that holds the unknown key.
        if !key.ends_with(&field) {
            key = if key.is_empty() {
                field
            } else {
                format!("{key}.{field}")
            };
        }
        message = with_hint;
    }
    let line = error.span().map(|span| lines.line(span.start));
    match (key.is_empty(), line) {
        (false, _) => Origin::key(key, line).error(path, message),
        (true, Some(line)) => Origin::Line(line).error(path, message),
        (true, None) => Origin::File.error(path, message),
    }
}

/// `nodes[1].labels` from serde's path, without the fields [`Spanned`]
/// deserializes through.
fn key_path(path: &serde_path_to_error::Path) -> String {
    let mut key = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => key.push_str(&format!("[{index}]")),
            Segment::Map { key: name } | Segment::Enum { variant: name } => {
                if name.starts_with("$__serde_spanned") {
                    continue;
                }
                if !key.is_empty() {
                    key.push('.');
                }
                key.push_str(name);
            }
            Segment::Unknown => {}
        }
    }
    key
}

/// For serde's "unknown field `x`, expected one of `a`, `b`": the field,
/// and the message with the closest known key suggested.
fn unknown_field(message: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, expected) = rest.split_once('`')?;
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let hint = closest(field, &known)
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    Some((
        field.to_owned(),
        format!(
            "unknown field `{field}`{hint}{expected}",
            field = shown(field)
        ),
    ))
}

/// serde speaks of structs and sequences; the file has tables and arrays.
fn humanize(message: &str) -> String {
    let raw_structs = [
        "RawInventory",
        "RawDefaults",
        "RawSwarm",
        "RawAvailability",
        "RawNode",
    ];
    raw_structs
        .iter()
        .fold(message.replace("a sequence", "an array"), |m, name| {
            m.replace(&format!("struct {name}"), "a table")
        })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod settings_tests;
