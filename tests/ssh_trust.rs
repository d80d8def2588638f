//! SSH trust as OpenSSH does it, against real lab nodes: `@revoked` keys
//! are refused in every host key checking mode, host certificates are
//! verified against `@cert-authority` lines (principal, validity, CA), and
//! the ssh config's `Include` is followed. Lab ids 120 to 139.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Lab, ids, swarmadm};
use serde_json::Value;

fn status(args: &[&str]) -> (Output, Value) {
    let out = swarmadm()
        .arg("status")
        .args(args)
        .args(["--output", "json"])
        .output()
        .expect("run swarmadm status");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "status printed no JSON ({e}):\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, json)
}

fn row<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["nodes"]
        .as_array()
        .expect("nodes array")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row for {name}: {json}"))
}

/// The node's host key error message; panics unless the node was refused
/// at the host key stage.
fn host_key_error(json: &Value, name: &str) -> String {
    let r = row(json, name);
    assert_eq!(r["reachable"], false, "{r}");
    assert_eq!(r["error"]["stage"], "host-key", "{r}");
    r["error"]["message"]
        .as_str()
        .expect("error message")
        .to_owned()
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The lab's TOML inventory, using `known_hosts` as its only user file.
fn inventory_with_known_hosts(lab: &Lab, dir: &Path, known_hosts: &Path) -> PathBuf {
    let original = read(&lab.inventory_toml);
    let nodes = &original[original.find("[[nodes]]").expect("nodes")..];
    let path = dir.join("inventory.toml");
    write(
        &path,
        &format!(
            "[defaults]\nuser = \"root\"\nidentity_file = \"{}\"\nknown_hosts = \"{}\"\n\n{nodes}",
            lab.identity_file.display(),
            known_hosts.display()
        ),
    );
    path
}

/// The node's host public key, as `ssh-ed25519 AAAA...`.
fn host_public_key(lab: &Lab, name: &str) -> String {
    let mut path = lab.node(name).host_key().into_os_string();
    path.push(".pub");
    let text = read(Path::new(&path));
    let mut fields = text.split_whitespace();
    format!(
        "{} {}",
        fields.next().expect("key type"),
        fields.next().expect("key data")
    )
}

fn run(command: &mut Command) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A new CA key pair in `dir`; returns the private key path.
fn make_ca(dir: &Path, name: &str) -> PathBuf {
    let key = dir.join(name);
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key));
    key
}

fn public_of(private: &Path) -> String {
    let mut path = private.to_owned().into_os_string();
    path.push(".pub");
    read(Path::new(&path)).trim().to_owned()
}

/// Signs the node's host key with `ca` for `principal`, valid `validity`
/// (`ssh-keygen -V`), installs the certificate as the node's sshd
/// `HostCertificate` and restarts its sshd, which reads it at start.
fn certify_host(lab: &Lab, name: &str, dir: &Path, ca: &Path, principal: &str, validity: &str) {
    let node = lab.node(name);
    let public = dir.join("host.pub");
    write(&public, &format!("{}\n", host_public_key(lab, name)));
    run(Command::new("ssh-keygen")
        .args(["-q", "-s"])
        .arg(ca)
        .args(["-h", "-I", "swarmadm-test", "-n", principal, "-V", validity])
        .arg(&public));
    let cert = node.dir.join("ssh_host_ed25519_key-cert.pub");
    std::fs::copy(dir.join("host-cert.pub"), &cert).expect("install host certificate");
    let config = node.dir.join("sshd_config");
    let text = read(&config);
    let line = format!("HostCertificate {}\n", cert.display());
    if !text.contains(&line) {
        write(&config, &format!("{text}{line}"));
    }
    lab.stop_sshd(name);
    lab.start_sshd(name);
}

#[test]
fn revoked_host_keys_are_refused_in_every_mode() {
    common::require_root();
    let lab = Lab::up(ids::TRUST_REVOKED, 1, 1);
    let dir = tempfile::tempdir().unwrap();
    let worker = "swarm-worker-01";
    let worker_ip = lab.node(worker).ip.to_string();
    let revoked_line = format!("@revoked {worker_ip} {}", host_public_key(&lab, worker));

    // The lab's own lines (the key is known) plus the revocation at line N.
    let known = read(&lab.known_hosts);
    let known_hosts = dir.path().join("known_hosts");
    write(&known_hosts, &format!("{known}{revoked_line}\n"));
    let revoked_at = format!("{}:{}", known_hosts.display(), known.lines().count() + 1);
    let inv = inventory_with_known_hosts(&lab, dir.path(), &known_hosts);
    for mode in ["strict", "accept-new", "off"] {
        let (out, json) = status(&["-i", inv.to_str().unwrap(), "--host-key-checking", mode]);
        assert!(!out.status.success(), "{mode}: must fail");
        let message = host_key_error(&json, worker);
        assert!(message.contains("REVOKED HOST KEY"), "{mode}: {message}");
        assert!(
            message.contains(&format!("marked @revoked at {revoked_at}")),
            "{mode}: {message}"
        );
        assert_eq!(
            row(&json, "swarm-manager-01")["reachable"],
            true,
            "{mode}: the other node is still reached"
        );
    }

    // Only the revoked line: accept-new must not learn the revoked key.
    let only = dir.path().join("only_revoked");
    write(&only, &format!("{revoked_line}\n"));
    let inv = inventory_with_known_hosts(&lab, dir.path(), &only);
    let (_, json) = status(&[
        "-i",
        inv.to_str().unwrap(),
        "--host-key-checking",
        "accept-new",
    ]);
    let message = host_key_error(&json, worker);
    assert!(message.contains("REVOKED HOST KEY"), "{message}");
    assert!(
        message.contains(&format!("{}:1", only.display())),
        "{message}"
    );
    let after = read(&only);
    assert!(
        !after
            .lines()
            .any(|l| l.starts_with(&format!("{worker_ip} "))),
        "accept-new learned a revoked key:\n{after}"
    );
    // The manager, not revoked, was learned as usual.
    assert_eq!(row(&json, "swarm-manager-01")["reachable"], true);
}

#[test]
fn host_certificates_are_verified_against_cert_authority_lines() {
    common::require_root();
    let lab = Lab::up(ids::TRUST_CERT_AUTHORITY, 1, 0);
    let dir = tempfile::tempdir().unwrap();
    let name = "swarm-manager-01";
    let ip = lab.node(name).ip.to_string();
    let ca = make_ca(dir.path(), "ca");
    let other_ca = make_ca(dir.path(), "other_ca");
    let ca_line = format!(
        "@cert-authority 10.213.{}.* {}\n",
        ids::TRUST_CERT_AUTHORITY,
        public_of(&ca)
    );
    let known_hosts = dir.path().join("known_hosts");
    write(&known_hosts, &ca_line);
    let inv = inventory_with_known_hosts(&lab, dir.path(), &known_hosts);
    let strict = |mode: &str| status(&["-i", inv.to_str().unwrap(), "--host-key-checking", mode]);

    // Signed for the node's address by the trusted CA: accepted in strict
    // mode with nothing but the @cert-authority line, and nothing learned.
    certify_host(&lab, name, dir.path(), &ca, &ip, "-5m:+1h");
    let (out, json) = strict("strict");
    assert!(
        out.status.success(),
        "{}\n{json}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(row(&json, name)["reachable"], true);
    assert_eq!(read(&known_hosts), ca_line);

    // Revoked: the host key, or the CA key, in every mode.
    let revoked_key = format!("{ca_line}@revoked * {}\n", host_public_key(&lab, name));
    write(&known_hosts, &revoked_key);
    for mode in ["strict", "accept-new", "off"] {
        let (_, json) = strict(mode);
        let message = host_key_error(&json, name);
        assert!(message.contains("REVOKED HOST KEY"), "{mode}: {message}");
        assert!(
            message.contains("the host key SHA256:"),
            "{mode}: {message}"
        );
        assert!(
            message.contains(&format!("{}:2", known_hosts.display())),
            "{mode}: {message}"
        );
    }
    let revoked_ca = format!("{ca_line}@revoked * {}\n", public_of(&ca));
    write(&known_hosts, &revoked_ca);
    for mode in ["strict", "accept-new", "off"] {
        let (_, json) = strict(mode);
        let message = host_key_error(&json, name);
        assert!(
            message.contains("REVOKED HOST KEY") && message.contains("host certificate's CA key"),
            "{mode}: {message}"
        );
    }
    assert_eq!(read(&known_hosts), revoked_ca, "nothing learned");
    write(&known_hosts, &ca_line);

    // A certificate for another principal is refused.
    certify_host(&lab, name, dir.path(), &ca, "other.example", "-5m:+1h");
    let (_, json) = strict("strict");
    let message = host_key_error(&json, name);
    assert!(
        message.contains(&format!(
            "host certificate of {ip} is not valid: it is for `other.example`, not for `{ip}`"
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!("{}:1", known_hosts.display())),
        "{message}"
    );

    // An expired one is refused, in accept-new mode too.
    certify_host(&lab, name, dir.path(), &ca, &ip, "20200101:20200102");
    for mode in ["strict", "accept-new"] {
        let (_, json) = strict(mode);
        let message = host_key_error(&json, name);
        assert!(
            message.contains("is not valid: it expired at 2020-01-02"),
            "{mode}: {message}"
        );
    }

    // One signed by a CA no line trusts is refused in strict mode.
    certify_host(&lab, name, dir.path(), &other_ca, &ip, "-5m:+1h");
    let (_, json) = strict("strict");
    let message = host_key_error(&json, name);
    assert!(
        message.contains("is signed by a CA (SHA256:")
            && message.contains("that no @cert-authority line for"),
        "{message}"
    );
    assert_eq!(read(&known_hosts), ca_line, "strict mode learns nothing");
}

#[test]
fn an_included_ssh_config_reaches_the_nodes_and_proxycommand_is_refused() {
    common::require_root();
    let lab = Lab::up(ids::TRUST_INCLUDE_PROXYCOMMAND, 1, 1);
    let dir = tempfile::tempdir().unwrap();

    // The lab's ssh config, reached only through Include (with a glob),
    // and a negated pattern that must not apply to the nodes.
    let included = dir.path().join("conf.d");
    std::fs::create_dir(&included).unwrap();
    std::fs::copy(&lab.ssh_config, included.join("lab.conf")).unwrap();
    let config = dir.path().join("ssh_config");
    write(
        &config,
        &format!(
            "Host * !swarm-*\n  Port 2\nHost *\nInclude {}/*.conf\n",
            included.display()
        ),
    );
    let (out, json) = status(&[
        "-i",
        lab.inventory_ini.to_str().unwrap(),
        "-F",
        config.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}\n{json}",
        String::from_utf8_lossy(&out.stderr)
    );
    for node in &lab.nodes {
        assert_eq!(row(&json, &node.hostname)["reachable"], true);
    }

    // A ProxyCommand for the nodes decides where connections go: refused,
    // naming the file and line, never silently ignored.
    let proxied = included.join("proxy.conf");
    write(&proxied, "\nHost swarm-worker-*\n  ProxyCommand nc %h %p\n");
    let out = swarmadm()
        .args(["status", "-i"])
        .arg(&lab.inventory_ini)
        .arg("-F")
        .arg(&config)
        .output()
        .expect("run swarmadm status");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:3", proxied.display())) && stderr.contains("ProxyCommand"),
        "{stderr}"
    );
}
