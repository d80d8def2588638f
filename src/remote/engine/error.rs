//! How an engine call fails: its [`ErrorKind`], decided once, here, from
//! the answer's status and message (and a workload task's error its
//! [`TaskErrorKind`]), and the [`EngineError`] that carries it, scrubbed
//! of join tokens and unlock keys ([`redact`]). Layers above match on
//! kinds, never on text.

use std::time::Duration;

use serde::Serialize;

use crate::model::failure::{Failure, Stage};
use crate::model::workload::TaskErrorKind;
use crate::remote::ssh::SshError;

/// What kind of failure an engine error is, decided once, here, from the
/// answer's status and message: layers above match on this, never on text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub(crate) enum ErrorKind {
    /// The node is already part of a swarm (join, init).
    AlreadyInSwarm,
    /// The node is not part of a swarm.
    NotInSwarm,
    /// A manager-only call reached a worker (503).
    NotManager,
    /// The swarm has no leader (lost quorum): managers answer 503.
    NoLeader,
    /// The join token was refused.
    InvalidToken,
    /// Another writer moved the object's version in between (update).
    OutOfSequence,
    /// The engine cannot choose an advertise address on its own.
    AdvertiseAddrAmbiguous,
    /// The swarm is locked on this node.
    Locked,
    /// A manager-only change (a demotion) named an entry that has no Raft
    /// membership: what old manager entries are after
    /// `swarm init --force-new-cluster` (404 "can't find manager in raft
    /// memberlist"). Such an entry is removed with force, never demoted.
    NotInRaft,
    /// No answer within the request timeout, or the engine's own deadline.
    Timeout,
    /// The tunnel could not carry the request (SSH, socket).
    Unreachable,
    /// The engine answered 5xx with no more specific cause: may pass.
    Transient,
    /// The engine refused the request (4xx).
    Rejected,
    /// The answer could not be read.
    Unreadable,
    /// The answer is not what an engine sends: larger than its cap, or not
    /// HTTP at all (a broken engine, or another program on the socket).
    BrokenEngine,
}

/// A failed Docker API call: its kind, the step it failed at, and a message
/// (scrubbed of join tokens) that names the call and the cause.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{text}")]
pub(crate) struct EngineError {
    kind: ErrorKind,
    stage: Stage,
    text: String,
}

impl EngineError {
    pub(crate) fn new(kind: ErrorKind, stage: Stage, text: impl Into<String>) -> Self {
        EngineError {
            kind,
            stage,
            text: redact(&text.into()),
        }
    }

    /// An error answer of the engine, classified.
    pub(crate) fn answer(call: &'static str, status: u16, message: &str) -> Self {
        EngineError::new(
            classify(status, message),
            Stage::Api,
            format!("{call}: the engine answered {status}: {message}"),
        )
    }

    pub(crate) fn timeout(call: &'static str, after: Duration) -> Self {
        EngineError::new(
            ErrorKind::Timeout,
            Stage::Api,
            format!("{call}: no answer within {}s", after.as_secs()),
        )
    }

    pub(super) fn unreadable(call: &'static str, message: impl std::fmt::Display) -> Self {
        EngineError::new(
            ErrorKind::Unreadable,
            Stage::Api,
            format!("{call}: {message}"),
        )
    }

    pub(crate) fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub(crate) fn stage(&self) -> Stage {
        self.stage
    }

    /// An answer that no working engine sends.
    pub(super) fn broken(call: &'static str, what: impl std::fmt::Display) -> Self {
        EngineError::new(
            ErrorKind::BrokenEngine,
            Stage::Api,
            format!("{call}: {what}: a broken engine, or not a Docker engine on this socket"),
        )
    }

    pub(super) fn from_hyper(call: &'static str, error: hyper_util::client::legacy::Error) -> Self {
        if let Some(ssh) = find_ssh_error(&error) {
            return EngineError::new(ErrorKind::Unreachable, ssh.stage(), ssh.to_string());
        }
        if let Some(what) = not_http(&error) {
            return EngineError::broken(call, what);
        }
        EngineError::new(
            ErrorKind::Unreachable,
            Stage::Api,
            format!("{call}: {error}"),
        )
    }
}

/// The one place where engine messages are read for their meaning.
pub(super) fn classify(status: u16, message: &str) -> ErrorKind {
    let m = message.to_ascii_lowercase();
    if m.contains("already part of a swarm") {
        ErrorKind::AlreadyInSwarm
    } else if m.contains("not part of a swarm") {
        ErrorKind::NotInSwarm
    } else if m.contains("does not have a leader") || m.contains("no leader") {
        ErrorKind::NoLeader
    } else if m.contains("not a swarm manager") {
        ErrorKind::NotManager
    } else if m.contains("invalid join token") || m.contains("token") && m.contains("invalid") {
        ErrorKind::InvalidToken
    } else if m.contains("out of sequence") {
        ErrorKind::OutOfSequence
    } else if m.contains("advertise address") || m.contains("multiple addresses") {
        ErrorKind::AdvertiseAddrAmbiguous
    } else if m.contains("can't find manager in raft memberlist") {
        ErrorKind::NotInRaft
    } else if m.contains("swarm is encrypted and needs to be unlocked") {
        ErrorKind::Locked
    } else if m.contains("deadline exceeded") || m.contains("timeout") || m.contains("timed out") {
        ErrorKind::Timeout
    } else if status >= 500 {
        ErrorKind::Transient
    } else {
        ErrorKind::Rejected
    }
}

/// The one place where a task's error (`Status.Err` of a swarm task) is
/// read for its meaning.
pub(crate) fn classify_task_error(message: &str) -> TaskErrorKind {
    if ["No such image", "pull access denied", "manifest unknown"]
        .iter()
        .any(|e| message.contains(e))
    {
        TaskErrorKind::ImageMissing
    } else if message.contains("not found") {
        TaskErrorKind::NotFound
    } else {
        TaskErrorKind::Other
    }
}

/// What makes an HTTP error an answer that is not HTTP: garbage where a
/// status line belongs, or the connection closed without any answer.
pub(super) fn not_http(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(hyper) = e.downcast_ref::<hyper::Error>() {
            if hyper.is_parse() {
                return Some("the socket answered with something that is not HTTP");
            }
            if hyper.is_incomplete_message() {
                return Some("the socket closed the connection without an HTTP answer");
            }
        }
        current = e.source();
    }
    None
}

pub(super) fn find_ssh_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a SshError> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(ssh) = e.downcast_ref::<SshError>() {
            return Some(ssh);
        }
        current = e.source();
    }
    None
}

/// Replaces anything shaped like a swarm join token or unlock key with
/// `<redacted>`.
pub(crate) fn redact(text: &str) -> String {
    redact_prefix(&redact_prefix(text, "SWMTKN-"), "SWMKEY-")
}

pub(super) fn redact_prefix(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(prefix) {
        out.push_str(&rest[..pos]);
        out.push_str("<redacted>");
        let tail = &rest[pos..];
        let end = tail
            // Unlock keys are base64: `+`, `/` and `=` belong to them.
            .find(|c: char| !(c.is_ascii_alphanumeric() || "-+/=".contains(c)))
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Failure {
            stage: e.stage(),
            message: e.to_string(),
            timed_out: e.kind() == ErrorKind::Timeout && e.stage() == Stage::Api,
        }
    }
}
