//! Secrets (join tokens, passphrases) as a type whose `Debug` and `Display`
//! never show the value. Only the code that sends a secret to an engine or an
//! SSH library calls [`Secret::expose`].

use std::fmt;

/// A value that must never reach an output, a log line, an error message or
/// `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that has to send it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("SWMTKN-1-abc");
        assert!(!format!("{s:?}").contains("SWMTKN"));
        assert!(!format!("{s}").contains("SWMTKN"));
        assert_eq!(s.expose(), "SWMTKN-1-abc");
    }
}
