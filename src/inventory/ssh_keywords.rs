//! The words of an OpenSSH client config line as `ssh` reads them: how a
//! line splits into a keyword and its arguments (quotes, backslashes,
//! comments), which keywords exist and how many arguments each takes, and
//! `IgnoreUnknown`. `ssh` refuses an unknown keyword and extra arguments
//! (`Port 22 23`) with an error; so does swarmadm, naming the file and line.
//! What the values mean is `sshconfig`'s business, not this module's.
//!
//! Why not ssh2-config's `ParseRule::STRICT`: its keyword list lacks 46 of
//! OpenSSH's (`Match`, `Tag`, `ChannelTimeout`, `RequiredRSASize`, the
//! deprecated ones `ssh` still accepts, Debian's...; it even spells
//! `CanonicalizeFallbackLocal` wrong), so it would refuse valid configs;
//! it does not count arguments; and its errors carry no line.

use super::suggest::did_you_mean;
use crate::model::names::shown;

/// How many arguments a keyword takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arity {
    /// Exactly one.
    One,
    /// One or two (`RekeyLimit 1G 1h`, `IPQoS af21 cs1`).
    UpToTwo,
    /// Two (`LocalForward 8080 web:80`).
    Two,
    /// One or more (`Host a b`, `SendEnv A B`, the rest of the line of
    /// `ProxyCommand`).
    Many,
}

use Arity::{Many, One, Two, UpToTwo};

/// Every keyword OpenSSH's client knows (readconf.c, up to 10.x, with the
/// GSSAPI and keepalive ones of the Debian and Red Hat builds), spelled as
/// its manual does. `keywords_known_to_the_local_ssh_are_known` checks the
/// list against the `ssh` installed here. Deprecated and unsupported ones are listed too: `ssh` warns about
/// them and goes on, so swarmadm accepts them.
const KEYWORDS: &[(&str, Arity)] = &[
    ("AddKeysToAgent", UpToTwo),
    ("AddressFamily", One),
    ("BatchMode", One),
    ("BindAddress", One),
    ("BindInterface", One),
    ("CanonicalDomains", Many),
    ("CanonicalizeFallbackLocal", One),
    ("CanonicalizeHostname", One),
    ("CanonicalizeMaxDots", One),
    ("CanonicalizePermittedCNAMEs", Many),
    ("CASignatureAlgorithms", One),
    ("CertificateFile", One),
    ("ChallengeResponseAuthentication", One),
    ("ChannelTimeout", Many),
    ("CheckHostIP", One),
    ("Ciphers", One),
    ("ClearAllForwardings", One),
    ("Compression", One),
    ("ConnectionAttempts", One),
    ("ConnectTimeout", One),
    ("ControlMaster", One),
    ("ControlPath", One),
    ("ControlPersist", One),
    ("DynamicForward", One),
    ("EnableEscapeCommandline", One),
    ("EnableSSHKeysign", One),
    ("EscapeChar", One),
    ("ExitOnForwardFailure", One),
    ("FingerprintHash", One),
    ("ForkAfterAuthentication", One),
    ("ForwardAgent", One),
    ("ForwardX11", One),
    ("ForwardX11Timeout", One),
    ("ForwardX11Trusted", One),
    ("GatewayPorts", One),
    ("GlobalKnownHostsFile", Many),
    ("GSSAPIAuthentication", One),
    ("GSSAPIClientIdentity", One),
    ("GSSAPIDelegateCredentials", One),
    ("GSSAPIKexAlgorithms", One),
    ("GSSAPIKeyExchange", One),
    ("GSSAPIRenewalForcesRekey", One),
    ("GSSAPIServerIdentity", One),
    ("GSSAPITrustDns", One),
    ("HashKnownHosts", One),
    ("Host", Many),
    ("HostbasedAcceptedAlgorithms", One),
    ("HostbasedAuthentication", One),
    ("HostbasedKeyTypes", One),
    ("HostKeyAlgorithms", One),
    ("HostKeyAlias", One),
    ("HostName", One),
    ("IdentitiesOnly", One),
    ("IdentityAgent", One),
    ("IdentityFile", One),
    ("IgnoreUnknown", One),
    ("Include", Many),
    ("IPQoS", UpToTwo),
    ("KbdInteractiveAuthentication", One),
    ("KbdInteractiveDevices", One),
    ("KexAlgorithms", One),
    ("KnownHostsCommand", Many),
    ("LocalCommand", Many),
    ("LocalForward", Two),
    ("LogLevel", One),
    ("LogVerbose", Many),
    ("MACs", One),
    ("Match", Many),
    ("NoHostAuthenticationForLocalhost", One),
    ("NumberOfPasswordPrompts", One),
    ("ObscureKeystrokeTiming", One),
    ("PasswordAuthentication", One),
    ("PermitLocalCommand", One),
    ("PermitRemoteOpen", Many),
    ("PKCS11Provider", One),
    ("Port", One),
    ("PreferredAuthentications", One),
    // Debian's and Ubuntu's `ssh` (keepalive patch).
    ("ProtocolKeepAlives", One),
    ("ProxyCommand", Many),
    ("ProxyJump", One),
    ("ProxyUseFdpass", One),
    ("PubkeyAcceptedAlgorithms", One),
    ("PubkeyAcceptedKeyTypes", One),
    ("PubkeyAuthentication", One),
    ("RefuseConnection", One),
    ("RekeyLimit", UpToTwo),
    ("RemoteCommand", Many),
    ("RemoteForward", UpToTwo),
    ("RequestTTY", One),
    ("RequiredRSASize", One),
    ("RevokedHostKeys", One),
    ("SecurityKeyProvider", One),
    ("SendEnv", Many),
    ("ServerAliveCountMax", One),
    ("ServerAliveInterval", One),
    ("SessionType", One),
    // Debian's and Ubuntu's `ssh` (keepalive patch).
    ("SetupTimeOut", One),
    ("SetEnv", Many),
    ("SmartcardDevice", One),
    ("StdinNull", One),
    ("StreamLocalBindMask", One),
    ("StreamLocalBindUnlink", One),
    ("StrictHostKeyChecking", One),
    ("SyslogFacility", One),
    ("Tag", One),
    ("TCPKeepAlive", One),
    ("Tunnel", One),
    ("TunnelDevice", One),
    ("UpdateHostKeys", One),
    ("UseBlacklistedKeys", One),
    ("UserKnownHostsFile", Many),
    ("User", One),
    ("VerifyHostKeyDNS", One),
    ("VisualHostKey", One),
    ("WarnWeakCrypto", One),
    ("XAuthLocation", One),
    // Deprecated or unsupported: `ssh` says so and reads on.
    ("AFSTokenPassing", Many),
    ("Cipher", Many),
    ("CompressionLevel", Many),
    ("DSAAuthentication", Many),
    ("FallBackToRsh", Many),
    ("GlobalKnownHostsFile2", Many),
    ("IdentityFile2", Many),
    ("KeepAlive", Many),
    ("KerberosAuthentication", Many),
    ("KerberosTGTPassing", Many),
    ("Protocol", Many),
    ("RhostsAuthentication", Many),
    ("RhostsRSAAuthentication", Many),
    ("RSAAuthentication", Many),
    ("SkeyAuthentication", Many),
    ("TISAuthentication", Many),
    ("UsePrivilegedPort", Many),
    ("UserKnownHostsFile2", Many),
    ("UseRoaming", Many),
    ("UseRsh", Many),
    ("VersionAddendum", Many),
];

/// Keywords only the `ssh` of one platform knows: Apple's reads
/// `UseKeychain`, every other refuses it (hence `IgnoreUnknown UseKeychain`
/// in configs shared with a Mac). swarmadm does as the `ssh` beside it.
#[cfg(target_os = "macos")]
const PLATFORM_KEYWORDS: &[(&str, Arity)] = &[("UseKeychain", One)];
#[cfg(not(target_os = "macos"))]
const PLATFORM_KEYWORDS: &[(&str, Arity)] = &[];

/// One keyword line, split as `ssh` splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Words {
    /// As written (for messages).
    pub(crate) keyword: String,
    pub(crate) args: Vec<String>,
}

/// Split a non-empty, non-comment line into its keyword and arguments:
/// the keyword ends at whitespace or `=`; arguments are separated by
/// whitespace, grouped by `"` or `'`, with `\` escaping a quote, a
/// backslash or (outside quotes) a space; a `#` that starts an argument
/// ends the line (OpenSSH's `argv_split`).
pub(crate) fn split_line(line: &str) -> Result<Words, KeywordError> {
    let line = line.trim();
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let keyword = line[..end].to_owned();
    let rest = line[end..].trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    Ok(Words {
        keyword,
        args: split_args(rest)?,
    })
}

fn split_args(text: &str) -> Result<Vec<String>, KeywordError> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        match chars.peek() {
            None | Some('#') => return Ok(args),
            Some(_) => {}
        }
        let mut arg = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (c, quote) {
                ('\\', _) => match chars.peek().copied() {
                    Some(next @ ('\'' | '"' | '\\')) => {
                        arg.push(next);
                        chars.next();
                    }
                    Some(' ') if quote.is_none() => {
                        arg.push(' ');
                        chars.next();
                    }
                    _ => arg.push('\\'),
                },
                (q @ ('"' | '\''), None) => quote = Some(q),
                (c, Some(q)) if c == q => quote = None,
                (c, None) if c.is_whitespace() => break,
                (c, _) => arg.push(c),
            }
        }
        if quote.is_some() {
            return Err(KeywordError::UnclosedQuote);
        }
        args.push(arg);
    }
}

/// The `IgnoreUnknown` patterns met so far: comma-separated, `*` and `?`
/// wildcards, `!` negates, case-insensitive.
#[derive(Debug, Default, Clone)]
pub(crate) struct IgnoreUnknown {
    patterns: Vec<String>,
}

impl IgnoreUnknown {
    pub(crate) fn add(&mut self, list: &str) {
        self.patterns
            .extend(list.split(',').map(|p| p.trim().to_ascii_lowercase()));
    }

    fn ignores(&self, keyword: &str) -> bool {
        let keyword = keyword.to_ascii_lowercase();
        let mut ignored = false;
        for pattern in &self.patterns {
            let (negated, pattern) = match pattern.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, pattern.as_str()),
            };
            if wildmatch::WildMatch::new(pattern).matches(&keyword) {
                if negated {
                    return false;
                }
                ignored = true;
            }
        }
        ignored
    }
}

/// What a keyword line is, once its keyword and argument count are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Known {
    /// An OpenSSH keyword with the right number of arguments.
    Yes,
    /// Unknown, but listed in `IgnoreUnknown`: skipped, as `ssh` does.
    Ignored,
}

/// A keyword line `ssh` would refuse, with what it would say.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum KeywordError {
    #[error("unclosed quote (OpenSSH says \"invalid quotes\")")]
    UnclosedQuote,
    /// `hint` is the known keyword a typo is closest to.
    #[error(
        "unknown keyword `{}`{} (OpenSSH refuses it too: \"Bad configuration option\"; list it in IgnoreUnknown before this line to skip it)",
        shown(.keyword),
        .hint.map(|k| format!(": did you mean `{k}`?")).unwrap_or_default()
    )]
    Unknown {
        keyword: String,
        hint: Option<&'static str>,
    },
    #[error("`{name}` has no argument")]
    NoArgument { name: &'static str },
    #[error(
        "`{name}` takes {}, got {}: `{}` (OpenSSH refuses extra arguments too; quote a value that has spaces)",
        takes(*.most),
        .args.len(),
        shown(&.args.join(" "))
    )]
    TooMany {
        name: &'static str,
        most: usize,
        args: Vec<String>,
    },
    #[error("`{name}` takes two arguments (a listen and a target address), got one")]
    TwoArguments { name: &'static str },
}

/// "one argument", "at most 2 arguments".
fn takes(most: usize) -> String {
    if most == 1 {
        "one argument".to_owned()
    } else {
        format!("at most {most} arguments")
    }
}

/// Check a line's keyword and argument count as `ssh` does.
pub(crate) fn check(words: &Words, ignore: &IgnoreUnknown) -> Result<Known, KeywordError> {
    let keyword = &words.keyword;
    let Some((name, arity)) = KEYWORDS
        .iter()
        .chain(PLATFORM_KEYWORDS)
        .find(|(name, _)| name.eq_ignore_ascii_case(keyword))
    else {
        if ignore.ignores(keyword) {
            return Ok(Known::Ignored);
        }
        let names: Vec<&str> = KEYWORDS.iter().map(|(name, _)| *name).collect();
        return Err(KeywordError::Unknown {
            keyword: keyword.clone(),
            hint: did_you_mean(keyword, &names),
        });
    };
    let count = words.args.len();
    if count == 0 || words.args.iter().all(String::is_empty) {
        return Err(KeywordError::NoArgument { name });
    }
    let most = match arity {
        One => 1,
        UpToTwo | Two => 2,
        Many => usize::MAX,
    };
    if count > most {
        return Err(KeywordError::TooMany {
            name,
            most,
            args: words.args.clone(),
        });
    }
    if *arity == Two && count < 2 {
        return Err(KeywordError::TwoArguments { name });
    }
    Ok(Known::Yes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every keyword the local `ssh -G` accepts is in the table. The
    /// candidates are the NUL-terminated lowercase words of the `ssh`
    /// binary near the ones this table knows (its keyword table is there);
    /// each unknown one is tried with `ssh -G`.
    #[test]
    fn keywords_known_to_the_local_ssh_are_known() {
        let Ok(binary) = std::fs::read("/usr/bin/ssh") else {
            panic!("the tests need OpenSSH's client at /usr/bin/ssh (`just setup`)");
        };
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let is_known = |w: &str| {
            KEYWORDS
                .iter()
                .chain(PLATFORM_KEYWORDS)
                .any(|(k, _)| k.eq_ignore_ascii_case(w))
        };
        // (offset, word) of every NUL-terminated lowercase word.
        let mut words: Vec<(usize, String)> = Vec::new();
        let mut start = 0;
        for (i, b) in binary.iter().enumerate() {
            if *b == 0 {
                let word = &binary[start..i];
                if (4..40).contains(&word.len())
                    && word
                        .iter()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                {
                    words.push((start, String::from_utf8_lossy(word).into_owned()));
                }
            }
            if !(b.is_ascii_lowercase() || b.is_ascii_digit()) {
                start = i + 1;
            }
        }
        let mut known: Vec<usize> = words
            .iter()
            .filter(|(_, w)| w.len() > 12 && is_known(w))
            .map(|(at, _)| *at)
            .collect();
        known.sort_unstable();
        assert!(known.len() > 20, "no keyword table found in /usr/bin/ssh");
        let median = known[known.len() / 2];
        let near: Vec<usize> = known
            .into_iter()
            .filter(|at| at.abs_diff(median) < 16 * 1024)
            .collect();
        let (low, high) = (near[0] - 1024, near[near.len() - 1] + 1024);
        let candidates: Vec<String> = words
            .into_iter()
            .filter(|(at, w)| (low..=high).contains(at) && !is_known(w))
            .map(|(_, w)| w)
            .collect();
        let mut missing = Vec::new();
        for word in candidates {
            std::fs::write(&config, format!("Host x\n  {word} yes\n")).unwrap();
            let out = std::process::Command::new("/usr/bin/ssh")
                .args(["-G", "-F"])
                .arg(&config)
                .arg("x")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            if !stderr.contains("Bad configuration option") {
                missing.push(word);
            }
        }
        assert!(
            missing.is_empty(),
            "`ssh` knows keywords this table lacks: {missing:?}"
        );
    }

    fn words(line: &str) -> Vec<String> {
        split_line(line).unwrap().args
    }

    #[test]
    fn lines_split_like_openssh() {
        assert_eq!(split_line("Port 22").unwrap().keyword, "Port");
        assert_eq!(split_line("Port=22").unwrap().args, ["22"]);
        assert_eq!(split_line("Port = 22").unwrap().args, ["22"]);
        assert_eq!(words("User \"a b\""), ["a b"]);
        assert_eq!(words("User 'a b' c"), ["a b", "c"]);
        assert_eq!(words("IdentityFile a\\ b"), ["a b"]);
        assert_eq!(words("IdentityFile \"a\\\"b\""), ["a\"b"]);
        assert_eq!(words("Port 22 # the usual"), ["22"]);
        assert_eq!(words("IdentityFile a#b"), ["a#b"]);
        assert_eq!(words("HostName"), Vec::<String>::new());
        assert!(split_line("User \"core").is_err());
    }

    #[test]
    fn unknown_keywords_and_argument_counts_are_refused_like_openssh() {
        let none = IgnoreUnknown::default();
        let check_line =
            |line: &str, ignore: &IgnoreUnknown| check(&split_line(line).unwrap(), ignore);
        assert_eq!(check_line("port 22", &none), Ok(Known::Yes));
        assert_eq!(check_line("SendEnv A B C", &none), Ok(Known::Yes));
        assert_eq!(check_line("RekeyLimit 1G 1h", &none), Ok(Known::Yes));
        let err = check_line("Port 22 23", &none).unwrap_err().to_string();
        assert_eq!(
            err,
            "`Port` takes one argument, got 2: `22 23` (OpenSSH refuses extra arguments too; quote a value that has spaces)"
        );
        let err = check_line("Prot 22", &none).unwrap_err().to_string();
        assert!(
            err.starts_with("unknown keyword `Prot`: did you mean `Port`?"),
            "{err}"
        );
        assert!(
            check_line("RekeyLimit 1G 1h 3", &none)
                .unwrap_err()
                .to_string()
                .contains("at most 2")
        );
        assert!(
            check_line("LocalForward 8080", &none)
                .unwrap_err()
                .to_string()
                .contains("two arguments")
        );
        assert_eq!(
            check_line("HostName \"\"", &none).unwrap_err().to_string(),
            "`HostName` has no argument"
        );
        let mut ignore = IgnoreUnknown::default();
        ignore.add("UseKeychain,Add*,!AddressFamily");
        assert_eq!(check_line("usekeychain yes", &ignore), Ok(Known::Ignored));
        assert_eq!(check_line("AddFoo yes", &ignore), Ok(Known::Ignored));
        assert!(check_line("Foo yes", &ignore).is_err());
        // A known keyword is checked whatever IgnoreUnknown says.
        assert!(check_line("AddressFamily a b", &ignore).is_err());
    }
}
