# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# rootfs.sh - sourced by the deployment tests that need systemd as PID 1
# (20-systemd.sh, 25-logrotate.sh): a Debian 12 root file system, built with
# mmdebstrap and cached in $DEPLOY_CACHE, and a container booted from it with
# systemd-nspawn.
#
#   rootfs_ensure     ROOTFS_DIR: the cached tree, built first when missing
#   ct_prepare NAME   CT_ROOT: a writable overlay on ROOTFS_DIR (install into it)
#   ct_install [MAKE ARGS]
#                     make [ARGS] install DESTDIR=CT_ROOT, and the unit and the
#                     logrotate snippet where systemd and logrotate read them
#   ct_boot           boot CT_ROOT with systemd as PID 1; CT_LEADER is its PID 1
#   ct CMD...         run CMD inside the container (all its namespaces)
#   ct_host_pid PID   the host's PID of the container's process PID
#   ct_cursor         the container's journal position now
#   ct_journal CURSOR JQ
#                     MESSAGE of each journal entry after CURSOR that the jq
#                     condition JQ holds for (fields: .SYSLOG_IDENTIFIER,
#                     .PRIORITY, ._PID, .UNIT; strings)
#   ct_diag           what helps to see why a test failed (to stderr); fail
#                     (lib.sh) runs it
#   ct_cleanup        power off, unmount, remove: safe at exit, twice
#
# and what 20-systemd.sh and 25-logrotate.sh share on top of these:
#
#   ct_setup NAME [CMD...]
#                     the checks of such a test (root, the unit and the
#                     logrotate snippet of deploy/, systemd-nspawn, jq and
#                     each CMD), ct_cleanup at exit, rootfs_ensure, and
#                     ct_prepare NAME-PID
#   ct_show PROPERTY [UNIT]
#                     systemctl show's value of PROPERTY of UNIT (default the
#                     service, UNIT)
#   ct_log_has RE [FILE]
#                     the container's FILE (default the service's LOG) has a
#                     line matching RE
#   ct_said CURSOR [PRIORITY]
#                     what socket-snoop itself wrote to the journal after
#                     CURSOR, at PRIORITY if given
#   ct_wait_summary CURSOR
#                     within 10 s, the exit summary in what socket-snoop said
#                     after CURSOR: CT_SAID (all of it), CT_SUMMARY (its last
#                     "Summary: RECEIVED=" line)
#
# Sources lib.sh (say, fail, wait_until...).
#
# The cache: $DEPLOY_CACHE/rootfs-bookworm-HASH, HASH a sha256 of the lists
# below and of rootfs_build, so a change to the packages or to the build
# makes a new tree (the old ones are removed), and nothing else does.  A fresh machine
# builds it once (about a minute, from Debian's mirror); later runs reuse it.
# A test never writes into it: each container runs on an overlay of its own.
#
# Why systemd-nspawn, started this way (checked on the build machine, whose
# PID 1 is not systemd, with a v1/v2 hybrid cgroup tree):
#  --register=no --keep-unit
#      without them nspawn asks the host's systemd for a scope and fails with
#      "Failed to open system bus: No such file or directory"; on a host that
#      runs systemd nspawn registers with systemd-machined as usual instead;
#  --capability=CAP_BPF,CAP_PERFMON,...
#      nspawn's default set lacks CAP_BPF and CAP_PERFMON; the others the unit
#      keeps (CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_NET_ADMIN,
#      CAP_SYS_NICE) are in it or come with --private-network, listed anyway;
#  --system-call-filter='bpf perf_event_open pidfd_getfd'
#      nspawn's own seccomp filter refuses these three with EPERM otherwise:
#      socket-snoop then exits 77 ("the kernel refused to load the BPF
#      programs (Operation not permitted)"), and pidfd_getfd/perf_event_open
#      fail (checked with a small program calling each);
#  --private-network
#      the container's loopback is its own, so the tests' ports cannot meet
#      the host's or another test's; BPF sees every network namespace anyway;
#  /sys/kernel/btf/vmlinux is readable inside (nspawn mounts /sys read-only).
# nspawn is systemd's own container manager, made to boot a systemd tree: no
# image, registry or container engine is involved, only a directory.
# The container's PID namespace is its own: socket-snoop's PID= values are
# the host's (the kernel's), which ct_host_pid translates to.

# shellcheck source=tests/deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROOTFS_SUITE=bookworm
# systemd as PID 1 (no dbus: systemctl talks to PID 1 directly as root),
# logrotate, ip/ss, ps/pgrep/kill, socat (the tests' server and client),
# man-db (systemd-analyze verify looks the unit's man: page up with man),
# curl (an HTTP client, as a scraper, for the unit's --metrics endpoint).
ROOTFS_PACKAGES=(systemd logrotate iproute2 procps socat man-db curl)
ROOTFS_MIRRORS=(
	"deb http://deb.debian.org/debian $ROOTFS_SUITE main"
	"deb http://deb.debian.org/debian $ROOTFS_SUITE-updates main"
	"deb http://deb.debian.org/debian-security $ROOTFS_SUITE-security main"
)
# Units a test container does not want: a login prompt on the console, and
# timers that would run apt, rotate logs (25-logrotate.sh rotates them
# itself) or scrub file systems in the middle of a test.
ROOTFS_MASK=(console-getty.service getty@.service apt-daily.timer apt-daily-upgrade.timer
	logrotate.timer man-db.timer e2scrub_all.timer e2scrub_reap.service
	dpkg-db-backup.timer fstrim.timer systemd-tmpfiles-clean.timer)

UNIT=socket-snoop.service        # the service ct_install installs
LOG=/var/log/socket_monitor.log  # where it logs
CT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CT_TMP='' CT_ROOT='' CT_NAME='' CT_NSPAWN='' CT_NSPAWN_PID='' CT_LEADER='' CT_BOOTLOG=''
CT_INSTALLED='' CT_MAKE_ARGS=() # ct_install ran, with these make arguments
FAIL_DIAG+=(ct_diag)

# Build the tree into directory $1 (which must not exist), output to stdout.
rootfs_build() {
	# The hooks run on the host with the tree as $1: single quotes on purpose.
	# shellcheck disable=SC2016
	timeout 1200 mmdebstrap --mode=root --variant=minbase --format=directory \
		--include="$(IFS=,; echo "${ROOTFS_PACKAGES[*]}")" \
		--aptopt='Acquire::Retries "3"' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--customize-hook='echo socket-snoop-test >"$1/etc/hostname"' \
		--customize-hook="for u in ${ROOTFS_MASK[*]}; do ln -sf /dev/null \"\$1/etc/systemd/system/\$u\"; done" \
		--customize-hook='mkdir -p "$1/etc/systemd/journald.conf.d" && printf "[Journal]\nStorage=volatile\n" >"$1/etc/systemd/journald.conf.d/volatile.conf"' \
		"$ROOTFS_SUITE" "$1" "${ROOTFS_MIRRORS[@]}"
}

# The cached tree, built under a lock (two runs may start together).  Its
# name holds a hash of what makes it: the lists above and rootfs_build.
rootfs_ensure() {
	local hash lock_fd tmp d start
	hash=$( (declare -p ROOTFS_SUITE ROOTFS_PACKAGES ROOTFS_MIRRORS ROOTFS_MASK
		declare -f rootfs_build) | sha256sum | cut -c1-16)
	ROOTFS_DIR=$DEPLOY_CACHE/rootfs-$ROOTFS_SUITE-$hash
	[ -e "$ROOTFS_DIR/.complete" ] && return 0
	for d in mmdebstrap systemd-nspawn; do
		if ! command -v "$d" >/dev/null; then
			say "$d is missing: install mmdebstrap and systemd-container (scripts/install-deps.sh)"
			return 1
		fi
	done
	mkdir -p "$DEPLOY_CACHE"
	exec {lock_fd}>"$DEPLOY_CACHE/rootfs.lock"
	if ! flock -w 900 "$lock_fd"; then
		say "another run has held $DEPLOY_CACHE/rootfs.lock for 15 minutes"
		exec {lock_fd}>&-
		return 1
	fi
	if [ ! -e "$ROOTFS_DIR/.complete" ]; then
		tmp=$ROOTFS_DIR.tmp
		rm -rf "$tmp"
		say "building the Debian $ROOTFS_SUITE root file system in $ROOTFS_DIR (once; log in $DEPLOY_CACHE/rootfs-build.log)"
		start=$(date +%s)
		if ! rootfs_build "$tmp" >"$DEPLOY_CACHE/rootfs-build.log" 2>&1; then
			say "mmdebstrap failed; the end of $DEPLOY_CACHE/rootfs-build.log:"
			tail -n 20 "$DEPLOY_CACHE/rootfs-build.log" >&2
			rm -rf "$tmp"
			exec {lock_fd}>&-
			return 1
		fi
		touch "$tmp/.complete"
		mv "$tmp" "$ROOTFS_DIR"
		say "root file system built in $(($(date +%s) - start)) s"
		for d in "$DEPLOY_CACHE"/rootfs-"$ROOTFS_SUITE"-*; do
			[ -d "$d" ] && [ "$d" != "$ROOTFS_DIR" ] && rm -rf "$d"
		done
	fi
	exec {lock_fd}>&-
}

# A writable overlay on the cached tree: CT_ROOT, for make install DESTDIR=.
ct_prepare() {
	CT_NAME=$1
	CT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/socket-snoop-ct.XXXXXX")
	mkdir "$CT_TMP/upper" "$CT_TMP/work" "$CT_TMP/root"
	mount -t overlay overlay \
		-o "lowerdir=$ROOTFS_DIR,upperdir=$CT_TMP/upper,workdir=$CT_TMP/work" "$CT_TMP/root"
	CT_ROOT=$CT_TMP/root
	CT_BOOTLOG=$CT_TMP/boot.log
}

# socket-snoop into CT_ROOT as a user installs it (DEPLOY_ROOT: the tree).
ct_install() {
	local unit=$CT_ROOT/usr/local/lib/systemd/system/socket-snoop.service
	if ! make -C "$DEPLOY_ROOT" --no-print-directory -s "$@" install DESTDIR="$CT_ROOT" \
		>"$CT_TMP/install.log" 2>&1; then
		cat "$CT_TMP/install.log" >&2
		say "make $* install DESTDIR=$CT_ROOT failed"
		return 1
	fi
	CT_INSTALLED=1 CT_MAKE_ARGS=("$@")
	if [ ! -x "$CT_ROOT/usr/local/sbin/socket-snoop" ]; then
		say "make install left no /usr/local/sbin/socket-snoop"
		return 1
	fi
	# make install puts the unit under $(PREFIX)/lib/systemd/system, the
	# snippet in /etc/logrotate.d; as shipped, for the default prefix.  A
	# make install that does not (yet) install them: copied as the README says.
	if [ -f "$unit" ]; then
		if ! cmp -s "$unit" "$DEPLOY_ROOT/deploy/socket-snoop.service"; then
			say "make install's unit differs from deploy/socket-snoop.service:"
			diff "$DEPLOY_ROOT/deploy/socket-snoop.service" "$unit" >&2
			return 1
		fi
	else
		install -D -m 0644 "$DEPLOY_ROOT/deploy/socket-snoop.service" \
			"$CT_ROOT/etc/systemd/system/socket-snoop.service"
	fi
	if [ -f "$CT_ROOT/etc/logrotate.d/socket-snoop" ]; then
		if ! cmp -s "$CT_ROOT/etc/logrotate.d/socket-snoop" "$DEPLOY_ROOT/deploy/socket-snoop.logrotate"; then
			say "make install's logrotate snippet differs from deploy/socket-snoop.logrotate"
			return 1
		fi
	else
		install -m 0644 "$DEPLOY_ROOT/deploy/socket-snoop.logrotate" "$CT_ROOT/etc/logrotate.d/socket-snoop"
	fi
}

# Boot CT_ROOT: returns once its systemd reports running (or degraded).
ct_boot() {
	local args deadline state='' pid
	local caps=CAP_BPF,CAP_PERFMON,CAP_SYS_ADMIN,CAP_NET_ADMIN,CAP_SYS_PTRACE,CAP_DAC_READ_SEARCH,CAP_SYS_NICE
	args=(--directory="$CT_ROOT" --boot --machine="$CT_NAME" --quiet
		--console=read-only --link-journal=no --private-network
		--capability="$caps" --system-call-filter='bpf perf_event_open pidfd_getfd')
	[ -d /run/systemd/system ] || args+=(--register=no --keep-unit)
	# Bounded even if this script is killed before its trap runs.
	timeout --kill-after=10 900 systemd-nspawn "${args[@]}" </dev/null >"$CT_BOOTLOG" 2>&1 &
	CT_NSPAWN=$!
	# PID 1 of the container: the child of nspawn that runs systemd.
	deadline=$((SECONDS + 30))
	while [ -z "$CT_LEADER" ]; do
		[ -n "$CT_NSPAWN_PID" ] || CT_NSPAWN_PID=$(pgrep -P "$CT_NSPAWN" -x systemd-nspawn) || true
		for pid in $(pgrep -P "${CT_NSPAWN_PID:-0}" 2>/dev/null); do
			[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = systemd ] && CT_LEADER=$pid
		done
		if [ -z "$CT_LEADER" ]; then
			if ! kill -0 "$CT_NSPAWN" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
				say "systemd-nspawn did not start systemd; its output:"
				cat "$CT_BOOTLOG" >&2
				return 1
			fi
			sleep 0.1
		fi
	done
	deadline=$((SECONDS + 60))
	while :; do
		state=$(CT_CMD_TIMEOUT=10 ct systemctl is-system-running 2>/dev/null) || true
		case $state in
		running) return 0 ;;
		degraded)
			say "the container booted degraded (continuing):"
			ct systemctl --failed --no-legend >&2 || true
			return 0
			;;
		esac
		if ! kill -0 "$CT_NSPAWN" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
			say "the container's systemd did not finish booting (state '$state'); its console:"
			tail -n 40 "$CT_BOOTLOG" >&2
			return 1
		fi
		sleep 0.2
	done
}

# Run a command in the container, with a clean environment, bounded in time.
ct() {
	timeout --kill-after=5 "${CT_CMD_TIMEOUT:-60}" \
		nsenter --target="$CT_LEADER" --all -- \
		/usr/bin/env -i PATH="$CT_PATH" LANG=C.UTF-8 TERM=dumb SYSTEMD_PAGER= \
		SYSTEMD_COLORS=0 "$@"
}

# The host's PID of the container's process $1 (socket-snoop logs the host's).
ct_host_pid() {
	local p
	for p in $(pgrep --ns "$CT_LEADER" --nslist pid); do
		if awk -v c="$1" '/^NSpid:/ { found = NF == 3 && $3 == c } END { exit !found }' \
			"/proc/$p/status" 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

ct_cursor() {
	local c
	c=$(ct journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p')
	[ -n "$c" ] || { say "no journal cursor"; return 1; }
	echo "$c"
}

# journalctl of systemd 252 finds nothing with --after-cursor and a match
# that the cursor's own entry does not satisfy: select with jq instead.
ct_journal() {
	ct journalctl -q --no-pager --after-cursor="$1" -o json \
		--output-fields=SYSLOG_IDENTIFIER,PRIORITY,_PID,UNIT,MESSAGE |
		jq -r "select($2) | .MESSAGE | if type == \"array\" then implode else . end"
}

ct_diag() {
	[ -n "$CT_LEADER" ] && kill -0 "$CT_LEADER" 2>/dev/null || return 0
	echo "--- systemctl status socket-snoop" >&2
	CT_CMD_TIMEOUT=10 ct systemctl status --no-pager -l "$UNIT" >&2 || true
	echo "--- journalctl -u socket-snoop (last 40)" >&2
	CT_CMD_TIMEOUT=10 ct journalctl --no-pager -u "$UNIT" -n 40 >&2 || true
}

ct_cleanup() {
	local deadline
	if [ -n "$CT_NSPAWN" ] && kill -0 "$CT_NSPAWN" 2>/dev/null; then
		# timeout passes SIGTERM on; nspawn turns it into a clean power-off.
		kill -TERM "$CT_NSPAWN" 2>/dev/null || true
		deadline=$((SECONDS + 20))
		while kill -0 "$CT_NSPAWN" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
			sleep 0.1
		done
		if kill -0 "$CT_NSPAWN" 2>/dev/null; then
			say "the container did not power off within 20 s: killed"
			[ -n "$CT_NSPAWN_PID" ] && kill -KILL "$CT_NSPAWN_PID" 2>/dev/null
			kill -KILL "$CT_NSPAWN" 2>/dev/null || true
		fi
		wait "$CT_NSPAWN" 2>/dev/null || true
	fi
	CT_NSPAWN='' CT_NSPAWN_PID='' CT_LEADER=''
	# make uninstall, for what make install records in the build tree.
	if [ -n "$CT_INSTALLED" ]; then
		make -C "$DEPLOY_ROOT" --no-print-directory -s "${CT_MAKE_ARGS[@]}" uninstall \
			DESTDIR="$CT_ROOT" >/dev/null 2>&1 || true
	fi
	CT_INSTALLED='' CT_MAKE_ARGS=()
	if [ -n "$CT_ROOT" ] && mountpoint -q "$CT_ROOT"; then
		umount "$CT_ROOT" 2>/dev/null || umount -l "$CT_ROOT" || true
	fi
	[ -n "$CT_TMP" ] && rm -rf "$CT_TMP"
	CT_TMP='' CT_ROOT=''
}

ct_setup() {
	local f
	need_root
	for f in "$DEPLOY_ROOT/deploy/socket-snoop.service" "$DEPLOY_ROOT/deploy/socket-snoop.logrotate"; do
		[ -r "$f" ] || fail "$f is missing"
	done
	need systemd-nspawn jq "${@:2}"
	at_exit ct_cleanup
	rootfs_ensure || fail "no root file system"
	ct_prepare "$1-$$"
}

ct_show() { ct systemctl show -p "$1" --value "${2:-$UNIT}"; }

ct_log_has() { file_has "$CT_ROOT${2:-$LOG}" "$1"; }

# By its identifier, not by unit or invocation: journald cannot tell the unit
# of a line that comes after its process has exited (a failed start, the
# summary at stop), and one socket-snoop runs in a container at a time.
ct_said() {
	ct_journal "$1" ".SYSLOG_IDENTIFIER == \"socket-snoop\"${2:+ and .PRIORITY == \"$2\"}"
}

# The journal takes stderr asynchronously: the end of the report may come a
# little after the process exited.  (Read whole, then searched: grep -q
# leaving a pipe early would fail it.)
ct_wait_summary() { wait_until 10 "the exit summary in the journal" ct_said_summary "$1"; }
# shellcheck disable=SC2034 # CT_SUMMARY: for the test
ct_said_summary() {
	CT_SAID=$(ct_said "$1") &&
		CT_SUMMARY=$(grep -E '^Summary: RECEIVED=[0-9]+ LOST=' <<<"$CT_SAID" | tail -n 1)
}
