//! What `verify`'s checks compare, typed: [`Value`] is every kind of value
//! a check expects or finds (a role, an availability, a node state, a
//! manager's standing, labels, counts, a setting's value, …). JSON gets the
//! values as JSON (numbers, booleans, objects, snake_case words, `null` for
//! unknown); text gets them through `Display`, in the words `verify` has
//! always printed. Which check carries which kinds is `verify`'s and
//! `settings`' business, and `schemas/verify.schema.json` describes it.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::model::failure::Failure;
use crate::model::names::Availability;
use crate::model::swarm::{LocalState, NodeRole, NodeStatus, Reachability, SwarmNode};
use crate::observe::cluster::{Stray, quorum};
use crate::plan::settings::show_duration;

/// A value a check expects or finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// The node's engine answers: what `reachable` expects (JSON `true`).
    Answering,
    /// The engine that answered.
    Engine {
        version: String,
        api_version: String,
    },
    /// Why the node could not be reached or read (`{stage, message}`).
    Unreachable(Failure),
    /// Whether the swarm is unlocked on the node (`unlocked`).
    Unlocked(bool),
    /// Whether and where the node is in a swarm (`in_swarm`).
    Membership(Membership),
    /// The node's role in the swarm.
    Role(NodeRole),
    /// A manager's standing in Raft (`manager_status`).
    Manager(ManagerState),
    /// Any one of these will do (`leader or reachable`).
    AnyOf(Vec<Value>),
    /// The node's state in the node list (`ready`).
    State(NodeStatus),
    Availability(Availability),
    /// Node labels by key; `None`: the key is not set.
    Labels(BTreeMap<String, Option<String>>),
    /// Not known: the node is unreachable and not in the node list (`null`).
    Unknown,
    /// Whether there is a swarm at all (`swarm`).
    Swarm(SwarmPresence),
    /// Every manager in this cluster (what `one_cluster` expects).
    EveryManagerIn(String),
    /// The cluster IDs the managers report.
    ClusterIds(Vec<String>),
    /// Exactly one leader (what `one_leader` expects; JSON `1`).
    OneLeader,
    /// The hostnames of the managers that say they lead.
    Leaders(Vec<String>),
    /// The leaders named, and the managers that answered without naming
    /// the confirmed one (by inventory name, with what they said): a
    /// manager that says there is no leader, or whose engine did not
    /// answer its node list within `--timeout`, while the others confirm
    /// one (`{"leaders": [..], "dissent": {name: said}}`).
    LeadersDisputed {
        leaders: Vec<String>,
        dissent: BTreeMap<String, String>,
    },
    /// At least this many of the managers reachable (what `quorum`
    /// expects).
    Quorum {
        at_least: usize,
        of: usize,
    },
    /// How many of the managers are reachable, with quorum.
    Managers {
        reachable: usize,
        of: usize,
    },
    /// No node outside the inventory (what `strays` expects; JSON `[]`).
    NoStrays,
    Strays(Vec<Stray>),
    /// One engine version on every node (what `engine_versions` expects;
    /// JSON `1`).
    OneEngineVersion,
    /// How many nodes run each engine version.
    EngineVersions(BTreeMap<String, usize>),
    /// Whether a root CA rotation is under way (`root_ca`; JSON a bool).
    RootRotation(bool),
    Bool(bool),
    Count(u64),
    /// JSON: seconds.
    Duration(Duration),
    /// Address pools (CIDR).
    AddrPools(Vec<String>),
    /// Not set (`null`).
    Unset,
    /// The engine does not report it (`null`).
    Unreported,
    /// A value set at `swarm init` only: it cannot change on a running
    /// swarm (JSON: the value itself).
    InitOnly(Box<Value>),
    /// Free text, the last resort.
    Text(String),
}

/// Whether and where a node is in a swarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "membership", rename_all = "snake_case")]
pub(crate) enum Membership {
    /// In this cluster (`None`: the inventory's, whose ID is not known).
    Member { cluster_id: Option<String> },
    /// In no swarm.
    NotInSwarm,
    /// In a swarm, but not active there (pending, error, locked).
    NotActive { state: LocalState },
    /// In another swarm than the inventory's.
    OtherSwarm { cluster_id: String },
    /// Active in a swarm whose managers do not list it.
    Unlisted,
}

/// A manager's standing: the leader, or its reachability; or no manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ManagerState {
    Leader,
    Reachable,
    Unreachable,
    Unknown,
    NotAManager,
}

impl ManagerState {
    pub(crate) fn of(node: &SwarmNode) -> ManagerState {
        match &node.manager {
            Some(m) if m.leader => ManagerState::Leader,
            Some(m) => match m.reachability {
                Reachability::Reachable => ManagerState::Reachable,
                Reachability::Unreachable => ManagerState::Unreachable,
                Reachability::Unknown => ManagerState::Unknown,
            },
            None => ManagerState::NotAManager,
        }
    }
}

/// Whether the inventory's nodes are in a swarm at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SwarmPresence {
    /// One swarm: what `swarm` expects.
    OneSwarm,
    /// Every node that answered is in no swarm: `up` has not run yet.
    NoSwarmYet,
    /// Managers answered, but none is in a swarm.
    NoManagerInSwarm,
}

impl fmt::Display for Membership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Membership::Member {
                cluster_id: Some(id),
            } => write!(f, "member of {id}"),
            Membership::Member { cluster_id: None } => {
                f.write_str("member of the inventory's swarm")
            }
            Membership::NotInSwarm => f.write_str("not in a swarm"),
            Membership::NotActive { state } => write!(f, "swarm state {state}"),
            Membership::OtherSwarm { cluster_id } => write!(f, "in another swarm ({cluster_id})"),
            Membership::Unlisted => f.write_str("in a swarm whose managers do not list it"),
        }
    }
}

impl fmt::Display for ManagerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ManagerState::Leader => "leader",
            ManagerState::Reachable => "reachable",
            ManagerState::Unreachable => "unreachable",
            ManagerState::Unknown => "unknown",
            ManagerState::NotAManager => "not a manager",
        })
    }
}

impl fmt::Display for SwarmPresence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SwarmPresence::OneSwarm => "one swarm",
            SwarmPresence::NoSwarmYet => {
                "no swarm yet: the inventory's nodes are in no swarm; run `swarmadm up` first"
            }
            SwarmPresence::NoManagerInSwarm => "no reachable manager is in a swarm",
        })
    }
}

/// `items` joined by `sep`.
fn join<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    items: impl IntoIterator<Item = T>,
    sep: &str,
) -> fmt::Result {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// `1 failure`, `2 failures`: a count and its noun.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Answering => f.write_str("engine answering"),
            Value::Engine {
                version,
                api_version,
            } => write!(f, "engine {version} (API {api_version})"),
            Value::Unreachable(failure) => write!(f, "{failure}"),
            Value::Unlocked(true) => f.write_str("swarm unlocked"),
            Value::Unlocked(false) => f.write_str(
                "locked: the swarm is locked on this node (autolock); unlock it with \
                 `swarmadm unlock --unlock-key-file PATH` or `docker swarm unlock` on the node",
            ),
            Value::Membership(m) => write!(f, "{m}"),
            Value::Role(role) => write!(f, "{role}"),
            Value::Manager(state) => write!(f, "{state}"),
            Value::AnyOf(values) => join(f, values, " or "),
            Value::State(state) => write!(f, "{state}"),
            Value::Availability(a) => write!(f, "{a}"),
            Value::Labels(labels) => join(
                f,
                labels
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("<unset>"))),
                ",",
            ),
            Value::Unknown => {
                f.write_str("unknown (node unreachable and not found in the node list)")
            }
            Value::Swarm(presence) => write!(f, "{presence}"),
            Value::EveryManagerIn(id) => write!(f, "every manager in {id}"),
            Value::ClusterIds(ids) => {
                f.write_str("cluster IDs: ")?;
                join(f, ids, ", ")
            }
            Value::OneLeader => f.write_str("exactly one leader"),
            Value::Leaders(leaders) => {
                write!(f, "{}: ", plural(leaders.len(), "leader", "leaders"))?;
                join(f, leaders, ", ")
            }
            Value::LeadersDisputed { leaders, dissent } => {
                write!(f, "{}: ", plural(leaders.len(), "leader", "leaders"))?;
                join(f, leaders, ", ")?;
                let dissent: Vec<String> = dissent
                    .iter()
                    .map(|(name, said)| format!("{name} ({said})"))
                    .collect();
                f.write_str("; not confirmed by ")?;
                join(f, &dissent, ", ")
            }
            Value::Quorum { at_least, of } => {
                write!(f, "at least {at_least} of {of} managers reachable")
            }
            Value::Managers { reachable, of } => {
                let tolerates = reachable.saturating_sub(quorum(*of));
                write!(
                    f,
                    "{reachable} of {of} reachable, tolerates {} more {}",
                    tolerates,
                    if tolerates == 1 {
                        "failure"
                    } else {
                        "failures"
                    }
                )
            }
            Value::NoStrays => f.write_str("no node outside the inventory"),
            Value::Strays(strays) if strays.is_empty() => f.write_str("none"),
            Value::Strays(strays) => join(f, strays, "; "),
            Value::OneEngineVersion => f.write_str("one engine version"),
            Value::RootRotation(false) => f.write_str("no root CA rotation under way"),
            Value::RootRotation(true) => f.write_str(
                "a root CA rotation under way: not every node has a certificate from the new \
                 root yet (a Down entry holds it up until it is back or removed)",
            ),
            Value::EngineVersions(versions) => join(
                f,
                versions.iter().map(|(v, n)| format!("{v} ({n} nodes)")),
                ", ",
            ),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Count(n) => write!(f, "{n}"),
            Value::Duration(d) => f.write_str(&show_duration(*d)),
            Value::AddrPools(pools) => join(f, pools, ", "),
            Value::Unset => f.write_str("<unset>"),
            Value::Unreported => f.write_str("not reported by the engine"),
            Value::InitOnly(value) => write!(f, "{value} (set at init only)"),
            Value::Text(text) => f.write_str(text),
        }
    }
}

/// `{"engine_version", "api_version"}`.
#[derive(Serialize)]
struct EngineJson<'a> {
    engine_version: &'a str,
    api_version: &'a str,
}

/// `{"at_least", "of"}`.
#[derive(Serialize)]
struct QuorumJson {
    at_least: usize,
    of: usize,
}

/// `{"leaders", "dissent"}`.
#[derive(Serialize)]
struct DisputedJson<'a> {
    leaders: &'a [String],
    dissent: &'a BTreeMap<String, String>,
}

/// `{"reachable", "of"}`, with quorum or without.
#[derive(Serialize)]
struct ManagersJson {
    reachable: usize,
    of: usize,
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Answering => s.serialize_bool(true),
            Value::Engine {
                version,
                api_version,
            } => EngineJson {
                engine_version: version,
                api_version,
            }
            .serialize(s),
            Value::Unreachable(failure) => failure.serialize(s),
            Value::Unlocked(b) | Value::Bool(b) | Value::RootRotation(b) => s.serialize_bool(*b),
            Value::Membership(m) => m.serialize(s),
            Value::Role(role) => role.serialize(s),
            Value::Manager(state) => state.serialize(s),
            Value::AnyOf(values) => values.serialize(s),
            Value::State(state) => state.serialize(s),
            Value::Availability(a) => a.serialize(s),
            Value::Labels(labels) => labels.serialize(s),
            Value::Unknown | Value::Unset | Value::Unreported => s.serialize_none(),
            Value::Swarm(presence) => presence.serialize(s),
            Value::EveryManagerIn(id) => s.serialize_str(id),
            Value::ClusterIds(ids) | Value::Leaders(ids) | Value::AddrPools(ids) => {
                ids.serialize(s)
            }
            Value::LeadersDisputed { leaders, dissent } => {
                DisputedJson { leaders, dissent }.serialize(s)
            }
            Value::OneLeader | Value::OneEngineVersion => s.serialize_u64(1),
            Value::Quorum { at_least, of } => QuorumJson {
                at_least: *at_least,
                of: *of,
            }
            .serialize(s),
            Value::Managers { reachable, of } => ManagersJson {
                reachable: *reachable,
                of: *of,
            }
            .serialize(s),
            Value::NoStrays => s.collect_seq(std::iter::empty::<()>()),
            Value::Strays(strays) => strays.serialize(s),
            Value::EngineVersions(versions) => versions.serialize(s),
            Value::Count(n) => s.serialize_u64(*n),
            Value::Duration(d) if d.subsec_nanos() == 0 => s.serialize_u64(d.as_secs()),
            Value::Duration(d) => s.serialize_f64(d.as_secs_f64()),
            Value::InitOnly(value) => value.serialize(s),
            Value::Text(text) => s.serialize_str(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[track_caller]
    fn both(value: Value, text: &str, json: serde_json::Value) {
        assert_eq!(value.to_string(), text);
        assert_eq!(serde_json::to_value(&value).unwrap_or_default(), json);
    }

    #[test]
    fn values_are_json_of_their_type_and_text_in_the_words_of_verify() {
        both(Value::Count(3), "3", json!(3));
        both(Value::Bool(true), "true", json!(true));
        both(
            Value::Duration(Duration::from_secs(90 * 86_400)),
            "90d",
            json!(7_776_000),
        );
        both(
            Value::Duration(Duration::from_millis(500)),
            "500ms",
            json!(0.5),
        );
        both(
            Value::Labels(BTreeMap::from([
                ("a".to_owned(), Some("1".to_owned())),
                ("b".to_owned(), None),
            ])),
            "a=1,b=<unset>",
            json!({"a": "1", "b": null}),
        );
        both(
            Value::AnyOf(vec![
                Value::Manager(ManagerState::Leader),
                Value::Manager(ManagerState::Reachable),
            ]),
            "leader or reachable",
            json!(["leader", "reachable"]),
        );
        both(
            Value::Manager(ManagerState::NotAManager),
            "not a manager",
            json!("not_a_manager"),
        );
        both(
            Value::Membership(Membership::NotActive {
                state: LocalState::Pending,
            }),
            "swarm state pending",
            json!({"membership": "not_active", "state": "pending"}),
        );
        both(
            Value::Managers {
                reachable: 3,
                of: 3,
            },
            "3 of 3 reachable, tolerates 1 more failure",
            json!({"reachable": 3, "of": 3}),
        );
        both(
            Value::Leaders(vec!["m1".into(), "m2".into()]),
            "2 leaders: m1, m2",
            json!(["m1", "m2"]),
        );
        both(
            Value::LeadersDisputed {
                leaders: vec!["m1".into()],
                dissent: BTreeMap::from([("m3".into(), "says the swarm has no leader".into())]),
            },
            "1 leader: m1; not confirmed by m3 (says the swarm has no leader)",
            json!({"leaders": ["m1"], "dissent": {"m3": "says the swarm has no leader"}}),
        );
        both(
            Value::EngineVersions(BTreeMap::from([("24.0.0".into(), 1), ("26.1.5".into(), 2)])),
            "24.0.0 (1 nodes), 26.1.5 (2 nodes)",
            json!({"24.0.0": 1, "26.1.5": 2}),
        );
        both(Value::NoStrays, "no node outside the inventory", json!([]));
        both(
            Value::InitOnly(Box::new(Value::Count(26))),
            "26 (set at init only)",
            json!(26),
        );
        both(
            Value::Unknown,
            "unknown (node unreachable and not found in the node list)",
            json!(null),
        );
    }
}
