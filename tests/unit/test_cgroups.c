// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * test_cgroups.c - a cgroup path to its unit, container and pod (the
 * patterns of systemd, docker, containerd, cri-o, podman and the kubelet),
 * who may name a directory (trust), --unit's and --container's values, and
 * the table over a directory tree (a temporary one: on cgroup2 too a
 * cgroup's id is its directory's inode number).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cgroup_name.h"
#include "common/cgroups.h"
#include "helpers.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID64B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define UID "2e5a1b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b"
#define UID_ "2e5a1b3c_4d5e_4f60_8a9b_0c1d2e3f4a5b"

static struct cgroup_name parse(const char *path)
{
	struct cgroup_name n;

	memset(&n, 'X', sizeof(n));
	cgroup_name_parse(path, SIZE_MAX, &n);
	return n;
}

static void test_systemd_service_and_its_sub_cgroup(void **state)
{
	struct cgroup_name n = parse("/system.slice/nginx.service");

	(void)state;
	assert_string_equal(n.unit, "nginx.service");
	assert_string_equal(n.container_id, "");
	assert_string_equal(n.pod_uid, "");
	assert_int_equal(n.runtime, CGROUP_RUNTIME_NONE);
	/* A process in a unit's own sub-cgroup is the unit's. */
	n = parse("/system.slice/postgresql@15-main.service/worker");
	assert_string_equal(n.unit, "postgresql@15-main.service");
	/* The deepest unit: a user's service inside the user's manager. */
	n = parse("/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service");
	assert_string_equal(n.unit, "foo.service");
	n = parse("/user.slice/user-1000.slice/session-3.scope");
	assert_string_equal(n.unit, "session-3.scope");
	/* A slice holds units; it is not one a process runs as. */
	n = parse("/system.slice");
	assert_string_equal(n.unit, "");
	/* "/" is the root cgroup; nothing at all. */
	n = parse("/");
	assert_string_equal(n.unit, "");
	assert_string_equal(n.container_id, "");
}

static void test_container_runtimes_by_their_scope_names(void **state)
{
	static const struct {
		const char *path;
		enum cgroup_runtime rt;
	} cases[] = {
		{ "/system.slice/docker-" ID64 ".scope", CGROUP_RUNTIME_DOCKER },
		{ "/system.slice/cri-containerd-" ID64 ".scope", CGROUP_RUNTIME_CONTAINERD },
		{ "/machine.slice/crio-" ID64 ".scope", CGROUP_RUNTIME_CRIO },
		{ "/machine.slice/libpod-" ID64 ".scope", CGROUP_RUNTIME_PODMAN },
		{ "/machine.slice/libpod-" ID64 ".scope/container", CGROUP_RUNTIME_PODMAN },
		/* The cgroupfs managers: podman's, docker's (by the parent's name). */
		{ "/libpod_parent/libpod-" ID64, CGROUP_RUNTIME_PODMAN },
		{ "/docker/" ID64, CGROUP_RUNTIME_DOCKER },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cgroup_name n = parse(cases[i].path);

		assert_string_equal(n.container_id, ID64);
		assert_int_equal(n.runtime, cases[i].rt);
	}
	assert_string_equal(cgroup_runtime_name(CGROUP_RUNTIME_CRIO), "cri-o");
	assert_string_equal(cgroup_runtime_name(CGROUP_RUNTIME_CONTAINERD), "containerd");
	assert_null(cgroup_runtime_name(CGROUP_RUNTIME_NONE));
}

static void test_not_containers(void **state)
{
	static const char *const paths[] = {
		/* The monitors beside a container are not it. */
		"/machine.slice/crio-conmon-" ID64 ".scope",
		"/machine.slice/libpod-conmon-" ID64 ".scope",
		/* One digit short, one long, upper case, no ".scope". */
		"/system.slice/docker-" ID64 "0.scope",
		"/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde.scope",
		"/system.slice/docker-0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef.scope",
		"/system.slice/docker-" ID64,
		"/system.slice/docker-" ID64 ".scopex",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct cgroup_name n = parse(paths[i]);

		assert_string_equal(n.container_id, "");
		assert_int_equal(n.runtime, CGROUP_RUNTIME_NONE);
	}
}

static void test_kubernetes_pods_both_drivers(void **state)
{
	struct cgroup_name n = parse("/kubepods.slice/kubepods-besteffort.slice/"
				     "kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" ID64
				     ".scope");

	(void)state;
	assert_string_equal(n.pod_uid, UID);
	assert_string_equal(n.container_id, ID64);
	assert_int_equal(n.runtime, CGROUP_RUNTIME_CONTAINERD);
	assert_string_equal(n.unit, "cri-containerd-" ID64 ".scope");
	/* Guaranteed QoS has no class in the name. */
	n = parse("/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID64 ".scope");
	assert_string_equal(n.pod_uid, UID);
	assert_int_equal(n.runtime, CGROUP_RUNTIME_CRIO);
	/* cgroupfs: no runtime in the path. */
	n = parse("/kubepods/burstable/pod" UID "/" ID64);
	assert_string_equal(n.pod_uid, UID);
	assert_string_equal(n.container_id, ID64);
	assert_int_equal(n.runtime, CGROUP_RUNTIME_NONE);
	assert_string_equal(n.unit, "");
	/* "pod<uid>" outside kubepods is not a pod; a bad uid is none. */
	n = parse("/elsewhere/pod" UID);
	assert_string_equal(n.pod_uid, "");
	n = parse("/kubepods.slice/kubepods-pod2e5a1b3c_4d5e_4f60_8a9b_0c1d2e3f4a5.slice");
	assert_string_equal(n.pod_uid, "");
	n = parse("/kubepods.slice/kubepods-podZe5a1b3c_4d5e_4f60_8a9b_0c1d2e3f4a5b.slice");
	assert_string_equal(n.pod_uid, "");
}

/* A delegated subtree's names are its user's: only the first @trusted names are read. */
static void test_untrusted_names_are_not_read(void **state)
{
	const char *path = "/user.slice/user-1000.slice/user@1000.service/evil.service/docker-" ID64
			   ".scope";
	struct cgroup_name n;

	(void)state;
	cgroup_name_parse(path, 3, &n);
	assert_string_equal(n.unit, "user@1000.service");
	assert_string_equal(n.container_id, "");
	cgroup_name_parse(path, 0, &n);
	assert_string_equal(n.unit, "");
	cgroup_name_parse(path, 5, &n);
	assert_string_equal(n.container_id, ID64);
}

static void test_unit_names_with_bad_characters_are_none(void **state)
{
	(void)state;
	assert_string_equal(parse("/system.slice/a b.service").unit, "");
	assert_string_equal(parse("/system.slice/a\x1b[2J.service").unit, "");
	assert_string_equal(parse("/system.slice/.service").unit, "");
	assert_true(cgroup_is_unit_name("getty@tty1.service"));
	assert_true(cgroup_is_unit_name("dev-x\\x2dy.scope"));
	assert_false(cgroup_is_unit_name("x.slice"));
	assert_false(cgroup_is_unit_name("x.service\n"));
}

static void test_unit_arg(void **state)
{
	char u[CGROUP_UNIT_SIZE], longer[300];

	(void)state;
	assert_int_equal(cgroup_unit_arg("nginx", u), 0);
	assert_string_equal(u, "nginx.service");
	assert_int_equal(cgroup_unit_arg("session-2.scope", u), 0);
	assert_string_equal(u, "session-2.scope");
	assert_int_equal(cgroup_unit_arg("system.slice", u), 0);
	assert_string_equal(u, "system.slice");
	/* Not a unit type: a service named so (as systemctl does). */
	assert_int_equal(cgroup_unit_arg("foo.bar", u), 0);
	assert_string_equal(u, "foo.bar.service");
	/* Units without processes of their own, bad characters, empty names. */
	assert_int_equal(cgroup_unit_arg("ssh.socket", u), -EINVAL);
	assert_int_equal(cgroup_unit_arg("x.timer", u), -EINVAL);
	assert_int_equal(cgroup_unit_arg("a/b", u), -EINVAL);
	assert_int_equal(cgroup_unit_arg("a b", u), -EINVAL);
	assert_int_equal(cgroup_unit_arg("", u), -EINVAL);
	assert_int_equal(cgroup_unit_arg(".service", u), -EINVAL);
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(cgroup_unit_arg(longer, u), -EINVAL);
	/* 247 + ".service" is 255: systemd's longest. */
	longer[247] = '\0';
	assert_int_equal(cgroup_unit_arg(longer, u), 0);
	longer[247] = 'a';
	longer[248] = '\0';
	assert_int_equal(cgroup_unit_arg(longer, u), -EINVAL);
}

/* ---- the table and the searches, over a temporary tree ---- */

static char root[64];

static uint64_t make_dir(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static int tree_setup(void **state)
{
	(void)state;
	return test_make_tmpdir(root, sizeof(root), "test-cgroups");
}

static int tree_teardown(void **state)
{
	(void)state;
	return test_remove_tree(root);
}

#define NOW 5000000000ull

static void test_cache_finds_ids_and_remembers_gone_ones(void **state)
{
	struct cgroup_cache *c;
	const struct cgroup_info *ci;
	uint64_t web, box, late;

	(void)state;
	if (geteuid() != 0)
		skip(); /* trust needs root-owned directories */
	make_dir("/system.slice");
	web = make_dir("/system.slice/web.service");
	box = make_dir("/system.slice/docker-" ID64 ".scope");
	assert_int_equal(cgroup_cache__new(&c, root), 0);
	ci = cgroup_cache__get(c, web, NOW);
	assert_non_null(ci);
	assert_int_equal(ci->id, web);
	assert_string_equal(ci->name.unit, "web.service");
	/* The same walk found the other: no walk needed (one would be refused this soon). */
	ci = cgroup_cache__get(c, box, NOW + 1);
	assert_non_null(ci);
	assert_string_equal(ci->name.container_id, ID64);
	assert_int_equal(ci->name.runtime, CGROUP_RUNTIME_DOCKER);
	/* Directories made after the walk: found at once, as long as the burst lasts. */
	for (int i = 1; i < CGROUPS_WALK_BURST; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "/system.slice/late%d.service", i);
		late = make_dir(rel);
		ci = cgroup_cache__get(c, late, NOW + 2);
		assert_non_null(ci);
		assert_string_equal(ci->name.unit, rel + sizeof("/system.slice/") - 1);
	}
	/* Then one walk per gap: the budget is spent, and refills with time. */
	late = make_dir("/system.slice/late.service");
	assert_null(cgroup_cache__get(c, late, NOW + 2));
	assert_null(cgroup_cache__get(c, late, NOW + 2 + CGROUPS_WALK_GAP_NS / 2));
	ci = cgroup_cache__get(c, late, NOW + 2 + CGROUPS_WALK_GAP_NS);
	assert_non_null(ci);
	assert_string_equal(ci->name.unit, "late.service");
	/* An id no directory has is gone for good: no walk for it again. */
	assert_null(cgroup_cache__get(c, 987654321987ull, NOW + 10 * CGROUPS_WALK_GAP_NS));
	assert_null(cgroup_cache__get(c, 987654321987ull, NOW + 20 * CGROUPS_WALK_GAP_NS));
	assert_null(cgroup_cache__get(c, 0, NOW));
	cgroup_cache__free(c);
	cgroup_cache__free(NULL);
}

static void test_delegated_subtree_names_its_manager(void **state)
{
	char path[PATH_MAX], found[PATH_MAX], full[CGROUP_CONTAINER_ID_SIZE];
	struct cgroup_cache *c;
	const struct cgroup_info *ci;
	uint64_t evil, box;

	(void)state;
	if (geteuid() != 0)
		skip();
	make_dir("/user.slice");
	make_dir("/user.slice/user@1000.service");
	evil = make_dir("/user.slice/user@1000.service/sshd.service");
	box = make_dir("/user.slice/user@1000.service/docker-" ID64B ".scope");
	/* systemd hands the user's manager its directory. */
	snprintf(path, sizeof(path), "%s/user.slice/user@1000.service", root);
	assert_int_equal(chown(path, 1000, 1000), 0);
	assert_int_equal(cgroup_cache__new(&c, root), 0);
	ci = cgroup_cache__get(c, evil, NOW);
	assert_non_null(ci);
	assert_string_equal(ci->name.unit, "user@1000.service");
	ci = cgroup_cache__get(c, box, NOW);
	assert_non_null(ci);
	assert_string_equal(ci->name.container_id, "");
	assert_string_equal(ci->name.unit, "user@1000.service");
	cgroup_cache__free(c);
	/* Nor can the user's names be chosen by --unit or --container. */
	assert_int_equal(cgroups__find_unit(root, "sshd.service", found, sizeof(found)), -ENOENT);
	assert_int_equal(cgroups__find_unit(root, "user@1000.service", found, sizeof(found)), 0);
	assert_string_equal(found + strlen(root), "/user.slice/user@1000.service");
	assert_int_equal(cgroups__find_container(root, "fedcba987654", found, sizeof(found), full),
			 -ENOENT);
}

static void test_find_unit_and_container(void **state)
{
	char found[PATH_MAX], full[CGROUP_CONTAINER_ID_SIZE];

	(void)state;
	if (geteuid() != 0)
		skip();
	make_dir("/system.slice");
	make_dir("/system.slice/web.service");
	make_dir("/system.slice/web.service/worker");
	make_dir("/machine.slice");
	make_dir("/machine.slice/libpod-" ID64 ".scope");
	make_dir("/machine.slice/libpod-" ID64 ".scope/container");
	make_dir("/machine.slice/libpod-conmon-" ID64B ".scope");
	make_dir("/other.slice");
	make_dir("/other.slice/twin.service");
	make_dir("/system.slice/twin.service");
	assert_int_equal(cgroups__find_unit(root, "web.service", found, sizeof(found)), 0);
	assert_string_equal(found + strlen(root), "/system.slice/web.service");
	assert_int_equal(cgroups__find_unit(root, "nope.service", found, sizeof(found)), -ENOENT);
	assert_int_equal(cgroups__find_unit(root, "twin.service", found, sizeof(found)), -EEXIST);
	assert_int_equal(cgroups__find_container(root, "0123456789ab", found, sizeof(found), full),
			 0);
	assert_string_equal(found + strlen(root), "/machine.slice/libpod-" ID64 ".scope");
	assert_string_equal(full, ID64);
	assert_int_equal(cgroups__find_container(root, ID64, found, sizeof(found), full), 0);
	/* A conmon scope holds no container. */
	assert_int_equal(cgroups__find_container(root, "fedcba987654", found, sizeof(found), full),
			 -ENOENT);
	/* A prefix two containers share. */
	make_dir(
		"/machine.slice/crio-0123456789abffff0123456789abcdef0123456789abcdef0123456789abcdef.scope");
	assert_int_equal(cgroups__find_container(root, "0123456789ab", found, sizeof(found), full),
			 -EEXIST);
	assert_int_equal(cgroups__find_container(root, "0123456789abc", found, sizeof(found), full),
			 0);
	assert_int_equal(cgroups__find_unit("/nonexistent-root", "x.service", found, sizeof(found)),
			 -ENOENT);
}

/* A tree with more cgroups than the table has slots: the one asked for is always found. */
static void test_table_bounded_by_its_slots(void **state)
{
	struct cgroup_cache *c;
	uint64_t ids[CGROUPS_SLOTS + 100];
	char rel[64];

	(void)state;
	if (geteuid() != 0)
		skip();
	make_dir("/many.slice");
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(rel, sizeof(rel), "/many.slice/u%zu.service", i);
		ids[i] = make_dir(rel);
	}
	assert_int_equal(cgroup_cache__new(&c, root), 0);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i += 97) {
		const struct cgroup_info *ci =
			cgroup_cache__get(c, ids[i], NOW + (i + 1) * CGROUPS_WALK_GAP_NS);

		snprintf(rel, sizeof(rel), "u%zu.service", i);
		assert_non_null(ci);
		assert_string_equal(ci->name.unit, rel);
	}
	cgroup_cache__free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_systemd_service_and_its_sub_cgroup),
		cmocka_unit_test(test_container_runtimes_by_their_scope_names),
		cmocka_unit_test(test_not_containers),
		cmocka_unit_test(test_kubernetes_pods_both_drivers),
		cmocka_unit_test(test_untrusted_names_are_not_read),
		cmocka_unit_test(test_unit_names_with_bad_characters_are_none),
		cmocka_unit_test(test_unit_arg),
		cmocka_unit_test_setup_teardown(test_cache_finds_ids_and_remembers_gone_ones,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_delegated_subtree_names_its_manager,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_find_unit_and_container, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_table_bounded_by_its_slots, tree_setup,
						tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
