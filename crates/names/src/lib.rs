//! The words swarmadm and its lab both speak, in a crate of their own so
//! that both can depend on it: the lab (`crates/lab`) cannot depend on
//! swarmadm, which depends on the lab for `swarmadm lab`. It holds a node's
//! [`Role`] in the inventory, and [`shown`], how a message quotes a value
//! that came from a file or a user (which [`Role::parse`] needs). Plain
//! data: no I/O, nothing of either crate.
//!
//! swarmadm reaches these through `model::names`, which re-exports them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The role the inventory gives a node (`leader`, `manager`, `worker`), as
/// swarmadm reads it and the lab writes it into `inventory.toml` and
/// `state.json`. The leader is a manager that initialises the swarm when no
/// node is in one yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The first manager: the one `swarm init` runs on.
    Leader,
    Manager,
    Worker,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Leader, Role::Manager, Role::Worker];

    pub fn is_manager(self) -> bool {
        matches!(self, Role::Leader | Role::Manager)
    }

    /// The role named by `s`, exactly as the inventory writes it.
    pub fn parse(s: &str) -> Result<Self, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole {
                value: s.to_owned(),
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Manager => "manager",
            Role::Worker => "worker",
        }
    }
}

/// A role the inventory writes that is none of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRole {
    pub value: String,
}

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown role `{}`, expected one of: leader, manager, worker",
            shown(&self.value)
        )
    }
}

impl std::error::Error for UnknownRole {}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The most characters of one value a message quotes.
pub const MAX_SHOWN: usize = 80;

/// A value from a file or a user as a message quotes it: control
/// characters escaped, and at most [`MAX_SHOWN`] characters, the rest said
/// as a count (a 180 KB host name must not make a 180 KB message).
pub fn shown(value: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_reads_and_writes_as_its_lowercase_word() {
        for (role, word) in [
            (Role::Leader, "leader"),
            (Role::Manager, "manager"),
            (Role::Worker, "worker"),
        ] {
            assert_eq!(role.to_string(), word);
            assert_eq!(Role::parse(word), Ok(role));
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{word}\""));
            assert_eq!(
                serde_json::from_str::<Role>(&format!("\"{word}\"")).unwrap(),
                role
            );
        }
        assert!(serde_json::from_str::<Role>("\"Leader\"").is_err());
        assert_eq!(
            Role::parse("wroker").map_err(|e| e.to_string()),
            Err("unknown role `wroker`, expected one of: leader, manager, worker".to_owned())
        );
    }

    #[test]
    fn a_shown_value_is_escaped_and_cut() {
        assert_eq!(shown("m\u{1b}1"), "m\\u{1b}1");
        let long = "a".repeat(200);
        assert_eq!(
            shown(&long),
            format!("{}… (200 bytes in all)", "a".repeat(80))
        );
    }
}
