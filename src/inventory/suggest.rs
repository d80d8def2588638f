//! "Did you mean" hints for names we know: INI group and variable names,
//! TOML keys. Only the choice of a candidate lives here; the messages that
//! carry it are the parsers'.

/// How far (in edits) a word may be from a candidate to be a likely typo.
const MAX_DISTANCE: usize = 2;

/// The names we suggest are short: a longer word is no typo of one, and
/// comparing it would cost its length times theirs (a 180 KB key took
/// seconds).
const MAX_WORD: usize = 64;

/// The candidate within [`MAX_DISTANCE`] edits of `word`, closest first
/// (the first listed among equals).
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if word.len() > MAX_WORD {
        return None;
    }
    // Levenshtein is at least the difference in length.
    let length = word.chars().count();
    candidates
        .iter()
        .filter(|c| c.chars().count().abs_diff(length) <= MAX_DISTANCE)
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
    if word.len() > MAX_WORD {
        return None;
    }
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
    word.len() <= MAX_WORD && strsim::levenshtein(word, candidate) <= MAX_DISTANCE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_word_gets_no_hint_and_costs_nothing() {
        let huge = "k".repeat(180_000);
        let start = std::time::Instant::now();
        assert_eq!(did_you_mean(&huge, &["port", "user"]), None);
        assert_eq!(closest(&huge, &["port", "user"]), None);
        assert!(!is_close(&huge, "port"));
        assert!(start.elapsed() < std::time::Duration::from_millis(50));
    }

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
