//! How a node's SSH target is resolved, as `ssh alias` would: node-level
//! values, then the ssh config, then the inventory's `[defaults]`, then the
//! built-ins; ProxyJump hops through the config; identity and known_hosts
//! files with their tokens expanded; `ProxyCommand` refused.

use std::path::PathBuf;

use ssh2_config::HostParams;

use super::error::SshValueError;
use super::tokens::{HOSTNAME_TOKENS, PATH_TOKENS, Tokens, percent_expand};
use super::values::{active_jumps, field, first, parse_jump, parse_policy, parse_yes_no};
use super::{DEFAULT_IDENTITY_FILES, DEFAULT_PORT, SshConfigFile, SshSettings};
use crate::inventory::address::check_ssh_address;
use crate::inventory::validate::check_user;
use crate::inventory::{
    DEFAULT_SOCKET, IdentityOrigin, InventoryError, SshConfigUsed, SshHop, SshTarget,
};
use crate::model::names::shown;

/// How deep ProxyJump hops may chain through the config before we call it a loop.
const MAX_JUMP_DEPTH: usize = 8;

impl SshConfigFile {
    /// How to reach the host `alias` (the node's address, else its name),
    /// as `ssh alias` would with `node`'s values on the command line and
    /// `defaults` below the ssh config.
    pub fn resolve(
        &self,
        alias: &str,
        node: &SshSettings,
        defaults: &SshSettings,
    ) -> Result<SshTarget, InventoryError> {
        let params = self.config.query(alias);
        let hop = self.hop(alias, &params, node, defaults)?;
        let jumps = match active_jumps(&params) {
            Some(specs) => self.jumps(specs, defaults, 1)?,
            None => Vec::new(),
        };
        let socket = node
            .socket
            .clone()
            .or_else(|| defaults.socket.clone())
            .unwrap_or_else(|| DEFAULT_SOCKET.to_owned());
        Ok(SshTarget {
            hop,
            jumps,
            socket,
            alias: alias.to_owned(),
            ssh_config: self.path.clone().map(|path| SshConfigUsed {
                path,
                origin: self.origin,
            }),
        })
    }

    /// The hops of a ProxyJump list, outermost first. The first hop is
    /// itself reached the way the config says (its own ProxyJump applies);
    /// the later ones go through the hops before them, as with `ssh -J`.
    fn jumps(
        &self,
        specs: &[String],
        defaults: &SshSettings,
        depth: usize,
    ) -> Result<Vec<SshHop>, InventoryError> {
        if depth > MAX_JUMP_DEPTH {
            let spec = specs.join(",");
            return Err(self.error_at(
                "proxyjump",
                &spec,
                None,
                format!(
                    "ProxyJump chains through more than {MAX_JUMP_DEPTH} hops (`{}`): is there a loop?",
                    shown(&spec)
                ),
            ));
        }
        // Jump hosts are not nodes: the inventory's users, ports and keys
        // are not theirs. Only its extra known_hosts files apply.
        let below = SshSettings {
            known_hosts_files: defaults.known_hosts_files.clone(),
            ..SshSettings::default()
        };
        let mut hops = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let jump = parse_jump(spec).map_err(|m| self.error(m))?;
            let params = self.config.query(&jump.host);
            if i == 0
                && let Some(own) = active_jumps(&params)
            {
                hops.extend(self.jumps(own, defaults, depth + 1)?);
            }
            let above = SshSettings {
                user: jump.user,
                port: jump.port,
                ..SshSettings::default()
            };
            hops.push(self.hop(&jump.host, &params, &above, &below)?);
        }
        Ok(hops)
    }

    /// One hop: `above` (node-level values, or the user and port written in
    /// a ProxyJump) beats the ssh config `params`, which beat `below`.
    fn hop(
        &self,
        alias: &str,
        params: &HostParams,
        above: &SshSettings,
        below: &SshSettings,
    ) -> Result<SshHop, InventoryError> {
        let in_host = |m: SshValueError| self.error(format!("for host `{}`: {m}", shown(alias)));
        self.refuse_proxy_command(params, alias)?;
        let host = match &params.host_name {
            Some(name) => {
                let at = |m: String| self.error_at("hostname", name, Some(alias), m);
                let host = percent_expand(name, Some(&Tokens::alias_only(alias)), HOSTNAME_TOKENS)
                    .map_err(|e| at(e.to_string()))?;
                // Blamed on the ssh config's line, not on the inventory.
                check_ssh_address(&host)
                    .map_err(|m| at(format!("HostName `{}`: {m}", shown(name))))?;
                host
            }
            None => alias.to_owned(),
        };
        let user = match (&above.user, &params.user) {
            (None, Some(user)) => {
                check_user(user).map_err(|m| {
                    self.error_at(
                        "user",
                        user,
                        Some(alias),
                        format!("User `{}`: {m}", shown(user)),
                    )
                })?;
                Some(user.clone())
            }
            (above, _) => above.clone(),
        };
        let user = user
            .or_else(|| below.user.clone())
            .or_else(|| self.env.user.clone())
            .ok_or_else(|| InventoryError::NoUser {
                host: alias.to_owned(),
            })?;
        let port = above
            .port
            .or(params.port)
            .or(below.port)
            .unwrap_or(DEFAULT_PORT);
        let tokens = Tokens {
            alias,
            host: &host,
            port,
            remote_user: &user,
            local_user: self.env.user.as_deref(),
            home: self.env.home.as_deref(),
        };
        let (identity_files, identity_origin) = self
            .identities(params, above, below, &tokens)
            .map_err(in_host)?;
        let mut known_hosts_files = above.known_hosts_files.clone();
        known_hosts_files.extend(below.known_hosts_files.iter().cloned());
        known_hosts_files.extend(self.known_hosts(params, &tokens).map_err(in_host)?);
        let identities_only = match field(params, "IdentitiesOnly") {
            Some(args) => parse_yes_no("IdentitiesOnly", first(args)).map_err(in_host)?,
            None => false,
        };
        let host_key_policy = field(params, "StrictHostKeyChecking")
            .map(|args| parse_policy(first(args)))
            .transpose()
            .map_err(in_host)?;
        Ok(SshHop {
            host,
            port,
            user,
            identity_files,
            identity_origin,
            identities_only,
            known_hosts_files,
            host_key_policy,
        })
    }

    /// The strongest layer that names identity files wins; they do not add
    /// up (like `ssh`, which only falls back to its defaults when no
    /// IdentityFile is configured).
    fn identities(
        &self,
        params: &HostParams,
        above: &SshSettings,
        below: &SshSettings,
        tokens: &Tokens,
    ) -> Result<(Vec<PathBuf>, IdentityOrigin), SshValueError> {
        if let Some(files) = &above.identity_files {
            return Ok((files.clone(), IdentityOrigin::Inventory));
        }
        if let Some(files) = &params.identity_file {
            let mut expanded = Vec::new();
            for file in files {
                let raw = file.to_string_lossy();
                // `IdentityFile none` means: no identity file at all.
                if !raw.eq_ignore_ascii_case("none") {
                    expanded.push(PathBuf::from(percent_expand(
                        &raw,
                        Some(tokens),
                        PATH_TOKENS,
                    )?));
                }
            }
            return Ok((expanded, IdentityOrigin::SshConfig));
        }
        if let Some(files) = &below.identity_files {
            return Ok((files.clone(), IdentityOrigin::Inventory));
        }
        let builtin = match &self.env.home {
            Some(home) => DEFAULT_IDENTITY_FILES
                .iter()
                .map(|name| home.join(".ssh").join(name))
                .collect(),
            None => Vec::new(),
        };
        Ok((builtin, IdentityOrigin::BuiltIn))
    }

    /// `UserKnownHostsFile` paths, tokens and `~` expanded; `none` is
    /// `/dev/null`, as in `ssh`.
    fn known_hosts(
        &self,
        params: &HostParams,
        tokens: &Tokens,
    ) -> Result<Vec<PathBuf>, SshValueError> {
        let Some(args) = field(params, "UserKnownHostsFile") else {
            return Ok(Vec::new());
        };
        let mut files = Vec::new();
        for arg in args {
            if arg.eq_ignore_ascii_case("none") {
                files.push(PathBuf::from("/dev/null"));
                continue;
            }
            let expanded = percent_expand(arg, Some(tokens), PATH_TOKENS)?;
            // Relative paths stay relative to the working directory, as in `ssh`.
            files.push(match (expanded.strip_prefix('~'), &self.env.home) {
                (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
                    home.join(rest.trim_start_matches('/'))
                }
                _ => PathBuf::from(expanded),
            });
        }
        Ok(files)
    }

    /// `ProxyCommand` decides where the connection goes: swarmadm does not
    /// run it, so a host that uses one is refused rather than reached
    /// directly. `ProxyCommand none` is fine.
    fn refuse_proxy_command(&self, params: &HostParams, alias: &str) -> Result<(), InventoryError> {
        let Some(args) = field(params, "ProxyCommand") else {
            return Ok(());
        };
        if args.is_empty() || first(args).eq_ignore_ascii_case("none") {
            return Ok(());
        }
        let command = args.join(" ");
        let message = format!(
            "for host `{}`: ProxyCommand `{}` is not supported: swarmadm speaks SSH \
             itself and will not connect around it; use ProxyJump, or `ProxyCommand none` \
             for the hosts swarmadm manages",
            shown(alias),
            shown(&command)
        );
        let commands = || self.lines.iter().filter(|d| d.keyword == "proxycommand");
        match commands()
            .find(|d| d.args == command)
            .or_else(|| commands().next())
        {
            Some(directive) => Err(directive.error(message)),
            None => Err(self.error(message)),
        }
    }
}
