//! The values of flags, checked when clap parses them: each parser says
//! what it expected, and clap prints it after `invalid value '…' for
//! '--flag'`.

/// The longest timeout a flag takes: a day. Longer ones are typos, and
/// would overflow the clock arithmetic of the waits.
pub(in crate::cli) const MAX_SECS: u64 = 86_400;

/// The most nodes `--parallel` changes at once.
pub(in crate::cli) const MAX_PARALLEL: u64 = 1024;

/// The most client connections `tunnel --max-clients` relays at once.
pub(in crate::cli) const MAX_CLIENTS: u64 = 4096;

/// A flag value refused at parse time, with the value; clap prints it
/// after `invalid value '…' for '--flag'`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FlagValueError {
    #[error(
        "expected a whole number of seconds from 1 to {MAX_SECS}, got 0: a zero timeout would fail every node at once"
    )]
    ZeroSeconds,
    #[error("expected a whole number of seconds from 1 to {MAX_SECS} (a day), got `{value}`")]
    TooManySeconds { value: String },
    #[error(
        "expected a whole number of seconds from 1 to {MAX_SECS}, got `{}`",
        .value.escape_debug()
    )]
    Seconds { value: String },
    #[error(
        "expected a whole number from 1 to {MAX_PARALLEL}, got `{}`",
        .value.escape_debug()
    )]
    Parallel { value: String },
    /// `what` names the value ("an image name").
    #[error("{what} cannot be empty")]
    Empty { what: &'static str },
    #[error(
        "{what} `{}` contains {}",
        .value.escape_debug(),
        crate::model::names::describe_char(*.character)
    )]
    Character {
        what: &'static str,
        value: String,
        character: char,
    },
    #[error("`{}` is not a valid context name: {CONTEXT_NAME_RULE}", .name.escape_debug())]
    ContextName { name: String },
    #[error("`default` is the docker CLI's own context and cannot be created")]
    DefaultContext,
}

/// The docker CLI's rule for context names, said in errors.
const CONTEXT_NAME_RULE: &str = "a docker context name starts with a letter or digit and has at least one more letter, digit, `_`, `.`, `+` or `-`";

/// A number of seconds for a timeout flag: 1 to [`MAX_SECS`].
pub(super) fn seconds(value: &str) -> Result<u64, FlagValueError> {
    match value.trim().parse::<u64>() {
        Ok(0) => Err(FlagValueError::ZeroSeconds),
        Ok(n) if n <= MAX_SECS => Ok(n),
        Ok(_) => Err(FlagValueError::TooManySeconds {
            value: value.to_owned(),
        }),
        Err(_) => Err(FlagValueError::Seconds {
            value: value.to_owned(),
        }),
    }
}

/// `--parallel`: 1 to [`MAX_PARALLEL`].
pub(super) fn parallel(value: &str) -> Result<u64, FlagValueError> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (1..=MAX_PARALLEL).contains(n))
        .ok_or_else(|| FlagValueError::Parallel {
            value: value.to_owned(),
        })
}

/// A value that is not empty and has no whitespace or control character;
/// `what` names it in the error.
fn word(value: &str, what: &'static str) -> Result<String, FlagValueError> {
    if value.is_empty() {
        return Err(FlagValueError::Empty { what });
    }
    if let Some(character) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(FlagValueError::Character {
            what,
            value: value.to_owned(),
            character,
        });
    }
    Ok(value.to_owned())
}

/// `--workload-image`: an image reference, not empty, no whitespace.
pub(super) fn image(value: &str) -> Result<String, FlagValueError> {
    word(value, "an image name")
}

/// A node named to `remove`: an inventory node name, a hostname or a NodeID.
pub(super) fn node_ref(value: &str) -> Result<String, FlagValueError> {
    word(
        value,
        "a node (an inventory node name, a hostname or a NodeID)",
    )
}

/// `tunnel --node NAME`: an inventory node's name.
pub(super) fn inventory_node(value: &str) -> Result<String, FlagValueError> {
    word(value, "an inventory node name")
}

/// `context --create NAME`: the docker CLI's rule for context names
/// (`^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$`, and not `default`), checked before
/// connecting rather than after.
pub(super) fn context_name(value: &str) -> Result<String, FlagValueError> {
    let name = word(value, "a docker context name")?;
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest: Vec<char> = chars.collect();
    let rest_ok = !rest.is_empty()
        && rest
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-'));
    if !(first_ok && rest_ok) {
        return Err(FlagValueError::ContextName { name });
    }
    if name == "default" {
        return Err(FlagValueError::DefaultContext);
    }
    Ok(name)
}

#[cfg(test)]
mod value_tests {
    use crate::cli::Cli;
    use clap::{CommandFactory, Parser};

    fn parse_err(args: &[&str]) -> String {
        let mut argv = vec!["swarmadm"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .expect_err("should be refused")
            .to_string()
    }

    #[test]
    fn zero_and_huge_timeouts_are_refused_at_parse_time() {
        for flag in ["--timeout", "--connect-timeout"] {
            let err = parse_err(&["status", flag, "0"]);
            assert!(
                err.contains(&format!("invalid value '0' for '{flag} <SECS>'"))
                    && err.contains("from 1 to 86400, got 0"),
                "{err}"
            );
            let err = parse_err(&["status", flag, "86401"]);
            assert!(err.contains("(a day), got `86401`"), "{err}");
        }
        for flag in ["--workload-timeout", "--workload-probe-timeout"] {
            let err = parse_err(&["verify", "--workload", flag, "0"]);
            assert!(err.contains("from 1 to 86400, got 0"), "{flag}: {err}");
        }
        let err = parse_err(&["rotate-tokens", "--ca", "--ca-timeout", "0"]);
        assert!(err.contains("from 1 to 86400, got 0"), "{err}");
        let err = parse_err(&["status", "--timeout=-1"]);
        assert!(err.contains("got `-1`"), "{err}");
        let err = parse_err(&["up", "--parallel", "0"]);
        assert!(err.contains("from 1 to 1024, got `0`"), "{err}");
        assert!(Cli::try_parse_from(["swarmadm", "status", "--timeout", "86400"]).is_ok());
    }

    #[test]
    fn empty_names_are_refused_at_parse_time() {
        let err = parse_err(&["verify", "--workload", "--workload-image", ""]);
        assert!(err.contains("an image name cannot be empty"), "{err}");
        let err = parse_err(&["verify", "--workload", "--workload-image", "busy box"]);
        assert!(err.contains("contains whitespace"), "{err}");
        let err = parse_err(&["remove", ""]);
        assert!(
            err.contains("a node (an inventory node name, a hostname or a NodeID) cannot be empty"),
            "{err}"
        );
        let err = parse_err(&["tunnel", "--node", ""]);
        assert!(err.contains("cannot be empty"), "{err}");
        let err = parse_err(&["remove", "w1", "w\u{7}2"]);
        assert!(err.contains("control character"), "{err}");
        assert!(Cli::try_parse_from(["swarmadm", "remove", "w1"]).is_ok());
        let err = parse_err(&["context", "--create", ""]);
        assert!(
            err.contains("a docker context name cannot be empty"),
            "{err}"
        );
        let err = parse_err(&["context", "--create=-x"]);
        assert!(err.contains("is not a valid context name"), "{err}");
        let err = parse_err(&["context", "--create", "x"]);
        assert!(err.contains("is not a valid context name"), "{err}");
        let err = parse_err(&["context", "--create", "default"]);
        assert!(err.contains("docker CLI's own context"), "{err}");
        assert!(Cli::try_parse_from(["swarmadm", "context", "--create", "prod-swarm.1"]).is_ok());
    }

    fn long_help(command: &str) -> String {
        Cli::command()
            .find_subcommand_mut(command)
            .expect(command)
            .render_long_help()
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_limits_are_stated_in_help() {
        let help = long_help("verify");
        for needle in [
            "(1 to 86400)",
            "Not empty, no whitespace",
            "PORT (1 to 65535) must be free",
        ] {
            assert!(help.contains(needle), "{needle}: {help}");
        }
        let help = long_help("up");
        let parallel = format!("1 to {}", super::MAX_PARALLEL);
        assert!(help.contains(&parallel), "{parallel}: {help}");
        let help = long_help("tunnel");
        let clients = format!("(1 to {})", super::MAX_CLIENTS);
        assert!(help.contains(&clients), "{clients}: {help}");
        // The limits stated are the parsers' own.
        for (args, refused) in [
            (&["up", "--parallel", "1025"][..], true),
            (&["up", "--parallel", "1024"][..], false),
            (&["tunnel", "--max-clients", "4097"][..], true),
            (&["tunnel", "--max-clients", "4096"][..], false),
            (&["verify", "--workload", "--publish", "0"][..], true),
            (&["verify", "--workload", "--publish", "65535"][..], false),
            (&["verify", "--workload", "--publish", "65536"][..], true),
        ] {
            let mut argv = vec!["swarmadm"];
            argv.extend_from_slice(args);
            assert_eq!(Cli::try_parse_from(argv).is_err(), refused, "{args:?}");
        }
    }

    /// Every command that talks to nodes states its exit codes in its
    /// `--help`, as the README says (`status` and `inventory` did not).
    #[test]
    fn every_command_states_its_exit_codes_in_help() {
        for command in [
            "status",
            "up",
            "verify",
            "down",
            "context",
            "tunnel",
            "remove",
            "recover",
            "rotate-tokens",
            "unlock",
            "inventory",
        ] {
            let help = long_help(command);
            assert!(help.contains("Exit codes: 0 "), "{command}: {help}");
        }
        let help = long_help("status");
        assert!(
            help.contains("1 a node could not be reached, is locked or in swarm state error"),
            "{help}"
        );
    }
}
