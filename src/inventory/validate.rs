//! The checks both inventory formats share: single values (ports, socket
//! paths, users, labels, swarm settings), and the inventory as a whole
//! (exactly one leader, unique names and SSH endpoints, every node's final
//! values). Each value check returns a [`ValueError`], which carries the
//! value and says what was expected; the caller adds the file and the key
//! path or line. Every check is linear in the number of
//! nodes. The syntax of addresses and names is `address`'s.

use std::collections::HashMap;
use std::time::Duration;

use super::address::{canonical_host, check_ssh_address};
pub(crate) use super::address::{check_advertise_addr, check_listen_addr};
pub(crate) use super::error::ValueError;
use super::error::{InventoryError, Origin};
use super::model::{Inventory, Node};
use crate::model::names::Role;

/// A TCP port: 1 to 65535.
pub(crate) fn check_port(value: i64) -> Result<u16, ValueError> {
    u16::try_from(value)
        .ok()
        .filter(|p| *p != 0)
        .ok_or(ValueError::Port { value })
}

/// The Docker socket path on the node: absolute, no whitespace or control
/// characters.
pub(crate) fn check_socket(socket: &str) -> Result<(), ValueError> {
    if socket.starts_with('/') && !socket.contains(|c: char| c.is_whitespace() || c.is_control()) {
        Ok(())
    } else {
        Err(ValueError::Socket {
            value: socket.to_owned(),
        })
    }
}

/// An SSH address: an IP or a host name.
pub(crate) fn check_address(value: &str) -> Result<(), ValueError> {
    Ok(check_ssh_address(value)?)
}

/// An SSH user name: non-empty, no whitespace or control characters.
pub(crate) fn check_user(user: &str) -> Result<(), ValueError> {
    if user.is_empty() {
        Err(ValueError::EmptyUser)
    } else if user.contains(|c: char| c.is_whitespace() || c.is_control()) {
        Err(ValueError::User {
            value: user.to_owned(),
        })
    } else {
        Ok(())
    }
}

/// Docker's rule for label keys (`docker node update --label-add`), plus no
/// control characters, said in errors.
pub(crate) const LABEL_KEY_RULE: &str = "label keys are not empty and have no whitespace, `=` or control characters (Docker's rule for --label-add)";

/// A node label key, by [`LABEL_KEY_RULE`]: the engine's `key=value` form
/// could not carry a `=`, and a control character would reach a terminal.
pub(crate) fn check_label_key(key: &str) -> Result<(), ValueError> {
    if key.is_empty() {
        Err(ValueError::EmptyLabelKey)
    } else if key.contains(|c: char| c.is_whitespace() || c == '=' || c.is_control()) {
        Err(ValueError::LabelKey {
            key: key.to_owned(),
        })
    } else {
        Ok(())
    }
}

/// A node label value: anything but control characters (they would reach
/// a terminal in our output and in `docker node inspect`).
pub(crate) fn check_label_value(key: &str, value: &str) -> Result<(), ValueError> {
    if value.contains(char::is_control) {
        Err(ValueError::LabelValue {
            key: key.to_owned(),
            value: value.to_owned(),
        })
    } else {
        Ok(())
    }
}

/// The smallest and largest `subnet_size` we accept. Docker carves
/// overlay networks from the pools; a /30 or smaller leaves no room for the
/// gateway, the load balancer and tasks, and a pool has no use below /8.
pub(crate) const SUBNET_SIZES: std::ops::RangeInclusive<u32> = 8..=29;

/// `subnet_size`: within [`SUBNET_SIZES`] and not larger than any pool
/// (a network cannot be wider than the pool it comes from).
pub(crate) fn check_subnet_size(value: i64, pool_prefixes: &[u8]) -> Result<u32, ValueError> {
    let size = u32::try_from(value)
        .ok()
        .filter(|s| SUBNET_SIZES.contains(s))
        .ok_or(ValueError::SubnetSize { value })?;
    match pool_prefixes.iter().max() {
        Some(&widest) if size < u32::from(widest) => {
            Err(ValueError::SubnetWiderThanPool { size, widest })
        }
        _ => Ok(size),
    }
}

/// `data_path_port`: Docker accepts 1024 to 49151.
pub(crate) fn check_data_path_port(value: i64) -> Result<u16, ValueError> {
    u16::try_from(value)
        .ok()
        .filter(|p| (1024..=49151).contains(p))
        .ok_or(ValueError::DataPathPort { value })
}

/// A default address pool: an IPv4 CIDR such as `10.20.0.0/16`. Returns the
/// prefix length.
pub(crate) fn check_addr_pool(pool: &str) -> Result<u8, ValueError> {
    let expected = || ValueError::AddrPool {
        value: pool.to_owned(),
    };
    let (ip, prefix) = pool.split_once('/').ok_or_else(expected)?;
    ip.parse::<std::net::Ipv4Addr>().map_err(|_| expected())?;
    prefix
        .parse::<u8>()
        .ok()
        .filter(|p| (1..=32).contains(p))
        .ok_or_else(expected)
}

/// The shortest node certificate lifetime swarmkit accepts.
pub(crate) const MIN_NODE_CERT_EXPIRY: Duration = Duration::from_secs(3600);

/// A duration written as numbers and units, without spaces: `500ms`,
/// `5s`, `10m`, `12h`, `90d`, `1h30m` (humantime's units). Returns it, or
/// what was expected.
pub(crate) fn parse_duration(value: &str) -> Result<Duration, ValueError> {
    let expected = || ValueError::Duration {
        value: value.to_owned(),
    };
    let value = value.trim();
    // humantime also takes `90 days` and `1.5h`; a TOML value is one word
    // of whole numbers, as Docker's own flags write it.
    if !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(expected());
    }
    humantime::parse_duration(value).map_err(|_| expected())
}

/// `node_cert_expiry`: at least an hour (swarmkit refuses less).
pub(crate) fn check_node_cert_expiry(value: &str) -> Result<Duration, ValueError> {
    let d = parse_duration(value)?;
    if d < MIN_NODE_CERT_EXPIRY {
        return Err(ValueError::NodeCertExpiry {
            value: value.to_owned(),
        });
    }
    Ok(d)
}

/// `dispatcher_heartbeat`: at least a second.
pub(crate) fn check_heartbeat(value: &str) -> Result<Duration, ValueError> {
    let d = parse_duration(value)?;
    if d < Duration::from_secs(1) {
        return Err(ValueError::Heartbeat {
            value: value.to_owned(),
        });
    }
    Ok(d)
}

/// A count that must not be negative (`task_history_limit`,
/// `keep_old_snapshots`, `log_entries_for_slow_followers`).
pub(crate) fn check_count(value: i64) -> Result<u64, ValueError> {
    u64::try_from(value).map_err(|_| ValueError::Count { value })
}

/// `snapshot_interval`: a positive number of log entries.
pub(crate) fn check_snapshot_interval(value: i64) -> Result<u64, ValueError> {
    u64::try_from(value)
        .ok()
        .filter(|v| *v > 0)
        .ok_or(ValueError::SnapshotInterval { value })
}

/// A swarm label: a label key and value as for nodes, and not the label
/// swarmadm's run lock lives in.
pub(crate) fn check_swarm_label(key: &str, value: &str) -> Result<(), ValueError> {
    if key == crate::model::lock::LOCK_LABEL {
        return Err(ValueError::LockLabel {
            key: key.to_owned(),
        });
    }
    check_label_key(key)?;
    check_label_value(key, value)
}

/// A boolean as INI files write it.
pub(crate) fn parse_bool(value: &str) -> Result<bool, ValueError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => Ok(true),
        "false" | "no" | "0" | "off" => Ok(false),
        _ => Err(ValueError::Bool {
            value: value.to_owned(),
        }),
    }
}

/// The validation both formats share, run on the finished inventory:
/// `origins[i]` says where node `i` was defined, for messages.
pub(crate) fn validate(inventory: &Inventory, origins: &[Origin]) -> Result<(), InventoryError> {
    let path = inventory.source.as_path();
    let origin_of = |i: usize| origins.get(i).cloned().unwrap_or(Origin::File);
    if inventory.nodes.is_empty() {
        return Err(Origin::File.error(
            path,
            "the inventory lists no nodes: at least one is needed, and exactly one of them must be the leader",
        ));
    }
    check_leaders(inventory, &origin_of)?;
    check_unique(inventory, &origin_of)?;
    for (i, node) in inventory.nodes.iter().enumerate() {
        check_node(node).map_err(|(field, message)| {
            origin_of(i)
                .field(field)
                .error(path, format!("node `{}`: {message}", node.name))
        })?;
    }
    Ok(())
}

fn check_leaders(
    inventory: &Inventory,
    origin_of: &dyn Fn(usize) -> Origin,
) -> Result<(), InventoryError> {
    let leaders: Vec<(usize, &Node)> = inventory
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.role == Role::Leader)
        .collect();
    let path = inventory.source.as_path();
    match leaders.as_slice() {
        [_] => Ok(()),
        [] => {
            let managers: Vec<&str> = inventory.managers().map(|n| n.name.as_str()).collect();
            let hint = if managers.is_empty() {
                String::new()
            } else {
                format!(" (managers: {})", managers.join(", "))
            };
            Err(Origin::File.error(
                path,
                format!(
                    "no node has role `leader`: exactly one must, it initialises the swarm{hint}"
                ),
            ))
        }
        [.., (last, _)] => {
            let listed: Vec<String> = leaders
                .iter()
                .map(|(i, n)| format!("`{}` ({})", n.name, origin_of(*i).describe()))
                .collect();
            Err(origin_of(*last).field("role").error(
                path,
                format!(
                    "{} nodes have role `leader`: {}; exactly one must, make the others `manager`",
                    leaders.len(),
                    listed.join(", ")
                ),
            ))
        }
    }
}

/// Where SSH ends up for a node: the jump hosts, then host and port, each
/// host in its canonical spelling.
type Endpoint = (Vec<(String, u16)>, String, u16);

/// Names and SSH endpoints are unique: one hash lookup per node.
fn check_unique(
    inventory: &Inventory,
    origin_of: &dyn Fn(usize) -> Origin,
) -> Result<(), InventoryError> {
    let path = inventory.source.as_path();
    let count = inventory.nodes.len();
    let mut names: HashMap<&str, usize> = HashMap::with_capacity(count);
    let mut endpoints: HashMap<Endpoint, usize> = HashMap::with_capacity(count);
    for (i, node) in inventory.nodes.iter().enumerate() {
        if let Some(first) = names.insert(node.name.as_str(), i) {
            return Err(origin_of(i).field("name").error(
                path,
                format!(
                    "duplicate node name `{}` (first at {}): names must be unique",
                    node.name,
                    origin_of(first).describe()
                ),
            ));
        }
        // Behind different jump hosts the same private address is a different machine.
        // `::1` and `0:0:0:0:0:0:0:1`, `M1.example.` and `m1.example` are one host.
        let jumps = node
            .ssh
            .jumps
            .iter()
            .map(|j| (canonical_host(&j.host), j.port))
            .collect();
        let key = (jumps, canonical_host(&node.ssh.hop.host), node.ssh.hop.port);
        if let Some(first) = endpoints.insert(key, i) {
            let other = &inventory.nodes[first];
            let spelled = if other.ssh.hop.host == node.ssh.hop.host {
                String::new()
            } else {
                format!(" (written `{}` there)", other.ssh.hop.host)
            };
            return Err(origin_of(i).field("address").error(
                path,
                format!(
                    "node `{}` connects to {} like node `{}` ({}){spelled}: two nodes cannot be the same host, is this a typo?",
                    node.name,
                    node.ssh.hop.endpoint(),
                    other.name,
                    origin_of(first).describe()
                ),
            ));
        }
    }
    Ok(())
}

/// Checks on one finished node (after the ssh config filled it in); the
/// error names the field at fault.
fn check_node(node: &Node) -> Result<(), (&'static str, ValueError)> {
    let hop = &node.ssh.hop;
    check_address(&hop.host).map_err(|m| ("address", m))?;
    check_port(i64::from(hop.port)).map_err(|m| ("port", m))?;
    check_user(&hop.user).map_err(|m| ("user", m))?;
    check_socket(&node.ssh.socket).map_err(|m| ("socket", m))?;
    if let Some(addr) = &node.advertise_addr {
        check_advertise_addr(addr).map_err(|m| ("advertise_addr", m.into()))?;
    }
    for (key, value) in &node.labels {
        check_label_key(key).map_err(|m| ("labels", m))?;
        check_label_value(key, value).map_err(|m| ("labels", m))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_checks() {
        assert_eq!(check_port(22), Ok(22));
        assert!(check_port(0).is_err());
        assert!(check_port(65536).is_err());
        assert!(check_port(-1).is_err());
        assert!(check_socket("/run/user/1000/docker.sock").is_ok());
        assert!(check_socket("docker.sock").is_err());
        assert!(check_label_key("zone").is_ok());
        assert!(check_label_key("").is_err());
        assert!(check_label_key("a b").is_err());
        assert_eq!(check_subnet_size(24, &[16]), Ok(24));
        assert!(check_subnet_size(30, &[]).is_err());
        assert!(check_subnet_size(12, &[16]).is_err());
        assert_eq!(check_data_path_port(4789), Ok(4789));
        assert!(check_data_path_port(1023).is_err());
        assert!(check_data_path_port(49152).is_err());
        assert_eq!(check_addr_pool("10.20.0.0/16"), Ok(16));
        assert!(check_addr_pool("10.20.0.0/33").is_err());
        assert!(check_addr_pool("fd00::/64").is_err());
    }

    #[test]
    fn labels_users_and_sockets_refuse_control_characters() {
        assert_eq!(
            check_label_key("zo\u{1b}ne").map_err(|e| e.to_string()),
            Err(format!(
                "label key `zo\\u{{1b}}ne` must not contain whitespace or `=` ({LABEL_KEY_RULE})"
            ))
        );
        assert!(
            check_label_key("a=b")
                .unwrap_err()
                .to_string()
                .contains("Docker's rule for --label-add")
        );
        assert_eq!(check_label_key("com.example/zone_1-a"), Ok(()));
        assert_eq!(
            check_label_value("zone", "a\nb").map_err(|e| e.to_string()),
            Err("the value of label `zone` (`a\\nb`) must not contain control characters".into())
        );
        assert_eq!(check_label_value("zone", "eu west, rack 3"), Ok(()));
        assert_eq!(
            check_user("co\tre").map_err(|e| e.to_string()),
            Err(
                "expected a user name without whitespace or control characters, got `co\\tre`"
                    .into()
            )
        );
        assert_eq!(
            check_user("").map_err(|e| e.to_string()),
            Err("expected a user name, got an empty string".into())
        );
        assert!(
            check_socket("/run/docker\u{7}.sock")
                .unwrap_err()
                .to_string()
                .contains("expected an absolute socket path")
        );
    }
}
