//! The ssh config reader: `Host` and `Match` blocks, `Include`, tokens,
//! `ProxyJump`, refused directives, and the resolution of a node's SSH target
//! with its precedence and the file and line of each error.

use super::*;

fn env() -> LocalEnv {
    LocalEnv::for_tests()
}

fn config(text: &str) -> SshConfigFile {
    SshConfigFile::parse(Path::new("test.ssh.config"), text, env()).expect("valid ssh config")
}

fn config_err(text: &str) -> String {
    SshConfigFile::parse(Path::new("test.ssh.config"), text, env())
        .expect_err("invalid ssh config")
        .to_string()
}

fn resolve(file: &SshConfigFile, alias: &str) -> SshTarget {
    file.resolve(alias, &SshSettings::default(), &SshSettings::default())
        .expect("resolves")
}

#[test]
fn empty_config_gives_the_builtins() {
    let target = resolve(&SshConfigFile::empty(env()), "10.0.0.1");
    assert_eq!(target.hop.host, "10.0.0.1");
    assert_eq!(target.hop.port, 22);
    assert_eq!(target.hop.user, "tester");
    assert_eq!(target.hop.identity_origin, IdentityOrigin::BuiltIn);
    assert_eq!(
        target.hop.identity_files,
        vec![
            PathBuf::from("/home/tester/.ssh/id_ed25519"),
            PathBuf::from("/home/tester/.ssh/id_ecdsa"),
            PathBuf::from("/home/tester/.ssh/id_rsa"),
        ]
    );
    assert!(!target.hop.identities_only);
    assert!(target.hop.known_hosts_files.is_empty());
    assert_eq!(target.hop.host_key_policy, None);
    assert!(target.jumps.is_empty());
    assert_eq!(target.socket, DEFAULT_SOCKET);
}

#[test]
fn no_user_anywhere_is_an_error() {
    let file = SshConfigFile::empty(LocalEnv::default());
    let err = file
        .resolve("n1", &SshSettings::default(), &SshSettings::default())
        .unwrap_err();
    assert!(matches!(err, InventoryError::NoUser { ref host } if host == "n1"));
    assert!(err.to_string().contains("set `user` in the inventory"));
}

#[test]
fn host_pattern_with_wildcard_and_hostname_token() {
    let file = config(
        "Host swarm-*\n  HostName %h.lab.example\n  User core\n  Port 2200\n\nHost *\n  User nobody\n",
    );
    let target = resolve(&file, "swarm-worker-01");
    assert_eq!(target.hop.host, "swarm-worker-01.lab.example");
    assert_eq!(target.hop.user, "core");
    assert_eq!(target.hop.port, 2200);
    let other = resolve(&file, "db-01");
    assert_eq!(other.hop.host, "db-01");
    assert_eq!(other.hop.user, "nobody");
    assert_eq!(other.hop.port, 22);
}

#[test]
fn negated_pattern_excludes() {
    let file = config("Host swarm-* !swarm-worker-03\n  User core\n");
    assert_eq!(resolve(&file, "swarm-worker-01").hop.user, "core");
    assert_eq!(resolve(&file, "swarm-worker-03").hop.user, "tester");
}

#[test]
fn precedence_node_over_config_over_defaults() {
    let file = config("Host n1\n  User fromconfig\n  IdentityFile ~/.ssh/config_key\n");
    let defaults = SshSettings {
        user: Some("fromdefaults".into()),
        port: Some(2022),
        identity_files: Some(vec![PathBuf::from("/keys/defaults")]),
        known_hosts_files: vec![PathBuf::from("/kh/defaults")],
        socket: Some("/run/defaults.sock".into()),
    };
    // The config beats [defaults] where it says something; [defaults] fills the rest.
    let t = file
        .resolve("n1", &SshSettings::default(), &defaults)
        .unwrap();
    assert_eq!(t.hop.user, "fromconfig");
    assert_eq!(t.hop.port, 2022);
    assert_eq!(
        t.hop.identity_files,
        vec![PathBuf::from("/home/tester/.ssh/config_key")]
    );
    assert_eq!(t.hop.identity_origin, IdentityOrigin::SshConfig);
    assert_eq!(t.hop.known_hosts_files, vec![PathBuf::from("/kh/defaults")]);
    assert_eq!(t.socket, "/run/defaults.sock");
    // Node-level values beat both.
    let node = SshSettings {
        user: Some("fromnode".into()),
        port: Some(2222),
        identity_files: Some(vec![PathBuf::from("/keys/node")]),
        known_hosts_files: Vec::new(),
        socket: Some("/run/node.sock".into()),
    };
    let t = file.resolve("n1", &node, &defaults).unwrap();
    assert_eq!(t.hop.user, "fromnode");
    assert_eq!(t.hop.port, 2222);
    assert_eq!(t.hop.identity_files, vec![PathBuf::from("/keys/node")]);
    assert_eq!(t.hop.identity_origin, IdentityOrigin::Inventory);
    assert_eq!(t.socket, "/run/node.sock");
    // Without a config entry, [defaults] applies.
    let t = file
        .resolve("n2", &SshSettings::default(), &defaults)
        .unwrap();
    assert_eq!(t.hop.user, "fromdefaults");
    assert_eq!(t.hop.identity_files, vec![PathBuf::from("/keys/defaults")]);
    assert_eq!(t.hop.identity_origin, IdentityOrigin::Inventory);
}

#[test]
fn first_obtained_value_wins_and_identity_files_accumulate() {
    let file = config(
        "Host n1\n  User first\n  IdentityFile /k/one\nHost *\n  User second\n  IdentityFile /k/two\n",
    );
    let t = resolve(&file, "n1");
    assert_eq!(t.hop.user, "first");
    assert_eq!(
        t.hop.identity_files,
        vec![PathBuf::from("/k/one"), PathBuf::from("/k/two")]
    );
}

#[test]
fn unsupported_fields_are_read() {
    let file = config(
        "Host n1\n  IdentitiesOnly yes\n  UserKnownHostsFile ~/.ssh/kh1 /etc/kh2 %d/kh3\n  StrictHostKeyChecking accept-new\nHost n2\n  StrictHostKeyChecking yes\n  UserKnownHostsFile none\nHost n3\n  StrictHostKeyChecking=ask\n  IdentitiesOnly=no\n",
    );
    let t = resolve(&file, "n1");
    assert!(t.hop.identities_only);
    assert_eq!(
        t.hop.known_hosts_files,
        vec![
            PathBuf::from("/home/tester/.ssh/kh1"),
            PathBuf::from("/etc/kh2"),
            PathBuf::from("/home/tester/kh3"),
        ]
    );
    assert_eq!(t.hop.host_key_policy, Some(HostKeyPolicy::AcceptNew));
    let t = resolve(&file, "n2");
    assert_eq!(t.hop.host_key_policy, Some(HostKeyPolicy::Strict));
    assert_eq!(t.hop.known_hosts_files, vec![PathBuf::from("/dev/null")]);
    let t = resolve(&file, "n3");
    assert_eq!(t.hop.host_key_policy, Some(HostKeyPolicy::Strict));
    assert!(!t.hop.identities_only);
}

#[test]
fn strict_host_key_checking_off_never_means_off() {
    for value in ["no", "off", "accept-new", "OFF"] {
        let file = config(&format!("Host *\n  StrictHostKeyChecking {value}\n"));
        assert_eq!(
            resolve(&file, "x").hop.host_key_policy,
            Some(HostKeyPolicy::AcceptNew),
            "{value}"
        );
    }
}

#[test]
fn identity_file_tokens() {
    let file = config(
        "Host n1\n  HostName 10.1.2.3\n  User core\n  Port 2201\n  IdentityFile %d/.ssh/%r@%h-%p\n  IdentityFile /k/%u-%n-%%\n",
    );
    let t = resolve(&file, "n1");
    assert_eq!(
        t.hop.identity_files,
        vec![
            PathBuf::from("/home/tester/.ssh/core@10.1.2.3-2201"),
            PathBuf::from("/k/tester-n1-%"),
        ]
    );
}

#[test]
fn identity_file_none_means_no_identity_file() {
    let file = config("Host n1\n  IdentityFile none\n");
    let t = resolve(&file, "n1");
    assert!(t.hop.identity_files.is_empty());
    assert_eq!(t.hop.identity_origin, IdentityOrigin::SshConfig);
}

#[test]
fn proxy_jump_one_hop_resolved_through_the_config() {
    let file = config(
        "Host bastion\n  HostName 203.0.113.7\n  User jumper\n  Port 2022\n  IdentityFile /k/bastion\n  StrictHostKeyChecking yes\n\nHost 10.0.0.*\n  ProxyJump bastion\n  User core\n",
    );
    let t = resolve(&file, "10.0.0.5");
    assert_eq!(t.hop.host, "10.0.0.5");
    assert_eq!(t.hop.user, "core");
    assert_eq!(t.jumps.len(), 1);
    let jump = &t.jumps[0];
    assert_eq!(jump.host, "203.0.113.7");
    assert_eq!(jump.user, "jumper");
    assert_eq!(jump.port, 2022);
    assert_eq!(jump.identity_files, vec![PathBuf::from("/k/bastion")]);
    assert_eq!(jump.identity_origin, IdentityOrigin::SshConfig);
    assert_eq!(jump.host_key_policy, Some(HostKeyPolicy::Strict));
}

#[test]
fn proxy_jump_spec_overrides_and_chains() {
    let file = config(
        "Host inner\n  ProxyJump outer\nHost outer\n  HostName 198.51.100.1\nHost target\n  ProxyJump admin@inner:2200,ssh://ops@[2001:db8::9]:2201\n",
    );
    let t = resolve(&file, "target");
    let hops: Vec<(&str, &str, u16)> = t
        .jumps
        .iter()
        .map(|h| (h.host.as_str(), h.user.as_str(), h.port))
        .collect();
    assert_eq!(
        hops,
        vec![
            ("198.51.100.1", "tester", 22),
            ("inner", "admin", 2200),
            ("2001:db8::9", "ops", 2201),
        ]
    );
}

#[test]
fn proxy_jump_defaults_do_not_leak_into_jump_hosts() {
    let file = config("Host n1\n  ProxyJump bastion\n");
    let defaults = SshSettings {
        user: Some("core".into()),
        port: Some(2222),
        identity_files: Some(vec![PathBuf::from("/k/node")]),
        known_hosts_files: vec![PathBuf::from("/kh")],
        socket: None,
    };
    let t = file
        .resolve("n1", &SshSettings::default(), &defaults)
        .unwrap();
    assert_eq!(t.hop.user, "core");
    let jump = &t.jumps[0];
    assert_eq!(jump.user, "tester");
    assert_eq!(jump.port, 22);
    assert_eq!(jump.identity_origin, IdentityOrigin::BuiltIn);
    assert_eq!(jump.known_hosts_files, vec![PathBuf::from("/kh")]);
}

#[test]
fn proxy_jump_none_and_loops() {
    let file = config("Host direct\n  ProxyJump none\nHost *\n  ProxyJump bastion\n");
    assert!(resolve(&file, "direct").jumps.is_empty());
    let looping = config("Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n");
    let err = looping
        .resolve("a", &SshSettings::default(), &SshSettings::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("test.ssh.config"), "{err}");
    assert!(err.contains("loop"), "{err}");
}

#[test]
fn match_blocks_do_not_leak_into_the_host_before() {
    let file = config(
        "Host n1\n  User one\nMatch host n2,n3\n  User two\n  Port 2000\nMatch all\n  Port 2022\n",
    );
    let n1 = resolve(&file, "n1");
    assert_eq!((n1.hop.user.as_str(), n1.hop.port), ("one", 2022));
    let n3 = resolve(&file, "n3");
    assert_eq!((n3.hop.user.as_str(), n3.hop.port), ("two", 2000));
    assert_eq!(resolve(&file, "n4").hop.user, "tester");
    assert_eq!(
        rewrite_for_crate("  match=originalhost a,!b\nHost x\n  ForwardAgent $SOCK\n"),
        "Host a !b\nHost x\n\n"
    );
}

#[test]
fn match_exec_and_user_are_refused_naming_the_line() {
    for criteria in [
        "exec \"test -f /tmp/x\"",
        "user core",
        "host n1 user core",
        "canonical",
    ] {
        let err = config_err(&format!(
            "Host n1\n  User one\n\nMatch {criteria}\n  Port 2000\n"
        ));
        assert!(
            err.starts_with(&format!(
                "ssh config test.ssh.config:4: `Match {criteria}` is not supported"
            )),
            "{err}"
        );
        assert!(err.contains("-F /dev/null"), "{err}");
    }
}

/// A home with `~/.ssh/config` and other files under `~/.ssh`.
fn home_with(files: &[(&str, &str)]) -> (tempfile::TempDir, LocalEnv) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(".ssh").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
    let env = LocalEnv {
        home: Some(dir.path().to_owned()),
        user: Some("tester".into()),
    };
    (dir, env)
}

fn load(dir: &tempfile::TempDir, env: LocalEnv) -> Result<SshConfigFile, String> {
    SshConfigFile::load_with(&dir.path().join(".ssh/config"), env).map_err(|e| e.to_string())
}

#[test]
fn an_include_of_a_device_or_fifo_is_refused_before_anything_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    crate::model::input::make_fifo(&fifo);
    for target in [Path::new("/dev/zero"), fifo.as_path()] {
        let config = dir.path().join("config");
        std::fs::write(&config, format!("Include {}\n", target.display())).unwrap();
        let text = std::fs::read_to_string(&config).unwrap();
        let err = SshConfigFile::parse(&config, &text, LocalEnv::for_tests())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("config:1") && err.contains("not a regular file"),
            "{}: {err}",
            target.display()
        );
    }
}

#[test]
fn include_follows_relative_absolute_and_glob_paths() {
    let (dir, env) = home_with(&[
        ("conf.d/a.conf", "Host n1\n  User from-a\n"),
        ("conf.d/b.conf", "Host n1 n2\n  User from-b\n  Port 2202\n"),
        ("extra", "Host n3\n  HostName 10.0.0.3\n"),
    ]);
    let extra = dir.path().join(".ssh/extra");
    std::fs::write(
        dir.path().join(".ssh/config"),
        format!(
            "Include conf.d/*.conf\nInclude {}\nHost *\n  User last\n",
            extra.display()
        ),
    )
    .unwrap();
    let file = load(&dir, env).expect("loads");
    let n1 = resolve(&file, "n1");
    // Files of a glob are read in name order; the first value obtained wins.
    assert_eq!((n1.hop.user.as_str(), n1.hop.port), ("from-a", 2202));
    assert_eq!(resolve(&file, "n2").hop.user, "from-b");
    assert_eq!(resolve(&file, "n3").hop.host, "10.0.0.3");
    assert_eq!(resolve(&file, "n4").hop.user, "last");
}

#[test]
fn include_inside_a_host_block_applies_to_that_host_only() {
    let (dir, env) = home_with(&[
        ("config", "Host n1\n  Include inner\nHost *\n  Port 2200\n"),
        ("inner", "User inner\n"),
    ]);
    let file = load(&dir, env).expect("loads");
    assert_eq!(resolve(&file, "n1").hop.user, "inner");
    assert_eq!(resolve(&file, "n1").hop.port, 2200);
    assert_eq!(resolve(&file, "n2").hop.user, "tester");
}

#[test]
fn match_in_an_included_file_is_refused_naming_it() {
    let (dir, env) = home_with(&[
        ("config", "Include inner\n"),
        ("inner", "# x\nMatch host n1\n  User m\n"),
    ]);
    let err = load(&dir, env).unwrap_err();
    let inner = dir.path().join(".ssh/inner");
    assert!(
        err.starts_with(&format!(
            "ssh config {}:2: `Match host n1` is not supported",
            inner.display()
        )),
        "{err}"
    );
    assert!(err.contains("not in included files"), "{err}");
}

#[test]
fn host_star_with_a_negation_excludes_the_negated_host() {
    let file = config("Host * !bastion\n  User core\n  Port 2200\nHost !n9\n  User never\n");
    let n1 = resolve(&file, "n1");
    assert_eq!((n1.hop.user.as_str(), n1.hop.port), ("core", 2200));
    let bastion = resolve(&file, "bastion");
    // A line of negations only matches nothing, as in `ssh`.
    assert_eq!(
        (bastion.hop.user.as_str(), bastion.hop.port),
        ("tester", 22)
    );
}

#[test]
fn proxy_command_is_refused_for_the_hosts_that_use_it() {
    let (dir, env) = home_with(&[
        (
            "config",
            "Host direct\n  ProxyCommand none\nHost *\nInclude proxies\n",
        ),
        (
            "proxies",
            "\nHost n* bastion\n  ProxyCommand ssh -W %h:%p gateway\n",
        ),
    ]);
    let file = load(&dir, env).expect("a ProxyCommand nobody uses is no error");
    let proxies = dir.path().join(".ssh/proxies");
    let err = file
        .resolve("n1", &SshSettings::default(), &SshSettings::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "ssh config {}:3: for host `n1`: ProxyCommand `ssh -W %h:%p gateway` is not supported",
            proxies.display()
        )),
        "{err}"
    );
    assert!(resolve(&file, "direct").jumps.is_empty());
    assert_eq!(resolve(&file, "other").hop.host, "other");
    // A jump host's ProxyCommand is refused too.
    let err = config("Host n1\n  ProxyJump bastion\nHost bastion\n  ProxyCommand nc %h %p\n")
        .resolve("n1", &SshSettings::default(), &SshSettings::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "ssh config test.ssh.config:4: for host `bastion`: ProxyCommand `nc %h %p`"
        ),
        "{err}"
    );
}

#[test]
fn parse_jump_forms() {
    let j = parse_jump("host").unwrap();
    assert_eq!((j.user, j.host.as_str(), j.port), (None, "host", None));
    let j = parse_jump("u@h:2").unwrap();
    assert_eq!(
        (j.user.as_deref(), j.host.as_str(), j.port),
        (Some("u"), "h", Some(2))
    );
    let j = parse_jump("ssh://u@h/").unwrap();
    assert_eq!(
        (j.user.as_deref(), j.host.as_str(), j.port),
        (Some("u"), "h", None)
    );
    let j = parse_jump("2001:db8::1").unwrap();
    assert_eq!((j.host.as_str(), j.port), ("2001:db8::1", None));
    assert!(
        parse_jump("h:0")
            .unwrap_err()
            .to_string()
            .contains("bad port `0`")
    );
    assert!(
        parse_jump("h:ssh")
            .unwrap_err()
            .to_string()
            .contains("bad port")
    );
    assert!(
        parse_jump("@h")
            .unwrap_err()
            .to_string()
            .contains("empty user")
    );
    assert!(
        parse_jump("u@")
            .unwrap_err()
            .to_string()
            .contains("no host")
    );
}

#[test]
fn bad_values_are_reported_at_load_with_the_host_block() {
    let err = config_err("Host web\n  StrictHostKeyChecking maybe\n");
    assert_eq!(
        err,
        "ssh config test.ssh.config:2: StrictHostKeyChecking `maybe`: expected yes, ask, accept-new, no or off"
    );
    let err = config_err("Host *\n  IdentitiesOnly perhaps\n");
    assert!(
        err.contains("IdentitiesOnly `perhaps`: expected yes or no"),
        "{err}"
    );
    let err = config_err("Host *\n  ProxyJump bastion:22x\n");
    assert!(err.contains("ProxyJump `bastion:22x`"), "{err}");
    let err = config_err("Host *\n  IdentityFile ~/.ssh/%z\n");
    assert!(err.contains("unknown token `%z`"), "{err}");
    let err = config_err("Host *\n  IdentityFile ~/.ssh/%C\n");
    assert!(err.contains("not supported"), "{err}");
    let err = config_err("Host *\n  Port 0\n");
    assert!(err.contains("Port `0`"), "{err}");
    let err = config_err("Host *\n  Port twenty\n");
    assert_eq!(
        err,
        "ssh config test.ssh.config:2: Port `twenty`: expected a port number from 1 to 65535"
    );
}

#[test]
fn every_error_carries_the_file_and_line() {
    let cases = [
        (
            "Host a\n  Port 22 23\n",
            2,
            "`Port` takes one argument, got 2: `22 23`",
        ),
        (
            "Host a\n  Prot 22\n",
            2,
            "unknown keyword `Prot`: did you mean `Port`?",
        ),
        (
            "\n\nHost a\n  UseKeychain yes\n",
            4,
            "unknown keyword `UseKeychain`",
        ),
        ("Host a\n  HostName\n", 2, "`HostName` has no argument"),
        ("Host\n", 1, "`Host` has no argument"),
        ("Host a\n  User \"core\n", 2, "unclosed quote"),
        (
            "Host a\n  User core extra\n",
            2,
            "`User` takes one argument, got 2",
        ),
        (
            "Host a\n  IdentityFile a b\n",
            2,
            "`IdentityFile` takes one argument",
        ),
        ("Host a\n  LocalForward 8080\n", 2, "takes two arguments"),
        (
            "Host a\n  User co\u{1b}re\n",
            2,
            "the control character \\u{1b}",
        ),
        (
            "Host a\n  Port ssh\n",
            2,
            "Port `ssh`: expected a port number",
        ),
        ("Host a\n  Port 65536\n", 2, "Port `65536`"),
        (
            "Host a\n  ProxyJump a b\n",
            2,
            "`ProxyJump` takes one argument",
        ),
    ];
    for (text, line, message) in cases {
        let err = config_err(text);
        let prefix = format!("ssh config test.ssh.config:{line}: ");
        assert!(
            err.starts_with(&prefix) && err.contains(message),
            "{text:?}: {err}"
        );
    }
    // IgnoreUnknown before the line skips it, as in `ssh`; after it does not.
    config("IgnoreUnknown UseKeychain,Add*\nHost a\n  UseKeychain yes\n  AddFoo 1\n");
    let err = config_err("Host a\n  UseKeychain yes\nIgnoreUnknown UseKeychain\n");
    assert!(err.starts_with("ssh config test.ssh.config:2: "), "{err}");
    // Every OpenSSH keyword swarmadm does not use is accepted, with
    // values only `ssh` reads.
    config(
        "Host *\n  ForwardAgent $SSH_AUTH_SOCK\n  ConnectTimeout 1m\n  AddKeysToAgent confirm 1h\n  SendEnv LANG LC_*\n  ServerAliveInterval 30\n  Ciphers +aes128-cbc\n",
    );
}

#[test]
fn an_error_in_an_included_file_names_that_file_and_line() {
    let (dir, env) = home_with(&[
        ("config", "Host *\n  Include extra\n"),
        ("extra", "# extra\nUser ok\nPort 22 23\n"),
    ]);
    let err = load(&dir, env.clone()).unwrap_err();
    let extra = dir.path().join(".ssh/extra");
    assert_eq!(
        err,
        format!(
            "ssh config {}:3: `Port` takes one argument, got 2: `22 23` (OpenSSH refuses extra arguments too; quote a value that has spaces)",
            extra.display()
        )
    );
    std::fs::write(&extra, "\nConnectTimeout 1m\n").unwrap();
    let err = load(&dir, env.clone()).unwrap_err();
    assert!(
        err.starts_with(&format!(
            "ssh config {}:2: connecttimeout `1m`",
            extra.display()
        )),
        "{err}"
    );
    std::fs::write(&extra, "\n\nRemoteForward bad\n").unwrap();
    let err = load(&dir, env.clone()).unwrap_err();
    assert!(
        err.starts_with(&format!(
            "ssh config {}:3: `remoteforward bad`: invalid RemoteForward arguments",
            extra.display()
        )),
        "{err}"
    );
    // `Include /dev/null` is an empty file, as in `ssh`.
    std::fs::write(
        dir.path().join(".ssh/config"),
        "Include /dev/null\nHost n1\n  User x\n",
    )
    .unwrap();
    assert_eq!(resolve(&load(&dir, env).unwrap(), "n1").hop.user, "x");
}

#[test]
fn values_from_the_ssh_config_are_blamed_on_its_line() {
    let file = config("Host n1\n  HostName \"bad host\"\nHost n2\n  User \"co re\"\n");
    let err = file
        .resolve("n1", &SshSettings::default(), &SshSettings::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("ssh config test.ssh.config:2: for host `n1`: HostName `bad host`: `bad host` is not a valid host name: it contains whitespace"),
        "{err}"
    );
    let err = file
        .resolve("n2", &SshSettings::default(), &SshSettings::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "ssh config test.ssh.config:4: for host `n2`: User `co re`: expected a user name without whitespace or control characters, got `co re`"
    );
    // A user set by the inventory wins: the config's bad one is not used.
    let node = SshSettings {
        user: Some("core".into()),
        ..SshSettings::default()
    };
    assert_eq!(
        file.resolve("n2", &node, &SshSettings::default())
            .unwrap()
            .hop
            .user,
        "core"
    );
    // A huge value is quoted in part, not whole.
    let huge = format!("Host n1\n  HostName {}\n", "a".repeat(180_000));
    let err = config(&huge)
        .resolve("n1", &SshSettings::default(), &SshSettings::default())
        .unwrap_err()
        .to_string();
    assert!(err.len() < 1_000, "{} bytes", err.len());
    assert!(err.contains("(180000 bytes in all)"), "{err}");
}

#[test]
fn dev_null_is_no_config() {
    let file = SshConfigFile::choose(Some(Path::new("/dev/null")), None, env()).unwrap();
    assert_eq!(file.path(), None);
    let file = SshConfigFile::choose(None, Some(Path::new("/dev/null")), env()).unwrap();
    assert_eq!(resolve(&file, "n1").hop.host, "n1");
}

#[test]
fn missing_files_are_errors_naming_them() {
    let missing = Path::new("/nonexistent/swarmadm-test/ssh.config");
    let err = SshConfigFile::choose(Some(missing), None, env())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/nonexistent/swarmadm-test/ssh.config"),
        "{err}"
    );
    assert!(err.contains("-F"), "{err}");
    let err = SshConfigFile::choose(None, Some(missing), env())
        .unwrap_err()
        .to_string();
    assert!(err.contains("`ssh_config`"), "{err}");
}

#[test]
fn user_default_is_optional() {
    let dir = tempfile::tempdir().unwrap();
    let home_env = LocalEnv {
        home: Some(dir.path().to_owned()),
        user: Some("tester".into()),
    };
    let file = SshConfigFile::choose(None, None, home_env.clone()).unwrap();
    assert_eq!(file.path(), None);
    std::fs::create_dir(dir.path().join(".ssh")).unwrap();
    std::fs::write(dir.path().join(".ssh/config"), "Host n1\n  User fromhome\n").unwrap();
    let file = SshConfigFile::user_default_with(home_env).unwrap();
    assert_eq!(file.path(), Some(dir.path().join(".ssh/config").as_path()));
    assert_eq!(resolve(&file, "n1").hop.user, "fromhome");
}
