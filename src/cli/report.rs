//! The report at the edge: color-eyre installed once with `HookBuilder`,
//! an error printed once, and the panic report.
//!
//! An error's first line is `error: ` and the report's chain of causes on
//! one line (`{:#}`), exactly what scripts read; color-eyre's `Note:` and
//! `Suggestion:` sections follow it, from [`hints`]. With `-vv`, or with
//! `RUST_BACKTRACE` (or `RUST_LIB_BACKTRACE`) set to anything but `0`, the
//! whole report follows instead: each cause on its line, the sections, the
//! environment section and, when `RUST_BACKTRACE` asks, the backtrace.
//! Colour only when stderr is a terminal and `NO_COLOR` is unset or empty;
//! the whole report of `-vv` is plain text, escaped, for pasting into an
//! issue. A panic prints what panicked and where to report it; its location
//! and backtrace only as asked, the same way.

use std::fmt;
use std::io::{IsTerminal as _, Write as _};

use color_eyre::Section as _;
use color_eyre::config::{HookBuilder, Theme};
use color_eyre::owo_colors::OwoColorize as _;

use crate::inventory;
use crate::ui::escape;
use crate::ui::log::Verbosity;

/// Where a panic is to be reported, said under every panic report. (The
/// package names no repository to link to.)
const REPORT_IT: &str = "This is a bug in swarmadm, not in your inventory or your nodes: \
please report it on swarmadm's issue tracker, with the command you ran, \
`swarmadm --version` and this report. RUST_BACKTRACE=1 adds a backtrace.";

/// Set (to anything) in a debug build only, swarmadm panics on purpose
/// once the hooks are installed: tests/terminal.rs shows the panic report
/// with it. A release build never reads it.
pub(super) const TEST_PANIC: &str = "SWARMADM_TEST_PANIC";

/// How much of a report is shown, decided once, when the hooks are
/// installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Detail {
    /// The whole report (`-vv` or `RUST_BACKTRACE`), not only the line and
    /// the sections.
    whole: bool,
}

impl Detail {
    pub(super) fn of(verbosity: Verbosity) -> Detail {
        Detail {
            whole: verbosity >= Verbosity::Negotiation || backtrace_asked(),
        }
    }
}

/// Whether the environment asks for backtraces, as color-eyre reads it.
fn backtrace_asked() -> bool {
    // Set and not `0`, even empty, as std and color-eyre read it.
    ["RUST_LIB_BACKTRACE", "RUST_BACKTRACE"]
        .into_iter()
        .filter_map(std::env::var_os)
        .any(|v| v != "0")
}

/// Whether stderr gets colour: a terminal, and no `NO_COLOR` (an empty
/// one counts as unset, as no-color.org says).
fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Installs color-eyre's error and panic hooks for this run. Reports made
/// before (none: this runs first) keep eyre's plain handler.
pub(super) fn install(detail: Detail) {
    // The whole report is plain: it quotes messages from nodes and files,
    // which are escaped as text.
    let colour = colour() && !detail.whole;
    let theme = if colour { Theme::dark() } else { Theme::new() };
    let builder = HookBuilder::blank()
        .add_default_filters()
        .theme(theme)
        .display_env_section(detail.whole)
        .panic_message(Panicked { colour, detail })
        .panic_section(REPORT_IT);
    let Ok((panic_hook, eyre_hook)) = builder.try_into_hooks() else {
        return;
    };
    // Fails only when a hook is installed already (a second run in one
    // process): that one stays.
    if eyre_hook.install().is_ok() {
        panic_hook.install();
    }
}

/// The first lines of a panic report: what panicked, with which message
/// (escaped: it may quote a node), and where only when asked for.
struct Panicked {
    colour: bool,
    detail: Detail,
}

impl color_eyre::section::PanicMessage for Panicked {
    fn display(
        &self,
        info: &std::panic::PanicHookInfo<'_>,
        f: &mut fmt::Formatter<'_>,
    ) -> fmt::Result {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("(no message)");
        let header = "swarmadm panicked (crashed).";
        if self.colour {
            writeln!(f, "{}", header.red())?;
        } else {
            writeln!(f, "{header}")?;
        }
        write!(f, "Message:  {}", escape::terminal(message))?;
        if let Some(at) = info.location().filter(|_| self.detail.whole) {
            write!(f, "\nLocation: {}:{}", at.file(), at.line())?;
        }
        Ok(())
    }
}

/// What the user may want to know or do next about an error, as
/// color-eyre sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Hint {
    Note(String),
    Suggestion(String),
}

/// The hints for `report`, by the kind of its error, never by its text;
/// `inventory_command` when the command was `swarmadm inventory` itself.
pub(super) fn hints(report: &eyre::Report, inventory_command: bool) -> Vec<Hint> {
    let is = |kind: Kind| report.chain().any(|e| kind.matches(e));
    let mut hints = Vec::new();
    if is(Kind::Inventory) {
        hints.push(Hint::Note(
            "nothing was changed: swarmadm reads the whole inventory and its ssh config \
             before it reaches any node"
                .into(),
        ));
        if !inventory_command {
            hints.push(Hint::Suggestion(
                "`swarmadm inventory -i PATH` reads an inventory as every command does, \
                 and connects to nothing: run it until it lists your nodes"
                    .into(),
            ));
        }
    } else if is(Kind::LocalFile) {
        hints.push(Hint::Note(
            "nothing was changed: the files every node's SSH settings name are checked \
             before any node is reached"
                .into(),
        ));
        hints.push(Hint::Suggestion(
            "`swarmadm inventory -i PATH` shows which key and known_hosts files each node uses"
                .into(),
        ));
    }
    hints
}

/// The kinds of error [`hints`] knows.
#[derive(Clone, Copy)]
enum Kind {
    Inventory,
    LocalFile,
}

impl Kind {
    fn matches(self, error: &(dyn std::error::Error + 'static)) -> bool {
        match self {
            Kind::Inventory => error.is::<inventory::InventoryError>(),
            Kind::LocalFile => error.is::<crate::remote::local_files::LocalFileError>(),
        }
    }
}

/// `report` with `hints` as its sections.
fn with_hints(report: eyre::Report, hints: Vec<Hint>) -> eyre::Report {
    hints.into_iter().fold(report, |report, hint| match hint {
        Hint::Note(text) => report.note(text),
        Hint::Suggestion(text) => report.suggestion(text),
    })
}

/// What stands on stderr for `report`: its one line, then the sections
/// (or, with `detail.whole`, the whole report). Ends without a newline.
pub(super) fn render(report: eyre::Report, hints: Vec<Hint>, detail: Detail) -> String {
    let line = escape::terminal(&format!("error: {report:#}")).into_owned();
    if detail.whole {
        let whole = format!("{:?}", with_hints(report, hints));
        return format!(
            "{line}\n{}",
            escape::terminal(whole.trim_start_matches('\n'))
        );
    }
    // The sections alone: those of a report that holds one short line of
    // ours, which color-eyre writes before a blank line and the sections.
    let carrier = with_hints(eyre::Report::msg("-"), hints).suppress_backtrace(true);
    if carrier
        .handler()
        .downcast_ref::<color_eyre::Handler>()
        .is_none()
    {
        // No color-eyre (not installed): eyre's own handler has no
        // sections, only what a user did not ask for.
        return line;
    }
    let shown = format!("{carrier:?}");
    match shown.split_once("\n\n") {
        Some((_, sections)) => format!("{line}\n\n{sections}"),
        None => line,
    }
}

/// Prints `report` once, on stderr, as [`render`] lays it out.
pub(super) fn print(report: eyre::Report, inventory_command: bool, detail: Detail) {
    let hints = hints(&report, inventory_command);
    let text = render(report, hints, detail);
    let _ = writeln!(std::io::stderr(), "{text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_sections_an_error_is_its_one_line() {
        let report = eyre::eyre!("cannot go on").wrap_err("up failed");
        let text = render(report, Vec::new(), Detail { whole: false });
        assert_eq!(text, "error: up failed: cannot go on");
    }

    #[test]
    fn an_error_from_a_file_is_escaped_on_its_line() {
        let report = eyre::eyre!("bad name `a\u{1b}[31mb`");
        let text = render(report, Vec::new(), Detail { whole: false });
        assert_eq!(text, "error: bad name `a\\e[31mb`");
    }

    #[test]
    fn hints_follow_the_kind_of_error_not_its_text() {
        let plain = eyre::eyre!("an inventory error, by its text only");
        assert_eq!(hints(&plain, false), Vec::new());
        let missing = std::path::Path::new("/nonexistent/inventory.toml");
        let error = inventory::load(missing, &inventory::LoadOptions::default()).unwrap_err();
        let report = eyre::Report::new(error).wrap_err("up");
        let up = hints(&report, false);
        assert!(
            matches!(up.as_slice(), [Hint::Note(_), Hint::Suggestion(_)]),
            "{up:?}"
        );
        // `inventory` itself is not suggested to `inventory`.
        let inventory = hints(&report, true);
        assert!(
            matches!(inventory.as_slice(), [Hint::Note(_)]),
            "{inventory:?}"
        );
    }

    #[test]
    fn the_sections_follow_the_line_after_a_blank_one() {
        // Not a terminal here: no colour.
        install(Detail { whole: false });
        let hints = vec![
            Hint::Note("nothing was changed".into()),
            Hint::Suggestion("try again".into()),
        ];
        let text = render(eyre::eyre!("cannot go on"), hints, Detail { whole: false });
        assert_eq!(
            text,
            "error: cannot go on\n\nNote: nothing was changed\nSuggestion: try again"
        );
        let whole = render(
            eyre::eyre!("cannot go on").wrap_err("up failed"),
            vec![Hint::Note("nothing was changed".into())],
            Detail { whole: true },
        );
        assert!(
            whole
                .starts_with("error: up failed: cannot go on\n   0: up failed\n   1: cannot go on"),
            "{whole}"
        );
        assert!(whole.contains("\nNote: nothing was changed"), "{whole}");
    }
}
