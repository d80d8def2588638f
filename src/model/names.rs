//! The names every layer uses: a node's name ([`NodeName`], checked by the
//! host name rules Docker names nodes by), its [`Role`] in the inventory and
//! its scheduling [`Availability`]. Validated at the edge, then passed
//! around as these types, never as strings; a name that breaks the rules is
//! a [`NameError`].

use std::fmt;

use serde::Serialize;

/// The rule for host names, said in errors.
pub(crate) const HOST_NAME_RULE: &str = "host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all";

/// A name that breaks the rules of [`NodeName`], [`Role`] or
/// [`Availability`], or the host name rules; each variant carries the value
/// and says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    #[error("a node name cannot be empty")]
    EmptyNodeName,
    /// `what` names the value ("node name", "host name").
    #[error("`{}` is not a valid {what}: {fault} ({HOST_NAME_RULE})", shown(.name))]
    HostName {
        name: String,
        what: &'static str,
        fault: HostNameFault,
    },
    #[error("unknown role `{}`, expected one of: leader, manager, worker", shown(.value))]
    Role { value: String },
    #[error(
        "unknown availability `{}`, expected one of: active, pause, drain",
        shown(.value)
    )]
    Availability { value: String },
}

/// Which host name rule a name breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostNameFault {
    #[error("it has {0} characters")]
    TooLong(usize),
    #[error("it has an empty label")]
    EmptyLabel,
    #[error("label `{}` has {} characters", shown(.0), .0.len())]
    LongLabel(String),
    #[error("it contains {}", describe_char(*.0))]
    Character(char),
    #[error("label `{}` starts or ends with `-`", shown(.0))]
    Hyphen(String),
}

/// A host name by DNS rules (RFC 1123, plus `_`, which inventories use).
/// `what` names the value in the message ("node name", "host name").
pub(crate) fn check_host_name(name: &str, what: &'static str) -> Result<(), NameError> {
    let bad = |fault: HostNameFault| NameError::HostName {
        name: name.to_owned(),
        what,
        fault,
    };
    if name.len() > 253 {
        return Err(bad(HostNameFault::TooLong(name.len())));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(bad(HostNameFault::EmptyLabel));
        }
        if label.len() > 63 {
            return Err(bad(HostNameFault::LongLabel(label.to_owned())));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        {
            return Err(bad(HostNameFault::Character(c)));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad(HostNameFault::Hyphen(label.to_owned())));
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
    pub fn new(name: &str) -> Result<Self, NameError> {
        if name.is_empty() {
            return Err(NameError::EmptyNodeName);
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

    pub fn parse(s: &str) -> Result<Self, NameError> {
        match s {
            "leader" => Ok(Role::Leader),
            "manager" => Ok(Role::Manager),
            "worker" => Ok(Role::Worker),
            other => Err(NameError::Role {
                value: other.to_owned(),
            }),
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
    pub fn parse(s: &str) -> Result<Self, NameError> {
        match s {
            "active" => Ok(Availability::Active),
            "pause" => Ok(Availability::Pause),
            "drain" => Ok(Availability::Drain),
            other => Err(NameError::Availability {
                value: other.to_owned(),
            }),
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
