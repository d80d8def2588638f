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

/// The most similar candidate, for a hint in a message that is an error
/// anyway (an unknown TOML key): a typo as [`did_you_mean`] finds it, else
/// the closest by Jaro-Winkler similarity (which favours a shared prefix,
/// so `listen_address` finds `listen_addr`). Not for deciding whether
/// something is an error: it is too generous for that.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    did_you_mean(word, candidates).or_else(|| {
        candidates
            .iter()
            .map(|c| (strsim::jaro_winkler(word, c), *c))
            .filter(|(similarity, _)| *similarity >= MIN_SIMILARITY)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, c)| c)
    })
}

/// How similar (Jaro-Winkler, 0 to 1) a word must be for [`closest`].
const MIN_SIMILARITY: f64 = 0.85;

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
        let keys = ["listen_addr", "advertise_addr", "subnet_size"];
        assert_eq!(closest("listen_address", &keys), Some("listen_addr"));
        assert_eq!(closest("advertise_adr", &keys), Some("advertise_addr"));
        assert_eq!(did_you_mean("listen_address", &keys), None);
        assert_eq!(closest("colour", &["leader", "manager", "worker"]), None);
        assert!(!is_close("ansible_", "swarm_label_"));
    }
}
