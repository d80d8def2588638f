//! `verify --output junit`: one test suite, one test case per check per
//! node and per cluster check, and the workload's cases.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite, XmlString};

use crate::check::verify::{Scope, VerifyReport};
use crate::check::workload::{Expect, Mesh, NotRunCheck, ProbeKind, WorkloadReport};

use super::verify::check_value;

/// JUnit XML: one test suite, one test case per check per node and per
/// cluster check.
pub(crate) fn verify_junit(report: &VerifyReport) -> Result<String, quick_junit::SerializeError> {
    let mut suite = TestSuite::new(format!("swarmadm verify {}", report.inventory));
    if let Some(error) = &report.error {
        let status = not_passed(NonSuccessKind::Error, error.message.clone());
        suite.add_test_case(case("cluster.checkable", "cluster", status));
    }
    let checks = report
        .nodes
        .iter()
        .flat_map(|n| n.checks.iter().map(move |c| (Scope::Node(n), c)))
        .chain(report.cluster.iter().map(|c| (Scope::Cluster, c)));
    for (scope, check) in checks {
        let status = if check.failing() {
            let message = format!(
                "expected {}, actual {}",
                check_value(check, &check.expected),
                check_value(check, &check.actual)
            );
            not_passed(NonSuccessKind::Failure, message)
        } else {
            TestCaseStatus::success()
        };
        let name = format!("{}.{}", scope.name(), check.name);
        suite.add_test_case(case(name, scope.name(), status));
    }
    if let Some(workload) = &report.workload {
        for (name, failure) in workload_cases(workload) {
            let status = match failure {
                Some(message) => not_passed(NonSuccessKind::Failure, message),
                None => TestCaseStatus::success(),
            };
            suite.add_test_case(case(name, "workload", status));
        }
        for n in &workload.not_run {
            let check = match n.check {
                NotRunCheck::Vip => "workload_vip",
                NotRunCheck::RoutingMesh => "workload_mesh",
                NotRunCheck::Node => "workload",
            };
            let mut status = if n.check == NotRunCheck::Node {
                TestCaseStatus::non_success(NonSuccessKind::Failure)
            } else {
                TestCaseStatus::skipped()
            };
            status.set_message(n.reason.clone());
            suite.add_test_case(case(format!("{}.{check}", n.node), "workload", status));
        }
    }
    let mut junit = Report::new("swarmadm");
    junit.add_test_suite(suite);
    junit.to_string()
}

/// A test case named `name` in class `class`.
fn case(name: impl Into<XmlString>, class: &str, status: TestCaseStatus) -> TestCase {
    let mut case = TestCase::new(name, status);
    case.set_classname(class);
    case
}

/// A failure or an error, with its message.
fn not_passed(kind: NonSuccessKind, message: impl Into<XmlString>) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(kind);
    status.set_message(message);
    status
}

/// The workload's JUnit cases: its run, each node's placement, each probe,
/// its cleanup; with the failure's message.
fn workload_cases(workload: &WorkloadReport) -> Vec<(String, Option<String>)> {
    let mut cases = vec![("workload.run".to_owned(), workload.error.clone())];
    for p in &workload.placement {
        let state = p.task_state.as_deref().unwrap_or("none");
        let failure = (!p.ok).then(|| {
            let wanted = p
                .wanted_availability
                .map(|w| format!(", the inventory wants {}", w.as_str()))
                .unwrap_or_default();
            format!(
                "expected {}, task: {state} ({}{wanted})",
                match p.expected {
                    Expect::Task => "a running task",
                    Expect::NoTask => "no task",
                },
                p.availability.as_str()
            )
        });
        cases.push((format!("{}.workload_task", p.node), failure));
    }
    for p in &workload.probes {
        let failure = (!p.ok).then(|| p.cause.as_ref().map(|c| c.hint()).unwrap_or_default());
        let name = match p.kind {
            ProbeKind::Ping => format!("{}.workload_probe.{}", p.from, p.to),
            ProbeKind::TasksDns => format!("{}.workload_tasks_dns", p.from),
            ProbeKind::ServiceDns => format!("{}.workload_service_dns", p.from),
            ProbeKind::Vip => format!("{}.workload_vip", p.from),
        };
        cases.push((name, failure));
    }
    for m in &workload.mesh {
        let failure = (!m.ok).then(|| {
            format!(
                "{}: {}; {}",
                m.target,
                m.error.as_deref().unwrap_or("no answer"),
                Mesh::HINT
            )
        });
        cases.push((format!("{}.workload_mesh", m.node), failure));
    }
    cases.push((
        "workload.cleanup".to_owned(),
        workload.cleanup_error.clone(),
    ));
    cases
}
