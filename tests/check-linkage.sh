#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# check-linkage.sh - the binary links the libraries README.md's Requirements
# section names, and no others (make test runs it; make check-linkage alone).
#
#   tests/check-linkage.sh [BINARY]        default build/socket-snoop
#
# Documented: libbpf, libelf and zlib linked statically, glibc (libc.so.6)
# the only shared library.  The binary's NEEDED entries must be exactly
# SHARED below; the static ones must be inside it (their symbols, when the
# binary keeps a symbol table) and not NEEDED.  A fully static binary (no
# NEEDED at all: README's Container build) passes.  Each name must also
# appear in README.md's Requirements section, so the two cannot drift apart.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/socket-snoop}

# The documented lists.  STATIC: "name symbol" (a symbol each library defines).
SHARED=(libc.so.6)
STATIC=("libbpf libbpf_version_string" "libelf elf_version" "zlib zlibVersion")

fail=0
problem() {
	echo "check-linkage: $bin: $*" >&2
	fail=1
}

[ -f "$bin" ] || { echo "check-linkage: $bin not built (make)" >&2; exit 1; }
if ! dyn=$(LC_ALL=C readelf -d "$bin" 2>&1); then
	echo "check-linkage: readelf cannot read $bin: $dyn" >&2
	exit 1
fi

mapfile -t needed < <(sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]$/\1/p' <<<"$dyn" | sort -u)
mapfile -t want < <(printf '%s\n' "${SHARED[@]}" | sort -u)

if [ "${#needed[@]}" -eq 0 ]; then
	echo "check-linkage: $bin is fully static (no shared library)"
elif [ "${needed[*]}" != "${want[*]}" ]; then
	extra=$(comm -23 <(printf '%s\n' "${needed[@]}") <(printf '%s\n' "${want[@]}") | paste -sd " ")
	missing=$(comm -13 <(printf '%s\n' "${needed[@]}") <(printf '%s\n' "${want[@]}") | paste -sd " ")
	problem "links shared libraries README.md does not name: ${extra:-none};" \
		"documented but not linked: ${missing:-none}" \
		"(expected exactly: ${want[*]}; libbpf, libelf and zlib must be static)"
fi

# The static libraries are inside, when there is a symbol table to tell.
if syms=$(nm --defined-only "$bin" 2>/dev/null) && [ -n "$syms" ]; then
	for entry in "${STATIC[@]}"; do
		lib=${entry%% *} sym=${entry#* }
		grep -qw "$sym" <<<"$syms" ||
			problem "$lib is not linked in statically (no $sym)"
	done
fi

# Every name in the README's Requirements section.
req=$(sed -n '/^## Requirements/,/^## /p' "$root/README.md")
for name in "${SHARED[@]}" "${STATIC[@]%% *}"; do
	grep -q "$name" <<<"$req" ||
		problem "README.md's Requirements section does not name $name"
done

if [ "$fail" = 0 ]; then
	echo "check-linkage: $bin: shared ${needed[*]:-none}; static ${STATIC[*]%% *}"
fi
exit "$fail"
