//! The `--workload` part of `verify`'s text.

use crate::check::workload::{Expect, Mesh, NotRunCheck, ProbeKind, WorkloadReport};

use super::{mark, wrap};

/// The `--workload` part of verify's text: placement per node, failing
/// probes with their likely cause, the routing mesh, what was not run and
/// why, the time it took.
pub(super) fn workload_text(report: &WorkloadReport, width: usize) -> String {
    let mut out = format!("\nWorkload {} ({}):\n", report.service, report.image);
    for p in &report.placement {
        let task = match (&p.task_state, &p.address) {
            (Some(state), Some(addr)) => format!("task {state} at {addr}"),
            (Some(state), None) => format!("task {state}"),
            (None, _) => "no task".to_owned(),
        };
        let want = match p.expected {
            Expect::Task => "a task",
            Expect::NoTask => "no task",
        };
        let availability = match p.wanted_availability {
            Some(wanted) => format!(
                "{}, but the inventory wants {}: wrong availability",
                p.availability.as_str(),
                wanted.as_str()
            ),
            None => p.availability.as_str().to_owned(),
        };
        let mut line = format!(
            "{} {}: {task} ({availability}, expected {want})",
            mark(p.ok),
            p.node
        );
        if let Some(error) = &p.task_error {
            line.push_str(&format!(": {error}"));
        }
        out.push_str(&wrap(&line, width, 4));
    }
    let probes = report.probes.len();
    let failing: Vec<_> = report.failing_probes().collect();
    if probes > 0 {
        let mtu = report
            .mtu
            .map(|m| format!(" small and {m}-byte"))
            .unwrap_or_default();
        let vip = if report.probes.iter().any(|p| p.kind == ProbeKind::Vip) {
            " and answering on its virtual IP"
        } else {
            ""
        };
        let line = format!(
            "{} {} of {probes} probes answered ({mtu} pings between tasks, tasks.{service}, \
             {service} resolving{vip})",
            mark(failing.is_empty()),
            probes - failing.len(),
            service = report.service
        )
        .replace("( ", "(");
        out.push_str(&wrap(&line, width, 4));
    }
    // Failing probes grouped by likely cause: the cause once, its pairs below.
    let mut by_cause: Vec<(String, Vec<String>)> = Vec::new();
    for p in failing {
        let why = p.cause.as_ref().map(|c| c.hint()).unwrap_or_default();
        let pair = format!("from {} to {} ({})", p.from, p.to, p.target);
        match by_cause.iter_mut().find(|(w, _)| *w == why) {
            Some((_, pairs)) => pairs.push(pair),
            None => by_cause.push((why, vec![pair])),
        }
    }
    for (why, pairs) in by_cause {
        let count = if pairs.len() == 1 {
            "1 probe".to_owned()
        } else {
            format!("{} probes", pairs.len())
        };
        out.push_str(&wrap(&format!("  ✗ {count}: {why}"), width, 6));
        for pair in pairs {
            out.push_str(&wrap(&format!("      {pair}"), width, 8));
        }
    }
    if !report.mesh.is_empty() {
        let answering = report.mesh.iter().filter(|m| m.ok).count();
        let line = format!(
            "{} {answering} of {} nodes answer on the published port (routing mesh)",
            mark(answering == report.mesh.len()),
            report.mesh.len()
        );
        out.push_str(&wrap(&line, width, 4));
        for m in report.mesh.iter().filter(|m| !m.ok) {
            let line = format!(
                "  ✗ {} ({}): {}; {}",
                m.node,
                m.target,
                m.error.as_deref().unwrap_or("no answer"),
                Mesh::HINT
            );
            out.push_str(&wrap(&line, width, 6));
        }
    }
    // Not run: one line per check and reason, naming the nodes.
    let mut not_run: Vec<(NotRunCheck, &str, Vec<&str>)> = Vec::new();
    for n in &report.not_run {
        match not_run
            .iter_mut()
            .find(|(c, r, _)| *c == n.check && *r == n.reason)
        {
            Some((_, _, nodes)) => nodes.push(&n.node),
            None => not_run.push((n.check, &n.reason, vec![&n.node])),
        }
    }
    for (check, reason, nodes) in not_run {
        let what = match check {
            NotRunCheck::Vip => "virtual IP",
            NotRunCheck::RoutingMesh => "routing mesh",
            NotRunCheck::Node => "every check",
        };
        let line = format!("- not run: {what} on {}: {reason}", nodes.join(", "));
        out.push_str(&wrap(&line, width, 4));
    }
    if report.leftovers_removed > 0 {
        let line = format!(
            "  removed {} leftovers of an earlier interrupted run",
            report.leftovers_removed
        );
        out.push_str(&wrap(&line, width, 4));
    }
    if !report.other_runs.is_empty() {
        let line = format!(
            "  left alone: {} of another run still going on",
            report.other_runs.join(", ")
        );
        out.push_str(&wrap(&line, width, 4));
    }
    if let Some(error) = &report.error {
        out.push_str(&wrap(&format!("{} {error}", mark(false)), width, 4));
    }
    if let Some(error) = &report.cleanup_error {
        out.push_str(&wrap(
            &format!("{} cleanup: {error}", mark(false)),
            width,
            4,
        ));
    }
    out.push_str(&format!("  took {:.1}s\n", report.seconds));
    out
}
