//! The syntax of names and addresses an inventory gives: host names (node
//! names and SSH addresses), IP addresses, ports, interface names, and the
//! advertise and listen addresses of the swarm. Each check returns an
//! [`AddressError`]: the fault, with the value, and the forms expected; the
//! caller adds the file and the key or line. Nothing here
//! resolves a name or looks at the local interfaces: a node's interfaces
//! are the node's.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(crate) use crate::model::names::{NameError, check_host_name, describe_char, shown};

/// The forms of an advertise address, said in errors.
pub(crate) const ADVERTISE_FORMS: &str = "an advertise address: an IP address or an interface name such as eth1, with an optional port (192.0.2.1, 192.0.2.1:2377, [2001:db8::1]:2377, eth1:2377)";

/// The forms of a listen address, said in errors.
pub(crate) const LISTEN_FORMS: &str =
    "a listen address: an IP address with an optional port, such as 0.0.0.0:2377 or [::]:2377";

/// The forms of an SSH address, said in errors.
pub(crate) const SSH_ADDRESS_FORMS: &str =
    "an SSH address: an IPv4 or IPv6 address or a host name, without a port";

/// The longest interface name Linux accepts (`IFNAMSIZ` - 1).
const MAX_INTERFACE_NAME: usize = 15;

/// Which kind of address was expected, said in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressForm {
    Advertise,
    Listen,
    Ssh,
}

impl fmt::Display for AddressForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressForm::Advertise => ADVERTISE_FORMS,
            AddressForm::Listen => LISTEN_FORMS,
            AddressForm::Ssh => SSH_ADDRESS_FORMS,
        })
    }
}

/// An address that is not of the form expected; says the fault, then the
/// forms expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum AddressError {
    #[error("expected {form}, got an empty string")]
    Empty { form: AddressForm },
    #[error("{fault}: expected {form}")]
    Invalid {
        form: AddressForm,
        fault: AddressFault,
    },
}

/// What is wrong with an address; each variant carries the value at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum AddressFault {
    #[error(
        "`{}` looks like an IPv4 address but is not one (four numbers from 0 to 255)",
        shown(.value)
    )]
    NotIpv4 { value: String },
    #[error(
        "port `{}` in `{}` is not a port number from 1 to 65535",
        shown(.port),
        shown(.address)
    )]
    Port { port: String, address: String },
    #[error("`{}` has a `[` without its `]`", shown(.value))]
    UnclosedBracket { value: String },
    #[error("`{}` in brackets is not an IPv6 address", shown(.inner))]
    NotIpv6InBrackets { inner: String },
    #[error("`{}` has `{}` after `]`, expected `:port`", shown(.value), shown(.after))]
    AfterBracket { value: String, after: String },
    #[error("`{}` has no address before the port", shown(.value))]
    NoHost { value: String },
    #[error("`{}` is not an IPv6 address (with a port, write [IPv6]:port)", shown(.value))]
    NotIpv6WithPort { value: String },
    #[error("`{}` is the unspecified address: other nodes cannot reach it", shown(.value))]
    Unspecified { value: String },
    #[error("`{}` is not an IP address", shown(.value))]
    NotIp { value: String },
    #[error(
        "`{}` is not an IP address nor a valid interface name ({why}; interface names have 1 to {MAX_INTERFACE_NAME} characters, no `/`, `:` or whitespace, and are not `.` or `..`)",
        shown(.name)
    )]
    Interface { name: String, why: InterfaceFault },
    #[error(
        "`{}`: write an IPv6 address without brackets, and the port on its own",
        shown(.value)
    )]
    Bracketed { value: String },
    #[error(
        "`{}` has a port: set the port on its own (`port`, `ansible_port`)",
        shown(.value)
    )]
    HasPort { value: String },
    #[error("`{}` is not an IPv6 address", shown(.value))]
    NotIpv6 { value: String },
    #[error(transparent)]
    HostName(#[from] NameError),
}

/// Which rule of interface names a name breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum InterfaceFault {
    #[error("it is empty")]
    Empty,
    #[error("it has {0} characters")]
    TooLong(usize),
    #[error("it is a path component")]
    PathComponent,
    #[error("it contains {}", describe_char(*.0))]
    Character(char),
}

/// Digits and dots only, with a dot: meant as an IPv4 address, never a
/// host name.
fn looks_like_ipv4(value: &str) -> bool {
    value.contains('.')
        && value.contains(|c: char| c.is_ascii_digit())
        && value.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn parse_ipv4(value: &str) -> Result<Ipv4Addr, AddressFault> {
    value.parse().map_err(|_| AddressFault::NotIpv4 {
        value: value.to_owned(),
    })
}

/// A port written in an address: 1 to 65535.
fn parse_port(port: &str, address: &str) -> Result<u16, AddressFault> {
    port.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| AddressFault::Port {
            port: port.to_owned(),
            address: address.to_owned(),
        })
}

/// The host part of an address and its optional port: `[v6]:port`,
/// bare IPv6 (no port), `host:port` or `host`.
#[derive(Debug, PartialEq, Eq)]
enum Host<'a> {
    V6(Ipv6Addr),
    Other(&'a str),
}

fn split_host_port(value: &str) -> Result<(Host<'_>, Option<u16>), AddressFault> {
    if let Some(rest) = value.strip_prefix('[') {
        let (inner, after) = rest
            .split_once(']')
            .ok_or_else(|| AddressFault::UnclosedBracket {
                value: value.to_owned(),
            })?;
        let ip = inner
            .parse::<Ipv6Addr>()
            .map_err(|_| AddressFault::NotIpv6InBrackets {
                inner: inner.to_owned(),
            })?;
        let port = match after {
            "" => None,
            _ => {
                let port = after
                    .strip_prefix(':')
                    .ok_or_else(|| AddressFault::AfterBracket {
                        value: value.to_owned(),
                        after: after.to_owned(),
                    })?;
                Some(parse_port(port, value)?)
            }
        };
        return Ok((Host::V6(ip), port));
    }
    match value.matches(':').count() {
        0 => Ok((Host::Other(value), None)),
        1 => {
            let (host, port) = value.split_once(':').unwrap_or((value, ""));
            if host.is_empty() {
                return Err(AddressFault::NoHost {
                    value: value.to_owned(),
                });
            }
            Ok((Host::Other(host), Some(parse_port(port, value)?)))
        }
        _ => value
            .parse::<Ipv6Addr>()
            .map(|ip| (Host::V6(ip), None))
            .map_err(|_| AddressFault::NotIpv6WithPort {
                value: value.to_owned(),
            }),
    }
}

/// A Linux interface name, by the kernel's `dev_valid_name`: 1 to 15
/// characters, not `.` or `..`, no `/`, `:` or whitespace.
pub(crate) fn check_interface_name(name: &str) -> Result<(), AddressFault> {
    let bad = |why: InterfaceFault| AddressFault::Interface {
        name: name.to_owned(),
        why,
    };
    if name.is_empty() {
        return Err(bad(InterfaceFault::Empty));
    }
    if name.len() > MAX_INTERFACE_NAME {
        return Err(bad(InterfaceFault::TooLong(name.len())));
    }
    if name == "." || name == ".." {
        return Err(bad(InterfaceFault::PathComponent));
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '/' | ':') || c.is_whitespace() || c.is_control())
    {
        return Err(bad(InterfaceFault::Character(c)));
    }
    Ok(())
}

/// An advertise address: an IP (not `0.0.0.0` or `::`, which the engine
/// refuses) or an interface name, with an optional port.
pub(crate) fn check_advertise_addr(value: &str) -> Result<(), AddressError> {
    in_form(check_advertise(value), value, AddressForm::Advertise)
}

fn check_advertise(value: &str) -> Result<(), AddressFault> {
    let unspecified = || AddressFault::Unspecified {
        value: value.to_owned(),
    };
    match split_host_port(value)?.0 {
        Host::V6(ip) if ip.is_unspecified() => Err(unspecified()),
        Host::V6(_) => Ok(()),
        Host::Other(host) if looks_like_ipv4(host) => {
            if parse_ipv4(host)?.is_unspecified() {
                Err(unspecified())
            } else {
                Ok(())
            }
        }
        Host::Other(host) => check_interface_name(host),
    }
}

/// A listen address: an IP with an optional port.
pub(crate) fn check_listen_addr(value: &str) -> Result<(), AddressError> {
    in_form(check_listen(value), value, AddressForm::Listen)
}

fn check_listen(value: &str) -> Result<(), AddressFault> {
    match split_host_port(value)?.0 {
        Host::V6(_) => Ok(()),
        Host::Other(host) if looks_like_ipv4(host) => parse_ipv4(host).map(|_| ()),
        Host::Other(host) => Err(AddressFault::NotIp {
            value: host.to_owned(),
        }),
    }
}

/// An address to connect to over SSH: an IP or a host name; the port is
/// set on its own.
pub(crate) fn check_ssh_address(value: &str) -> Result<(), AddressError> {
    in_form(check_ssh(value), value, AddressForm::Ssh)
}

fn check_ssh(value: &str) -> Result<(), AddressFault> {
    let value_owned = || value.to_owned();
    if value.starts_with('[') {
        return Err(AddressFault::Bracketed {
            value: value_owned(),
        });
    }
    if value.contains(':') {
        return match split_host_port(value) {
            Ok((Host::V6(_), None)) => Ok(()),
            Ok((_, Some(_))) => Err(AddressFault::HasPort {
                value: value_owned(),
            }),
            Ok((_, None)) | Err(_) => Err(AddressFault::NotIpv6 {
                value: value_owned(),
            }),
        };
    }
    if looks_like_ipv4(value) {
        return parse_ipv4(value).map(|_| ());
    }
    // A trailing dot makes a name absolute in DNS; ssh accepts it.
    let name = value.strip_suffix('.').unwrap_or(value);
    Ok(check_host_name(name, "host name")?)
}

/// An SSH address as a key for comparing two of them: an IP in its one
/// canonical spelling (`0:0:0:0:0:0:0:1` is `::1`, `::ffff:10.0.0.1` is
/// `10.0.0.1`), a host name in lower case without the trailing dot that
/// makes it absolute in DNS. Two spellings of one host give one key.
pub(crate) fn canonical_host(host: &str) -> String {
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase(),
    }
}

/// `host:port` as users write it next to a port: an IPv6 address in
/// brackets (`[::1]:22`), so that the port cannot be read as part of it.
pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Add the expected form to a fault, and say "empty" plainly.
fn in_form(
    result: Result<(), AddressFault>,
    value: &str,
    form: AddressForm,
) -> Result<(), AddressError> {
    if value.is_empty() {
        return Err(AddressError::Empty { form });
    }
    result.map_err(|fault| AddressError::Invalid { form, fault })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::names::HOST_NAME_RULE;

    #[test]
    fn host_names_follow_dns_rules() {
        for ok in ["m1", "swarm-manager-01", "a.b-c.d_e", "10", &"a".repeat(63)] {
            assert_eq!(check_host_name(ok, "node name"), Ok(()), "{ok}");
        }
        let err = |name: &str| check_host_name(name, "node name").unwrap_err().to_string();
        assert!(err("-m1").contains("label `-m1` starts or ends with `-`"));
        assert!(err("m1-").contains("starts or ends with `-`"));
        assert!(err("a..b").contains("empty label"));
        assert!(err(&"a".repeat(64)).contains("has 64 characters"));
        assert_eq!(check_host_name(&["a"; 127].join("."), "node name"), Ok(()));
        let too_long = ["ab"; 85].join(".");
        assert!(
            err(&too_long).contains("it has 254 characters"),
            "{}",
            err(&too_long)
        );
        assert!(err("a b").contains("contains whitespace"));
        assert!(err("a\u{7}b").contains("control character \\u{7}"));
        assert!(err("node/1").contains("contains `/`"));
        assert!(err("-m1").contains(HOST_NAME_RULE));
    }

    #[test]
    fn advertise_addresses() {
        for ok in [
            "eth1",
            "192.0.2.1",
            "192.0.2.1:2377",
            "[::1]:1",
            "[2001:db8::1]",
            "2001:db8::1",
            "enp0s8:2377",
            "a.b",
        ] {
            assert_eq!(check_advertise_addr(ok), Ok(()), "{ok}");
        }
        let err = |v: &str| check_advertise_addr(v).unwrap_err().to_string();
        let e = err("10.214.0.999");
        assert!(
            e.starts_with("`10.214.0.999` looks like an IPv4 address but is not one"),
            "{e}"
        );
        assert!(e.ends_with(ADVERTISE_FORMS), "{e}");
        let e = err("999.999.1.1:99999");
        assert!(
            e.contains("port `99999`") && e.contains("1 to 65535"),
            "{e}"
        );
        let e = err(":2377");
        assert!(
            e.starts_with("`:2377` has no address before the port"),
            "{e}"
        );
        assert!(e.contains("expected an advertise address"), "{e}");
        assert!(err("0.0.0.0").contains("unspecified address"));
        assert!(err("[::]:2377").contains("unspecified address"));
        assert!(err("eth0:0").contains("port `0`"));
        assert!(err("[::1]x").contains("after `]`"));
        assert!(err("[::1").contains("without its `]`"));
        assert!(err("[nope]:1").contains("not an IPv6 address"));
        assert!(err("1:2:3").contains("not an IPv6 address"));
        let e = err("swarm-manager-01.example");
        assert!(
            e.contains("nor a valid interface name (it has 24 characters"),
            "{e}"
        );
        assert!(err("..").contains("path component"));
        assert!(err("a/b").contains("contains `/`"));
        assert_eq!(
            err(""),
            format!("expected {ADVERTISE_FORMS}, got an empty string")
        );
    }

    #[test]
    fn one_host_in_every_spelling_gives_one_key() {
        let same = [
            ("::1", "0:0:0:0:0:0:0:1"),
            ("::1", "0000:0000:0000:0000:0000:0000:0000:0001"),
            ("2001:db8::1", "2001:DB8:0:0::1"),
            ("10.0.0.1", "::ffff:10.0.0.1"),
            ("10.0.0.1", "::FFFF:a00:1"),
            ("node1.example", "NODE1.Example."),
            ("m1", "M1"),
        ];
        for (a, b) in same {
            assert_eq!(canonical_host(a), canonical_host(b), "{a} = {b}");
        }
        for (a, b) in [("::1", "::2"), ("10.0.0.1", "::10.0.0.1"), ("a", "a.b")] {
            assert_ne!(canonical_host(a), canonical_host(b), "{a} != {b}");
        }
    }

    #[test]
    fn ipv6_is_bracketed_next_to_a_port() {
        assert_eq!(host_port("::1", 22), "[::1]:22");
        assert_eq!(host_port("10.0.0.1", 2222), "10.0.0.1:2222");
        assert_eq!(host_port("m1.example", 22), "m1.example:22");
    }

    #[test]
    fn listen_addresses() {
        for ok in [
            "0.0.0.0:2377",
            "0.0.0.0",
            "[::]:2377",
            "10.0.0.1:4000",
            "::",
        ] {
            assert_eq!(check_listen_addr(ok), Ok(()), "{ok}");
        }
        let e = check_listen_addr("nonsense").unwrap_err().to_string();
        assert_eq!(
            e,
            format!("`nonsense` is not an IP address: expected {LISTEN_FORMS}")
        );
        let e = check_listen_addr("0.0.0.0:0").unwrap_err().to_string();
        assert!(e.contains("port `0`"), "{e}");
        let e = check_listen_addr("eth0:2377").unwrap_err().to_string();
        assert!(e.contains("`eth0` is not an IP address"), "{e}");
    }

    #[test]
    fn ssh_addresses() {
        for ok in [
            "10.0.0.1",
            "::1",
            "fe80::1",
            "swarm-worker-01",
            "host.example.",
            "127.0.0.1",
        ] {
            assert_eq!(check_ssh_address(ok), Ok(()), "{ok}");
        }
        let err = |v: &str| check_ssh_address(v).unwrap_err().to_string();
        assert!(err("10.214.0.999").contains("looks like an IPv4 address but is not one"));
        assert!(err("10.0.0.1:22").contains("has a port: set the port on its own"));
        assert!(err("[::1]").contains("without brackets"));
        assert!(err("a:b:c").contains("not an IPv6 address"));
        assert!(err("bad host").contains("contains whitespace"));
        assert!(err("under_-").contains("starts or ends with `-`"));
        assert!(err("x!").ends_with(SSH_ADDRESS_FORMS));
    }
}
