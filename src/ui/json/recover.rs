//! `recover`: one node object per manager of the proof, and the converge
//! after it as `up` reports it.

use serde::Serialize;

use crate::exec::recover::RecoverOutcome;
use crate::exec::result::NodeOutcome;
use crate::model::failure::Stage;
use crate::model::names::{NodeName, Role};
use crate::plan::recover::Verdict;

use super::{ErrorObject, Report, document, result};

#[derive(Serialize)]
pub(crate) struct RecoverNode<'a> {
    name: &'a NodeName,
    role: Role,
    /// The entry removed for it, when one was.
    node_id: Option<&'a str>,
    error: Option<ErrorObject>,
    /// What the manager showed (`seen`: leaderless, led, locked,
    /// out_of_swarm, engine_down, unreachable, other).
    seen: &'a crate::plan::recover::Seen,
    /// survivor, gone (with `by`) or not_proven (with `missing`).
    #[serde(flatten)]
    verdict: &'a Verdict,
    /// What the recovery did to it: removed (its entry), left.
    done: Vec<crate::exec::step::Action>,
}

#[derive(Serialize)]
pub(crate) struct RecoverExtra<'a> {
    dry_run: bool,
    recovered: bool,
    survivor: Option<&'a crate::plan::recover::Survivor>,
    steps: &'a [crate::plan::recover::RecoverStep],
    counts: &'a crate::exec::recover::Counts,
    /// The converge after the recovery, as `up` reports it.
    converge: Option<Converge<'a>>,
}

#[derive(Serialize)]
pub(crate) struct Converge<'a> {
    result: &'static str,
    error: Option<ErrorObject>,
    nodes: &'a [NodeOutcome],
}

impl Report for RecoverOutcome {
    const COMMAND: &'static str = "recover";
    type Node<'a> = RecoverNode<'a>;
    type Extra<'a> = RecoverExtra<'a>;

    exit_code_and_error!(RecoverOutcome);

    fn nodes(&self) -> Vec<RecoverNode<'_>> {
        self.plan
            .proof
            .managers
            .iter()
            .map(|m| {
                let entry = self.entries.iter().find(|e| e.node == m.name);
                let error = match (&m.verdict, entry.and_then(|e| e.error.as_ref())) {
                    (Verdict::NotProven { missing }, _) => {
                        Some(ErrorObject::new("not_proven", None, missing.clone()))
                    }
                    (_, Some(error)) => Some(ErrorObject::new("failed", Some(Stage::Api), error)),
                    _ => None,
                };
                RecoverNode {
                    name: &m.name,
                    role: m.role,
                    node_id: entry.and_then(|e| e.node_id.as_deref()),
                    error,
                    seen: &m.seen,
                    verdict: &m.verdict,
                    done: entry.map(|e| e.done.clone()).unwrap_or_default(),
                }
            })
            .collect()
    }

    fn extra(&self) -> RecoverExtra<'_> {
        RecoverExtra {
            dry_run: self.dry_run,
            recovered: self.recovered,
            survivor: self.plan.survivor.as_ref(),
            steps: &self.plan.steps,
            counts: &self.counts,
            converge: self.converge.as_ref().map(|c| Converge {
                result: result(c.exit_code()),
                error: Report::error(c),
                nodes: &c.nodes,
            }),
        }
    }
}

pub(crate) fn recover(outcome: &RecoverOutcome) -> String {
    document(outcome)
}
