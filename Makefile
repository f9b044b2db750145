# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# socket-snoop build.  `make V=1` shows the commands.
#
#   make            build build/socket-snoop (static libbpf, libelf, zlib)
#   make STATIC=1   build build-static/socket-snoop, fully static (glibc too)
#   sudo make run   install missing packages, build, run the monitor
#   sudo make test  install missing packages, build, run the whole suite
#   make test-sanitize  ASan+UBSan build in build-san: unit tests and an end-to-end run
#   make test-deploy    service (systemd), logrotate, image (podman), Kubernetes: tests/deploy
#   make fuzz       build the libFuzzer targets of tests/fuzz in build-fuzz
#   make fuzz-run   run each for FUZZ_SECONDS (default 10); `make test` does too
#   make lint       shellcheck, cppcheck, clang-tidy (.clang-tidy), clang-format over src/,
#                   tests/ and bench/ (clang-tidy: src/ only)
#   make check-linkage  the binary links only the libraries README.md names
#   make bench      measure overhead and loss, write docs/BENCHMARKS.md
#   make vmlinux    regenerate src/vmlinux/<arch>/vmlinux.h from this kernel

# STATIC=1: a fully static binary (glibc too), in its own directory: the
# normal build is left as it is.  Nothing on its path uses NSS.
STATIC ?=
OUTPUT := $(if $(filter 1,$(STATIC)),build-static,build)
CLANG ?= clang
CC ?= cc
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip
ARCH := $(shell uname -m | sed 's/x86_64/x86/' | sed 's/aarch64/arm64/')
VMLINUX_DIR := src/vmlinux/$(ARCH)
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
# make install: DESTDIR stages, prefix (or PREFIX) places.  The unit goes where
# systemd reads it (systemd-analyze unit-paths): $(PREFIX)/lib/systemd/system
# for /usr and /usr/local, /etc/systemd/system for any other prefix; logrotate
# reads only /etc/logrotate.d, so SYSCONFDIR stays /etc whatever the prefix.
prefix ?= /usr/local
# prefix= on the command line wins over a PREFIX in the environment.
ifeq ($(origin prefix),command line)
PREFIX := $(prefix)
endif
PREFIX ?= $(prefix)
SBINDIR ?= $(PREFIX:%/=%)/sbin
MANDIR ?= $(PREFIX:%/=%)/share/man
BASHCOMPDIR ?= $(PREFIX:%/=%)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(if $(filter /usr /usr/local,$(PREFIX:%/=%)),$(PREFIX:%/=%)/lib/systemd/system,/etc/systemd/system)
SYSCONFDIR ?= /etc

CFLAGS ?= -O2 -g
# override: `make CFLAGS='-O1 -g'` replaces the optimisation flags only; the
# language, warnings (-Werror) and defines below are always added.
override CFLAGS += -std=gnu11 -Wall -Wextra -Wshadow -Wformat=2 -Werror \
	  -Wno-missing-field-initializers -D_GNU_SOURCE -DSNOOP_VERSION='"$(VERSION)"' -I$(OUTPUT) -Isrc
# Static libbpf/libelf/zlib so the binary runs on any host with BTF.
LIBS_STATIC := -Wl,-Bstatic -lbpf -lelf -lz -Wl,-Bdynamic
LDLIBS := $(LIBS_STATIC)
ifeq ($(STATIC),1)
LDLIBS := -static -lbpf -lelf -lz
endif

# Clang needs the system include dirs for BPF, after its own (libbpf-bootstrap's trick).
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -D__BPF__ -Wall \
	      -I$(VMLINUX_DIR) -Isrc $(CLANG_BPF_SYS_INCLUDES)

# User space, a folder per layer (docs/ARCHITECTURE.md): lib/ pure modules (no
# libbpf), common/ the plumbing every face shares, snoop/ and packets/ the faces.
SRC_DIRS := lib common snoop packets
USER_SRCS := $(foreach d,$(SRC_DIRS),$(wildcard src/$(d)/*.c))
USER_OBJS := $(patsubst src/%.c,$(OUTPUT)/%.o,$(USER_SRCS))
USER_HDRS := src/snoop_abi.h $(foreach d,$(SRC_DIRS),$(wildcard src/$(d)/*.h))
BPF_SRCS := $(wildcard src/bpf/*.bpf.c)
BPF_HDRS := src/snoop_abi.h $(wildcard src/bpf/*.bpf.h)
SKELS := $(patsubst src/bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

ifeq ($(V),1)
	Q =
	msg =
else
	Q = @
	msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all clean deps run test unit e2e lint tidy format bench vmlinux install uninstall \
	check-opt-levels \
	check-linkage test-deploy image \
	fuzz fuzz-bins fuzz-run test-sanitize sanitize-bins

all: $(OUTPUT)/socket-snoop

$(OUTPUT):
	$(Q)mkdir -p $@ $@/tests

# DWARF is stripped (BTF stays): the objects are embedded in the binary and loaded in memory.
$(OUTPUT)/%.bpf.o: src/bpf/%.bpf.c $(BPF_HDRS) $(VMLINUX_DIR)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(LLVM_STRIP) -g -o $@ $@.tmp && rm -f $@.tmp

# BPF atomics (the owner hints' exchange): the tp_btf build needs Linux 5.12 anyway.
$(OUTPUT)/snoop.bpf.o: BPF_CFLAGS += -mcpu=v3
# The raw-tracepoint fallback (snoop_raw.bpf.c) includes snoop.bpf.c.
$(OUTPUT)/snoop_raw.bpf.o: src/bpf/snoop.bpf.c

# Generated: the skeleton embeds the BPF object in the binary.
$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(OUTPUT)/snoop/loader.o $(OUTPUT)/packets/loader.o: $(SKELS)

$(OUTPUT)/%.o: src/%.c $(USER_HDRS) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/socket-snoop: $(OUTPUT)/main.o $(USER_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@
	$(Q)ln -sf socket-snoop $(OUTPUT)/tcpsnoop
	$(Q)ln -sf socket-snoop $(OUTPUT)/tcptop

# Regenerate the committed vmlinux.h from the running kernel's BTF.
vmlinux:
	$(Q)mkdir -p $(VMLINUX_DIR)
	$(Q)( echo '/* Generated by "make vmlinux": bpftool btf dump of /sys/kernel/btf/vmlinux. */'; \
	      $(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c ) > $(VMLINUX_DIR)/vmlinux.h

deps:
	$(Q)./scripts/install-deps.sh

run:
	$(Q)./scripts/install-deps.sh build
	$(Q)$(MAKE) --no-print-directory all
	./$(OUTPUT)/socket-snoop $(ARGS)

# ---- tests -------------------------------------------------------------
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))

# Each unit test links only the modules it tests (and what they call), never
# the skeletons or libbpf: a module that starts needing more shows up here.
TEXT_MODS := lib/text.o lib/names.o lib/parse.o
# What the formats add to an event: the owner's unit, container and pod (its
# cgroup), the remote end's host name (DNS answers seen).
ENRICH_MODS := common/cgroups.o lib/cgroup_name.o snoop/resolved.o lib/dns.o lib/dns_cache.o
UNIT_MODS_test_cli := snoop/cli.o packets/cli.o common/target.o common/safe_path.o lib/text.o \
	lib/parse.o lib/names.o common/cgroups.o lib/cgroup_name.o
UNIT_MODS_test_fmt := snoop/fmt_log.o $(ENRICH_MODS) $(TEXT_MODS)
UNIT_MODS_test_cgroups := common/cgroups.o lib/cgroup_name.o
UNIT_MODS_test_fmt_tcpsnoop := packets/fmt.o $(TEXT_MODS)
UNIT_MODS_test_diag := common/diag.o lib/json.o lib/clock.o $(TEXT_MODS)
UNIT_MODS_test_json := snoop/fmt_json.o common/procinfo.o common/procfs.o lib/community_id.o \
	snoop/fmt_log.o snoop/lifecycle.o common/diag.o lib/json.o lib/clock.o lib/tcp_fsm.o \
	$(ENRICH_MODS) $(TEXT_MODS)
UNIT_MODS_test_lifecycle := snoop/lifecycle.o snoop/fmt_json.o common/procinfo.o common/procfs.o \
	lib/community_id.o snoop/fmt_log.o lib/json.o lib/tcp_fsm.o $(ENRICH_MODS) $(TEXT_MODS)
UNIT_MODS_test_notify := common/notify.o lib/parse.o lib/names.o
UNIT_MODS_test_parse := lib/parse.o lib/names.o
UNIT_MODS_test_sink := common/sink.o common/writeback.o common/safe_path.o lib/clock.o \
	common/caps.o common/loop.o common/rings.o common/procfs.o
# writeback.c drops its thread's capabilities through caps.c, which reads a map's info.
UNIT_LIBS_test_sink := $(LIBS_STATIC)
UNIT_MODS_test_tcp_fsm := lib/tcp_fsm.o
UNIT_MODS_test_rings := common/rings.o common/procfs.o
UNIT_LIBS_test_rings := $(LIBS_STATIC)
UNIT_MODS_test_community_id := lib/community_id.o
UNIT_MODS_test_dns := lib/dns.o lib/dns_cache.o
UNIT_MODS_test_resolved := snoop/resolved.o lib/dns.o lib/dns_cache.o
UNIT_MODS_test_start_owners := snoop/start_owners.o
UNIT_MODS_test_http := lib/http.o lib/text.o
UNIT_MODS_test_prom := lib/prom.o lib/text.o
UNIT_MODS_test_metrics := snoop/metrics.o lib/prom.o $(TEXT_MODS)
# The clock is the test's own: it moves the server's deadlines.
UNIT_MODS_test_httpd := common/httpd.o lib/http.o lib/text.o
UNIT_LIBS_test_httpd := -lz
# procinfo.c runs the task_exe iterator through libbpf.
UNIT_LIBS_test_json := $(LIBS_STATIC)
UNIT_LIBS_test_lifecycle := $(LIBS_STATIC)
UNIT_LIBS_test_procinfo := $(LIBS_STATIC)
UNIT_MODS_test_procfs := common/procfs.o
UNIT_MODS_test_procinfo := common/procinfo.o common/procfs.o lib/community_id.o
UNIT_MODS_test_sock_diag := common/sock_diag.o common/procfs.o
# snapshot.c is included (its static parts are tested); the map update is replaced.
UNIT_MODS_test_snapshot := common/procfs.o common/sock_diag.o
$(OUTPUT)/tests/test_snapshot: src/common/snapshot.c
UNIT_MODS_test_snapshot_iter :=
$(OUTPUT)/tests/test_snapshot_iter: src/common/snapshot_iter.c

.SECONDEXPANSION:
$(OUTPUT)/tests/%: tests/unit/%.c $$(addprefix $(OUTPUT)/,$$(UNIT_MODS_$$*)) | $(OUTPUT)
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter $< $(addprefix $(OUTPUT)/,$(UNIT_MODS_$*)) \
		-lcmocka $(UNIT_LIBS_$*) -o $@

unit: $(UNIT_BINS)
	$(Q)./tests/run-unit.sh $(UNIT_BINS)

e2e: all
	$(Q)SNOOP="$${SNOOP:-$(abspath $(OUTPUT))/socket-snoop}" ./tests/run-e2e.sh

# The libraries the binary links, against README.md's Requirements section.
check-linkage: all
	$(call msg,CHECK,linkage)
	$(Q)./tests/check-linkage.sh $(OUTPUT)/socket-snoop

# Other optimisation levels must build warning-free too: -O0 for debugging, and
# -O1, where gcc's format-truncation analysis sees differently than at -O2.
OPT_CHECKS := O0 O1

check-opt-levels:
	$(Q)for o in $(OPT_CHECKS); do \
		$(MAKE) --no-print-directory OUTPUT=build-$$o CFLAGS="-$$o -g" all || exit 1; \
	done

test: deps
	$(Q)$(MAKE) --no-print-directory all check-linkage check-opt-levels lint
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory fuzz-run
	$(Q)$(MAKE) --no-print-directory e2e

# ---- deployment --------------------------------------------------------
# The service under a real systemd, logrotate, the container image with
# podman, the Kubernetes manifest (tests/deploy/run.sh); .ci/run runs it too.
test-deploy: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory STATIC=1 all
	$(Q)./tests/deploy/run.sh

# The FROM scratch image socket-snoop:$(VERSION) (deploy/Containerfile), with podman:
# builds build-static first; nothing is pulled.
image: deps
	$(Q)./scripts/build-image.sh

# ---- sanitizers --------------------------------------------------------
# The whole program and the unit tests built with ASan and UBSan in their own
# directory, then tests/sanitize.sh: unit tests, command lines, end-to-end
# files; any sanitizer report fails it.  No finding is ignored.
SAN_OUT := build-san
SAN_CC ?= clang
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_CFLAGS ?= -O1 -g

sanitize-bins:
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(SAN_OUT) CC=$(SAN_CC) \
		CFLAGS="$(SAN_CFLAGS) $(SAN_FLAGS)" all $(patsubst $(OUTPUT)/%,$(SAN_OUT)/%,$(UNIT_BINS))

test-sanitize: deps sanitize-bins
	$(Q)./tests/sanitize.sh $(SAN_OUT)

# ---- fuzzing -----------------------------------------------------------
# libFuzzer targets, one per parser of outside data (tests/fuzz/README.md).
# Each links only the modules it exercises, built with the fuzzer's
# instrumentation in their own directory.
FUZZ_OUT := build-fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 10
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst %,$(OUTPUT)/fuzz/%,$(FUZZ_TARGETS))
FUZZ_PARSE := lib/parse.o lib/names.o
FUZZ_FMT := snoop/fmt_log.o common/cgroups.o lib/cgroup_name.o snoop/resolved.o lib/dns.o \
	lib/dns_cache.o lib/text.o lib/names.o lib/parse.o
FUZZ_JSON := snoop/fmt_json.o common/procinfo.o common/procfs.o lib/community_id.o lib/json.o \
	$(FUZZ_FMT)
FUZZ_MODS_fuzz_cli_snoop := snoop/cli.o common/target.o common/cgroups.o common/safe_path.o \
	lib/cgroup_name.o lib/text.o $(FUZZ_PARSE)
FUZZ_MODS_fuzz_config := snoop/cli.o common/target.o common/cgroups.o common/safe_path.o \
	lib/cgroup_name.o lib/text.o $(FUZZ_PARSE)
FUZZ_MODS_fuzz_cgroup_name := lib/cgroup_name.o
FUZZ_MODS_fuzz_cli_packets := packets/cli.o $(FUZZ_PARSE)
FUZZ_MODS_fuzz_parse := $(FUZZ_PARSE)
FUZZ_MODS_fuzz_fmt_json := $(FUZZ_JSON)
# procinfo.c runs the task_exe iterator through libbpf.
FUZZ_LIBS_fuzz_fmt_json := $(LIBS_STATIC)
FUZZ_MODS_fuzz_json_message := common/diag.o lib/json.o lib/clock.o lib/text.o $(FUZZ_PARSE)
FUZZ_MODS_fuzz_fmt_log := $(FUZZ_FMT)
FUZZ_MODS_fuzz_fmt_tcpsnoop := packets/fmt.o $(FUZZ_FMT)
FUZZ_MODS_fuzz_proc_loadavg := packets/fmt.o $(FUZZ_FMT)
FUZZ_MODS_fuzz_http := lib/http.o lib/text.o
FUZZ_MODS_fuzz_dns := lib/dns.o lib/dns_cache.o
# snapshot.c and procfs.c are included (their open() is the target's); snapshot.c calls libbpf.
FUZZ_MODS_fuzz_proc_owner := common/target.o common/snapshot_iter.o common/sock_diag.o \
	$(FUZZ_PARSE)
FUZZ_LIBS_fuzz_proc_owner := $(LIBS_STATIC)
$(OUTPUT)/fuzz/fuzz_proc_owner: src/common/snapshot.c src/common/procfs.c

fuzz:
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(FUZZ_OUT) CC=$(FUZZ_CC) \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
		fuzz-bins

fuzz-bins: $(FUZZ_BINS)

$(OUTPUT)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_util.h $(USER_HDRS) \
		  $$(addprefix $(OUTPUT)/,$$(FUZZ_MODS_$$*)) | $(OUTPUT)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(OUTPUT)/fuzz
	$(Q)$(CC) $(CFLAGS) -fsanitize=fuzzer -Itests/fuzz $< \
		$(addprefix $(OUTPUT)/,$(FUZZ_MODS_$*)) $(FUZZ_LIBS_$*) -o $@

fuzz-run: fuzz
	$(Q)./tests/fuzz/run.sh $(FUZZ_OUT) $(FUZZ_TARGETS)

# clang-tidy (tests/tidy.sh): the checks of .clang-tidy over the user-space C
# (src/*.c, not the BPF programs, not the generated skeletons, which it needs
# built to read loader.c and packets.c).  TIDY_PENDING: FILE:CHECK findings
# reported for a fix in a file being changed elsewhere; that check is off for
# that file only.  Remove an entry with its fix.
CLANG_TIDY ?= clang-tidy
TIDY_SRCS := src/main.c $(USER_SRCS)
TIDY_PENDING :=

# Lint covers src/, tests/ and bench/.
TEST_C_SRCS := $(wildcard tests/unit/*.c tests/fuzz/*.c bench/*.c) tests/e2e/peer.c
CLANG_FORMAT_SRCS := src/main.c src/snoop_abi.h $(USER_SRCS) $(filter-out src/snoop_abi.h,$(USER_HDRS)) \
	src/bpf/*.bpf.c $(wildcard src/bpf/*.bpf.h) $(TEST_C_SRCS) tests/fuzz/*.h
SHELL_SRCS := scripts/*.sh tests/*.sh tests/e2e/*.bash tests/fuzz/*.sh tests/deploy/*.sh bench/*.sh \
	completion/*.bash .ci/run
# bats files are bash with @test blocks, which shellcheck reads; in parallel (the slow part).
BATS_SRCS := $(wildcard tests/e2e/*.bats tests/e2e/*/*.bats)

lint: tidy
	$(call msg,LINT,shellcheck)
	$(Q)shellcheck -x $(SHELL_SRCS)
	$(Q)printf '%s\n' $(BATS_SRCS) | xargs -P "$$(nproc)" -n 1 shellcheck -x --shell=bash
	$(call msg,LINT,cppcheck)
	$(Q)cppcheck -q --error-exitcode=1 --inline-suppr --enable=warning,portability \
		--include=tests/cppcheck-macros.h -Isrc --suppress=missingIncludeSystem \
		--suppress=missingInclude src/main.c $(USER_SRCS) $(TEST_C_SRCS)
	$(call msg,LINT,clang-format)
	$(Q)clang-format --dry-run --Werror $(CLANG_FORMAT_SRCS)

tidy: $(SKELS)
	$(call msg,LINT,clang-tidy)
	$(Q)CLANG_TIDY=$(CLANG_TIDY) TIDY_PENDING="$(TIDY_PENDING)" ./tests/tidy.sh $(OUTPUT) $(TIDY_SRCS)

format:
	clang-format -i $(CLANG_FORMAT_SRCS)

bench: deps all
	$(Q)$(MAKE) --no-print-directory -C bench
	$(Q)./bench/run.sh

# ---- installation ------------------------------------------------------
# make [STATIC=1] install [DESTDIR=stage] [prefix=/usr]: the binary of the
# build (build-static's with STATIC=1), the two faces as links, the man pages,
# bash completion for the three names, the systemd unit (its ExecStart pointed
# at $(SBINDIR)), the logrotate snippet and the unit's --config file (only
# when there is none: it is the administrator's).  make uninstall with the
# same variables removes exactly those (the --config file only when unchanged),
# and the directories install created (listed in build/install-dirs.*), never
# one that was there before.
INSTALL_NAMES := socket-snoop tcpsnoop tcptop
INSTALL_FILES = $(addprefix $(SBINDIR)/,$(INSTALL_NAMES)) \
	$(patsubst %,$(MANDIR)/man8/%.8,$(INSTALL_NAMES)) \
	$(addprefix $(BASHCOMPDIR)/,$(INSTALL_NAMES)) $(SYSTEMDUNITDIR)/socket-snoop.service \
	$(SYSCONFDIR)/logrotate.d/socket-snoop
INSTALL_CONFIG = $(SYSCONFDIR)/socket-snoop/filters.conf
INSTALL_DIRS = $(sort $(patsubst %/,%,$(dir $(INSTALL_FILES) $(INSTALL_CONFIG))))
INSTALL_RECORD = build/install-dirs.$(firstword $(shell printf '%s\n' '$(abspath $(DESTDIR))' \
	$(INSTALL_DIRS) | cksum))

install: all
	@set -e; rec=$(INSTALL_RECORD); mkdir -p build; touch $$rec; \
	for d in $(INSTALL_DIRS); do \
		while [ "$$d" != / ] && [ ! -d "$(DESTDIR)$$d" ]; do \
			echo "$$d" >>$$rec; d=$$(dirname "$$d"); \
		done; \
	done; \
	sort -u -o $$rec $$rec
	install -d $(addprefix $(DESTDIR),$(INSTALL_DIRS))
	install -m 0755 $(OUTPUT)/socket-snoop $(DESTDIR)$(SBINDIR)/socket-snoop
	ln -sf socket-snoop $(DESTDIR)$(SBINDIR)/tcpsnoop
	ln -sf socket-snoop $(DESTDIR)$(SBINDIR)/tcptop
	install -m 0644 docs/socket-snoop.8 $(DESTDIR)$(MANDIR)/man8/socket-snoop.8
	install -m 0644 docs/tcpsnoop.8 $(DESTDIR)$(MANDIR)/man8/tcpsnoop.8
	install -m 0644 docs/tcptop.8 $(DESTDIR)$(MANDIR)/man8/tcptop.8
	install -m 0644 completion/socket-snoop.bash $(DESTDIR)$(BASHCOMPDIR)/socket-snoop
	ln -sf socket-snoop $(DESTDIR)$(BASHCOMPDIR)/tcpsnoop
	ln -sf socket-snoop $(DESTDIR)$(BASHCOMPDIR)/tcptop
	sed -E 's#^ExecStart=/usr/local/sbin/socket-snoop([[:space:]]|$$)#ExecStart=$(SBINDIR)/socket-snoop\1#' \
		deploy/socket-snoop.service >$(OUTPUT)/socket-snoop.service
	@grep -Eq '^ExecStart=$(SBINDIR)/socket-snoop([[:space:]]|$$)' $(OUTPUT)/socket-snoop.service || \
		{ echo "install: deploy/socket-snoop.service: no ExecStart=/usr/local/sbin/socket-snoop" \
			"to point at $(SBINDIR)" >&2; exit 1; }
	install -m 0644 $(OUTPUT)/socket-snoop.service $(DESTDIR)$(SYSTEMDUNITDIR)/socket-snoop.service
	install -m 0644 deploy/socket-snoop.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/socket-snoop
	@[ -e $(DESTDIR)$(INSTALL_CONFIG) ] || \
		{ echo "install -m 0644 deploy/filters.conf $(DESTDIR)$(INSTALL_CONFIG)"; \
		  install -m 0644 deploy/filters.conf $(DESTDIR)$(INSTALL_CONFIG); }

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALL_FILES))
	@if cmp -s deploy/filters.conf $(DESTDIR)$(INSTALL_CONFIG); then \
		echo "rm -f $(DESTDIR)$(INSTALL_CONFIG)"; rm -f $(DESTDIR)$(INSTALL_CONFIG); \
	elif [ -e $(DESTDIR)$(INSTALL_CONFIG) ]; then \
		echo "kept $(DESTDIR)$(INSTALL_CONFIG): changed since make install"; \
	fi
	@rec=$(INSTALL_RECORD); if [ -f $$rec ]; then \
		for d in $$(sort -r $$rec); do \
			if rmdir "$(DESTDIR)$$d" 2>/dev/null; then echo "rmdir $(DESTDIR)$$d"; fi; \
		done; \
		rm -f $$rec; \
	fi

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT)
	$(Q)$(MAKE) --no-print-directory -C bench clean 2>/dev/null || true
