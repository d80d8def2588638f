//! Text broken into lines by the terminal columns each character takes:
//! the lines of every result, wrapped at spaces, with long words (paths)
//! cut.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The terminal columns `text` takes: a wide character (CJK, most emoji,
/// say in a label) takes two, so counting characters would overflow.
pub(super) fn columns(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` cut after at most `room` columns: the head and the rest. The head
/// has at least one character, so that a cut always makes progress.
pub(super) fn cut(text: &str, room: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += UnicodeWidthChar::width(c).unwrap_or(0);
        if used > room && i > 0 {
            return text.split_at(i);
        }
    }
    (text, "")
}

/// `text` broken at spaces into lines of at most `width` columns, every
/// line after the first indented by `indent`; a word longer than a line (a
/// path) is cut. Each line ends with a newline.
pub(crate) fn wrap(text: &str, width: usize, indent: usize) -> String {
    let mut out = String::new();
    let body = text.trim_start_matches(' ');
    // The first line keeps its own indentation.
    let mut line = " ".repeat(text.len() - body.len());
    let pad = " ".repeat(indent);
    for word in body.split(' ') {
        let mut word = word.to_owned();
        loop {
            let sep = usize::from(!line.trim_start().is_empty());
            if columns(&line) + sep + columns(&word) <= width {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if !line.trim_start().is_empty() {
                out.push_str(&line);
                out.push('\n');
                line = pad.clone();
                continue;
            }
            // The word alone is too long for a line: cut it.
            let room = width.saturating_sub(columns(&line)).max(1);
            let (head, rest) = cut(&word, room);
            let rest = rest.to_owned();
            line.push_str(head);
            out.push_str(&line);
            out.push('\n');
            line = pad.clone();
            if rest.is_empty() {
                break;
            }
            word = rest;
        }
    }
    if !line.trim().is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}
