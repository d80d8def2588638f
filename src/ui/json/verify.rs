//! `verify`: each node's checks, and the checks of the swarm as a whole.

use serde::Serialize;

use crate::check::verify::{Check, VerifyReport};
use crate::model::names::Role;

use super::{ErrorObject, Report, document};

#[derive(Serialize)]
pub(crate) struct VerifyNode<'a> {
    name: &'a str,
    role: Role,
    node_id: Option<&'a str>,
    error: Option<ErrorObject>,
    /// pass or fail (warnings do not fail).
    result: &'static str,
    engine_version: Option<&'a str>,
    checks: &'a [Check],
}

#[derive(Serialize)]
pub(crate) struct VerifyExtra<'a> {
    inventory: &'a str,
    cluster_id: Option<&'a str>,
    /// Checks of the swarm as a whole.
    cluster: &'a [Check],
    /// The result of `--workload`, when it was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    workload: Option<&'a crate::check::workload::WorkloadReport>,
}

impl Report for VerifyReport {
    const COMMAND: &'static str = "verify";
    type Node<'a> = VerifyNode<'a>;
    type Extra<'a> = VerifyExtra<'a>;

    fn exit_code(&self) -> u8 {
        VerifyReport::exit_code(self)
    }

    fn error(&self) -> Option<ErrorObject> {
        let error = self.error.as_ref()?;
        Some(ErrorObject::new(
            error.kind.as_str(),
            None,
            error.message.clone(),
        ))
    }

    fn nodes(&self) -> Vec<VerifyNode<'_>> {
        self.nodes
            .iter()
            .map(|n| VerifyNode {
                name: n.name.as_str(),
                role: n.role,
                node_id: n.node_id.as_deref(),
                error: n.failure.as_ref().map(ErrorObject::from_failure),
                result: if n.checks.iter().any(Check::failing) {
                    "fail"
                } else {
                    "pass"
                },
                engine_version: n.engine_version.as_deref(),
                checks: &n.checks,
            })
            .collect()
    }

    fn extra(&self) -> VerifyExtra<'_> {
        VerifyExtra {
            inventory: &self.inventory,
            cluster_id: self.cluster_id.as_deref(),
            cluster: &self.cluster,
            workload: self.workload.as_ref(),
        }
    }
}

pub(crate) fn verify(report: &VerifyReport) -> String {
    document(report)
}
