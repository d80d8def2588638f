//! The names every layer uses: a node's name ([`NodeName`], checked by the
//! host name rules Docker names nodes by), its [`Role`] in the inventory
//! (from the `swarmadm-names` crate, shared with the lab) and its
//! scheduling [`Availability`]. Validated at the edge, then passed around
//! as these types, never as strings; a name that breaks the rules is a
//! [`NameError`].

use std::fmt;

use serde::Serialize;

/// A node's role and how a message quotes a value live in the
/// `swarmadm-names` crate, which the lab shares: one `Role` for both.
pub use swarmadm_names::Role;
pub(crate) use swarmadm_names::shown;

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
    #[error(transparent)]
    Role(#[from] swarmadm_names::UnknownRole),
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
