//! What is wrong with one value of an ssh config, said as `ssh` users know
//! it (the keyword, the value, what was expected). The reader adds the file
//! and line, or the Host block, as [`InventoryError`] messages.
//!
//! [`InventoryError`]: crate::inventory::InventoryError

use std::path::PathBuf;

use crate::model::names::shown;

/// A value of the ssh config that swarmadm refuses; each variant carries
/// the value as written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SshValueError {
    #[error(
        "StrictHostKeyChecking `{}`: expected yes, ask, accept-new, no or off",
        shown(.value)
    )]
    Policy { value: String },
    #[error("{key} `{}`: expected yes or no", shown(.value))]
    YesNo { key: String, value: String },
    /// A yes/no keyword in an included file, which ssh2-config reads whole.
    #[error(
        "{key} `{}`: expected yes or no (in an included file, swarmadm's reader takes only yes or no here)",
        shown(.value)
    )]
    IncludedYesNo { key: String, value: String },
    #[error(
        "{key} `{}`: in an included file, swarmadm's reader takes only a whole number here",
        shown(.value)
    )]
    IncludedNumber { key: String, value: String },
    #[error(
        "ProxyJump `{}`: {fault}, expected [user@]host[:port] or ssh://[user@]host[:port]",
        shown(.spec)
    )]
    Jump { spec: String, fault: JumpFault },
    #[error("Port `{}`: expected a port number from 1 to 65535", shown(.value))]
    Port { value: String },
    #[error("Port 0: expected a port number from 1 to 65535")]
    PortZero,
    /// A `%` token problem in the value of `keyword`.
    #[error("{keyword}: {fault}")]
    Tokens {
        keyword: &'static str,
        fault: TokenError,
    },
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(
        "cannot resolve Include `{}`: the home directory is unknown",
        shown(.arg)
    )]
    IncludeNoHome { arg: String },
    #[error("bad Include pattern `{}`: {cause}", shown(.arg))]
    IncludePattern {
        arg: String,
        cause: glob::PatternError,
    },
    #[error("Include `{}`: {cause}", shown(.arg))]
    IncludeRead { arg: String, cause: glob::GlobError },
    #[error(
        "`Match {}` is not supported: swarmadm reads Match blocks only in the config itself ({}), not in included files",
        shown(.criteria),
        .config.display()
    )]
    MatchIncluded { criteria: String, config: PathBuf },
    #[error(
        "`Match {}` is not supported: swarmadm evaluates only `Match all`, `Match host PATTERNS` and `Match originalhost PATTERNS`, and ignoring this block could change where a connection goes; remove it, or give swarmadm a config without it with -F (`-F /dev/null` for none)",
        shown(.criteria)
    )]
    MatchCriteria { criteria: String },
}

impl SshValueError {
    /// A `%` token problem in the value of `keyword`.
    pub(super) fn tokens(keyword: &'static str) -> impl Fn(TokenError) -> Self {
        move |fault| SshValueError::Tokens { keyword, fault }
    }
}

/// What is wrong with a ProxyJump hop.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum JumpFault {
    #[error("empty user")]
    EmptyUser,
    #[error("unclosed `[`")]
    UnclosedBracket,
    #[error("junk after `]`")]
    JunkAfterBracket,
    #[error("no host")]
    NoHost,
    #[error("bad port `{}`", shown(.0))]
    Port(String),
}

/// A `%` token that cannot be expanded; each variant carries the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TokenError {
    #[error("`{}` ends with a lone `%` (write `%%` for a percent sign)", shown(.raw))]
    LonePercent { raw: String },
    #[error("token `%{token}` in `{}` is not supported by swarmadm here", shown(.raw))]
    Unsupported { token: char, raw: String },
    #[error("unknown token `%{token}` in `{}`", shown(.raw))]
    Unknown { token: char, raw: String },
    #[error("cannot expand `%u` in `{}`: the login name is unknown", shown(.raw))]
    NoLoginName { raw: String },
    #[error("cannot expand `%d` in `{}`: the home directory is unknown", shown(.raw))]
    NoHome { raw: String },
}
