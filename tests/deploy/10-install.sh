#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# 10-install.sh - make install and make uninstall, the bash completion, the
# static binary (tests/deploy/run.sh runs it, as root).
#
#   1. make install into a DESTDIR with prefix=/usr, the default prefix,
#      PREFIX=/opt/socket-snoop and STATIC=1: exactly the expected files, links,
#      modes and contents (the unit's ExecStart points at the installed binary);
#      make uninstall with the same variables gives back the tree as it was
#      before: the files install put are gone, so are the directories it
#      created, and the directories (and foreign files) that were there stay.
#   2. the bash completion, as bash-completion loads it from the installed
#      tree for each of the three names: options of the three faces (the long
#      ones against src/snoop/cli.c's table), --events, --state, --attach,
#      --metrics-labels (comm), nothing for --metrics,
#      files for --log-file, directories for --cgroup; a binary that prints
#      garbage or hangs completes nothing, quickly, without an error.
#   3. make STATIC=1: statically linked (file, ldd, tests/check-linkage.sh),
#      and nothing of glibc's NSS linked in (nm, strings).
#   4. the static binary passes tests/e2e/10-connections.bats and
#      tests/e2e/83-preexisting.bats (CI=true: a skip is a failure).
set -euo pipefail
umask 022

here=$(cd "$(dirname "$0")" && pwd)
root=${DEPLOY_ROOT:-$(cd "$here/../.." && pwd)}
cd "$root"

tmp=$(mktemp -d /tmp/snoop-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "10-install: $*" >&2
	exit 1
}
say() { echo "10-install: $*"; }

for cmd in make file ldd nm strings timeout find cmp diff; do
	command -v "$cmd" >/dev/null || fail "$cmd is missing (scripts/install-deps.sh)"
done
bash_completion=/usr/share/bash-completion/bash_completion
[ -r "$bash_completion" ] || fail "bash-completion is not installed (scripts/install-deps.sh)"

# make, bounded, quiet unless it fails.
mk() {
	if ! timeout 900 make --no-print-directory "$@" >"$tmp/make.log" 2>&1; then
		tail -n 40 "$tmp/make.log" >&2
		fail "make $* failed"
	fi
}

# Everything under $1 (directories too), one line each: type, mode, path
# (relative), a link's target.
tree() {
	[ -d "$1" ] || return 0
	(cd "$1" && find . -mindepth 1 \( -type l -printf 'l %P -> %l\n' \) -o -printf '%y %#m %P\n' |
		LC_ALL=C sort)
}

# The files make install must put, with PREFIX $1 and unit directory $2.
expected_files() {
	local p=${1#/} unit=${2#/} name
	for name in socket-snoop tcpsnoop tcptop; do
		if [ "$name" = socket-snoop ]; then
			echo "f 0755 $p/sbin/$name"
			echo "f 0644 $p/share/bash-completion/completions/$name"
		else
			echo "l $p/sbin/$name -> socket-snoop"
			echo "l $p/share/bash-completion/completions/$name -> socket-snoop"
		fi
		echo "f 0644 $p/share/man/man8/$name.8"
	done
	echo "f 0644 $unit/socket-snoop.service"
	echo "f 0644 etc/logrotate.d/socket-snoop"
	echo "f 0644 etc/socket-snoop/filters.conf"
}

# The directories holding the files of expected_files, and their parents.
expected_dirs() {
	local type a b path
	while read -r type a b _; do
		if [ "$type" = l ]; then path=$a; else path=$b; fi
		while [[ $path == */* ]]; do
			path=${path%/*}
			echo "d 0755 $path"
		done
	done
}

# install_case NAME BINARY PREFIX UNITDIR [make variables...]: install into
# $tmp/NAME (with what $tmp/NAME.before put there first), check it, uninstall,
# check that the tree is as before.
install_case() {
	local name=$1 bin=$2 prefix=$3 unitdir=$4 dest=$tmp/$1
	shift 4
	local before after record
	before=$(tree "$dest")
	# Where install records the directories it creates (make -n prints it).
	record=$(make -n --no-print-directory uninstall DESTDIR="$dest" "$@" |
		grep -m 1 -o 'build/install-dirs\.[0-9]*' || true)
	[ -n "$record" ] || fail "$name: make -n uninstall names no record of directories"
	mk install DESTDIR="$dest" "$@"
	[ -f "$record" ] || fail "$name: make install wrote no $record"
	# Twice: a second install over the first changes nothing.
	mk install DESTDIR="$dest" "$@"

	# Exactly the expected files, and no directory but theirs (and those that
	# were there before).
	after=$(tree "$dest" | grep -v '^d ' || true)
	local want
	want=$( (grep -v '^d ' <<<"$before" || true; expected_files "$prefix" "$unitdir") |
		grep . | LC_ALL=C sort -u)
	diff <(echo "$want") <(echo "$after") >&2 ||
		fail "$name: make install $*: not the expected files (< expected, > installed)"
	want=$( (grep '^d ' <<<"$before" || true; expected_files "$prefix" "$unitdir" |
		expected_dirs) | LC_ALL=C sort -u)
	diff <(echo "$want") <(tree "$dest" | grep '^d ') >&2 ||
		fail "$name: make install $*: not the expected directories (< expected, > installed)"

	# Contents.
	local p=$dest$prefix
	cmp -s "$bin" "$p/sbin/socket-snoop" || fail "$name: $p/sbin/socket-snoop is not $bin"
	for face in socket-snoop tcpsnoop tcptop; do
		cmp -s "docs/$face.8" "$p/share/man/man8/$face.8" || fail "$name: man page $face.8 differs"
	done
	cmp -s completion/socket-snoop.bash "$p/share/bash-completion/completions/socket-snoop" ||
		fail "$name: the completion differs from completion/socket-snoop.bash"
	cmp -s deploy/socket-snoop.logrotate "$dest/etc/logrotate.d/socket-snoop" ||
		fail "$name: the logrotate snippet differs from deploy/socket-snoop.logrotate"
	cmp -s deploy/filters.conf "$dest/etc/socket-snoop/filters.conf" ||
		fail "$name: the --config file differs from deploy/filters.conf"
	local unit=$dest$unitdir/socket-snoop.service
	diff <(grep -v '^ExecStart=' deploy/socket-snoop.service) <(grep -v '^ExecStart=' "$unit") >&2 ||
		fail "$name: the unit differs from deploy/socket-snoop.service elsewhere than ExecStart"
	local exec_src exec_inst
	exec_src=$(grep '^ExecStart=' deploy/socket-snoop.service)
	exec_inst=$(grep '^ExecStart=' "$unit")
	[ "$exec_inst" = "ExecStart=${prefix}/sbin/socket-snoop ${exec_src#* }" ] ||
		fail "$name: $unit: '$exec_inst' does not start $prefix/sbin/socket-snoop"
	"$p/sbin/tcptop" --version >/dev/null || fail "$name: the installed tcptop does not run"

	mk uninstall DESTDIR="$dest" "$@"
	after=$(tree "$dest")
	if [ "$after" != "$before" ]; then
		diff <(echo "$before") <(echo "$after") >&2 || true
		fail "$name: make uninstall $*: the tree is not as before install (< before, > after)"
	fi
	[ ! -e "$record" ] || fail "$name: make uninstall left $record"
	say "ok: install and uninstall: $name${*:+ ($*)}"
}

# ---- 1. make install / make uninstall ------------------------------------
mk all
mk STATIC=1 all

# prefix=/usr into a DESTDIR that already has some of the directories (one
# empty) and a foreign man page: they stay, the rest goes.
mkdir -p "$tmp/usr/etc/logrotate.d" "$tmp/usr/usr/share/man/man8"
echo foreign >"$tmp/usr/usr/share/man/man8/other.8"
install_case usr build/socket-snoop /usr /usr/lib/systemd/system prefix=/usr
# The --config file is the administrator's: install does not replace one
# that is there, uninstall keeps it once it was changed.
mkdir -p "$tmp/conf/etc/socket-snoop"
echo "lport = 22" >"$tmp/conf/etc/socket-snoop/filters.conf"
mk install DESTDIR="$tmp/conf" prefix=/usr
[ "$(cat "$tmp/conf/etc/socket-snoop/filters.conf")" = "lport = 22" ] ||
	fail "conf: make install replaced the --config file that was there"
echo "lport = 80" >"$tmp/conf/etc/socket-snoop/filters.conf"
mk uninstall DESTDIR="$tmp/conf" prefix=/usr
[ "$(cat "$tmp/conf/etc/socket-snoop/filters.conf" 2>/dev/null)" = "lport = 80" ] ||
	fail "conf: make uninstall removed a --config file changed since"
rm -rf "$tmp/conf"
say "ok: the --config file: kept by install and uninstall"
# The default prefix (/usr/local), DESTDIR not there before: only it stays.
install_case local build/socket-snoop /usr/local /usr/local/lib/systemd/system
[ -z "$(ls -A "$tmp/local")" ] || fail "local: make uninstall left files in DESTDIR"
rmdir "$tmp/local"
# PREFIX (upper case) elsewhere: the unit where systemd reads it.
install_case opt build/socket-snoop /opt/socket-snoop /etc/systemd/system PREFIX=/opt/socket-snoop
rmdir "$tmp/opt"
# The static build.
install_case static build-static/socket-snoop /usr /usr/lib/systemd/system STATIC=1 prefix=/usr
rmdir "$tmp/static"

# ---- 2. bash completion ----------------------------------------------------
dest=$tmp/comp
mk install DESTDIR="$dest" prefix=/usr
mkdir -p "$tmp/files/logdir" "$tmp/odd/garbage" "$tmp/odd/hang" "$tmp/odd/empty"
touch "$tmp/files/log.txt" "$tmp/files/other"
# Binaries named socket-snoop that do not print a usage.
printf '#!/bin/sh\nprintf "\\033[2J\\001\\377\\000\\000\\r\\nUsage: [-\\nx\\tjunk\\200"\n' \
	>"$tmp/odd/garbage/socket-snoop"
printf '#!/bin/sh\nexec sleep 30\n' >"$tmp/odd/hang/socket-snoop"
printf '#!/bin/sh\nexit 1\n' >"$tmp/odd/empty/tcptop"
chmod +x "$tmp"/odd/*/*

# The completion as bash and bash-completion run it: loaded from the
# installed tree by the command's name, COMP_WORDS split as readline splits
# them ('=' a word of its own).  Prints the sorted candidates, a tab, the
# options compopt was given; errors on stderr.
cat >"$tmp/complete.bash" <<'EOF'
# shellcheck shell=bash
line=$1
# shellcheck source=/dev/null
source "$BASH_COMPLETION"
export XDG_DATA_DIRS=$DEST/usr/share
PATH=$DEST/usr/sbin:$PATH
opts=()
compopt() { opts+=("$*"); }
read -ra w <<<"$line"
[[ $line == *" " ]] && w+=("")
words=()
for x in "${w[@]}"; do
	if [[ $x == *=* ]]; then
		words+=("${x%%=*}" "=")
		[[ -n ${x#*=} ]] && words+=("${x#*=}")
	else
		words+=("$x")
	fi
done
cmd=${words[0]}
if ! complete -p "${cmd##*/}" >/dev/null 2>&1; then
	__load_completion "${cmd##*/}" || { echo "no completion for ${cmd##*/}" >&2; exit 1; }
fi
spec=$(complete -p "${cmd##*/}")
[[ $spec =~ -F\ ([^ ]+) ]] || { echo "no function: $spec" >&2; exit 1; }
COMP_WORDS=("${words[@]}")
COMP_CWORD=$((${#words[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
COMP_TYPE=9 COMP_KEY=9
COMPREPLY=()
"${BASH_REMATCH[1]}" "${cmd##*/}" "${words[COMP_CWORD]}" "${words[COMP_CWORD - 1]}"
printf '%s\t%s\n' "$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | paste -sd ' ')" \
	"$(printf '%s\n' "${opts[@]}" | LC_ALL=C sort -u | paste -sd ' ')"
EOF

# complete LINE: the candidates (and compopt's options) into $got.
complete_line() {
	local out
	out=$(cd "$tmp" && BASH_COMPLETION=$bash_completion DEST=$dest \
		timeout 20 bash --norc --noprofile "$tmp/complete.bash" "$1" 2>"$tmp/complete.err") ||
		{ cat "$tmp/complete.err" >&2; fail "completion of '$1' failed"; }
	[ ! -s "$tmp/complete.err" ] ||
		{ cat "$tmp/complete.err" >&2; fail "completion of '$1' wrote errors"; }
	got=${out%%$'\t'*}
	got_opts=${out#*$'\t'}
}

# expect LINE CANDIDATES: the sorted candidates are exactly those.
expect() {
	local want
	want=$(tr ' ' '\n' <<<"$2" | grep . | LC_ALL=C sort | paste -sd ' ' || true)
	complete_line "$1"
	[ "$got" = "$want" ] || fail "completion of '$1': got '$got', expected '$want'"
}

# Each name loads the completion from its own file (two are links).
for name in socket-snoop tcpsnoop tcptop; do
	# shellcheck disable=SC2016 # expanded by that bash
	spec=$(XDG_DATA_DIRS=$dest/usr/share bash --norc --noprofile -c \
		'source "$1" && __load_completion "$2" && complete -p "$2"' _ "$bash_completion" "$name")
	[ "$spec" = "complete -F _socket_snoop $name" ] ||
		fail "bash-completion does not load the completion for $name: '$spec'"
done

kinds="accept close error reset retransmit state update"
states="CLOSE CLOSE_WAIT CLOSING ESTABLISHED FIN_WAIT1 FIN_WAIT2 LAST_ACK LISTEN SYN_RECV SYN_SENT TIME_WAIT"
expect "socket-snoop --ev" "--events="
[ "$got_opts" = "-o nospace" ] || fail "completion of '--ev': compopt '$got_opts', expected '-o nospace'"
expect "socket-snoop --events=" "$kinds"
expect "socket-snoop -e " "$kinds"
expect "socket-snoop --events=state,re" "state,reset state,retransmit"
expect "socket-snoop --state=ES" "ESTABLISHED"
expect "socket-snoop --state=fin" "FIN_WAIT1 FIN_WAIT2"
expect "socket-snoop -qs " "$states"
expect "socket-snoop --state " "$states"
expect "socket-snoop --attach=" "auto raw_tp tp_btf"
expect "socket-snoop --metr" "--metrics= --metrics-labels="
expect "socket-snoop --metrics=" ""
expect "socket-snoop --metrics-labels=" "comm"
expect "socket-snoop --metrics-labels=co" "comm"
expect "socket-snoop --metrics-labels=x" ""
expect "socket-snoop --log-file=$tmp/files/l" "$tmp/files/log.txt $tmp/files/logdir"
expect "socket-snoop -o $tmp/files/o" "$tmp/files/other"
expect "socket-snoop --cgroup=$tmp/files/" "$tmp/files/logdir"
expect "socket-snoop --config=$tmp/files/o" "$tmp/files/other"
expect "socket-snoop --no-" "--no-dns --no-log-file --no-report"
expect "socket-snoop --quiet " ""
expect "socket-snoop --json=" ""
expect "socket-snoop -- --" ""
expect "tcpsnoop -" "-4 -6 -Z -a -h -j -n -p -s -v -w --help --version"
expect "tcpsnoop -n " ""
expect "tcptop --" "--help --version"
expect "tcptop -" "-C -Z -h -j --help --version"
expect "$dest/usr/sbin/tcptop --h" "--help"

# Every option of src/snoop/cli.c's table, "--name=" when it takes a value,
# and every short letter: the completion follows the table.
longs=() shorts=()
while IFS=' ' read -r lname letter has; do
	if [ "$has" = required_argument ]; then longs+=("--$lname="); else longs+=("--$lname"); fi
	[ "$letter" = 0 ] || shorts+=("-${letter//\'/}")
done < <(sed -nE "s/^[[:space:]]*X\([A-Z0-9_]+, \"([a-z0-9-]+)\", ('.'|0), (no_argument|required_argument),.*/\1 \2 \3/p" \
	src/snoop/cli.c)
[ "${#longs[@]}" -ge 30 ] || fail "read only ${#longs[@]} options from src/snoop/cli.c"
expect "socket-snoop --" "${longs[*]}"
expect "socket-snoop -" "${longs[*]} ${shorts[*]}"

# Odd binaries: nothing to complete, no error, no wait beyond the bound.
expect "$tmp/odd/garbage/socket-snoop --" ""
expect "$tmp/odd/empty/tcptop -" ""
start=$(date +%s)
expect "$tmp/odd/hang/socket-snoop --" ""
[ $(($(date +%s) - start)) -le 8 ] || fail "completion waited too long for a binary that hangs"
say "ok: bash completion"

# ---- 3. the static binary ----------------------------------------------------
static=build-static/socket-snoop
file_out=$(file -L "$static")
grep -q 'statically linked' <<<"$file_out" || fail "file does not say statically linked: $file_out"
ldd_out=$(LC_ALL=C ldd "$static" 2>&1 || true)
grep -q 'not a dynamic executable' <<<"$ldd_out" || fail "ldd $static: $ldd_out"
tests/check-linkage.sh "$static" >/dev/null || fail "tests/check-linkage.sh $static failed"
syms=$(nm "$static" 2>/dev/null | awk '{ print $NF }')
[ "$(wc -l <<<"$syms")" -gt 1000 ] || fail "$static has no symbol table to check for NSS"
nss=$(grep -E '^_*(getpw|getgr(nam|gid|ent|ouplist)|initgroups|getsp(nam|ent)|gethost(by|ent)|getaddrinfo|getnameinfo|getserv(by|ent)|getprotoby|getnetby|getnetgrent|innetgr|getlogin|ether_(ntohost|hostton)|rcmd|nss_|_nss)' <<<"$syms" || true)
[ -z "$nss" ] || fail "$static links glibc's NSS: $(paste -sd ' ' <<<"$nss")"
nss=$(strings "$static" | grep -E 'nsswitch\.conf|libnss_' || true)
[ -z "$nss" ] || fail "$static names $(paste -sd ' ' <<<"$nss")"
for face in socket-snoop tcpsnoop tcptop; do
	"build-static/$face" --help >/dev/null 2>&1 || fail "build-static/$face --help failed"
done
say "ok: static binary (no NSS)"

# ---- 4. the static binary's end-to-end results -------------------------------
if ! SNOOP=$root/$static CI=true timeout 1800 tests/run-e2e.sh \
	tests/e2e/10-connections.bats tests/e2e/83-preexisting.bats >"$tmp/e2e.log" 2>&1; then
	grep -E '^not ok|^#' "$tmp/e2e.log" | head -n 60 >&2
	tail -n 1 "$tmp/e2e.log" >&2
	fail "the static binary fails end-to-end tests"
fi
say "ok: static binary end to end: $(tail -n 1 "$tmp/e2e.log")"
