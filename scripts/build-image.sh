#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# build-image.sh - `make image`: the FROM scratch container image of socket-snoop.
#
#   scripts/build-image.sh
#
# Builds the fully static binary (make STATIC=1, build-static/socket-snoop),
# then `podman build --pull=never -f deploy/Containerfile` on a build context
# holding that binary alone, tagged socket-snoop:VERSION (VERSION file).
# Nothing is pulled: the image has no base.  When an image of that tag already
# holds a binary with the same sha256, built from the same Containerfile (the
# image's io.socket-snoop.*.sha256 labels), it is kept and nothing is built.
#
# Environment:
#   IMAGE=NAME:TAG   the tag to build (default socket-snoop:VERSION)
#   FORCE=1          build even when the image is up to date
#   SOURCE_URL=URL   org.opencontainers.image.source (default: the git remote
#                    "origin" without credentials, else empty)
#   CONTAINERS_STORAGE_CONF, CONTAINERS_CONF: podman's own (tests/deploy use
#                    them for a store of their own under DEPLOY_CACHE)
set -euo pipefail

cd "$(dirname "$0")/.."
say() { echo "build-image: $*" >&2; }

command -v podman >/dev/null 2>&1 || {
	say "podman is missing (Debian: apt-get install podman, or sudo make deps)"
	exit 1
}
version=$(cat VERSION)
image=${IMAGE:-socket-snoop:$version}

timeout 900 make --no-print-directory STATIC=1
bin=build-static/socket-snoop
# A scratch image has no dynamic loader and no C library.
if LC_ALL=C readelf -lW "$bin" | grep -q 'Requesting program interpreter'; then
	say "$bin is dynamically linked; it cannot run in a FROM scratch image"
	exit 1
fi

# What is built is a copy, checked and summed: a build running meanwhile
# (another make) cannot change it under us.
ctx=$(mktemp -d /tmp/socket-snoop-image.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
cp "$bin" "$ctx/socket-snoop"
"$ctx/socket-snoop" --version >/dev/null || {
	say "$bin does not run"
	exit 1
}
bin_sha=$(sha256sum "$ctx/socket-snoop" | cut -d' ' -f1)
cf_sha=$(sha256sum deploy/Containerfile | cut -d' ' -f1)
fmt='{{index .Labels "io.socket-snoop.binary.sha256"}} {{index .Labels "io.socket-snoop.containerfile.sha256"}}'
if [ "${FORCE:-}" != 1 ] &&
	have=$(timeout 60 podman image inspect --format "$fmt" "$image" 2>/dev/null) &&
	[ "$have" = "$bin_sha $cf_sha" ]; then
	say "$image is up to date (binary sha256 $bin_sha)"
	exit 0
fi

revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] && [ -n "$(git status --porcelain -- src Makefile VERSION 2>/dev/null)" ]; then
	revision="$revision-dirty"
fi
source_url=${SOURCE_URL-$(git config --get remote.origin.url 2>/dev/null | sed 's#://[^/@]*@#://#' || true)}

say "building $image from $bin (sha256 $bin_sha)"
timeout 600 podman build --pull=never --quiet -f deploy/Containerfile \
	--build-arg VERSION="$version" \
	--build-arg REVISION="$revision" \
	--build-arg SOURCE="$source_url" \
	--build-arg BINARY_SHA256="$bin_sha" \
	--build-arg CONTAINERFILE_SHA256="$cf_sha" \
	-t "$image" "$ctx" >/dev/null
# The image this tag named before, if any, is left untagged: remove it.
timeout 120 podman image prune -f --filter label=org.opencontainers.image.title=socket-snoop >/dev/null
say "built $image ($(timeout 60 podman image inspect --format '{{.Id}}' "$image" | cut -c1-12))"
