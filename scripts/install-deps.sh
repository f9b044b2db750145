#!/usr/bin/env bash
# Install the Debian packages socket-snoop's build needs (install-deps.sh build:
# `make run`), or those of the build, tests and benchmarks (no argument: `make test`).
# Idempotent and quiet when everything is already there.
set -euo pipefail

build_packages=(make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config)
packages=(
	"${build_packages[@]}"
	libcmocka-dev bats jq iproute2 nftables shellcheck cppcheck clang-format
	util-linux procps binutils
	clang-tidy libclang-rt-14-dev
	prometheus
	# tests/e2e 88, 91: real servers, started by the tests themselves
	nginx apache2 memcached nsd
	# tests/e2e 80: a stray ACK crafted by hping3; 81, 91: python3 clients;
	# 70: tcpdump, which tcpsnoop's rows are compared with frame by frame, sshd
	# and ssh sessions, ethtool (TSO off: one frame per segment)
	hping3 python3 tcpdump openssh-server openssh-client ethtool
	bash-completion file locales
	# tests/deploy 30, 40: podman with runc (crun 1.8 refuses cgroup v1/v2 hybrids;
	# listed, runc also keeps apt from choosing crun) and catatonit (kube play's pause
	# image); Node.js for the manifest validator (npm comes with NodeSource's nodejs;
	# Debian's own npm package conflicts with it)
	podman runc catatonit nodejs
	# tests/deploy 20, 25: a Debian root file system (mmdebstrap) booted with
	# systemd-nspawn; logrotate for checking the snippet on the host too
	systemd-container mmdebstrap logrotate
)

if [ "${1:-}" = build ]; then
	packages=("${build_packages[@]}")
elif [ $# -gt 0 ]; then
	echo "usage: install-deps.sh [build]" >&2
	exit 64
fi

missing=()
# npm comes with NodeSource's nodejs; Debian's nodejs needs Debian's npm.
if [ "${1:-}" != build ] && ! command -v npm >/dev/null 2>&1 &&
	! dpkg-query -W -f='${Version}' nodejs 2>/dev/null | grep -q nodesource; then
	missing+=(npm)
fi
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (sudo make ...) to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Servers installed for the tests only (promtool comes only with the Prometheus
# server; the e2e tests start their own nginx, apache2, memcached, nsd and sshd): on a
# host where they were not installed, the install starts none and none is enabled
# at boot (nsd would otherwise take port 53 of the host).
quiet_servers=()
for s in prometheus nginx apache2 memcached nsd openssh-server; do
	if [[ " ${missing[*]} " == *" $s "* ]]; then
		quiet_servers+=("$s")
	fi
done
if [ ${#quiet_servers[@]} -gt 0 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 0755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
else
	quiet_servers=()
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ ${#quiet_servers[@]} -gt 0 ] && [ -d /run/systemd/system ]; then
	for s in "${quiet_servers[@]}"; do
		case $s in
		openssh-server) systemctl disable --quiet ssh.service ssh.socket 2>/dev/null || true ;;
		*) systemctl disable --quiet "$s.service" 2>/dev/null || true ;;
		esac
		# apache2's second unit
		[ "$s" != apache2 ] || systemctl disable --quiet apache-htcacheclean.service 2>/dev/null || true
	done
	echo "install-deps: installed for the tests only, not started and disabled:" \
		"${quiet_servers[*]} (systemctl enable --now NAME to use one)" >&2
fi
