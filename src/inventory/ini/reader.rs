//! Reading an INI inventory line by line into what the file says (`Ini`):
//! section headers, host lines with their variables, `:vars` and
//! `:children` lines, each kept with its line number. Words are split like
//! a shell, as Ansible does. Nothing here knows roles or precedence.

use std::fmt;

use super::hosts::{expand_hosts, split_port};
use super::vars::{LABEL_PREFIX, is_cluster_var, unknown_swarm_var};
use super::{Ctx, Ini, OUR_GROUPS, Var};
use crate::inventory::InventoryError;
use crate::inventory::address::shown;
use crate::inventory::suggest::did_you_mean;

/// Read `text` (its lines numbered from 1) into what the file says.
pub(super) fn read(ctx: &Ctx, text: &str) -> Result<Ini, InventoryError> {
    let mut reader = Reader {
        ctx,
        ini: Ini::default(),
        section: Section::Hosts("ungrouped".into()),
    };
    // Editors on Windows start UTF-8 files with a byte order mark; Ansible
    // reads past it, and so do we.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, line) in text.lines().enumerate() {
        reader.line(i + 1, line)?;
    }
    Ok(reader.ini)
}

/// The kind of section a line belongs to, with its group.
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

    fn error(&self, line: usize, message: impl fmt::Display) -> InventoryError {
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
pub(super) fn split_words(line: &str) -> Result<Vec<String>, UnclosedQuote> {
    shlex::split(line).ok_or_else(|| UnclosedQuote {
        line: line.to_owned(),
    })
}

/// A line with an unclosed quote or a trailing backslash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unclosed quote or trailing backslash in `{}`", shown(.line))]
pub(super) struct UnclosedQuote {
    line: String,
}
