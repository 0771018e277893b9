// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: mounting. Options are checked and nothing is ignored; the lower
 * must be NFS and the cache a separate local filesystem; the stack can sit
 * on the NFS mount point itself; umount and rmmod respect users; mount
 * ids are not given again; the stack does not cross the server's
 * submounts.
 */
#include <sys/wait.h>

#include "../lib/nfsc_vm.h"
#include "kselftest_harness.h"

FIXTURE(mnt) {
	char opts[2 * PATH_MAX];
	const char *nfs;
	const char *cache;
};

FIXTURE_SETUP(mnt)
{
	while (umount2(NFSC_STACK, MNT_DETACH) == 0)
		;
	ASSERT_EQ(0, nfsc_module_load());
	self->nfs = nfsc_env("NFSC_NFS");
	self->cache = nfsc_env("NFSC_CACHEDIR");
	snprintf(self->opts, sizeof(self->opts), "lowerdir=%s,cachedir=%s",
		 self->nfs, self->cache);
	mkdir(NFSC_STACK, 0755);
}

/* server_submounts_are_not_crossed's export, gone; 0 if it was there. */
static int drop_submount(void)
{
	const char *exp = nfsc_env("NFSC_EXPORT");

	/* nfsd lets go of an unexported filesystem lazily (6.12): umount -l. */
	return nfsc_sh("mountpoint -q %s/submount || exit 1; "
		       "umount %s/submount 2>/dev/null; "
		       "exportfs -u 127.0.0.1:%s/submount && exportfs -f && "
		       "umount -l %s/submount && rmdir %s/submount",
		       exp, nfsc_env("NFSC_NFS"), exp, exp, exp);
}

FIXTURE_TEARDOWN(mnt)
{
	while (umount2(NFSC_STACK, MNT_DETACH) == 0)
		;
	drop_submount();	/* after a test stopped half-way */
}

static int mount_with(const char *fmt, const char *a, const char *b)
{
	char opts[2 * PATH_MAX];

	snprintf(opts, sizeof(opts), fmt, a, b);
	return nfsc_mount_opts(NFSC_STACK, opts);
}

TEST_F(mnt, options_checked)
{
	EXPECT_EQ(-EINVAL, mount_with("cachedir=%s%s", self->cache, ""));
	EXPECT_EQ(-EINVAL, mount_with("lowerdir=%s%s", self->nfs, ""));
	EXPECT_EQ(-EINVAL, mount_with("lowerdir=%s,cachedir=%s,bogus=1",
				      self->nfs, self->cache));
	EXPECT_EQ(-EINVAL, mount_with("lowerdir=%s,lowerdir=%s,cachedir=/mnt/cache",
				      self->nfs, self->nfs));
	EXPECT_EQ(-EINVAL, mount_with("lowerdir=%s,cachedir=%s,cachedir=/mnt/cache",
				      self->nfs, self->cache));
	EXPECT_EQ(-EINVAL, mount_with("lowerdir=,cachedir=%s%s", self->cache, ""));
	EXPECT_EQ(-EINVAL, mount_with("lowerdir=%s,cachedir%s", self->nfs, ""));
	/* The lookup's own error, not EINVAL. */
	EXPECT_EQ(-ENOENT, mount_with("lowerdir=%s/no-such-dir,cachedir=%s",
				      self->nfs, self->cache));
	EXPECT_EQ(-ENOENT, mount_with("lowerdir=%s,cachedir=%s/no-such-dir",
				      self->nfs, self->cache));
	/* Nothing was mounted by any of these. */
	EXPECT_NE(0, nfsc_sh("grep -q ' %s nfs_cachefs ' /proc/mounts", NFSC_STACK));
}

TEST_F(mnt, proc_mounts_shows_options)
{
	char want[3 * PATH_MAX];

	ASSERT_EQ(0, nfsc_mount_opts(NFSC_STACK, self->opts));
	snprintf(want, sizeof(want),
		 "grep -q '^none %s nfs_cachefs rw,relatime,lowerdir=%s,cachedir=%s ' /proc/mounts",
		 NFSC_STACK, self->nfs, self->cache);
	EXPECT_EQ(0, nfsc_sh("%s", want)) nfsc_sh("cat /proc/mounts >&2");
	EXPECT_EQ(0, nfsc_umount(NFSC_STACK));
}

TEST_F(mnt, lower_must_be_nfs)
{
	/* /tmp is tmpfs in the guest. */
	EXPECT_EQ(-EINVAL, mount_with("lowerdir=/tmp,cachedir=%s%s",
				      self->cache, ""));
}

/*
 * A mount of @lowerdir through the new mount API: 0, or -errno of its
 * refusal, whose reason the kernel gives back in @msg ("e ...").
 */
static int refusal(const char *lowerdir, const char *cachedir, char *msg,
		   size_t len)
{
	int fd, ret = 0;
	ssize_t n;

	msg[0] = '\0';
	fd = fsopen("nfs_cachefs", FSOPEN_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsconfig(fd, FSCONFIG_SET_STRING, "lowerdir", lowerdir, 0) ||
	    fsconfig(fd, FSCONFIG_SET_STRING, "cachedir", cachedir, 0) ||
	    fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0))
		ret = -errno;
	n = read(fd, msg, len - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(fd);
	return ret;
}

TEST_F(mnt, stacking_on_itself_refused)
{
	char msg[256];

	ASSERT_EQ(0, nfsc_mount_opts(NFSC_STACK, self->opts));
	mkdir("/mnt/data2", 0755);
	EXPECT_EQ(-EINVAL, nfsc_mount_opts("/mnt/data2",
					   "lowerdir=" NFSC_STACK ",cachedir=/mnt/cache"));
	/* Refused for being a stack, not only for not being NFS. */
	EXPECT_EQ(-EINVAL, refusal(NFSC_STACK, self->cache, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "is itself nfs_cachefs")) TH_LOG("%s", msg);
	EXPECT_EQ(0, nfsc_umount(NFSC_STACK));
}

TEST_F(mnt, cache_must_be_local_writable_and_apart)
{
	char sub[PATH_MAX];

	/* On NFS itself. */
	EXPECT_EQ(-EINVAL, mount_with("lowerdir=%s,cachedir=%s",
				      self->nfs, self->nfs));
	/* A local filesystem, but mounted inside the lower tree. */
	snprintf(sub, sizeof(sub), "%s/cache-inside", self->nfs);
	mkdir(sub, 0755);
	ASSERT_EQ(0, mount("tmpfs", sub, "tmpfs", 0, NULL));
	EXPECT_EQ(-EINVAL, mount_with("lowerdir=%s,cachedir=%s", self->nfs, sub));
	EXPECT_EQ(0, umount(sub));
	/* Read-only. */
	mkdir("/run/ro-cache", 0755);
	ASSERT_EQ(0, mount("tmpfs", "/run/ro-cache", "tmpfs", MS_RDONLY, NULL));
	EXPECT_EQ(-EINVAL, mount_with("lowerdir=%s,cachedir=%s", self->nfs,
				      "/run/ro-cache"));
	EXPECT_EQ(0, umount("/run/ro-cache"));
	/* ramfs has O_TMPFILE but no xattrs at all. */
	mkdir("/run/ramfs-cache", 0700);
	ASSERT_EQ(0, mount("ramfs", "/run/ramfs-cache", "ramfs", 0, NULL));
	EXPECT_EQ(-EINVAL, mount_with("lowerdir=%s,cachedir=%s", self->nfs,
				      "/run/ramfs-cache"));
	EXPECT_EQ(0, umount("/run/ramfs-cache"));
	/* tmpfs is a valid cache: O_TMPFILE and trusted.* xattrs. */
	mkdir("/run/tmp-cache", 0700);
	ASSERT_EQ(0, mount("tmpfs", "/run/tmp-cache", "tmpfs", 0, NULL));
	EXPECT_EQ(0, mount_with("lowerdir=%s,cachedir=%s", self->nfs,
				"/run/tmp-cache"));
	EXPECT_EQ(0, nfsc_umount(NFSC_STACK));
	EXPECT_EQ(0, umount("/run/tmp-cache"));
}

TEST_F(mnt, mount_over_lowerdir)
{
	char path[PATH_MAX], exp[PATH_MAX], buf[64] = "";
	struct stat st;
	int fd;

	snprintf(exp, sizeof(exp), "%s/over-lower", nfsc_env("NFSC_EXPORT"));
	ASSERT_EQ(0, nfsc_sh("echo same-path > %s", exp));
	ASSERT_EQ(0, nfsc_mount_opts(self->nfs, self->opts));

	ASSERT_EQ(0, statfs_type_is(self->nfs, NFS_CACHEFS_SUPER_MAGIC));
	snprintf(path, sizeof(path), "%s/over-lower", self->nfs);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(10, read(fd, buf, sizeof(buf) - 1));
	EXPECT_STREQ("same-path\n", buf);
	ASSERT_EQ(0, fstat(fd, &st));
	close(fd);

	EXPECT_EQ(0, nfsc_umount(self->nfs));
	/* NFS is back at its own mount point. */
	EXPECT_EQ(0, statfs_type_is(self->nfs, 0x6969));
}

TEST_F(mnt, umount_busy_and_lazy)
{
	char path[PATH_MAX], buf[16];
	int fd;

	ASSERT_EQ(0, nfsc_sh("echo busy > %s/busy", nfsc_env("NFSC_EXPORT")));
	ASSERT_EQ(0, nfsc_mount_opts(NFSC_STACK, self->opts));
	snprintf(path, sizeof(path), "%s/busy", NFSC_STACK);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);

	EXPECT_EQ(-EBUSY, nfsc_umount(NFSC_STACK));
	/* The module is pinned while mounted. */
	EXPECT_EQ(-EWOULDBLOCK, nfsc_module_unload());
	EXPECT_TRUE(nfsc_module_loaded());

	/* Lazy: gone from the namespace, the open file still works. */
	EXPECT_EQ(0, umount2(NFSC_STACK, MNT_DETACH));
	EXPECT_EQ(5, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "busy\n", 5));
	EXPECT_EQ(-EWOULDBLOCK, nfsc_module_unload());
	close(fd);
}

/* A remount may repeat the directories, never change them unheard. */
TEST_F(mnt, remount_changes_no_directory)
{
	char opts[2 * PATH_MAX + 32];

	ASSERT_EQ(0, nfsc_mount_opts(NFSC_STACK, self->opts));
	EXPECT_EQ(0, mount("none", NFSC_STACK, NULL, MS_REMOUNT, self->opts))
		TH_LOG("the same options: %s", strerror(errno));
	snprintf(opts, sizeof(opts), "lowerdir=%s/elsewhere", self->nfs);
	EXPECT_EQ(-1, mount("none", NFSC_STACK, NULL, MS_REMOUNT, opts));
	EXPECT_EQ(EINVAL, errno);
	snprintf(opts, sizeof(opts), "cachedir=/tmp");
	EXPECT_EQ(-1, mount("none", NFSC_STACK, NULL, MS_REMOUNT, opts));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, nfsc_sh("grep -q ' %s nfs_cachefs .*lowerdir=%s,' /proc/mounts",
			     NFSC_STACK, self->nfs));
	/* Read-only and back: the VFS's own flags still apply. */
	EXPECT_EQ(0, mount("none", NFSC_STACK, NULL, MS_REMOUNT | MS_RDONLY, NULL));
	EXPECT_NE(0, nfsc_sh("touch %s/ro-probe 2>/dev/null", NFSC_STACK));
	EXPECT_EQ(0, mount("none", NFSC_STACK, NULL, MS_REMOUNT, NULL));
}

/* The id of the stack at NFSC_STACK: its sysfs directory's name. */
static long stack_id(void)
{
	char dir[PATH_MAX];

	if (nfsc_sysfs_dir(NFSC_STACK, dir, sizeof(dir)))
		return -1;
	return strtol(strrchr(dir, '/') + 1, NULL, 10);
}

/*
 * An id names one mount while the module is loaded: a daemon that kept
 * the id of an unmounted stack must not reach the next one by it.
 */
TEST_F(mnt, ids_are_not_given_again)
{
	long first, second;

	ASSERT_EQ(0, nfsc_mount_opts(NFSC_STACK, self->opts));
	first = stack_id();
	ASSERT_LT(0, first);
	ASSERT_EQ(0, nfsc_umount(NFSC_STACK));
	ASSERT_EQ(0, nfsc_mount_opts(NFSC_STACK, self->opts));
	second = stack_id();
	EXPECT_LT(first, second) TH_LOG("mount %ld, then %ld", first, second);
}

/*
 * A directory that is another export on the server is an automount point
 * for NFS. The stack sits on one NFS mount and does not cross into others:
 * the name is listed, and looking it up fails with EREMOTE (as overlayfs
 * does), where following the automount would call an operation the stack
 * has not.
 */
TEST_F(mnt, server_submounts_are_not_crossed)
{
	const char *exp = nfsc_env("NFSC_EXPORT");
	char path[PATH_MAX];
	struct stat st;
	int fd;

	ASSERT_EQ(0, nfsc_sh("mkdir -p %s/submount && mount -t tmpfs -o size=1m none %s/submount && "
			     "echo inner > %s/submount/inner && "
			     "exportfs -o rw,no_root_squash,fsid=77,no_subtree_check,insecure 127.0.0.1:%s/submount",
			     exp, exp, exp, exp));
	/* NFS itself crosses into it. */
	snprintf(path, sizeof(path), "%s/submount/inner", self->nfs);
	EXPECT_EQ(0, stat(path, &st));

	ASSERT_EQ(0, nfsc_mount_opts(NFSC_STACK, self->opts));
	EXPECT_EQ(0, nfsc_sh("ls -a %s | grep -qx submount", NFSC_STACK));
	snprintf(path, sizeof(path), "%s/submount", NFSC_STACK);
	errno = 0;
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(EREMOTE, errno);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EREMOTE, errno);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/submount/inner", NFSC_STACK);
	EXPECT_EQ(-1, open(path, O_RDONLY));
	EXPECT_EQ(EREMOTE, errno);
	/* The rest of the stack is unharmed. */
	EXPECT_EQ(0, stat(NFSC_STACK, &st));

	EXPECT_EQ(0, nfsc_umount(NFSC_STACK));
	EXPECT_EQ(0, drop_submount());
}

TEST_HARNESS_MAIN
