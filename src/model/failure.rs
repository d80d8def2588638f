//! What a failure on one node looks like once it leaves the layer that saw
//! it: the [`Stage`] of reaching the node that failed and a message that
//! names the cause. SSH and engine errors convert into a [`Failure`] where
//! they are defined ([`crate::remote`]); planning, reports and the JSON output
//! use only this shape. Typed errors of each layer stay in that layer.

use serde::Serialize;

/// Which step of reaching a node failed. Shown in `status` and in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Stage {
    Tcp,
    HostKey,
    Auth,
    Socket,
    Api,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Tcp => "tcp",
            Stage::HostKey => "host key",
            Stage::Auth => "auth",
            Stage::Socket => "socket",
            Stage::Api => "api",
        })
    }
}

/// Why a node could not be reached or read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Failure {
    pub(crate) stage: Stage,
    pub(crate) message: String,
    /// The engine was reached over SSH and did not answer within
    /// `--timeout` (a follower's `/info` blocks during an election): not a
    /// problem of reaching the node. Kept out of JSON, which has the stage
    /// and the message.
    #[serde(skip)]
    pub(crate) timed_out: bool,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed: {}", self.stage, self.message)
    }
}
