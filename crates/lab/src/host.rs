//! The host side of a lab: preflight checks (root, the programs a node
//! needs), running host commands with errors that name the node, and the
//! kernel objects a lab owns by name (namespaces, links, mounts). It knows
//! nothing about what runs inside a node.

use std::ffi::OsStr;
use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::LabError;
use super::layout::{LabName, Subnet};

/// Where named network namespaces live (`ip netns` keeps them there).
pub(crate) const NETNS_DIR: &str = "/run/netns";

/// Programs the lab runs, with the Debian package that has each.
const TOOLS: &[(&str, &str)] = &[
    ("dockerd", "docker.io"),
    ("containerd", "containerd"),
    ("sshd", "openssh-server"),
    ("ssh-keygen", "openssh-client"),
    ("ip", "iproute2"),
    ("nsenter", "util-linux"),
    ("unshare", "util-linux"),
    ("setsid", "util-linux"),
    ("mount", "mount"),
    ("umount", "mount"),
    ("hostname", "hostname"),
];

/// Directories searched after PATH: root's tools live in sbin, which a
/// non-login shell's PATH may lack.
const EXTRA_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/sbin",
    "/sbin",
    "/usr/local/bin",
    "/usr/bin",
    "/bin",
];

/// Absolute paths of the programs a lab needs.
#[derive(Debug, Clone)]
pub(crate) struct Tools {
    pub sshd: PathBuf,
    pub dockerd: PathBuf,
}

/// Fails unless we are root and every program a node needs is installed.
pub(crate) fn preflight() -> Result<Tools, LabError> {
    require_root()?;
    for &(tool, _) in TOOLS {
        require_tool(tool)?;
    }
    Ok(Tools {
        sshd: require_tool("sshd")?,
        dockerd: require_tool("dockerd")?,
    })
}

/// The absolute path of one of [`TOOLS`], or an error naming its package.
fn require_tool(tool: &str) -> Result<PathBuf, LabError> {
    let &(tool, package) = TOOLS
        .iter()
        .find(|(t, _)| *t == tool)
        .unwrap_or(&("?", "?"));
    find_program(tool).ok_or(LabError::MissingTool { tool, package })
}

/// Fails unless the effective user is root.
pub(crate) fn require_root() -> Result<(), LabError> {
    if nix::unistd::geteuid().is_root() {
        Ok(())
    } else {
        Err(LabError::NotRoot)
    }
}

/// The absolute path of `program`, from PATH or the usual system dirs.
pub(crate) fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(EXTRA_DIRS.iter().map(PathBuf::from))
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The PATH the nodes' scripts run with: ours, then the system dirs.
pub(crate) fn node_path() -> String {
    let mut dirs: Vec<String> = std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .filter(|d| d.starts_with('/'))
        .map(str::to_owned)
        .collect();
    for extra in EXTRA_DIRS {
        if !dirs.iter().any(|d| d == extra) {
            dirs.push((*extra).to_owned());
        }
    }
    dirs.join(":")
}

/// Runs a host command to completion; on failure the error says `what` was
/// being done, on which node, and what the command printed.
pub(crate) fn run<I, S>(
    program: &str,
    args: I,
    what: &str,
    node: Option<&str>,
) -> Result<String, LabError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::null());
    run_command(command, what, node)
}

/// Runs a prepared command to completion, with the same error as [`run`].
pub(crate) fn run_command(
    mut command: Command,
    what: &str,
    node: Option<&str>,
) -> Result<String, LabError> {
    let shown = format!("{command:?}").replace('"', "");
    let failed = |status: String, stderr: String| LabError::Command {
        what: what.to_owned(),
        node: node.map(str::to_owned),
        command: shown.clone(),
        status,
        stderr,
    };
    let output = command
        .output()
        .map_err(|e| failed("could not start".into(), e.to_string()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        return Err(failed(output.status.to_string(), stderr));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Names of this lab's network namespaces, in index order.
pub(crate) fn lab_netns(name: &LabName) -> Vec<String> {
    let mut found: Vec<String> = fs::read_dir(NETNS_DIR)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| name.owns_netns(n))
        .collect();
    found.sort_by_key(|n| index_suffix(n));
    found
}

/// Names of this lab's links on the host (its bridge and host-side veths).
pub(crate) fn lab_links(name: &LabName) -> Vec<String> {
    let mut found: Vec<String> = fs::read_dir("/sys/class/net")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| name.owns_link(n))
        .collect();
    // Veths before the bridge they are attached to.
    found.sort_by_key(|n| (*n == name.bridge(), index_suffix(n)));
    found
}

fn index_suffix(name: &str) -> usize {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    name[name.len() - digits..].parse().unwrap_or(0)
}

pub(crate) fn link_exists(link: &str) -> bool {
    Path::new("/sys/class/net").join(link).exists()
}

/// The first IPv4 route of the host's main table that overlaps `subnet`.
pub(crate) fn overlapping_route(subnet: &Subnet) -> Result<Option<String>, LabError> {
    let routes = run("ip", ["-4", "-o", "route", "show"], "listing routes", None)?;
    Ok(routes
        .lines()
        .find(|line| {
            let dest = line.split_whitespace().next().unwrap_or("default");
            parse_route_dest(dest).is_some_and(|(net, prefix)| subnet.overlaps(net, prefix))
        })
        .map(|line| line.trim().to_owned()))
}

fn parse_route_dest(dest: &str) -> Option<(Ipv4Addr, u8)> {
    match dest.split_once('/') {
        Some((ip, prefix)) => Some((ip.parse().ok()?, prefix.parse().ok()?)),
        None => Some((dest.parse().ok()?, 32)),
    }
}

/// Host mount points at or under `dir`, deepest first.
pub(crate) fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(info) = fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = info
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|p| PathBuf::from(unescape_mount_path(p)))
        .filter(|p| p.starts_with(dir))
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    found.dedup();
    found
}

/// Mount paths in /proc escape space, tab, newline and backslash as `\ooo`.
fn unescape_mount_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (bytes[i], octal) {
            (b'\\', Some(d)) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_destinations_parse_with_and_without_prefix() {
        assert_eq!(
            parse_route_dest("10.0.0.0/8"),
            Some((Ipv4Addr::new(10, 0, 0, 0), 8))
        );
        assert_eq!(
            parse_route_dest("10.1.2.3"),
            Some((Ipv4Addr::new(10, 1, 2, 3), 32))
        );
        assert_eq!(parse_route_dest("default"), None);
    }

    #[test]
    fn mount_paths_are_unescaped() {
        assert_eq!(unescape_mount_path(r"/a\040b/c"), "/a b/c");
        assert_eq!(unescape_mount_path(r"/plain"), "/plain");
    }

    #[test]
    fn index_suffixes_sort_numerically() {
        assert_eq!(index_suffix("swarmadm-lab-12"), 12);
        assert_eq!(index_suffix("swl-lab"), 0);
    }
}
