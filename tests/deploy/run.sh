#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# run.sh - the deployment tests (make test-deploy): each tests/deploy/NN-*.sh in
# order, as root, with real software (systemd, logrotate, podman, Kubernetes
# YAML); prints "ok"/"not ok" with the seconds each took and a count.
#
#   tests/deploy/run.sh                 all of them
#   tests/deploy/run.sh 20-systemd.sh   some of them
#
# A test exits 0 when it passed, anything else when it failed; it says why on
# stderr.  None may skip: a test that cannot run (a package missing, a
# container that cannot start here) fails, and says what was missing.
# Slow set-up (a Debian root file system, images, npm packages) is cached in
# DEPLOY_CACHE (default /var/cache/socket-snoop), outside the clone.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export DEPLOY_ROOT=${DEPLOY_ROOT:-$(cd "$here/../.." && pwd)}
export DEPLOY_CACHE=${DEPLOY_CACHE:-/var/cache/socket-snoop}

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: the deployment tests need root (sudo make test-deploy)" >&2
	exit 1
fi
mkdir -p "$DEPLOY_CACHE"

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	mapfile -t tests < <(cd "$here" && ls [0-9][0-9]-*.sh 2>/dev/null)
fi
pass=0 fail=0
# Instances a killed run left recording would slow every transition of this one.
"$DEPLOY_ROOT/scripts/tracefs-sweep.sh"

for t in "${tests[@]}"; do
	t=${t##*/}
	start=$(date +%s)
	if "$here/$t"; then
		pass=$((pass + 1))
		echo "ok $t ($(($(date +%s) - start)) s)"
	else
		fail=$((fail + 1))
		echo "not ok $t ($(($(date +%s) - start)) s)"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
