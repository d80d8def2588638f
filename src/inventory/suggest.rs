//! "Did you mean" hints for names we know: INI group and variable names,
//! TOML keys. Only the choice of a candidate lives here; the messages that
//! carry it are the parsers'.

/// How far (in edits) a word may be from a candidate to be a likely typo.
const MAX_DISTANCE: usize = 2;

/// The candidate within [`MAX_DISTANCE`] edits of `word`, closest first
/// (the first listed among equals).
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(word, c), *c))
        .filter(|(d, _)| *d <= MAX_DISTANCE)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Whether `word` is a likely typo of `candidate`.
pub(crate) fn is_close(word: &str, candidate: &str) -> bool {
    strsim::levenshtein(word, candidate) <= MAX_DISTANCE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_for_typos_only() {
        let ours = ["swarm-leader", "swarm-manager", "swarm-worker"];
        assert_eq!(did_you_mean("swarm-leaders", &ours), Some("swarm-leader"));
        assert_eq!(did_you_mean("swarm-manger", &ours), Some("swarm-manager"));
        assert_eq!(did_you_mean("swarm-wroker", &ours), Some("swarm-worker"));
        assert_eq!(did_you_mean("webservers", &ours), None);
        assert_eq!(did_you_mean("", &ours), None);
        assert!(is_close("swarm_lable_", "swarm_label_"));
        assert!(!is_close("ansible_", "swarm_label_"));
    }
}
