//! Ansible host patterns on a host line: the `host:port` form and host
//! ranges (`web[01:03]`, `db-[a:c]`, `n[0:10:5]`), bounded so that a typo
//! cannot fill the memory.

use crate::inventory::address::shown;

/// The most hosts one host line may expand to (`n[1:100000]`): a typo in
/// a range must not fill the memory.
const MAX_RANGE_HOSTS: usize = 100_000;

/// `host:2222` → (`host`, Some("2222")). A colon inside a range (`[1:3]`)
/// or in a bare IPv6 address is not a port.
pub(super) fn split_port(pattern: &str) -> (&str, Option<&str>) {
    let mut depth = 0usize;
    let mut colons = Vec::new();
    for (i, c) in pattern.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => colons.push(i),
            _ => {}
        }
    }
    match colons.as_slice() {
        [i] if pattern[i + 1..].chars().all(|c| c.is_ascii_digit()) && *i + 1 < pattern.len() => {
            (&pattern[..*i], Some(&pattern[i + 1..]))
        }
        _ => (pattern, None),
    }
}

/// A host range that cannot be expanded, with the pattern it is in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum RangeError {
    #[error("host range in `{}` has no closing `]`", shown(.pattern))]
    Unclosed { pattern: String },
    #[error("bad host range `[{}]` in `{}`: {fault}", shown(.range), shown(.pattern))]
    Bad {
        range: String,
        pattern: String,
        fault: RangeFault,
    },
}

/// What is wrong with a host range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum RangeFault {
    #[error("the step must be a positive integer")]
    Step,
    #[error("expected [begin:end] or [begin:end:step]")]
    Form,
    #[error("the end is missing")]
    NoEnd,
    #[error("zero-padded begin and end must have the same width")]
    Width,
    #[error("the begin is greater than the end")]
    Reversed,
    #[error("it makes {count} hosts, more than {MAX_RANGE_HOSTS}")]
    TooMany { count: u64 },
    #[error("expected numbers or single letters")]
    Values,
    #[error("with the ranges after it, it makes more than {MAX_RANGE_HOSTS} hosts")]
    TooManyWithTails,
}

/// Expand Ansible host ranges: `web[01:03]`, `db-[a:c]`, `n[0:10:5]`.
pub(super) fn expand_hosts(pattern: &str) -> Result<Vec<String>, RangeError> {
    let Some(open) = pattern.find('[') else {
        return Ok(vec![pattern.to_owned()]);
    };
    let close =
        pattern[open..]
            .find(']')
            .map(|i| open + i)
            .ok_or_else(|| RangeError::Unclosed {
                pattern: pattern.to_owned(),
            })?;
    let (head, range, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let bad = |fault: RangeFault| RangeError::Bad {
        range: range.to_owned(),
        pattern: pattern.to_owned(),
        fault,
    };
    let parts: Vec<&str> = range.split(':').collect();
    let (begin, end, step) = match parts.as_slice() {
        [b, e] => (*b, *e, 1),
        [b, e, s] => (
            *b,
            *e,
            s.parse::<usize>()
                .ok()
                .filter(|s| *s > 0)
                .ok_or_else(|| bad(RangeFault::Step))?,
        ),
        _ => return Err(bad(RangeFault::Form)),
    };
    let begin = if begin.is_empty() { "0" } else { begin };
    if end.is_empty() {
        return Err(bad(RangeFault::NoEnd));
    }
    let values: Vec<String> = if let (Ok(b), Ok(e)) = (begin.parse::<u64>(), end.parse::<u64>()) {
        // A leading zero asks for zero-padding to the width of both ends.
        let width = if begin.len() > 1 && begin.starts_with('0') {
            if begin.len() != end.len() {
                return Err(bad(RangeFault::Width));
            }
            begin.len()
        } else {
            0
        };
        if b > e {
            return Err(bad(RangeFault::Reversed));
        }
        let count = (e - b) / u64::try_from(step).unwrap_or(u64::MAX) + 1;
        if count > MAX_RANGE_HOSTS as u64 {
            return Err(bad(RangeFault::TooMany { count }));
        }
        (b..=e)
            .step_by(step)
            .map(|n| format!("{n:0width$}"))
            .collect()
    } else {
        let letter = |s: &str| {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() => Some(c),
                _ => None,
            }
        };
        let (Some(b), Some(e)) = (letter(begin), letter(end)) else {
            return Err(bad(RangeFault::Values));
        };
        if b > e {
            return Err(bad(RangeFault::Reversed));
        }
        (b..=e).step_by(step).map(String::from).collect()
    };
    let tails = expand_hosts(tail)?;
    if values.len().saturating_mul(tails.len()) > MAX_RANGE_HOSTS {
        return Err(bad(RangeFault::TooManyWithTails));
    }
    Ok(values
        .iter()
        .flat_map(|v| tails.iter().map(move |t| format!("{head}{v}{t}")))
        .collect())
}
