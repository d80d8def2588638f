//! The names every layer uses: a node's name ([`NodeName`], checked by the
//! host name rules Docker names nodes by), its [`Role`] in the inventory
//! (from the `swarmadm-names` crate, shared with the lab) and its scheduling
//! [`Availability`]. Validated at the edge, then passed
//! around as these types, never as strings.

use std::fmt;

use serde::Serialize;

/// A node's role and how a message quotes a value live in the
/// `swarmadm-names` crate, which the lab shares: one `Role` for both.
pub use swarmadm_names::Role;
pub(crate) use swarmadm_names::shown;

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
