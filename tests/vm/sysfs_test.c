// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: /sys/fs/nfs_cachefs/<id>/ per mount. It appears with the mount
 * and goes with it, names the mount (dev, lowerdir, cachedir), refuses bad
 * tunable values keeping the old ones, and its stats count what happens.
 */
#include "../lib/nfsc_vm.h"
#include "kselftest_harness.h"

FIXTURE(sysfs) {
	char dir[PATH_MAX];
};

FIXTURE_SETUP(sysfs)
{
	ASSERT_EQ(0, nfsc_module_load());
	ASSERT_EQ(0, nfsc_mount_stack(NFSC_STACK));
	ASSERT_EQ(0, nfsc_sysfs_dir(NFSC_STACK, self->dir, sizeof(self->dir)));
}

FIXTURE_TEARDOWN(sysfs)
{
	nfsc_umount(NFSC_STACK);
}

TEST_F(sysfs, names_the_mount)
{
	char buf[PATH_MAX];

	ASSERT_EQ(0, nfsc_attr_read(self->dir, "lowerdir", buf, sizeof(buf)));
	EXPECT_STREQ(nfsc_env("NFSC_NFS"), buf);
	ASSERT_EQ(0, nfsc_attr_read(self->dir, "cachedir", buf, sizeof(buf)));
	EXPECT_STREQ(nfsc_env("NFSC_CACHEDIR"), buf);
	/* Read-only information refuses writes. */
	EXPECT_EQ(-EACCES, nfsc_attr_write(self->dir, "lowerdir", "/x"));
}

TEST_F(sysfs, defaults)
{
	char buf[64];

	EXPECT_EQ(1, nfsc_attr_num(self->dir, "enabled"));
	EXPECT_EQ(0, nfsc_attr_num(self->dir, "min_size"));
	EXPECT_EQ(60000, nfsc_attr_num(self->dir, "fill_timeout_ms"));
	EXPECT_EQ(1024, nfsc_attr_num(self->dir, "max_pending"));
	EXPECT_EQ(1024, nfsc_attr_num(self->dir, "max_held"));
	ASSERT_EQ(0, nfsc_attr_read(self->dir, "revalidate", buf, sizeof(buf)));
	EXPECT_STREQ("cto", buf);
}

TEST_F(sysfs, tunables_validated)
{
	char buf[64];

	/* Good values are taken. */
	EXPECT_EQ(0, nfsc_attr_write(self->dir, "enabled", "0"));
	EXPECT_EQ(0, nfsc_attr_num(self->dir, "enabled"));
	EXPECT_EQ(0, nfsc_attr_write(self->dir, "min_size", "4096"));
	EXPECT_EQ(0, nfsc_attr_write(self->dir, "max_size", "1048576"));
	EXPECT_EQ(0, nfsc_attr_write(self->dir, "fill_timeout_ms", "5000"));
	EXPECT_EQ(0, nfsc_attr_write(self->dir, "max_pending", "16"));
	EXPECT_EQ(0, nfsc_attr_write(self->dir, "max_held", "0"));
	EXPECT_EQ(0, nfsc_attr_write(self->dir, "revalidate", "ttl:250"));
	ASSERT_EQ(0, nfsc_attr_read(self->dir, "revalidate", buf, sizeof(buf)));
	EXPECT_STREQ("ttl:250", buf);
	EXPECT_EQ(0, nfsc_attr_write(self->dir, "revalidate", "never\n"));
	ASSERT_EQ(0, nfsc_attr_read(self->dir, "revalidate", buf, sizeof(buf)));
	EXPECT_STREQ("never", buf);

	/* Bad ones are refused, and the old value stays. */
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "enabled", "2"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "enabled", "yes"));
	EXPECT_EQ(0, nfsc_attr_num(self->dir, "enabled"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "min_size", "-1"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "min_size", "2097152"));
	EXPECT_EQ(4096, nfsc_attr_num(self->dir, "min_size"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "max_size", "100"));
	EXPECT_EQ(1048576, nfsc_attr_num(self->dir, "max_size"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "fill_timeout_ms", "0"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "fill_timeout_ms", "12abc"));
	EXPECT_EQ(5000, nfsc_attr_num(self->dir, "fill_timeout_ms"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "max_pending", "0"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "max_pending", "99999999999999999999999"));
	EXPECT_EQ(16, nfsc_attr_num(self->dir, "max_pending"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "max_held", "1048577"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "max_held", "-1"));
	EXPECT_EQ(0, nfsc_attr_num(self->dir, "max_held"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "revalidate", "sometimes"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "revalidate", "ttl:"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "revalidate", "ttl:-5"));
	EXPECT_EQ(-EINVAL, nfsc_attr_write(self->dir, "revalidate", "ctox"));
	ASSERT_EQ(0, nfsc_attr_read(self->dir, "revalidate", buf, sizeof(buf)));
	EXPECT_STREQ("never", buf);
	/* Stats are read-only. */
	EXPECT_EQ(-EACCES, nfsc_attr_write(self->dir, "stats/misses", "0"));
}

/* With no cache yet, every read open is a miss served by NFS. */
TEST_F(sysfs, stats_count_misses_and_lower_bytes)
{
	char path[PATH_MAX], buf[4096];
	long long misses, bytes;
	int fd, i;

	snprintf(path, sizeof(path), "%s/sysfs-stats", nfsc_env("NFSC_EXPORT"));
	ASSERT_EQ(0, nfsc_sh("head -c 10000 /dev/zero > %s", path));
	misses = nfsc_attr_num(self->dir, "stats/misses");
	bytes = nfsc_attr_num(self->dir, "stats/bytes_lower");
	ASSERT_LE(0, misses);

	snprintf(path, sizeof(path), "%s/sysfs-stats", NFSC_STACK);
	for (i = 0; i < 3; i++) {
		fd = open(path, O_RDONLY);
		ASSERT_LE(0, fd);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	/* Opens for writing are not misses. */
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	close(fd);

	EXPECT_EQ(misses + 3, nfsc_attr_num(self->dir, "stats/misses"));
	EXPECT_EQ(bytes + 30000, nfsc_attr_num(self->dir, "stats/bytes_lower"));
	EXPECT_EQ(0, nfsc_attr_num(self->dir, "stats/hits"));
	EXPECT_EQ(0, nfsc_attr_num(self->dir, "stats/pending"));
}

/* nfscache-helper stats reads the same counters over netlink. */
/* nfscache-helper set/get: the same tunables, the same checks, over netlink. */
TEST_F(sysfs, helper_set_and_get_tunables)
{
	char out[8192], buf[64], want[PATH_MAX];
	const char *id = strrchr(self->dir, '/') + 1;
	int st;
	pid_t pid;

	/* The one mount there is, or the one --mount names. */
	EXPECT_EQ(0, nfsc_sh("helper/nfscache-helper set max_pending=77 revalidate=ttl:500"));
	EXPECT_EQ(77, nfsc_attr_num(self->dir, "max_pending"));
	ASSERT_EQ(0, nfsc_attr_read(self->dir, "revalidate", buf, sizeof(buf)));
	EXPECT_STREQ("ttl:500", buf);
	EXPECT_EQ(0, nfsc_attr_write(self->dir, "min_size", "123"));
	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out),
				 "helper/nfscache-helper get --mount %s min_size revalidate", id));
	EXPECT_STREQ("min_size=123\nrevalidate=ttl:500\n", out);

	/* Refused as sysfs refuses, the old value kept, the kernel's reason said. */
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), "helper/nfscache-helper set max_pending=0"));
	EXPECT_NE(NULL, strstr(out, "set: max_pending=0: Invalid argument: invalid value"));
	EXPECT_EQ(77, nfsc_attr_num(self->dir, "max_pending"));
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), "helper/nfscache-helper set max_size=10"));
	EXPECT_NE(NULL, strstr(out, "invalid value"));	/* below min_size */
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), "helper/nfscache-helper set bogus=1"));
	EXPECT_NE(NULL, strstr(out, "set: bogus=1: No such file or directory: no such tunable"));
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), "helper/nfscache-helper set lowerdir=/x"));
	EXPECT_NE(NULL, strstr(out, "read-only"));
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), "helper/nfscache-helper get --mount 9999 enabled"));
	EXPECT_NE(NULL, strstr(out, "no such mount"));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), "helper/nfscache-helper set enabled"));

	/* Everything, as JSON. */
	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "helper/nfscache-helper get --json"));
	snprintf(want, sizeof(want), "{\"mount\": %s, \"tunables\": {\"enabled\": \"1\", ", id);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "\"lowerdir\": \"%s\"", nfsc_env("NFSC_NFS"));
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_EQ(0, nfsc_sh("helper/nfscache-helper get --json | python3 -m json.tool > /dev/null"));

	/* Reading is open to everyone, setting is root's. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (!nfsc_become_nobody())
			_exit(100);
		if (nfsc_sh("helper/nfscache-helper get max_pending | grep -qx max_pending=77"))
			_exit(101);
		_exit(nfsc_sh("helper/nfscache-helper set max_pending=5 2>&1 |"
			      " grep -q 'Operation not permitted: needs CAP_SYS_ADMIN'"));
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(77, nfsc_attr_num(self->dir, "max_pending"));
}

TEST_F(sysfs, helper_stats_match_sysfs)
{
	char out[8192], want[256], id[16];
	const char *slash;
	int st;
	pid_t pid;

	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out),
				 "helper/nfscache-helper stats --json"));
	slash = strrchr(self->dir, '/');
	snprintf(id, sizeof(id), "%s", slash + 1);
	snprintf(want, sizeof(want), "{\"id\": %s, \"lowerdir\": \"%s\"", id,
		 nfsc_env("NFSC_NFS"));
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	snprintf(want, sizeof(want), "\"misses\": %lld,",
		 nfsc_attr_num(self->dir, "stats/misses"));
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("want %s in %s", want, out);
	EXPECT_EQ(0, nfsc_sh("helper/nfscache-helper stats --json | python3 -m json.tool > /dev/null"));

	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "helper/nfscache-helper stats"));
	snprintf(want, sizeof(want), "mount %s: %s (cache %s)", id,
		 nfsc_env("NFSC_NFS"), nfsc_env("NFSC_CACHEDIR"));
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);

	/* Counters are open to unprivileged users, as in sysfs. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (!nfsc_become_nobody())
			_exit(100);
		_exit(nfsc_sh("helper/nfscache-helper stats | grep -q 'mount %s:'", id));
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST_F(sysfs, directory_per_mount_goes_with_it)
{
	char second[PATH_MAX];

	mkdir("/mnt/data2", 0755);
	ASSERT_EQ(0, nfsc_mount_stack("/mnt/data2"));
	ASSERT_EQ(0, nfsc_sysfs_dir("/mnt/data2", second, sizeof(second)));
	EXPECT_STRNE(self->dir, second);
	EXPECT_EQ(0, nfsc_umount("/mnt/data2"));
	EXPECT_NE(0, access(second, F_OK));
	EXPECT_EQ(0, access(self->dir, F_OK));
}

TEST_HARNESS_MAIN
