#!/usr/bin/env bash
# The container check: the image and the compose files run by a real engine, as the
# city's team runs them (README "Docker"), on a machine with no Docker and no registry
# but npm's and Debian's. `.ci/run` runs it; by hand: `bash scripts/container-check.sh`.
#
# - Engine: Debian's podman (runc, a containers.conf of its own) with docker-compose 1.29
#   driving podman's Docker-compatible API, installed when missing.
# - Everything it makes lives under one scratch folder: podman's storage and networks,
#   its API socket, a copy of the checkout. It is all removed at the end, on failure and
#   on a signal too, and no other podman user of the machine is touched.
# - Base images cannot be pulled, so stand-ins are built under the upstream tags the
#   Dockerfile and the compose file name (scripts/container-check/stand-ins/): Debian
#   from debootstrap, oven/bun with npm's bun binary, postgres and haproxy from Debian's
#   packages (other minor versions than the tags say).
# - The scenarios themselves are scripts/container-check/scenarios.ts.
#
# Prints one line per scenario and ends with "container check: N passed, M failed in …".
# CITYBASE_BUILD_CA: a PEM file of CA certificates for the image's dependency install
# (TLS-intercepting proxies); default the host's bundle, when it exists.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
started=$SECONDS

say() { printf '%s\n' "$*"; }
finish() {
	local passed=$1 failed=$2
	local took=$((SECONDS - started))
	say "container check: ${passed} passed, ${failed} failed in $((took / 60))m$((took % 60))s"
}

# --- the engine ------------------------------------------------------------------------
needed=(podman buildah runc docker-compose debootstrap catatonit slirp4netns fuse-overlayfs uidmap)
missing=()
for package in "${needed[@]}"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing Debian's ${missing[*]}"
	if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1; then
		say "not ok - the engine: apt-get could not install ${missing[*]}"
		finish 0 1
		exit 1
	fi
fi

scratch=$(mktemp -d /tmp/citybase-container-check-XXXXXX)
id=$(basename "$scratch" | tr -dc 'a-z0-9' | tail -c 6)
service_pid=""
scheduler_pid=""

cleanup() {
	trap - EXIT INT TERM
	if [ -n "$scheduler_pid" ]; then kill "$scheduler_pid" 2>/dev/null; wait "$scheduler_pid" 2>/dev/null; fi
	# Only this check's own podman (its storage), never the machine's: containers first
	# (their ports, their veths), then what they used.
	local own="$scratch/bin/podman"
	if [ -x "$own" ]; then
		timeout 120 "$own" rm --all --force --time 0 >/dev/null 2>&1
		timeout 60 "$own" volume rm --all --force >/dev/null 2>&1
		timeout 60 "$own" network rm --force "cbc${id}" >/dev/null 2>&1
		timeout 120 "$own" image rm --all --force >/dev/null 2>&1
	fi
	if [ -n "$service_pid" ]; then kill "$service_pid" 2>/dev/null; wait "$service_pid" 2>/dev/null; fi
	# Anything still mounted under the scratch folder (a storage layer of a run cut short).
	grep -o " $scratch[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$scratch/bin" "$scratch/networks"
# crun fails on this kind of machine (setrlimit, hybrid cgroups): runc, lower ulimits.
cat >"$scratch/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[network]
network_config_dir = "$scratch/networks"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF="$scratch/containers.conf"
# `podman` below is this check's own: its storage, its run state, its networks.
real_podman=$(command -v podman)
cat >"$scratch/bin/podman" <<EOF
#!/bin/sh
exec "$real_podman" --root "$scratch/storage" --runroot "$scratch/run" "\$@"
EOF
chmod +x "$scratch/bin/podman"
export PATH="$scratch/bin:$PATH"

# One network for every container of the check, with a bridge name and a subnet of its
# own, so another check running at the same time on this machine shares neither.
subnet=""
for _ in $(seq 1 50); do
	candidate="10.$((RANDOM % 100 + 120)).$((RANDOM % 250 + 1))"
	ip route | grep -q "^${candidate}\." || { subnet=$candidate; break; }
done
cat >"$scratch/networks/cbc${id}.json" <<EOF
{
  "name": "cbc${id}",
  "id": "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')",
  "driver": "bridge",
  "network_interface": "cbc${id}",
  "created": "$(date -u +%Y-%m-%dT%H:%M:%S.000000000Z)",
  "subnets": [{ "subnet": "${subnet}.0/24", "gateway": "${subnet}.1" }],
  "ipv6_enabled": false,
  "internal": false,
  "dns_enabled": true,
  "ipam_options": { "driver": "host-local" }
}
EOF

podman system service --time=0 "unix://$scratch/podman.sock" >"$scratch/podman-service.log" 2>&1 &
service_pid=$!
for _ in $(seq 1 100); do [ -S "$scratch/podman.sock" ] && break; sleep 0.1; done
export DOCKER_HOST="unix://$scratch/podman.sock"

# There is no systemd here, so podman never runs a HEALTHCHECK on its own: this loop is
# the engine's scheduler (compose's depends_on service_healthy waits on it).
(
	while sleep 2; do
		for container in $(podman ps --quiet --filter health=starting --filter health=healthy --filter health=unhealthy 2>/dev/null); do
			timeout 20 podman healthcheck run "$container" >/dev/null 2>&1 &
		done
		wait
	done
) &
scheduler_pid=$!

# --- the checkout, as a fresh clone would have it ------------------------------------------
app="$scratch/app"
mkdir -p "$app"
git ls-files -z | xargs -0 cp --parents --target-directory="$app"
ca=${CITYBASE_BUILD_CA:-/etc/ssl/certs/ca-certificates.crt}
[ -f "$ca" ] && cp "$ca" "$app/build-ca.pem"

# --- the scenarios ---------------------------------------------------------------------------
bun_version=$(node -p 'require("./package.json").devDependencies.bun.replace(/^[^0-9]*/, "")')
CHECK_SCRATCH="$scratch" CHECK_APP="$app" CHECK_ID="$id" CHECK_NETWORK="cbc${id}" CHECK_BUN_VERSION="$bun_version" \
	timeout --signal TERM --kill-after 30 1500 npx bun scripts/container-check/scenarios.ts
status=$?
summary=$(grep -Eo '^[0-9]+ passed, [0-9]+ failed$' "$scratch/summary" 2>/dev/null)
if [ -z "$summary" ]; then
	say "not ok - the scenarios ended without a summary (exit $status)"
	finish 0 1
	exit 1
fi
finish "${summary%% passed*}" "$(echo "$summary" | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+')"
[ "$status" -eq 0 ]
