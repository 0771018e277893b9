// SPDX-License-Identifier: GPL-2.0
/*
 * The cache across the stack's lifetime: objects outlive the mount that
 * filled them. After umount and mount of the same export over the same
 * cache directory, a still-current object is a hit on its first open, with
 * no refill and no daemon needed; one whose record no longer matches the
 * NFS file is never served and is replaced by the next fill.
 */
#include <fcntl.h>
#include <stdint.h>

#include "../lib/nfsc_fill.h"
#include "kselftest_harness.h"

#define HELPER_LOG "/tmp/lifecycle_test-helper.log"

FIXTURE(lifecycle) {
	char dir[PATH_MAX];
	pid_t helper;
};

FIXTURE_SETUP(lifecycle)
{
	self->helper = 0;
	ASSERT_EQ(0, nfsc_module_load());
	ASSERT_EQ(0, nfsc_mount_stack(NFSC_STACK));
	ASSERT_EQ(0, nfsc_sysfs_dir(NFSC_STACK, self->dir, sizeof(self->dir)));
}

FIXTURE_TEARDOWN(lifecycle)
{
	if (self->helper > 0)
		stop_helper(self->helper);
	nfsc_umount(NFSC_STACK);
}

/* Miss on @name through the stack and wait for its fill. */
static int fill(FIXTURE_DATA(lifecycle) *self, const char *name)
{
	long long ok = nfsc_stat(self->dir, "fills_ok");

	if (stack_matches_export(name))
		return -EIO;
	return nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60) == ok + 1 ?
	       0 : -ETIMEDOUT;
}

/* umount and mount the stack again: a new mount with fresh counters. */
static int remount(FIXTURE_DATA(lifecycle) *self)
{
	if (nfsc_umount(NFSC_STACK) || nfsc_mount_stack(NFSC_STACK))
		return -EIO;
	return nfsc_sysfs_dir(NFSC_STACK, self->dir, sizeof(self->dir));
}

TEST_F_TIMEOUT(lifecycle, object_survives_remount, 180)
{
	const char *name = "kept";
	char obj[PATH_MAX];
	long long reads;

	ASSERT_EQ(0, make_file(name, 3 * MiB + 7, 40));
	self->helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, fill(self, name));
	ASSERT_EQ(0, object_of(name, obj, sizeof(obj)));

	/* A hit needs no daemon: stop it before the remount. */
	EXPECT_EQ(0, stop_helper(self->helper));
	self->helper = 0;
	ASSERT_EQ(0, remount(self));
	ASSERT_EQ(0, drop_caches());
	reads = nfs_reads();
	ASSERT_LE(0, reads);
	EXPECT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(1, nfsc_stat(self->dir, "hits"));
	EXPECT_EQ(0, nfsc_stat(self->dir, "misses"));
	EXPECT_EQ(reads, nfs_reads());
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending"));
}

TEST_F_TIMEOUT(lifecycle, stale_object_after_remount_is_replaced, 180)
{
	const char *name = "changed-offline";
	char obj[PATH_MAX], exp[PATH_MAX];
	long long hits;

	ASSERT_EQ(0, make_file(name, 2 * MiB, 41));
	self->helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, fill(self, name));

	/* Changed on the server while the stack was not mounted. */
	ASSERT_EQ(0, nfsc_umount(NFSC_STACK));
	ASSERT_EQ(0, make_file(name, 2 * MiB, 42));
	ASSERT_EQ(0, nfsc_mount_stack(NFSC_STACK));
	ASSERT_EQ(0, nfsc_sysfs_dir(NFSC_STACK, self->dir, sizeof(self->dir)));

	ASSERT_EQ(0, drop_caches());
	EXPECT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(1, nfsc_stat(self->dir, "misses"));
	EXPECT_EQ(1, nfsc_stat(self->dir, "stale"));
	/*
	 * Not served by the old object; the open may switch to the refill
	 * if that commits before its last read (a hit by the switch).
	 */
	hits = nfsc_stat(self->dir, "hits");
	EXPECT_GE(1, hits);
	/* The refill replaces it, and that one serves. */
	ASSERT_EQ(1, nfsc_wait_stat(self->dir, "fills_ok", 1, 60));
	ASSERT_EQ(0, object_of(name, obj, sizeof(obj)));
	path_in(exp, sizeof(exp), nfsc_env("NFSC_EXPORT"), name);
	EXPECT_EQ(0, same_content(obj, exp));
	EXPECT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(hits + 1, nfsc_stat(self->dir, "hits"));
}

TEST_HARNESS_MAIN
