# swarmadm: `just --list` reads as the manual.

set shell := ["bash", "-euo", "pipefail", "-c"]

lab_name := env_var_or_default("SWARMADM_LAB", "lab")
lab_dir := "/var/tmp/swarmadm-lab/" + lab_name
lab_inventory := lab_dir + "/inventory.toml"
bin := "target/debug/swarmadm"
install_root := env_var_or_default("CARGO_INSTALL_ROOT", home_directory() / ".cargo")
engine_dir := "/var/tmp/swarmadm-engines/docker-26.1"
# The workload image `lab up` loads into every node (from /bin/busybox)
lab_image := "swarmadm-lab/busybox:1"

# List the recipes
default:
    @just --list --unsorted

# Install the Debian packages the lab and the tests need (root; idempotent)
setup:
    #!/usr/bin/env bash
    set -euo pipefail
    missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
    command -v ssh-keygen >/dev/null || missing+=(openssh-client)
    command -v ip >/dev/null || missing+=(iproute2)
    command -v nsenter >/dev/null || missing+=(util-linux)
    command -v ruby >/dev/null || missing+=(ruby)
    command -v python3 >/dev/null || missing+=(python3)
    command -v tmux >/dev/null || missing+=(tmux)
    command -v iptables >/dev/null || missing+=(iptables)
    [ -x /bin/busybox ] || missing+=(busybox-static)
    command -v man >/dev/null || missing+=(man-db)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi

# Build swarmadm, swarm-up, swarm-verify and swarm-down
build:
    cargo build --bins

# Install swarmadm, swarm-up, swarm-verify, swarm-down into ROOT/bin, man pages into ROOT/share/man/man1 (ROOT: ~/.cargo)
install root=install_root:
    cargo install --path . --locked --root "{{root}}"
    "{{root}}/bin/swarmadm" man "{{root}}/share/man/man1"
    @echo "installed swarmadm, swarm-up, swarm-verify and swarm-down into {{root}}/bin and their man pages into {{root}}/share/man/man1"

# The main job on a local lab: lab up, swarm-up, swarm-verify (with the workload on the lab's image), status (root)
demo: setup build lab-down lab-up (swarm-up lab_inventory) (swarm-verify lab_inventory "--workload --workload-image" lab_image) (status lab_inventory)

# Start a local lab of real nodes (root); e.g. `just lab-up 3 30 --latency 25ms`
lab-up managers="3" workers="3" *args="": build
    {{bin}} lab up --name {{lab_name}} --managers {{managers}} --workers {{workers}} {{args}}

# Fetch docker.io 26.1 from Debian trixie into DIR, for `lab up --dockerd DIR` (installs nothing)
fetch-engine dir=engine_dir:
    bench/fetch-engine {{dir}}

# Remove the local lab: every process, namespace, link and file it made
lab-down: build
    {{bin}} lab down --name {{lab_name}}

# Converge the nodes of an inventory into the swarm it describes
swarm-up inventory=lab_inventory *args="": build
    target/debug/swarm-up -i {{inventory}} {{args}}

# Check the cluster against the inventory, read-only (exit 0/1/2)
swarm-verify inventory=lab_inventory *args="": build
    target/debug/swarm-verify -i {{inventory}} {{args}}

alias smoketest := swarm-verify

# Dissolve the inventory's swarm: workers leave, then managers, the leader last (asks first; --yes to skip)
swarm-down inventory=lab_inventory *args="": build
    target/debug/swarm-down -i {{inventory}} {{args}}

# Show every node of an inventory: engine, swarm state, role, availability
status inventory=lab_inventory *args="": build
    {{bin}} status -i {{inventory}} {{args}}

# Start the Vagrant VMs and write their ssh config to ssh.config
vagrant:
    vagrant up
    vagrant ssh-config > ssh.config

# Vagrant VMs, then swarm-up on them (what `make up` did)
up: vagrant (swarm-up "config/vagrant.toml")

# Dissolve the Vagrant VMs' swarm (the reverse of `just up`; the VMs stay)
down *args="": (swarm-down "config/vagrant.toml" args)

# Destroy the Vagrant VMs and remove generated files
clean:
    -vagrant destroy -f
    rm -rf ssh.config .vagrant bench/__pycache__

# Run every test: unit tests and integration tests against real labs, also on docker 26.1 (root)
test: setup fetch-engine
    cargo build --bins
    cargo nextest run --no-fail-fast

# The long lab tests `just test` leaves out (#[ignore]): cold 3+100 five times, about 30 minutes (root)
test-scale: setup
    cargo build --bins
    cargo nextest run --test lab_scale --run-ignored ignored-only

# Benchmark swarmadm against the docker CLI over ssh:// and on local sockets (root; --quick for a smoke run)
bench *args="": setup
    cargo build --release --bins
    cargo build --release --features fake-bench --bin swarmadm-fake-bench
    bench/run {{args}}

# Format check and clippy with warnings as errors, with and without the lab feature
lint:
    cargo fmt --all --check
    cargo clippy --all-targets -- -D warnings
    cargo clippy --no-default-features --all-targets -- -D warnings
    cargo clippy --features fake-bench --bins -- -D warnings
