#!/usr/bin/env bats
# socket-snoop --check (issue 16 item 6): what this kernel offers, the
# privileges held, what a start with the other options would use or go
# without, and an exit status saying whether it would run (the one that start
# would have).  Here, with a tracepoint made missing (the kernel's BTF with
# that tracepoint's type renamed, bind-mounted over /sys/kernel/btf/vmlinux in
# a mount namespace of the test's own: libbpf then cannot find it, as on a
# kernel without it), and without the capabilities.

# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$BATS_TEST_DIRNAME/lib.bash"

setup() {
	e2e_setup
	e2e_require_cmds unshare mount setpriv python3 bpftool
}

teardown() {
	e2e_teardown
}

# Programs of socket-snoop's loaded now (by name), for "nothing left behind".
our_programs() {
	bpftool prog show 2>/dev/null | grep -cE ' name (handle_set_state|handle_rx|snapshot_owners|task_exe) ' || true
}

# socket-snoop ARG... where the kernel's BTF is $T/vmlinux.btf (missing_btf).
with_missing_btf() {
	snoop_run "${MISSING_BTF_RUN[@]}" "$SNOOP" "$@"
}

@test "--check here: every tracepoint and iterator offered, tp_btf programs would be used, it would run with everything (exit 0); nothing left attached, no file written" {
	local before tp
	before=$(our_programs)
	SOCKET_SNOOP_LOG=$T/check.log snoop_run "$SNOOP" --check
	assert_eq "exit status" "$RUN_STATUS" 0
	for tp in sock/inet_sock_set_state sock/sock_recv_length tcp/tcp_retransmit_skb \
		tcp/tcp_retransmit_synack tcp/tcp_send_reset tcp/tcp_receive_reset \
		sock/inet_sk_error_report syscalls/sys_exit_accept4 sched/sched_process_exit \
		tcp/tcp_destroy_sock net/netif_receive_skb; do
		assert_contains "$T/run.out" "  tracepoint $tp: yes"
	done
	for tp in iter/task_file iter/tcp iter/task; do
		assert_contains "$T/run.out" "  iterator $tp: yes"
	done
	assert_contains "$T/run.out" "  load and attach the programs (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN): yes"
	assert_contains "$T/run.out" "  programs: tp_btf (typed tracepoints, socket storage)"
	assert_contains "$T/run.out" "  connections open at start: found by the kernel's iterators"
	assert_contains "$T/run.out" "  host names: from DNS over UDP and TCP"
	grep -q "without the tracepoint" "$T/run.out" && e2e_fail "a tracepoint said missing:" "$(cat "$T/run.out")"
	assert_eq "last line" "$(tail -n 1 "$T/run.out")" "Verdict: socket-snoop would run (exit 0), with everything"
	[ ! -e "$T/check.log" ] || e2e_fail "--check wrote the log file"
	assert_eq "socket-snoop's programs loaded after --check" "$(our_programs)" "$before"
	# -j: each line a JSON object (snoop_run checks them), whose message is
	# the line; JSON's executable reader is part of what it would use.
	snoop_run "$SNOOP" --check -j
	assert_eq "exit status with -j" "$RUN_STATUS" 0
	jq -r .message "$T/run.out" >"$T/run.msg"
	assert_contains "$T/run.msg" "  process.executable: read by the task_exe iterator"
	assert_eq "last message with -j" "$(tail -n 1 "$T/run.msg")" "Verdict: socket-snoop would run (exit 0), with everything"
}

@test "--check with tcp_retransmit_synack missing from the kernel: said missing, it would run with less (exit 0), as a start does; with --events=retransmit it would not (exit 69, naming it), as a start would not" {
	missing_btf tcp_retransmit_synack
	with_missing_btf --check
	assert_eq "exit status" "$RUN_STATUS" 0
	assert_contains "$T/run.out" "  tracepoint tcp/tcp_retransmit_synack: no"
	assert_contains "$T/run.out" "  tracepoint tcp/tcp_retransmit_skb: yes"
	assert_contains "$T/run.out" "  without the tracepoint tcp/tcp_retransmit_synack: its events are not reported"
	assert_eq "last line" "$(tail -n 1 "$T/run.out")" \
		"Verdict: socket-snoop would run (exit 0), with less than this kernel could give (above)"
	# A start there says the same and runs.
	with_missing_btf --no-log-file --duration=1
	assert_eq "exit status of a start" "$RUN_STATUS" 0
	assert_contains "$T/run.err" "this kernel lacks the tracepoint tcp/tcp_retransmit_synack: its events are not reported"

	with_missing_btf --check --events=retransmit
	assert_eq "exit status with --events=retransmit" "$RUN_STATUS" 69
	assert_eq "last line" "$(tail -n 1 "$T/run.out")" \
		"Verdict: socket-snoop would not run (exit 69): this kernel lacks the tracepoint tcp/tcp_retransmit_synack"
	with_missing_btf --no-log-file --duration=1 --events=retransmit
	assert_eq "exit status of a start with --events=retransmit" "$RUN_STATUS" 69
}

@test "--check without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN: names them, it would not run (exit 77), as a start would not" {
	# shellcheck disable=SC2054 # one argument: the capabilities, comma-separated
	local -a capped=(setpriv --inh-caps=-all --bounding-set=-bpf,-perfmon,-sys_admin)
	snoop_run "${capped[@]}" "$SNOOP" --check
	assert_eq "exit status" "$RUN_STATUS" 77
	assert_contains "$T/run.out" "  load and attach the programs (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN): no, missing CAP_BPF and CAP_PERFMON"
	assert_eq "last line" "$(tail -n 1 "$T/run.out")" \
		"Verdict: socket-snoop would not run (exit 77): not enough privilege (missing CAP_BPF and CAP_PERFMON)"
	snoop_run "${capped[@]}" "$SNOOP" --no-log-file --duration=1
	assert_eq "exit status of a start" "$RUN_STATUS" 77
}

@test "--check without CAP_NET_ADMIN: host names from DNS over UDP only, it would run with less (exit 0), and a start says so" {
	# shellcheck disable=SC2054 # one argument: the capabilities, comma-separated
	local -a capped=(setpriv --inh-caps=-all --bounding-set=-net_admin,-sys_admin)
	snoop_run "${capped[@]}" "$SNOOP" --check
	assert_eq "exit status" "$RUN_STATUS" 0
	assert_contains "$T/run.out" "  host names: from DNS over UDP only, not TCP: CAP_NET_ADMIN is not held"
	assert_eq "last line" "$(tail -n 1 "$T/run.out")" \
		"Verdict: socket-snoop would run (exit 0), with less than this kernel could give (above)"
	snoop_run "${capped[@]}" "$SNOOP" --no-log-file --duration=1
	assert_eq "exit status of a start" "$RUN_STATUS" 0
	assert_contains "$T/run.err" "host names are learnt from DNS over UDP only, not TCP: CAP_NET_ADMIN is not held"
	# --no-dns: nothing to say.
	snoop_run "${capped[@]}" "$SNOOP" --check --no-dns
	grep -q "host names" "$T/run.out" && e2e_fail "--no-dns, yet: $(grep "host names" "$T/run.out")"
	return 0
}
