//! The names every layer uses: a node's name ([`NodeName`], checked by the
//! host name rules Docker names nodes by), its [`Role`] in the inventory and
//! its scheduling [`Availability`]. Validated at the edge, then passed
//! around as these types, never as strings.

use std::fmt;

use serde::Serialize;

/// The rule for host names, said in errors.
pub(crate) const HOST_NAME_RULE: &str = "host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all";

/// A host name by DNS rules (RFC 1123, plus `_`, which inventories use).
/// `what` names the value in the message ("node name", "host name").
pub(crate) fn check_host_name(name: &str, what: &str) -> Result<(), String> {
    let bad = |why: String| {
        format!(
            "`{}` is not a valid {what}: {why} ({HOST_NAME_RULE})",
            shown(name)
        )
    };
    if name.len() > 253 {
        return Err(bad(format!("it has {} characters", name.len())));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(bad("it has an empty label".into()));
        }
        if label.len() > 63 {
            return Err(bad(format!(
                "label `{}` has {} characters",
                shown(label),
                label.len()
            )));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        {
            return Err(bad(format!("it contains {}", describe_char(c))));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad(format!(
                "label `{}` starts or ends with `-`",
                shown(label)
            )));
        }
    }
    Ok(())
}

/// The most characters of one value a message quotes.
pub(crate) const MAX_SHOWN: usize = 80;

/// A value from a file or a user as a message quotes it: control
/// characters escaped, and at most [`MAX_SHOWN`] characters, the rest said
/// as a count (a 180 KB host name must not make a 180 KB message).
pub(crate) fn shown(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len().min(4 * MAX_SHOWN));
    for c in value.chars() {
        // Control and invisible characters (U+FEFF, U+200B...) as escapes.
        if c.is_control() || (!c.is_ascii() && !c.is_alphanumeric()) {
            escaped.extend(c.escape_debug());
        } else {
            escaped.push(c);
        }
        if escaped.len() > 4 * MAX_SHOWN {
            break;
        }
    }
    if escaped.chars().count() <= MAX_SHOWN {
        return escaped;
    }
    let head: String = escaped.chars().take(MAX_SHOWN).collect();
    format!("{head}… ({} bytes in all)", value.len())
}

/// `c` as a message shows it: printable ones quoted, others as escapes.
pub(crate) fn describe_char(c: char) -> String {
    if c.is_whitespace() {
        "whitespace".into()
    } else if c.is_control() {
        format!("the control character {}", c.escape_default())
    } else if !c.is_ascii() && !c.is_alphanumeric() {
        // Format characters (U+FEFF, U+200B...) are invisible on a terminal.
        format!("the character {}", c.escape_unicode())
    } else {
        format!("`{c}`")
    }
}

/// A node's name as the inventory gives it: a hostname-like label.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct NodeName(String);

impl NodeName {
    /// A host name by DNS rules (labels of letters, digits, `-` and `_`,
    /// each 1 to 63 characters and not starting or ending with `-`, at most
    /// 253 characters in all): Docker names a node after its host name.
    pub fn new(name: &str) -> Result<Self, String> {
        if name.is_empty() {
            return Err("a node name cannot be empty".into());
        }
        check_host_name(name, "node name")?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `m1, m2, m3`: node names as messages list them.
    pub(crate) fn join(names: &[NodeName]) -> String {
        names
            .iter()
            .map(NodeName::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The role the inventory gives a node. The leader is a manager that
/// initialises the swarm when no node is in one yet.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Leader,
    Manager,
    Worker,
}

impl Role {
    pub fn is_manager(self) -> bool {
        matches!(self, Role::Leader | Role::Manager)
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "leader" => Ok(Role::Leader),
            "manager" => Ok(Role::Manager),
            "worker" => Ok(Role::Worker),
            other => Err(format!(
                "unknown role `{}`, expected one of: leader, manager, worker",
                shown(other)
            )),
        }
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Manager => "manager",
            Role::Worker => "worker",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A node's scheduling availability, as the engine names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Availability {
    Active,
    Pause,
    Drain,
}

impl Availability {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "active" => Ok(Availability::Active),
            "pause" => Ok(Availability::Pause),
            "drain" => Ok(Availability::Drain),
            other => Err(format!(
                "unknown availability `{}`, expected one of: active, pause, drain",
                shown(other)
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Active => "active",
            Availability::Pause => "pause",
            Availability::Drain => "drain",
        }
    }
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
