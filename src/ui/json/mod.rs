//! The JSON form of every result (`--output json`): one versioned schema
//! (`"schema": 1`) shared by every command (`status`, `up`, `verify`,
//! `down`, `remove`, `context`, `rotate-tokens`, `unlock`, `inventory`; the
//! lab has its own `lab status`), and published as JSON Schema files under
//! `schemas/`, one per command, named after it.
//!
//! Every document has `schema`, `command`, `result` (`ok`, `failed` or
//! `error`: exit code 0, 1 or 2), `error` (`null`, or why nothing could be
//! done) and `nodes` (empty for a command without per-node results). Node
//! objects share their field names and meanings: `name` and `role` as the
//! inventory gives them (`leader`, `manager`, `worker`), `node_id`, and
//! `error` as `{kind, stage, message}` or `null`. Enums are snake_case
//! words. Values from nodes are kept exact (JSON escapes control
//! characters itself). Every document is built by serde from typed
//! values, never by formatting text.

use serde::Serialize;

use crate::model::exit_codes;
use crate::model::failure::{Failure, Stage};

/// [`Report::exit_code`] and [`Report::error`] for a result that has its
/// own `exit_code()` and an `error: Option<E>` whose `E` has a `kind()`
/// (every command but `status`, `verify` and `inventory`).
macro_rules! exit_code_and_error {
    ($result:ty) => {
        fn exit_code(&self) -> u8 {
            <$result>::exit_code(self)
        }

        fn error(&self) -> Option<$crate::ui::json::ErrorObject> {
            let error = self.error.as_ref()?;
            Some($crate::ui::json::ErrorObject::of(error.kind(), error))
        }
    };
}

mod changes;
mod context;
mod inventory;
mod keys;
mod recover;
mod status;
mod verify;

pub(crate) use changes::{down, remove, up};
pub(crate) use context::context;
pub(crate) use inventory::inventory;
pub(crate) use keys::{rotate_tokens, unlock};
pub(crate) use recover::recover;
pub(crate) use status::status;
pub(crate) use verify::verify;

/// The version of the schema; bumped on any incompatible change.
pub(crate) const SCHEMA: u32 = 1;

/// An error as every document and node object shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ErrorObject {
    /// What went wrong, as a snake_case word.
    pub(crate) kind: String,
    /// The step of reaching a node that failed, when the error is one.
    pub(crate) stage: Option<Stage>,
    pub(crate) message: String,
}

impl ErrorObject {
    pub(crate) fn new(kind: &str, stage: Option<Stage>, message: impl Into<String>) -> Self {
        ErrorObject {
            kind: kind.to_owned(),
            stage,
            message: message.into(),
        }
    }

    /// An error of `kind` that is not a node's, with its message.
    fn of(kind: &str, error: &impl std::fmt::Display) -> Self {
        ErrorObject::new(kind, None, error.to_string())
    }

    fn from_failure(failure: &Failure) -> Self {
        let kind = match failure.stage {
            Stage::Tcp => "unreachable",
            Stage::HostKey => "host_key",
            Stage::Auth => "auth",
            Stage::Socket => "socket",
            Stage::Api => "api",
        };
        ErrorObject::new(kind, Some(failure.stage), failure.message.clone())
    }
}

/// `ok`, `failed` or `error`, from the exit code.
fn result(code: u8) -> &'static str {
    match code {
        exit_codes::OK => "ok",
        exit_codes::FAILED => "failed",
        _ => "error",
    }
}

/// A command's result as its JSON document shows it: every document is
/// [`document`] of one, so that the envelope (`schema`, `command`,
/// `result`, `error`, `nodes`) is written once. A result only says what
/// differs: its node objects and the fields after them.
pub(crate) trait Report {
    /// The command, as `command` names it.
    const COMMAND: &'static str;
    /// A node object: `name`, `role`, `node_id` and `error`, then its own.
    type Node<'a>: Serialize
    where
        Self: 'a;
    /// The fields after `nodes`.
    type Extra<'a>: Serialize
    where
        Self: 'a;

    fn exit_code(&self) -> u8;
    /// Why nothing could be done, if so.
    fn error(&self) -> Option<ErrorObject>;
    /// A command without per-node results has none.
    fn nodes(&self) -> Vec<Self::Node<'_>> {
        Vec::new()
    }
    fn extra(&self) -> Self::Extra<'_>;
}

/// The JSON document of `report`.
pub(crate) fn document<R: Report>(report: &R) -> String {
    to_string(&Document {
        schema: SCHEMA,
        command: R::COMMAND,
        result: result(report.exit_code()),
        error: report.error(),
        nodes: report.nodes(),
        extra: report.extra(),
    })
}

#[derive(Serialize)]
struct Document<'a, N: Serialize, X: Serialize> {
    schema: u32,
    command: &'a str,
    result: &'static str,
    error: Option<ErrorObject>,
    nodes: Vec<N>,
    #[serde(flatten)]
    extra: X,
}

fn to_string<N: Serialize, X: Serialize>(document: &Document<'_, N, X>) -> String {
    serde_json::to_string_pretty(document).unwrap_or_else(|e| {
        // Only a value JSON cannot hold fails (a path that is not UTF-8):
        // the document still says so, in the schema.
        serde_json::json!({
            "schema": SCHEMA,
            "command": document.command,
            "result": "error",
            "error": ErrorObject::new("internal", None, e.to_string()),
            "nodes": [],
        })
        .to_string()
    })
}

/// No fields after `nodes`.
#[derive(Serialize)]
pub(crate) struct NoExtra {}

/// The document of a command that could not run at all (exit 2).
pub(crate) fn error(command: &str, error: ErrorObject) -> String {
    to_string(&Document::<(), NoExtra> {
        schema: SCHEMA,
        command,
        result: "error",
        error: Some(error),
        nodes: Vec::new(),
        extra: NoExtra {},
    })
}

/// Validates `document` against `schemas/NAME.schema.json` (with the
/// validator the integration tests use too); the error lists every
/// violation, then the document.
#[cfg(test)]
pub(crate) fn validate(name: &str, document: &str) -> Result<(), String> {
    let value: serde_json::Value = serde_json::from_str(document).map_err(|e| e.to_string())?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    swarmadm_testkit::validate(&dir, name, &value).map_err(|e| format!("{e}\n{document}"))
}

#[cfg(test)]
mod tests;
