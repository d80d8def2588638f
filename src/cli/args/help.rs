//! The long help after each command's options (`--help`): exit codes and
//! examples, kept apart from the options they follow.

pub(super) const STATUS_AFTER_HELP: &str = "\
Exit codes: 0 every node was reached and none is locked or in error, 1 a node could \
not be reached, is locked or in swarm state error, or the swarm has a problem (quorum \
lost), 2 nothing could be done (bad arguments, inventory or a file it names).

Example:
  swarmadm status -i inventories/vagrant.ini -F ssh.config --output json";

pub(super) const INVENTORY_AFTER_HELP: &str = "\
Exit codes: 0 the inventory and the ssh config load, 2 they do not (the error names the \
file and line or key).

Example:
  swarmadm inventory -i inventories/vagrant.ini -F ssh.config";

pub(super) const UP_AFTER_HELP: &str = "\
Exit codes: 0 converged (--check: nothing would change), 1 a node failed, or the \
plan was refused and nothing was changed (no leader confirmed: quorum lost, the leader \
changing, or too few managers reachable from here; nodes in another swarm) (--check: \
something would change), 2 nothing could be done: bad arguments or inventory, an \
unlock key file refused, or the result could not be written.

Examples:
  swarmadm up -i config/vagrant.toml --dry-run
  swarmadm up -i config/vagrant.toml --check
  swarmadm up -i config/vagrant.toml --prune --dry-run
  swarmadm up -i inventories/vagrant.ini -F ssh.config --parallel 8";

pub(super) const DOWN_AFTER_HELP: &str = "\
`down` is the only command that makes nodes leave a swarm: `up` never does \
(`up --prune` removes the entries of nodes it cannot reach), and `remove` \
only makes the inventory nodes it names leave.

Exit codes: 0 dissolved (or no inventory node was in a swarm), 1 a node \
failed (run `down` again: it goes on from there), 2 nothing was touched: \
refused (a foreign swarm, no leader confirmed by a majority of the \
managers, an unreachable manager), not \
confirmed, or no terminal to ask on and no --yes.

Examples:
  swarmadm down -i config/vagrant.toml --dry-run
  swarmadm down -i config/vagrant.toml --yes";

pub(super) const REMOVE_AFTER_HELP: &str = "\
A node named by its inventory name is reached over SSH and leaves the swarm \
itself; take it out of the inventory too, or the next `up` joins it again. A \
node named by hostname or NodeID is not in the inventory: swarmadm cannot \
reach it, so its entry is removed with force after it was drained (and \
demoted); run `docker swarm leave --force` on that machine if it still says \
it is in a swarm.

Exit codes: 0 removed (another node out of reach is named, not a failure), 1 a node \
failed or was refused (quorum), 2 nothing could be done (a name not in the swarm, no \
manager reachable).

Examples:
  swarmadm remove -i config/vagrant.toml swarm-worker-03 --dry-run
  swarmadm remove -i config/vagrant.toml old-worker-7";

pub(super) const CONTEXT_AFTER_HELP: &str = "\
The docker CLI's ssh:// transport runs `docker system dial-stdio` on the node \
over your ssh: the node needs the docker CLI installed, its host key in your \
known_hosts, and an ssh user that is root or in the docker group. Plain ssh \
reads only ~/.ssh/config (of the home in the user database) and what it \
includes: DOCKER_HOST is ssh://NAME when plain `ssh NAME` reaches the leader \
as swarmadm does; otherwise it says what is missing (a config given with -F, \
a key or known_hosts file that plain ssh does not use) and `swarmadm tunnel` \
is the way.

Exit codes: 0 printed (and created, and checked; a node out of reach is named, the \
leader is the managers' word), 1 the docker CLI's ssh would not reach the leader, \
--check failed, or the docker context could not be created, 2 no leader that is an \
inventory node could be found.

Examples:
  eval \"$(swarmadm context -i inventories/vagrant.ini)\" && docker node ls
  swarmadm context -i inventories/vagrant.ini --check
  swarmadm context -i config/vagrant.toml --create vagrant-swarm";
pub(super) const TUNNEL_AFTER_HELP: &str = "\
The socket is made with mode 0600, by default in $XDG_RUNTIME_DIR/swarmadm/, \
else /tmp/swarmadm-UID/ (a directory only you may enter), named \
tunnel-INVENTORY[-NODE].sock. Beside it, PATH.lock (locked while serving, \
with the tunnel's pid) marks it as the tunnel's own: a path that exists \
without one is refused and left alone; a socket left by a tunnel that died \
is replaced.

Before each new client connection the tunnel checks that the node it serves \
is still the Raft leader; when it is not, or its connection dropped, the \
leader is looked for again and the switch is logged on stderr.

Exit codes: 0 served until interrupted, 2 could not start (no leader, the \
node unreachable, the socket path refused).

Examples:
  swarmadm tunnel -i inventories/vagrant.ini -F ssh.config    # then the printed export line
  swarmadm tunnel -i inventories/vagrant.ini -F ssh.config --socket /tmp/swarm.sock &
  until [ -S /tmp/swarm.sock ]; do sleep 0.1; done
  docker -H unix:///tmp/swarm.sock stack deploy -c stack.yml app";

pub(super) const ROTATE_AFTER_HELP: &str = "\
Existing members are not affected: nodes that already joined keep working; only new joins \
need the new token. Tokens and keys are never printed.

Exit codes: 0 rotated (the tokens are the swarm's: a node out of reach is named, not a \
failure), 1 a rotation could not be confirmed (or the root CA did not reach every node in \
time), 2 nothing was rotated.

Examples:
  swarmadm rotate-tokens -i config/vagrant.toml
  swarmadm rotate-tokens -i config/vagrant.toml --worker
  swarmadm rotate-tokens -i config/vagrant.toml --unlock-key --unlock-key-file ~/.swarm-unlock.key
  swarmadm rotate-tokens -i config/vagrant.toml --ca --ca-timeout 600";

pub(super) const RECOVER_AFTER_HELP: &str = "\
A manager that does not answer at all (not even SSH) may only be cut off: \
forcing a new cluster then makes a second swarm, so `recover` refuses and \
names it. --lost NODE asserts that NODE's manager is gone for good: its \
machine will not run its engine again with its current swarm state while the \
recovered swarm runs. A lost manager that comes back later, wiped or with its \
old state, joins again with `swarmadm up`.

With autolock on (the inventory's `autolock = true`, or a locked survivor) \
`recover` refuses: Docker 20.10 cannot force a new cluster from encrypted \
state (moby/moby#36852; a locked manager refuses the init, `swarm unlock` \
waits for a leader that cannot come back). Bring back a majority of the \
managers and `swarmadm unlock`, or recreate the swarm.

Exit codes: 0 recovered, and every node that answers converged; 1 a step \
failed (the init, removing an entry, a node's converge), or fewer objects \
are listed than before; 2 nothing was changed: refused (the loss is not \
proven, quorum is not lost, autolock), not confirmed, or no terminal to ask \
on and no --yes.

Examples:
  swarmadm recover -i config/vagrant.toml --dry-run
  swarmadm recover -i config/vagrant.toml --yes
  swarmadm recover -i config/vagrant.toml --lost swarm-manager-03 --survivor swarm-manager-01";

pub(super) const UNLOCK_AFTER_HELP: &str = "\
The key comes from --unlock-key-file PATH (a file only its owner can read), else from \
$SWARMADM_UNLOCK_KEY. It is never printed.

Exit codes: 0 every locked node was unlocked (or none was locked), 1 a node could not be \
unlocked, or could not be reached (it may be locked: it is named), 2 no key or no usable \
key file.

Example:
  swarmadm unlock -i config/vagrant.toml --unlock-key-file ~/.swarm-unlock.key";

pub(super) const VERIFY_AFTER_HELP: &str = "\
Exit codes: 0 conforms, 1 a delta was found (an unreachable node is one; also: quorum \
lost, the leader changing, or too few managers reachable from here to tell), 2 no manager \
of the inventory is reachable, or the --junit file cannot be written there (checked \
before connecting; the report is still printed if writing fails later).

Example:
  swarmadm verify -i config/vagrant.toml --junit verify.xml";
