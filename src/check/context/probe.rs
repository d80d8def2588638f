//! `context --check`: proves the hand-off by running the local `ssh` the
//! way the docker CLI's `ssh://` runs it: the same destination arguments,
//! `-T`, `docker system dial-stdio` on the node, and `BatchMode=yes` so that
//! a password or host key question fails instead of waiting (the docker CLI
//! has no terminal to ask on either). With its input closed, `dial-stdio`
//! ends as soon as it reached the engine's socket.
//!
//! It runs a local program and reads its exit code and error output; what
//! to conclude is said by [`ProbeOutcome`], and drawing it is `ui`'s.

use std::process::Stdio;
use std::time::Duration;

use super::handoff::Destination;

/// What the docker CLI runs on the node.
const REMOTE_COMMAND: [&str; 3] = ["docker", "system", "dial-stdio"];

/// The command run and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Probe {
    /// The command line, as a user may paste it.
    pub(crate) command: String,
    pub(crate) outcome: ProbeOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProbeOutcome {
    /// ssh connected and authenticated, and `docker system dial-stdio`
    /// reached the engine.
    Reached,
    /// There is no `ssh` here.
    NoSsh,
    /// ssh itself failed (exit 255): connection, host key, authentication.
    Ssh(String),
    /// ssh logged in, but the node has no `docker` command (exit 127).
    NoDockerCli(String),
    /// ssh logged in, but `docker system dial-stdio` failed.
    Remote { code: Option<i32>, message: String },
    /// No end within the time.
    TimedOut(Duration),
}

impl Probe {
    pub(crate) fn passed(&self) -> bool {
        self.outcome == ProbeOutcome::Reached
    }
}

impl ProbeOutcome {
    /// A short, stable name for JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            ProbeOutcome::Reached => "reached",
            ProbeOutcome::NoSsh => "no_ssh",
            ProbeOutcome::Ssh(_) => "ssh",
            ProbeOutcome::NoDockerCli(_) => "no_docker_cli",
            ProbeOutcome::Remote { .. } => "remote",
            ProbeOutcome::TimedOut(_) => "timeout",
        }
    }
}

impl std::fmt::Display for ProbeOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeOutcome::Reached => f.write_str(
                "ssh connected and authenticated without asking, and `docker system \
                 dial-stdio` reached the engine",
            ),
            ProbeOutcome::NoSsh => f.write_str("there is no `ssh` here (it is not on PATH)"),
            ProbeOutcome::Ssh(message) => write!(f, "ssh failed: {message}"),
            ProbeOutcome::NoDockerCli(message) => write!(
                f,
                "ssh logged in, but the node has no docker CLI, which the docker CLI's \
                 ssh:// needs there ({message})"
            ),
            ProbeOutcome::Remote { code, message } => write!(
                f,
                "ssh logged in, but `docker system dial-stdio` failed on the node (exit {}): \
                 {message}",
                code.map_or_else(|| "by a signal".to_owned(), |c| c.to_string())
            ),
            ProbeOutcome::TimedOut(after) => write!(
                f,
                "ssh did not finish within {}s (it may be waiting for a jump host or a \
                 slow engine)",
                after.as_secs()
            ),
        }
    }
}

/// The options `ssh` gets besides the destination's: the docker CLI's own
/// (`-T`, a connect timeout) and `BatchMode`, so that nothing is asked.
fn options(connect_timeout: Duration) -> Vec<String> {
    vec![
        "-o".to_owned(),
        "BatchMode=yes".to_owned(),
        "-o".to_owned(),
        format!("ConnectTimeout={}", connect_timeout.as_secs().max(1)),
        "-T".to_owned(),
    ]
}

/// Everything `ssh` gets to reach `destination` as the docker CLI will.
fn arguments(destination: &Destination, connect_timeout: Duration) -> Vec<String> {
    let mut args = options(connect_timeout);
    args.extend(destination.ssh_args());
    args.extend(REMOTE_COMMAND.iter().map(|s| (*s).to_owned()));
    args
}

/// `ssh ARGS`, as a user may paste it.
fn command_line(args: &[String]) -> String {
    format!("ssh {}", args.join(" "))
}

/// The command line [`run`] runs for `destination`.
#[cfg(test)]
pub(crate) fn command(destination: &Destination, connect_timeout: Duration) -> String {
    command_line(&arguments(destination, connect_timeout))
}

/// Runs `ssh` to `destination` as the docker CLI will; gives up after
/// `connect_timeout` plus `timeout`.
pub(crate) async fn run(
    destination: &Destination,
    connect_timeout: Duration,
    timeout: Duration,
) -> Probe {
    let args = arguments(destination, connect_timeout);
    let command = command_line(&args);
    let child = tokio::process::Command::new("ssh")
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Probe {
                command,
                outcome: ProbeOutcome::NoSsh,
            };
        }
        Err(e) => {
            return Probe {
                command,
                outcome: ProbeOutcome::Ssh(format!("cannot run ssh: {e}")),
            };
        }
    };
    let limit = connect_timeout + timeout;
    let outcome = match tokio::time::timeout(limit, child.wait_with_output()).await {
        Err(_) => ProbeOutcome::TimedOut(limit),
        Ok(Err(e)) => ProbeOutcome::Ssh(format!("cannot wait for ssh: {e}")),
        Ok(Ok(output)) => {
            let message = last_lines(&String::from_utf8_lossy(&output.stderr));
            match output.status.code() {
                Some(0) => ProbeOutcome::Reached,
                Some(255) => ProbeOutcome::Ssh(message),
                Some(127) => ProbeOutcome::NoDockerCli(message),
                code => ProbeOutcome::Remote { code, message },
            }
        }
    };
    Probe { command, outcome }
}

/// The last lines of an error output, joined: where ssh says why.
fn last_lines(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines.len().saturating_sub(3);
    let text = lines[start..].join(" ");
    if text.is_empty() {
        "no message".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_is_the_docker_clis_with_batch_mode() {
        let destination = Destination {
            name: "swarm-manager-01".into(),
            user: None,
            port: Some(2222),
        };
        let mut args = options(Duration::from_secs(10));
        args.extend(destination.ssh_args());
        assert_eq!(
            args.join(" "),
            "-o BatchMode=yes -o ConnectTimeout=10 -T -p 2222 -- swarm-manager-01"
        );
        assert_eq!(
            last_lines("\nx\n\nHost key verification failed.\n"),
            "x Host key verification failed."
        );
    }
}
