// SPDX-License-Identifier: GPL-2.0
/*
 * Objects outlive a reboot. scripts/check boots the test VM twice with the
 * same export and cache disks (scripts/vm --disks) and runs this program in
 * each boot, NFSC_REBOOT_PHASE telling which:
 *
 *   before   a file on the export is filled through the stack
 *   after    its first open through the new stack is a hit, sends NFS no
 *            READ and needs no daemon; a file changed on the server while
 *            the machine was down is not served from its old object
 *
 * Not a *_test: tests/vm/run would run it in a single boot.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>

#include "../lib/nfsc_fill.h"
#include "kselftest_harness.h"

#define HELPER_LOG "/tmp/reboot_persist-helper.log"
#define KEPT "reboot-kept"
#define CHANGED "reboot-changed"

static const char *phase(void)
{
	const char *p = getenv("NFSC_REBOOT_PHASE");

	return p ? p : "";
}

/* Before: both files filled, then the stack taken down cleanly. */
static void before(struct __test_metadata *_metadata, const char *dir)
{
	char obj[PATH_MAX];
	pid_t helper;

	ASSERT_EQ(0, make_file(KEPT, 5 * MiB + 3, 60));
	ASSERT_EQ(0, make_file(CHANGED, 2 * MiB, 61));
	helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(helper, 0);
	EXPECT_EQ(0, stack_matches_export(KEPT));
	EXPECT_EQ(0, stack_matches_export(CHANGED));
	EXPECT_EQ(2, nfsc_wait_stat(dir, "fills_ok", 2, 120));
	EXPECT_EQ(0, stop_helper(helper));
	EXPECT_EQ(0, object_of(KEPT, obj, sizeof(obj)));
	EXPECT_EQ(0, object_of(CHANGED, obj, sizeof(obj)));
}

/*
 * After: the kept file is a hit at once. The changed one is rewritten on
 * the server first (as if while the machine was down): a miss, never its
 * old object.
 */
static void after(struct __test_metadata *_metadata, const char *dir)
{
	long long reads;

	ASSERT_EQ(0, make_file(CHANGED, 2 * MiB, 62));
	ASSERT_EQ(0, drop_caches());
	reads = nfs_reads();
	ASSERT_LE(0, reads);
	EXPECT_EQ(0, stack_matches_export(KEPT));
	EXPECT_EQ(1, nfsc_stat(dir, "hits"));
	EXPECT_EQ(reads, nfs_reads());

	EXPECT_EQ(0, stack_matches_export(CHANGED));
	EXPECT_EQ(1, nfsc_stat(dir, "hits"));
	EXPECT_EQ(1, nfsc_stat(dir, "misses"));
	EXPECT_EQ(1, nfsc_stat(dir, "stale"));
}

TEST(objects_survive_reboot)
{
	char dir[PATH_MAX];

	ASSERT_TRUE(!strcmp(phase(), "before") || !strcmp(phase(), "after")) {
		TH_LOG("NFSC_REBOOT_PHASE must be before or after, not '%s'", phase());
	}
	ASSERT_EQ(0, nfsc_module_load());
	ASSERT_EQ(0, nfsc_mount_stack(NFSC_STACK));
	ASSERT_EQ(0, nfsc_sysfs_dir(NFSC_STACK, dir, sizeof(dir)));
	if (!strcmp(phase(), "before"))
		before(_metadata, dir);
	else
		after(_metadata, dir);
	EXPECT_EQ(0, nfsc_umount(NFSC_STACK));
	EXPECT_EQ(0, nfsc_sh("sync"));
}

TEST_HARNESS_MAIN
