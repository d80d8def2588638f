//! Escaping for the terminal: text that came from a node (hostnames,
//! labels, engine errors) or a file must not be able to move the cursor,
//! retitle the window or hide a line. Every string that swarmadm writes to
//! a terminal goes through [`terminal`] first; JSON output keeps the exact
//! values (serde_json escapes control characters itself).

use std::borrow::Cow;

/// `text` with every control character except the line feed made visible:
/// ESC as `\e`, tab as `\t`, carriage return as `\r`, others as `\u{XX}`.
/// Text without control characters is returned as is, without copying.
pub(crate) fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            _ if !needs_escape(c) => out.push(c),
            '\u{1b}' => out.push_str("\\e"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            other => out.push_str(&format!("\\u{{{:x}}}", u32::from(other))),
        }
    }
    Cow::Owned(out)
}

/// Control characters (C0, DEL, C1), the line feed excepted, and the
/// Unicode bidirectional overrides that reorder what a reader sees.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_osc_title_sequence_from_a_label_is_shown_not_run() {
        assert_eq!(
            terminal("zone=\u{1b}]0;pwned\u{7}"),
            "zone=\\e]0;pwned\\u{7}"
        );
        assert_eq!(terminal("a\rb\tc\u{9b}d"), "a\\rb\\tc\\u{9b}d");
        assert_eq!(terminal("rtl\u{202e}txt"), "rtl\\u{202e}txt");
    }

    #[test]
    fn plain_text_and_line_feeds_pass_unchanged_without_a_copy() {
        let text = "swarm-worker-01  ✓ joined\nnext line";
        assert!(matches!(terminal(text), Cow::Borrowed(t) if t == text));
    }
}
