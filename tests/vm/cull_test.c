// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: culling. The kernel's CULL evicts the object the daemon names
 * unless it is open, and refuses names that are not objects'; a hit moves
 * its object's atime; nfscache-helper run keeps the cache under
 * --max-size, evicting the least recently opened objects first and never
 * an open one, indexes what the cache holds when it starts, refuses files
 * the cap cannot hold, and culls to the free-space watermarks; a full
 * cache disk fails a fill cleanly.
 */
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "../lib/nfsc_fill.h"
#include "kselftest_harness.h"

#define HELPER_LOG "/tmp/cull_test-helper.log"

FIXTURE(cull) {
	char dir[PATH_MAX];
	uint32_t id;
	pid_t helper;
};

FIXTURE_SETUP(cull)
{
	self->helper = 0;
	ASSERT_EQ(0, nfsc_fresh_stack(self->dir, sizeof(self->dir), &self->id));
	ASSERT_LT(0, self->id);
}

FIXTURE_TEARDOWN(cull)
{
	if (self->helper > 0)
		stop_helper(self->helper);
	nfsc_umount(NFSC_STACK);
}

static pid_t start_helper(const char *args)
{
	return nfsc_start_helper(HELPER_LOG, args);
}

static int helper_log_has(const char *pattern)
{
	return nfsc_sh("grep -q -- '%s' " HELPER_LOG, pattern);
}

/* A 1 MiB file on the server, read through the stack, its fill waited for. */
static int fill_one(const char *dir, const char *name, uint64_t seed)
{
	long long ok = nfsc_stat(dir, "fills_ok");

	if (make_file(name, MiB, seed) || stack_matches_export(name))
		return -EIO;
	return nfsc_wait_stat(dir, "fills_ok", ok + 1, 60) == ok + 1 ? 0 : -ETIMEDOUT;
}

static int timespec_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

/* Space the cache's objects take on disk. */
static long long cache_bytes(void)
{
	char out[64];

	if (nfsc_sh_out(out, sizeof(out),
			"find '%s' -type f -printf '%%b\\n' | awk '{s += $1} END {print s * 512}'",
			nfsc_env("NFSC_CACHEDIR")) || !*out)
		return -1;
	return strtoll(out, NULL, 10);
}

/* "ab/cd/<name>": the object of @name as CULL names it. */
static int object_rel(const char *name, char *rel, size_t len)
{
	char obj[PATH_MAX];
	const char *p;
	int i, ret;

	ret = object_of(name, obj, sizeof(obj));
	if (ret)
		return ret;
	p = obj + strlen(obj);
	for (i = 0; i < 3; i++)
		while (p > obj && *--p != '/')
			;
	snprintf(rel, len, "%s", p + 1);
	return 0;
}

static void no_request(const struct nfsc_fill_request *req, void *arg)
{
	(void)req;
	(void)arg;
}

TEST_F_TIMEOUT(cull, kernel_culls_only_what_is_closed, 120)
{
	const char *name = "proto";
	char rel[PATH_MAX], path[PATH_MAX];
	long long culled, misses;
	struct nfsc_chan *ch;
	uint64_t bytes;
	int err, fd;

	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, fill_one(self->dir, name, 40));
	ASSERT_EQ(0, stop_helper(self->helper));
	self->helper = 0;
	ASSERT_EQ(0, object_rel(name, rel, sizeof(rel)));
	ch = nfsc_chan_open(no_request, NULL, &err);
	ASSERT_NE(NULL, ch);

	/* Only names the kernel gives objects. */
	EXPECT_EQ(-EINVAL, nfsc_chan_cull(ch, self->id, "../../etc/passwd", &bytes));
	EXPECT_STREQ("not an object's name (ab/cd/<hex>)", nfsc_chan_why(ch));
	EXPECT_EQ(-EINVAL, nfsc_chan_cull(ch, self->id, "ab/cd/0x12", &bytes));
	EXPECT_EQ(-EINVAL, nfsc_chan_cull(ch, self->id, "AB/cd/0012", &bytes));
	EXPECT_EQ(-EINVAL, nfsc_chan_cull(ch, self->id, "ab/cd/", &bytes));
	EXPECT_EQ(-EINVAL, nfsc_chan_cull(ch, self->id, "ab/cd/00/11", &bytes));
	EXPECT_EQ(-ENODEV, nfsc_chan_cull(ch, self->id + 1000, rel, &bytes));
	EXPECT_EQ(-ENOENT, nfsc_chan_cull(ch, self->id, "00/00/00", &bytes));

	/* Open through the stack: a hit, never culled. */
	path_in(path, sizeof(path), NFSC_STACK, name);
	culled = nfsc_stat(self->dir, "culled");
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, nfsc_chan_cull(ch, self->id, rel, &bytes));
	EXPECT_STREQ("the object is open", nfsc_chan_why(ch));
	close(fd);

	/* Closed: gone, its space said, and the next open is a miss. */
	EXPECT_EQ(0, nfsc_chan_cull(ch, self->id, rel, &bytes));
	EXPECT_LE(MiB, bytes);
	EXPECT_EQ(culled + 1, nfsc_stat(self->dir, "culled"));
	EXPECT_EQ(-ENOENT, object_rel(name, rel, sizeof(rel)));
	misses = nfsc_stat(self->dir, "misses");
	EXPECT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(misses + 1, nfsc_stat(self->dir, "misses"));
	nfsc_chan_close(ch);
}

TEST_F_TIMEOUT(cull, hit_moves_the_atime, 120)
{
	char obj[PATH_MAX];
	struct stat st;
	time_t before;

	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, fill_one(self->dir, "atime", 41));
	ASSERT_EQ(0, object_of("atime", obj, sizeof(obj)));
	ASSERT_EQ(0, nfsc_sh("touch -a -d '2020-01-01' '%s'", obj));
	ASSERT_EQ(0, stat(obj, &st));
	ASSERT_GT(time(NULL) - 86400, st.st_atime);

	before = time(NULL);
	EXPECT_EQ(0, stack_matches_export("atime"));
	ASSERT_EQ(0, stat(obj, &st));
	EXPECT_LE(before, st.st_atime);
}

/*
 * After that first move a hit leaves the atime alone for a minute: a hot
 * object costs the cache disk one inode update a minute at most.
 */
TEST_F_TIMEOUT(cull, hits_within_a_minute_keep_the_atime, 120)
{
	char obj[PATH_MAX];
	struct stat first, st;

	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, fill_one(self->dir, "slack", 42));
	ASSERT_EQ(0, object_of("slack", obj, sizeof(obj)));
	sleep(1);	/* past the commit's ctime at the clock's grain */
	EXPECT_EQ(0, stack_matches_export("slack"));
	ASSERT_EQ(0, stat(obj, &first));
	/* The first hit since the fill moved it past the fill's ctime. */
	EXPECT_LT(0, timespec_cmp(&first.st_atim, &first.st_ctim));

	sleep(2);
	EXPECT_EQ(0, stack_matches_export("slack"));
	ASSERT_EQ(0, stat(obj, &st));
	EXPECT_EQ(0, timespec_cmp(&first.st_atim, &st.st_atim));
}

/* Set @name's object's atime @secs back from now: 0 or -errno. */
static int age_object(const char *name, int secs)
{
	struct timespec times[2] = { { .tv_nsec = 0 }, { .tv_nsec = UTIME_OMIT } };
	char obj[PATH_MAX];
	int ret;

	ret = object_of(name, obj, sizeof(obj));
	if (ret)
		return ret;
	times[0].tv_sec = time(NULL) - secs;
	return utimensat(AT_FDCWD, obj, times, 0) ? -errno : 0;
}

/* Objects of 1 MiB and a record block: four fit under 4352K, five do not. */
#define FOUR_OBJECTS "4352K"
#define FOUR_OBJECTS_BYTES (4352LL * 1024)

TEST_F_TIMEOUT(cull, cap_evicts_the_least_recently_opened, 300)
{
	char name[32], rel[PATH_MAX];
	long long culled;
	int i;

	self->helper = start_helper("--max-size " FOUR_OBJECTS);
	ASSERT_GT(self->helper, 0);
	culled = nfsc_stat(self->dir, "culled");
	/* A second apart: atime has whole seconds. */
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "lru-%d", i);
		ASSERT_EQ(0, fill_one(self->dir, name, 50 + i));
		sleep(1);
	}
	EXPECT_EQ(culled, nfsc_stat(self->dir, "culled"));
	/*
	 * Opened two minutes ago, in that order. A fill's reader may have
	 * switched to its object and set its atime already, and a hit within
	 * the minute after leaves it: here the hit moves it to now.
	 */
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "lru-%d", i);
		ASSERT_EQ(0, age_object(name, 120 - i));
	}
	/* lru-0 opened again: lru-1 is now the least recently opened. */
	EXPECT_EQ(0, stack_matches_export("lru-0"));
	sleep(1);
	ASSERT_EQ(0, fill_one(self->dir, "lru-4", 54));

	EXPECT_EQ(culled + 1, nfsc_stat(self->dir, "culled"));
	EXPECT_EQ(0, object_rel("lru-0", rel, sizeof(rel)));
	EXPECT_EQ(-ENOENT, object_rel("lru-1", rel, sizeof(rel)));
	for (i = 2; i <= 4; i++) {
		snprintf(name, sizeof(name), "lru-%d", i);
		EXPECT_EQ(0, object_rel(name, rel, sizeof(rel)));
	}
	EXPECT_GE(FOUR_OBJECTS_BYTES, cache_bytes());

	/* Under a steady load the cap holds. */
	for (i = 5; i < 12; i++) {
		snprintf(name, sizeof(name), "lru-%d", i);
		ASSERT_EQ(0, fill_one(self->dir, name, 50 + i));
		EXPECT_GE(FOUR_OBJECTS_BYTES, cache_bytes());
	}
	EXPECT_EQ(culled + 8, nfsc_stat(self->dir, "culled"));
}

TEST_F_TIMEOUT(cull, open_objects_are_never_culled, 300)
{
	char rel[PATH_MAX], path[PATH_MAX];
	int fd;

	self->helper = start_helper("--max-size 2176K");	/* two objects */
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, fill_one(self->dir, "busy-a", 60));
	sleep(1);
	path_in(path, sizeof(path), NFSC_STACK, "busy-a");
	fd = open(path, O_RDONLY);	/* a hit, and still the oldest object */
	ASSERT_LE(0, fd);
	sleep(1);
	ASSERT_EQ(0, fill_one(self->dir, "busy-b", 61));
	sleep(1);
	ASSERT_EQ(0, fill_one(self->dir, "busy-c", 62));

	EXPECT_EQ(0, object_rel("busy-a", rel, sizeof(rel)));
	EXPECT_EQ(-ENOENT, object_rel("busy-b", rel, sizeof(rel)));
	EXPECT_EQ(0, object_rel("busy-c", rel, sizeof(rel)));
	EXPECT_EQ(0, helper_log_has("culled 1 object(s), [0-9]* bytes; 1 open, kept"));
	close(fd);
}

TEST_F_TIMEOUT(cull, start_indexes_the_cache_and_culls_to_the_cap, 300)
{
	char rel[PATH_MAX];
	long long culled;

	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, fill_one(self->dir, "old-0", 70));
	sleep(1);
	ASSERT_EQ(0, fill_one(self->dir, "old-1", 71));
	sleep(1);
	ASSERT_EQ(0, fill_one(self->dir, "old-2", 72));
	ASSERT_EQ(0, stop_helper(self->helper));

	culled = nfsc_stat(self->dir, "culled");
	self->helper = start_helper("--max-size 2176K");
	ASSERT_GT(self->helper, 0);
	EXPECT_EQ(culled + 1, nfsc_wait_stat(self->dir, "culled", culled + 1, 30));
	EXPECT_EQ(0, helper_log_has("indexed 3 object(s) in "));
	EXPECT_EQ(-ENOENT, object_rel("old-0", rel, sizeof(rel)));
	EXPECT_EQ(0, object_rel("old-1", rel, sizeof(rel)));
	EXPECT_EQ(0, object_rel("old-2", rel, sizeof(rel)));
}

TEST_F_TIMEOUT(cull, cull_command_culls_now, 300)
{
	char rel[PATH_MAX], out[256];
	long long culled;

	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, fill_one(self->dir, "now-0", 75));
	sleep(1);
	ASSERT_EQ(0, fill_one(self->dir, "now-1", 76));
	sleep(1);
	ASSERT_EQ(0, fill_one(self->dir, "now-2", 77));

	/* Beside the running daemon. */
	culled = nfsc_stat(self->dir, "culled");
	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out),
				 "%s/helper/nfscache-helper cull --max-size 2176K 2>/dev/null",
				 nfsc_env("NFSC_TOP")));
	EXPECT_NE(NULL, strstr(out, "culled 1 object(s); the cache holds 2 object(s), "));
	EXPECT_EQ(culled + 1, nfsc_stat(self->dir, "culled"));
	EXPECT_EQ(-ENOENT, object_rel("now-0", rel, sizeof(rel)));
	EXPECT_EQ(0, object_rel("now-2", rel, sizeof(rel)));
	EXPECT_EQ(2, nfsc_sh_out(out, sizeof(out), "%s/helper/nfscache-helper cull --max-size -1",
				 nfsc_env("NFSC_TOP")));
}

TEST_F_TIMEOUT(cull, file_over_the_cap_is_not_filled, 120)
{
	char rel[PATH_MAX];
	long long failed;

	self->helper = start_helper("--max-size 512K");
	ASSERT_GT(self->helper, 0);
	failed = nfsc_stat(self->dir, "fills_failed");
	ASSERT_EQ(0, make_file("too-big", MiB, 80));
	EXPECT_EQ(0, stack_matches_export("too-big"));
	EXPECT_EQ(failed + 1, nfsc_wait_stat(self->dir, "fills_failed", failed + 1, 30));
	EXPECT_EQ(-ENOENT, object_rel("too-big", rel, sizeof(rel)));
	EXPECT_EQ(0, helper_log_has("too-big: 1048576 bytes: larger than --max-size"));
}

/* Free space on the cache disk, in percent of its blocks. */
static int cache_free_pct(void)
{
	struct statvfs sv;

	if (statvfs(nfsc_env("NFSC_CACHEDIR"), &sv) || !sv.f_blocks)
		return -1;
	return (int)(sv.f_bavail * 100 / sv.f_blocks);
}

TEST_F_TIMEOUT(cull, watermarks_cull_and_stop_fills, 300)
{
	char rel[PATH_MAX];
	long long culled, failed;

	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, fill_one(self->dir, "wm-0", 90));
	ASSERT_EQ(0, fill_one(self->dir, "wm-1", 91));
	ASSERT_EQ(0, stop_helper(self->helper));

	/* ext4 keeps 5% for root: the disk is always below 98% free. */
	ASSERT_GT(97, cache_free_pct());
	culled = nfsc_stat(self->dir, "culled");
	self->helper = start_helper("--cull-run 99 --cull-start 98 --cull-stop 1");
	ASSERT_GT(self->helper, 0);
	EXPECT_EQ(culled + 2, nfsc_wait_stat(self->dir, "culled", culled + 2, 30));
	EXPECT_EQ(0, helper_log_has("cache disk short of space: culled 2 object(s)"));
	EXPECT_EQ(-ENOENT, object_rel("wm-0", rel, sizeof(rel)));
	/* Above stop, fills go on. */
	EXPECT_EQ(0, fill_one(self->dir, "wm-2", 92));
	ASSERT_EQ(0, stop_helper(self->helper));

	/* Below stop, none starts. */
	failed = nfsc_stat(self->dir, "fills_failed");
	self->helper = start_helper("--cull-run 99 --cull-start 98 --cull-stop 97");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, make_file("wm-3", MiB, 93));
	EXPECT_EQ(0, stack_matches_export("wm-3"));
	EXPECT_EQ(failed + 1, nfsc_wait_stat(self->dir, "fills_failed", failed + 1, 30));
	EXPECT_EQ(-ENOENT, object_rel("wm-3", rel, sizeof(rel)));
	EXPECT_EQ(0, helper_log_has("wm-3: 1048576 bytes: no room in the cache"));
}

#define SMALL_CACHE "/tmp/nfsc-small-cache"
#define SMALL_STACK "/tmp/nfsc-small-stack"

/* A second stack whose cache is a 6 MiB tmpfs: a 10 MiB fill runs it full. */
TEST_F_TIMEOUT(cull, full_cache_disk_fails_the_fill_cleanly, 300)
{
	char dir2[PATH_MAX], opts[2 * PATH_MAX], stacked[PATH_MAX], exported[PATH_MAX];
	long long failed, ok;

	ASSERT_EQ(0, nfsc_sh("mkdir -p " SMALL_CACHE " && mount -t tmpfs -o size=6m tmpfs "
			     SMALL_CACHE));
	snprintf(opts, sizeof(opts), "lowerdir=%s,cachedir=" SMALL_CACHE, nfsc_env("NFSC_NFS"));
	ASSERT_EQ(0, nfsc_mount_opts(SMALL_STACK, opts));
	ASSERT_EQ(0, nfsc_sysfs_dir(SMALL_STACK, dir2, sizeof(dir2)));
	/* Watermarks that let the fill start: the disk itself must say no. */
	self->helper = start_helper("--cull-run 2 --cull-start 1 --cull-stop 0");
	ASSERT_GT(self->helper, 0);

	failed = nfsc_stat(dir2, "fills_failed");
	ASSERT_EQ(0, make_file("enospc-big", 10 * MiB, 95));
	path_in(stacked, sizeof(stacked), SMALL_STACK, "enospc-big");
	path_in(exported, sizeof(exported), nfsc_env("NFSC_EXPORT"), "enospc-big");
	EXPECT_EQ(0, same_content(stacked, exported));
	EXPECT_EQ(failed + 1, nfsc_wait_stat(dir2, "fills_failed", failed + 1, 60));
	EXPECT_EQ(0, helper_log_has("enospc-big: copy: No space left on device"));
	/* Nothing left behind, and NFS still serves the file. */
	EXPECT_EQ(0, nfsc_sh("test -z \"$(find " SMALL_CACHE " -type f)\""));
	EXPECT_EQ(0, same_content(stacked, exported));

	/* The space came back: a file that fits is filled. */
	ok = nfsc_stat(dir2, "fills_ok");
	ASSERT_EQ(0, make_file("enospc-small", MiB, 96));
	path_in(stacked, sizeof(stacked), SMALL_STACK, "enospc-small");
	path_in(exported, sizeof(exported), nfsc_env("NFSC_EXPORT"), "enospc-small");
	EXPECT_EQ(0, same_content(stacked, exported));
	EXPECT_EQ(ok + 1, nfsc_wait_stat(dir2, "fills_ok", ok + 1, 60));

	stop_helper(self->helper);
	self->helper = 0;
	EXPECT_EQ(0, nfsc_umount(SMALL_STACK));
	EXPECT_EQ(0, nfsc_sh("umount " SMALL_CACHE));
}

TEST_HARNESS_MAIN
