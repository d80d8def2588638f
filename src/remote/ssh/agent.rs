//! The ssh-agent (`SSH_AUTH_SOCK`), with every operation bounded: connect,
//! list the keys, sign. An agent that does not answer within its limit is
//! given up for the rest of the run, with one warning that names its
//! socket, and authentication goes on with the identity files; it no
//! longer holds a node until the connect timeout strikes.
//!
//! Which agent key to offer, and when, is [`super::authenticate`]'s.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use russh::keys::agent::AgentIdentity;
use russh::keys::agent::client::AgentClient;
use russh::keys::{HashAlg, PublicKey};
use tokio::net::UnixStream;

use crate::model::names::shown;

/// The longest any one agent operation may take.
const MOST: Duration = Duration::from_secs(5);

/// How long one agent operation may take under `connect_timeout`: a third
/// of it, at most [`MOST`], so that the identity files still have time.
pub(super) fn limit(connect_timeout: Duration) -> Duration {
    let share = u64::try_from((connect_timeout / 3).as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(share).min(MOST)
}

/// The run's ssh-agent: where its socket is, and why it was given up, if
/// it was (it is then not asked again in this run).
#[derive(Debug, Default)]
pub(crate) struct AgentSocket {
    path: Option<PathBuf>,
    given_up: OnceLock<String>,
}

impl AgentSocket {
    /// The agent `SSH_AUTH_SOCK` names, if any.
    pub(crate) fn from_env() -> Self {
        AgentSocket {
            path: std::env::var_os("SSH_AUTH_SOCK")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
            given_up: OnceLock::new(),
        }
    }

    /// The agent at `path` (tests).
    #[cfg(test)]
    pub(crate) fn at(path: PathBuf) -> Self {
        AgentSocket {
            path: Some(path),
            given_up: OnceLock::new(),
        }
    }

    /// Why the agent was given up in this run, naming its socket.
    pub(crate) fn trouble(&self) -> Option<&str> {
        self.given_up.get().map(String::as_str)
    }

    fn shown_path(&self) -> String {
        self.path
            .as_deref()
            .map(|p| shown(&p.display().to_string()))
            .unwrap_or_default()
    }

    /// Gives the agent up for the rest of the run; the first time, warns.
    fn give_up(&self, what: &str, why: String) {
        let reason = format!("the ssh-agent at {} {why} ({what})", self.shown_path());
        if self.given_up.set(reason.clone()).is_ok() {
            tracing::warn!(
                "{reason}; going on without it, with the identity files (unset SSH_AUTH_SOCK \
                 or fix the agent to silence this)"
            );
        }
    }

    fn no_answer(&self, what: &str, limit: Duration) {
        self.give_up(what, format!("did not answer within {}", seconds(limit)));
    }

    /// Connects to the agent, within `limit`; `None` when there is none,
    /// it was given up, or it cannot be reached now.
    pub(super) async fn connect(&self, limit: Duration) -> Option<Agent<'_>> {
        let path = self.path.as_ref()?;
        if self.given_up.get().is_some() {
            return None;
        }
        match tokio::time::timeout(limit, AgentClient::connect_uds(path)).await {
            Ok(Ok(client)) => Some(Agent {
                client,
                socket: self,
                limit,
            }),
            Ok(Err(e)) => {
                // No agent behind a stale variable is common: as `ssh`
                // does, say it only when asked to.
                tracing::debug!("ssh-agent at {} not usable: {e}", self.shown_path());
                None
            }
            Err(_) => {
                self.no_answer("connecting", limit);
                None
            }
        }
    }
}

fn seconds(limit: Duration) -> String {
    if limit.subsec_millis() == 0 {
        format!("{}s", limit.as_secs())
    } else {
        format!("{} ms", limit.as_millis())
    }
}

/// A connection to the agent whose every request is bounded.
pub(super) struct Agent<'a> {
    client: AgentClient<UnixStream>,
    socket: &'a AgentSocket,
    limit: Duration,
}

impl Agent<'_> {
    /// The agent's keys and their comments; none when it does not answer
    /// in time (the agent is then given up) or fails.
    pub(super) async fn identities(&mut self) -> Vec<(PublicKey, String)> {
        match tokio::time::timeout(self.limit, self.client.request_identities()).await {
            Ok(Ok(identities)) => identities
                .into_iter()
                .filter_map(|identity| match identity {
                    AgentIdentity::PublicKey { key, comment } => Some((key, comment)),
                    _ => None,
                })
                .collect(),
            Ok(Err(e)) => {
                tracing::debug!("ssh-agent: listing keys failed: {e}");
                Vec::new()
            }
            Err(_) => {
                self.socket.no_answer("listing its keys", self.limit);
                Vec::new()
            }
        }
    }

    /// Whether the agent was given up (then no further key is offered).
    pub(super) fn given_up(&self) -> bool {
        self.socket.given_up.get().is_some()
    }
}

/// Why the agent did not sign.
#[derive(Debug)]
pub(super) enum SignError {
    /// The SSH session went away meanwhile.
    Send,
    Agent(String),
    /// No answer within the limit: the agent is given up.
    NoAnswer,
}

impl From<russh::SendError> for SignError {
    fn from(_: russh::SendError) -> Self {
        SignError::Send
    }
}

impl std::fmt::Display for SignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignError::Send => f.write_str("the SSH session ended"),
            SignError::Agent(e) => f.write_str(e),
            SignError::NoAnswer => f.write_str("no answer from the ssh-agent"),
        }
    }
}

impl russh::Signer for Agent<'_> {
    type Error = SignError;

    async fn auth_sign(
        &mut self,
        key: &AgentIdentity,
        hash_alg: Option<HashAlg>,
        to_sign: Vec<u8>,
    ) -> Result<Vec<u8>, SignError> {
        let signed =
            tokio::time::timeout(self.limit, self.client.sign_request(key, hash_alg, to_sign))
                .await;
        match signed {
            Ok(Ok(signature)) => Ok(signature),
            Ok(Err(e)) => Err(SignError::Agent(e.to_string())),
            Err(_) => {
                self.socket.no_answer("signing", self.limit);
                Err(SignError::NoAnswer)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Unix socket that accepts and never says a word: every agent
    /// operation ends within its limit, and the agent is given up once,
    /// naming its socket (issue 28).
    #[tokio::test]
    async fn a_silent_agent_is_given_up_within_its_limit_naming_its_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                open.push(stream);
            }
        });
        let socket = AgentSocket::at(path.clone());
        let limit = Duration::from_millis(300);
        let start = std::time::Instant::now();
        let mut agent = socket.connect(limit).await.expect("the socket accepts");
        assert!(agent.identities().await.is_empty());
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert!(agent.given_up());
        assert_eq!(
            socket.trouble(),
            Some(
                format!(
                    "the ssh-agent at {} did not answer within 300 ms (listing its keys)",
                    path.display()
                )
                .as_str()
            )
        );
        // Given up: not connected to again in this run.
        assert!(socket.connect(limit).await.is_none());
        held.abort();
    }

    #[test]
    fn an_agent_operation_gets_a_share_of_the_connect_timeout() {
        assert_eq!(limit(Duration::from_secs(10)), Duration::from_millis(3333));
        assert_eq!(limit(Duration::from_secs(60)), Duration::from_secs(5));
        assert_eq!(limit(Duration::from_secs(3)), Duration::from_secs(1));
    }
}
