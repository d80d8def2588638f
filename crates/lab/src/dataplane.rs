//! What this host's kernel, and the way the lab runs dockerd, allow the
//! swarm's data plane: overlay networks (VXLAN, UDP 4789), service VIPs
//! (IPVS) and the ingress routing mesh (IPVS and dockerd's iptables rules).
//! Probed once by `lab up` and kept in `state.json`: `lab status` reports
//! what was found then, without probing again.
//!
//! VXLAN: a thread of `lab up` moves into a network namespace of its own
//! (unnamed: the kernel removes it when the thread ends, however the
//! process ends) and makes and raises a VXLAN link there with swarm's port,
//! as the engine makes its overlay links, while the nodes start. IPVS:
//! `/proc/net/ip_vs` in the first node's namespace (IPVS is per
//! namespace), once the nodes answer. It never fails `lab up`: what it
//! cannot find it reports as missing, with the reason.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;

use nix::sched::{CloneFlags, setns, unshare};
use serde::{Deserialize, Serialize};

use super::host::NETNS_DIR;
use super::layout::LabNode;

/// The probe's VXLAN link and VNI, in the probe's own namespace.
const PROBE_LINK: &str = "swlprobevx";
const PROBE_VNI: &str = "42";
/// The UDP port swarm's overlay networks use.
const VXLAN_PORT: &str = "4789";

/// What the data plane can do in a lab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPlane {
    /// A VXLAN link (swarm's overlay transport, UDP 4789) could be made and
    /// brought up on this host's kernel: overlay networks work.
    pub vxlan: bool,
    /// `/proc/net/ip_vs` exists in a node's namespace: service VIPs work.
    pub ipvs: bool,
    /// Published ports reach services through the ingress routing mesh:
    /// needs IPVS and dockerd's iptables rules.
    pub routing_mesh: bool,
    /// One line for each thing missing, saying what it means; empty when
    /// nothing is.
    pub notes: Vec<String>,
}

impl DataPlane {
    /// The lines `lab up` and `lab status` print: one that says what works,
    /// then one for each thing missing.
    pub fn lines(&self) -> Vec<String> {
        let mut works = Vec::new();
        if self.vxlan {
            works.push("vxlan ok");
        }
        if self.ipvs {
            works.push("IPVS ok");
        }
        if self.routing_mesh {
            works.push("routing mesh ok");
        }
        let mut lines = Vec::new();
        if !works.is_empty() {
            lines.push(format!("data plane: {}", works.join(", ")));
        }
        lines.extend(self.notes.iter().cloned());
        lines
    }
}

/// What the probe read off the host, before it is judged. Each `Err` here
/// (and the probe thread's) is why, as text: `lab status` shows it and
/// `state.json` keeps it; nothing matches on it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Readings {
    /// The node whose namespace IPVS was looked for in.
    node: String,
    /// Making and raising the VXLAN link: `Err` is why not.
    vxlan: Result<(), String>,
    /// `/sys/module/vxlan` exists (the module is loaded or built in).
    vxlan_module: bool,
    /// `/proc/net/ip_vs` in the node's namespace: `Err` is why it could not
    /// be looked at.
    ipvs: Result<bool, String>,
    /// What the host has to load IPVS with, if it is missing.
    ipvs_module: ModuleFile,
    /// Whether the lab's dockerd writes iptables rules.
    dockerd_iptables: bool,
}

/// Whether a kernel module could be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ModuleFile {
    /// The module's file, not loaded.
    Loadable(PathBuf),
    /// The kernel's modules dir has no such module.
    Absent,
    /// The kernel has no modules dir (`/lib/modules/<release>`): nothing
    /// can be loaded.
    NoModules(PathBuf),
}

/// The data plane probe, running while the lab starts.
pub(crate) struct Probe(thread::JoinHandle<Result<(), String>>);

/// Starts the VXLAN part of the probe on a thread of its own; it takes a
/// few milliseconds on an idle host, and runs while the nodes start.
pub(crate) fn start() -> Probe {
    Probe(thread::spawn(vxlan_link))
}

impl Probe {
    /// Waits for the VXLAN part, looks for IPVS in `node`'s namespace and
    /// says what it all means.
    pub(crate) fn finish(self, node: &LabNode) -> DataPlane {
        let vxlan = self
            .0
            .join()
            .unwrap_or_else(|_| Err("the probe thread panicked".into()));
        judge(&Readings {
            node: node.hostname.clone(),
            vxlan,
            vxlan_module: Path::new("/sys/module/vxlan").exists(),
            ipvs: ipvs_in(&node.netns),
            ipvs_module: module_file("kernel/net/netfilter/ipvs/ip_vs"),
            dockerd_iptables: super::files::DOCKERD_IPTABLES,
        })
    }
}

/// Moves this thread into a new network namespace, then makes a VXLAN link
/// with swarm's port there and brings it up (which opens its UDP socket),
/// with one `ip` (a child runs in the namespace of the thread that starts
/// it). The namespace, and the link in it, go when the thread and the `ip`
/// end. Call it only on a thread of its own that ends after it.
fn vxlan_link() -> Result<(), String> {
    unshare(CloneFlags::CLONE_NEWNET)
        .map_err(|e| format!("cannot make a network namespace to probe in: {e}"))?;
    let commands = format!(
        "link add {PROBE_LINK} type vxlan id {PROBE_VNI} dstport {VXLAN_PORT}\n\
         link set {PROBE_LINK} up\n"
    );
    let mut ip = Command::new("ip")
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("ip: {e}"))?;
    if let Some(mut stdin) = ip.stdin.take() {
        // A write error shows as ip's own failure below.
        let _ = stdin.write_all(commands.as_bytes());
    }
    let out = ip.wait_with_output().map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Err(match first_line(&stderr) {
        "" => format!("`ip -batch` {}", out.status),
        line => line.to_owned(),
    })
}

/// Whether `/proc/net/ip_vs` exists in the namespace, looked at from a
/// thread of our own that enters it (the thread ends with the look).
fn ipvs_in(netns: &str) -> Result<bool, String> {
    let path = Path::new(NETNS_DIR).join(netns);
    thread::scope(|scope| {
        scope
            .spawn(|| {
                let ns = fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                setns(&ns, CloneFlags::CLONE_NEWNET)
                    .map_err(|e| format!("entering {}: {e}", path.display()))?;
                // `/proc/net` is the main thread's namespace; this thread's
                // is under `thread-self`.
                Ok(Path::new("/proc/thread-self/net/ip_vs").exists())
            })
            .join()
            .unwrap_or_else(|_| Err("the probe thread panicked".into()))
    })
}

/// Where the running kernel keeps module `stem` (a path under its modules
/// dir, without `.ko`), compressed or not.
fn module_file(stem: &str) -> ModuleFile {
    let release = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let dir = Path::new("/lib/modules").join(release.trim());
    if release.trim().is_empty() || !dir.is_dir() {
        return ModuleFile::NoModules(dir);
    }
    ["ko", "ko.xz", "ko.zst", "ko.gz"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.{ext}")))
        .find(|p| p.is_file())
        .map_or(ModuleFile::Absent, ModuleFile::Loadable)
}

/// What the readings mean for the lab.
fn judge(r: &Readings) -> DataPlane {
    let vxlan = r.vxlan.is_ok();
    let ipvs = r.ipvs == Ok(true);
    let routing_mesh = ipvs && r.dockerd_iptables;
    let mut notes = Vec::new();
    if let Err(e) = &r.vxlan {
        let module = if r.vxlan_module {
            ""
        } else {
            "; /sys/module/vxlan is missing"
        };
        let e = e.trim_end_matches('.');
        notes.push(format!(
            "kernel: no VXLAN (a vxlan link on UDP {VXLAN_PORT} could not be made: {e}{module}): \
             overlay networks do not work in this lab; `verify --workload` reports its overlay checks as not run"
        ));
    }
    match &r.ipvs {
        Ok(true) => {}
        Ok(false) => {
            let hint = match &r.ipvs_module {
                ModuleFile::Loadable(file) => format!(
                    "; the module is there ({}): `modprobe ip_vs`, then start the lab again",
                    file.display()
                ),
                ModuleFile::Absent => "; this kernel has no ip_vs module".to_owned(),
                ModuleFile::NoModules(dir) => {
                    format!("; no module can be loaded ({} is missing)", dir.display())
                }
            };
            notes.push(format!(
                "kernel: no IPVS (/proc/net/ip_vs missing): service VIPs and the routing mesh \
                 do not work in this lab; `verify --workload` reports them as not run{hint}"
            ));
        }
        Err(e) => notes.push(format!(
            "kernel: IPVS unknown (could not look for /proc/net/ip_vs in {}: {e}): \
             service VIPs and the routing mesh are taken as not working in this lab",
            r.node
        )),
    }
    if !routing_mesh {
        let mut why = Vec::new();
        if !r.dockerd_iptables {
            why.push("the lab's dockerd runs with --iptables=false");
        }
        if !ipvs {
            why.push("no IPVS");
        }
        notes.push(format!(
            "routing mesh: not available ({}): published ports do not reach services",
            why.join("; ")
        ));
    }
    DataPlane {
        vxlan,
        ipvs,
        routing_mesh,
        notes,
    }
}

/// The first non-empty line of a command's stderr, for a one-line note.
fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readings() -> Readings {
        Readings {
            node: "swarm-manager-01".into(),
            vxlan: Ok(()),
            vxlan_module: true,
            ipvs: Ok(true),
            ipvs_module: ModuleFile::Absent,
            dockerd_iptables: true,
        }
    }

    #[test]
    fn everything_there_says_one_calm_line() {
        let dp = judge(&readings());
        assert_eq!(
            dp,
            DataPlane {
                vxlan: true,
                ipvs: true,
                routing_mesh: true,
                notes: vec![],
            }
        );
        assert_eq!(
            dp.lines(),
            ["data plane: vxlan ok, IPVS ok, routing mesh ok"]
        );
    }

    /// This host: vxlan works, no IPVS and no modules, and the lab's
    /// dockerd without iptables.
    #[test]
    fn no_ipvs_and_no_iptables_say_what_does_not_work_and_why() {
        let dp = judge(&Readings {
            ipvs: Ok(false),
            ipvs_module: ModuleFile::NoModules("/lib/modules/6.18.44".into()),
            dockerd_iptables: false,
            ..readings()
        });
        assert!(dp.vxlan && !dp.ipvs && !dp.routing_mesh, "{dp:?}");
        assert_eq!(
            dp.lines(),
            [
                "data plane: vxlan ok",
                "kernel: no IPVS (/proc/net/ip_vs missing): service VIPs and the routing mesh \
                 do not work in this lab; `verify --workload` reports them as not run; \
                 no module can be loaded (/lib/modules/6.18.44 is missing)",
                "routing mesh: not available (the lab's dockerd runs with --iptables=false; \
                 no IPVS): published ports do not reach services",
            ]
        );
    }

    #[test]
    fn the_routing_mesh_needs_iptables_even_with_ipvs() {
        let dp = judge(&Readings {
            dockerd_iptables: false,
            ..readings()
        });
        assert!(dp.ipvs && !dp.routing_mesh);
        assert_eq!(
            dp.notes,
            [
                "routing mesh: not available (the lab's dockerd runs with --iptables=false): \
              published ports do not reach services"
            ]
        );
    }

    #[test]
    fn a_loadable_ipvs_module_is_named() {
        let dp = judge(&Readings {
            ipvs: Ok(false),
            ipvs_module: ModuleFile::Loadable("/lib/modules/6.1/kernel/net/ip_vs.ko.xz".into()),
            ..readings()
        });
        assert!(
            dp.notes[0].ends_with(
                "the module is there (/lib/modules/6.1/kernel/net/ip_vs.ko.xz): \
                 `modprobe ip_vs`, then start the lab again"
            ),
            "{:?}",
            dp.notes
        );
    }

    #[test]
    fn a_failed_vxlan_link_says_why() {
        let dp = judge(&Readings {
            vxlan: Err("Error: Unknown device type.".into()),
            vxlan_module: false,
            ..readings()
        });
        assert!(!dp.vxlan && dp.ipvs && dp.routing_mesh);
        assert_eq!(dp.lines()[0], "data plane: IPVS ok, routing mesh ok");
        assert_eq!(
            dp.notes,
            [
                "kernel: no VXLAN (a vxlan link on UDP 4789 could not be made: \
              Error: Unknown device type; /sys/module/vxlan is missing): overlay \
              networks do not work in this lab; `verify --workload` reports its overlay checks \
              as not run"
            ]
        );
    }

    #[test]
    fn ipvs_that_could_not_be_looked_at_is_not_taken_as_there() {
        let dp = judge(&Readings {
            ipvs: Err("entering /run/netns/x: EPERM".into()),
            ..readings()
        });
        assert!(!dp.ipvs && !dp.routing_mesh);
        assert!(dp.notes[0].starts_with("kernel: IPVS unknown"), "{dp:?}");
        assert!(dp.notes[1].contains("(no IPVS)"), "{dp:?}");
    }

    #[test]
    fn a_note_quotes_the_first_line_of_stderr() {
        assert_eq!(
            first_line("\n  Error: Unknown device type.\nmore\n"),
            "Error: Unknown device type."
        );
        assert_eq!(first_line(" \n"), "");
    }

    /// `state.json` and `lab status -o json` carry it as these four keys.
    #[test]
    fn it_serializes_as_four_keys() {
        let dp = judge(&readings());
        assert_eq!(
            serde_json::to_value(&dp).unwrap(),
            serde_json::json!({"vxlan": true, "ipvs": true, "routing_mesh": true, "notes": []})
        );
    }
}
