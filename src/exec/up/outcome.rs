//! What `up` reports: the run's outcome, its error, its warnings, and what
//! became of the settings update and the unlock key file.

use std::fmt;

use serde::{Serialize, Serializer};

use super::GOSSIP_PORT;
use crate::exec::lock::LockError;
use crate::exec::prune::PruneOutcome;
use crate::exec::result::NodeOutcome;
use crate::model::exit_codes;
use crate::model::names::NodeName;
use crate::observe::cluster::Stray;
use crate::plan::settings::SettingChange;
use crate::plan::{Plan, Refusal};

/// Why the run as a whole stopped or did nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RunError {
    Refused(Refusal),
    InitFailed {
        node: NodeName,
        message: String,
    },
    NoManager,
    Lock(LockError),
    /// The unlock key file cannot be used: nothing was changed.
    KeyFile(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Refused(refusal) => refusal.fmt(f),
            RunError::InitFailed { node, message } => write!(f, "{node}: {message}"),
            RunError::NoManager => {
                f.write_str("no manager of the swarm is reachable: nothing can be changed")
            }
            RunError::Lock(e) => e.fmt(f),
            RunError::KeyFile(e) => f.write_str(e),
        }
    }
}

impl RunError {
    /// A short, stable name for JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            RunError::Refused(Refusal::Leadership(problem)) => problem.kind(),
            RunError::Refused(Refusal::ForeignNodes(_)) => "foreign_swarm",
            RunError::InitFailed { .. } => "init_failed",
            RunError::NoManager => "no_manager",
            RunError::Lock(_) => "locked_by_another_run",
            RunError::KeyFile(_) => "unlock_key_file",
        }
    }
}

impl Serialize for RunError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The result of `up`; `--output json` prints it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct UpOutcome {
    pub(crate) dry_run: bool,
    pub(crate) plan: Plan,
    pub(crate) nodes: Vec<NodeOutcome>,
    /// Set when the run stopped early or did nothing at all.
    pub(crate) error: Option<RunError>,
    /// Nodes in the swarm that the inventory does not list, after the run.
    pub(crate) strays: Vec<Stray>,
    /// `--prune`: what happened to each node taken out of the swarm.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) pruned: Vec<PruneOutcome>,
    pub(crate) ssh_connections: usize,
    /// The swarm settings update, when the plan had one.
    pub(crate) settings: Option<SettingsOutcome>,
    /// The unlock key file, when the inventory asks for autolock.
    pub(crate) unlock_key_file: Option<KeyFileOutcome>,
    /// The checks `verify` would fail on the nodes as the run left them
    /// (`NODE: check` or `cluster: check`): `up` is converged only without.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) not_conforming: Vec<String>,
    /// What the run could not prove or do that no node's result says.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) warnings: Vec<RunWarning>,
}

/// Something the operator should know after the run that is no node's
/// result and no reason to fail it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RunWarning {
    /// Nodes joined: from each, the preflight proved a manager's 2377/tcp
    /// and 7946/tcp, but the overlay's UDP ports (gossip, and VXLAN on the
    /// swarm's data path port) cannot be proved over a TCP channel.
    OverlayUnproven { data_path_port: u32 },
}

impl fmt::Display for RunWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunWarning::OverlayUnproven { data_path_port } => write!(
                f,
                "{GOSSIP_PORT}/udp and {data_path_port}/udp (overlay) cannot be proved over TCP; \
                 `swarmadm verify --workload` proves the overlay between every pair of nodes"
            ),
        }
    }
}

impl Serialize for RunWarning {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What became of the planned swarm settings update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum SettingsOutcome {
    Applied { changes: Vec<SettingChange> },
    Planned { changes: Vec<SettingChange> },
    Failed { error: String },
    Skipped { reason: String },
}

impl SettingsOutcome {
    pub(crate) fn is_ok(&self) -> bool {
        matches!(
            self,
            SettingsOutcome::Applied { .. } | SettingsOutcome::Planned { .. }
        )
    }
}

/// What became of the unlock key file (the key itself is never here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum KeyFileOutcome {
    /// The key was written to the file (created 0600).
    Written {
        path: String,
    },
    /// The file already holds the swarm's current key.
    Kept {
        path: String,
    },
    /// `--dry-run`: would be written.
    Planned {
        path: String,
    },
    Failed {
        path: String,
        error: String,
    },
}

impl UpOutcome {
    pub(crate) fn failed_nodes(&self) -> Vec<&NodeName> {
        crate::exec::result::failed_nodes(&self.nodes)
    }

    pub(crate) fn exit_code(&self) -> u8 {
        let prune_failed = self.pruned.iter().any(|p| !p.node.is_ok());
        let settings_failed = self.settings.as_ref().is_some_and(|s| !s.is_ok());
        let key_failed = matches!(self.unlock_key_file, Some(KeyFileOutcome::Failed { .. }));
        if self.error.is_some()
            || !self.failed_nodes().is_empty()
            || settings_failed
            || key_failed
            || prune_failed
            || !self.not_conforming.is_empty()
        {
            exit_codes::FAILED
        } else {
            exit_codes::OK
        }
    }
}
