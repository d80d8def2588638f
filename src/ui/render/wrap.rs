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
    let pad = " ".repeat(indent);
    // Only at spaces: a node name's hyphen is no place to break it.
    let options = textwrap::Options::new(width)
        .subsequent_indent(&pad)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
    textwrap::wrap(text, options)
        .into_iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn a_line_feed_in_a_message_starts_an_indented_line_that_fits_too() {
        let text = "error: the engine said: first line\nsecond line of the engine's message";
        assert_eq!(
            wrap(text, 30, 2),
            "error: the engine said: first\n  line\n  second line of the engine's\n  message\n"
        );
    }

    #[test]
    fn a_node_name_is_not_broken_at_its_hyphen() {
        assert_eq!(
            wrap("joined swarm-worker-01", 17, 2),
            "joined\n  swarm-worker-01\n"
        );
    }

    #[test]
    fn a_path_longer_than_a_line_is_cut() {
        assert_eq!(
            wrap("key /etc/swarmadm/unlock.key", 12, 2),
            "key\n  /etc/swarm\n  adm/unlock\n  .key\n"
        );
    }
}
