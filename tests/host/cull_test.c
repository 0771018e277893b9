// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: nfscache-helper's cache index and culling policy (helper/
 * cull.c) on a directory laid out as a cache volume, with the kernel's
 * side stubbed: the mount list names the directory, CULL unlinks the file
 * unless the test says it is open. Indexing (what is an object, its size
 * on disk), least recently opened first, an atime that moved since the
 * index, open objects kept, the cap with fills in flight, objects added
 * and replaced, a fan level that cannot be read reported, many objects
 * found by name through the index's growth and a cull, names and order
 * kept when a cull compacts the index, a volume shared by two mounts, a
 * mount gone since the index (asked once), an unmounted volume kept
 * out of the cap, and a removal the kernel still works on resting
 * culling. Built with
 * ASan/UBSan; each test ends with a leak check.
 */
#include <fcntl.h>
#include <limits.h>
#include <sanitizer/lsan_interface.h>
#include <sys/stat.h>

#include "../lib/nfsc_test.h"
#include "../../helper/cull.h"
#include "../../helper/nl.h"
#include "kselftest_harness.h"

/* --- the kernel, stubbed ------------------------------------------------ */

static char cache_dir[PATH_MAX];
static const char *open_object;		/* CULL refuses it: -EBUSY */
static const char *slow_object;		/* CULL goes on: -EINPROGRESS */
static char culled[16][64];
static int nr_culled, nr_cull_calls;

/* The kernel's mounts: id and volume; a gone one is listed no more. */
static struct stub_mount {
	uint32_t id;
	const char *volume;
	bool gone;
} mounts[4];
static int nr_mounts;

int nfsc_nl_dump_stats(nfsc_mount_stats_fn fn, void *arg)
{
	struct nfsc_mount_stats *m = calloc(1, sizeof(*m));
	int i;

	if (!m)
		return -ENOMEM;
	for (i = 0; i < nr_mounts; i++) {
		if (mounts[i].gone)
			continue;
		m->id = mounts[i].id;
		snprintf(m->cachedir, sizeof(m->cachedir), "%s", cache_dir);
		snprintf(m->volume, sizeof(m->volume), "%s", mounts[i].volume);
		fn(m, arg);
	}
	free(m);
	return 0;
}

int nfsc_chan_cull(struct nfsc_chan *ch, uint32_t mount_id,
		   const char *object, uint64_t *bytes)
{
	const char *volume = NULL;
	char path[PATH_MAX * 2];
	struct stat st;
	int i;

	(void)ch;
	nr_cull_calls++;
	for (i = 0; i < nr_mounts; i++)
		if (mounts[i].id == mount_id && !mounts[i].gone)
			volume = mounts[i].volume;
	if (!volume)
		return -ENODEV;
	if (open_object && !strcmp(object, open_object))
		return -EBUSY;
	if (slow_object && !strcmp(object, slow_object))
		return -EINPROGRESS;	/* left on disk: the kernel is at it */
	snprintf(path, sizeof(path), "%s/%s/%s", cache_dir, volume, object);
	if (stat(path, &st) || unlink(path))
		return -errno;
	*bytes = st.st_blocks * 512;
	if (nr_culled < 16)
		snprintf(culled[nr_culled++], sizeof(culled[0]), "%s", object);
	return 0;
}

const char *nfsc_chan_why(const struct nfsc_chan *ch)
{
	(void)ch;
	return "";
}

/* --- the volume --------------------------------------------------------- */

/* An object of @kib KiB at "ab/cd/name" in the volume, last opened at @atime. */
static int make_object(const char *rel, int kib, time_t atime)
{
	char path[PATH_MAX * 2], buf[1024];
	struct timespec ts[2] = { { .tv_sec = atime }, { .tv_nsec = UTIME_OMIT } };
	int fd, i;

	snprintf(path, sizeof(path), "%s/vol/%s", cache_dir, rel);
	if (nfsc_sh("mkdir -p \"$(dirname '%s')\"", path))
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < kib; i++)
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			break;
	if (fsync(fd) || close(fd) || i != kib)
		return -1;
	return utimensat(AT_FDCWD, path, ts, 0);
}

static long long disk_bytes(const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/vol/%s", cache_dir, rel);
	return stat(path, &st) ? -1 : (long long)st.st_blocks * 512;
}

static bool exists(const char *rel)
{
	return disk_bytes(rel) >= 0;
}

FIXTURE(cull) {
	struct nfsc_cull_opts opts;
};

FIXTURE_SETUP(cull)
{
	snprintf(cache_dir, sizeof(cache_dir), "/tmp/nfsc-cull-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(cache_dir));
	ASSERT_EQ(0, nfsc_sh("mkdir %s/vol", cache_dir));
	open_object = NULL;
	slow_object = NULL;
	nr_culled = 0;
	nr_cull_calls = 0;
	mounts[0] = (struct stub_mount){ .id = 7, .volume = "vol" };
	nr_mounts = 1;
	/* Watermarks that a test machine's disk never trips. */
	self->opts = (struct nfsc_cull_opts){ .run = 2, .start = 1, .stop = 0 };
	ASSERT_EQ(0, make_object("0a/01/0001", 64, 1000));
	ASSERT_EQ(0, make_object("0b/02/0002", 64, 2000));
	ASSERT_EQ(0, make_object("0c/03/h0003", 64, 3000));
}

FIXTURE_TEARDOWN(cull)
{
	nfsc_sh("rm -rf %s", cache_dir);
}

static struct nfsc_cache *indexed(struct __test_metadata *_metadata,
				  const struct nfsc_cull_opts *opts)
{
	struct nfsc_cache *c = nfsc_cache_new(opts, NULL);

	EXPECT_NE(NULL, c);
	if (c)
		EXPECT_EQ(0, nfsc_cache_sync_mounts(c));
	return c;
}

TEST_F(cull, index_counts_objects_and_their_space)
{
	struct nfsc_cache_usage u;
	struct nfsc_cache *c;

	/* Not objects: outside the two fan levels, dot files, other names. */
	ASSERT_EQ(0, make_object("0a/01/.tmp", 4, 1));
	ASSERT_EQ(0, nfsc_sh("touch %s/vol/stray && mkdir -p %s/vol/zz/01 %s/vol/0a/01/dir",
			     cache_dir, cache_dir, cache_dir));
	ASSERT_EQ(0, make_object("zz/01/0009", 4, 1));
	ASSERT_EQ(0, make_object("0A/01/0009", 4, 1));
	/* Names the kernel never gives, which CULL would refuse. */
	ASSERT_EQ(0, make_object("0a/01/core", 4, 1));
	ASSERT_EQ(0, make_object("0a/01/00AB", 4, 1));
	ASSERT_EQ(0, make_object("0a/01/h", 4, 1));
	ASSERT_EQ(0, make_object("0a/01/0001~", 4, 1));

	c = indexed(_metadata, &self->opts);
	ASSERT_NE(NULL, c);
	EXPECT_TRUE(nfsc_cache_knows(c, 7));
	EXPECT_FALSE(nfsc_cache_knows(c, 8));
	nfsc_cache_usage(c, &u);
	EXPECT_EQ(3, u.objects);
	EXPECT_EQ(disk_bytes("0a/01/0001") + disk_bytes("0b/02/0002") +
		  disk_bytes("0c/03/h0003"), (long long)u.bytes);
	EXPECT_EQ(0, nfsc_cache_cull(c));	/* no cap */
	nfsc_cache_free(c);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

/* A fan level that cannot be read is reported; the rest is indexed. */
TEST_F(cull, unreadable_fan_level_is_reported_not_skipped)
{
	struct nfsc_cache_usage u;
	struct nfsc_cache *c;

	ASSERT_EQ(0, nfsc_sh("touch %s/vol/0d %s/vol/0a/0e", cache_dir, cache_dir));
	c = nfsc_cache_new(&self->opts, NULL);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(-ENOTDIR, nfsc_cache_sync_mounts(c));
	nfsc_cache_usage(c, &u);
	EXPECT_EQ(3, u.objects);
	nfsc_cache_free(c);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

TEST_F(cull, cap_culls_the_least_recently_opened)
{
	struct nfsc_cache_usage u;
	struct nfsc_cache *c;

	self->opts.max_size = disk_bytes("0b/02/0002") + disk_bytes("0c/03/h0003");
	c = indexed(_metadata, &self->opts);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(1, nfsc_cache_cull(c));
	ASSERT_EQ(1, nr_culled);
	EXPECT_STREQ("0a/01/0001", culled[0]);
	nfsc_cache_usage(c, &u);
	EXPECT_EQ(2, u.objects);
	EXPECT_GE(self->opts.max_size, u.bytes);
	EXPECT_EQ(1, u.culled);
	nfsc_cache_free(c);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

TEST_F(cull, an_object_opened_since_the_index_is_kept)
{
	struct timespec ts[2] = { { .tv_sec = 5000 }, { .tv_nsec = UTIME_OMIT } };
	char path[PATH_MAX * 2];
	struct nfsc_cache *c;

	self->opts.max_size = 2 * disk_bytes("0a/01/0001");
	c = indexed(_metadata, &self->opts);
	ASSERT_NE(NULL, c);
	/* A hit on the oldest after the index: the next oldest goes. */
	snprintf(path, sizeof(path), "%s/vol/0a/01/0001", cache_dir);
	ASSERT_EQ(0, utimensat(AT_FDCWD, path, ts, 0));
	EXPECT_EQ(1, nfsc_cache_cull(c));
	ASSERT_EQ(1, nr_culled);
	EXPECT_STREQ("0b/02/0002", culled[0]);
	EXPECT_TRUE(exists("0a/01/0001"));
	nfsc_cache_free(c);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

TEST_F(cull, open_objects_are_kept)
{
	struct nfsc_cache *c;

	self->opts.max_size = 2 * disk_bytes("0a/01/0001");
	open_object = "0a/01/0001";
	c = indexed(_metadata, &self->opts);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(1, nfsc_cache_cull(c));
	EXPECT_STREQ("0b/02/0002", culled[0]);
	EXPECT_TRUE(exists("0a/01/0001"));
	nfsc_cache_free(c);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

/*
 * A removal the kernel still works on (the cache disk slow to answer) is
 * not counted as done, ends the pass, and culling rests: each pass would
 * otherwise leave a goal's worth more waiting in the kernel.
 */
TEST_F(cull, a_removal_still_going_stops_culling)
{
	struct nfsc_cache_usage u;
	struct nfsc_cache *c;

	/* Room for one: two must go, the first of them goes on. */
	self->opts.max_size = disk_bytes("0c/03/h0003");
	slow_object = "0a/01/0001";
	c = indexed(_metadata, &self->opts);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(0, nfsc_cache_cull(c));
	EXPECT_EQ(1, nr_cull_calls);
	EXPECT_TRUE(exists("0b/02/0002"));
	nfsc_cache_usage(c, &u);
	EXPECT_EQ(3, u.objects);
	/* Resting: not even the object that would go next is asked for. */
	EXPECT_EQ(0, nfsc_cache_cull(c));
	EXPECT_EQ(1, nr_cull_calls);
	nfsc_cache_free(c);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

TEST_F(cull, room_for_a_fill_counts_those_in_flight)
{
	long long one = disk_bytes("0a/01/0001");
	struct nfsc_cache_usage u;
	struct nfsc_cache *c;

	self->opts.max_size = 4 * one;
	c = indexed(_metadata, &self->opts);
	ASSERT_NE(NULL, c);
	/* Room for one more as it is; with one in flight, one must go. */
	EXPECT_EQ(0, nfsc_cache_make_room(c, 7, one, 0));
	EXPECT_EQ(0, nr_culled);
	EXPECT_EQ(0, nfsc_cache_make_room(c, 7, one, one));
	EXPECT_EQ(1, nr_culled);
	/* Larger than the cap: never. */
	EXPECT_EQ(-EFBIG, nfsc_cache_make_room(c, 7, 4 * one + 1, 0));
	/* Nothing more can go: all that is left is open. */
	open_object = "0c/03/h0003";
	EXPECT_EQ(0, nfsc_cache_make_room(c, 7, 3 * one, 0));
	EXPECT_EQ(2, nr_culled);
	EXPECT_EQ(-ENOSPC, nfsc_cache_make_room(c, 7, 4 * one, 0));
	nfsc_cache_usage(c, &u);
	EXPECT_EQ(1, u.objects);
	nfsc_cache_free(c);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

TEST_F(cull, added_objects_count_once)
{
	long long one = disk_bytes("0a/01/0001");
	struct nfsc_cache_usage u;
	struct nfsc_cache *c;

	c = indexed(_metadata, &self->opts);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, make_object("0d/04/0004", 64, 4000));
	nfsc_cache_added(c, 7, "0d/04/0004", one);
	/* A refill replaces the object of the same name. */
	nfsc_cache_added(c, 7, "0a/01/0001", 2 * one);
	nfsc_cache_added(c, 8, "0e/05/0005", one);	/* no such mount */
	nfsc_cache_usage(c, &u);
	EXPECT_EQ(4, u.objects);
	EXPECT_EQ(5 * one, (long long)u.bytes);
	nfsc_cache_free(c);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

/* Commit @n objects not on disk, @bytes each, named after their number. */
static void add_many(struct nfsc_cache *c, int n, uint64_t bytes)
{
	char name[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%02x/%02x/%06d", i & 0xff,
			 (i >> 8) & 0xff, i);
		nfsc_cache_added(c, 7, name, bytes);
	}
}

/*
 * Enough commits to grow the index several times, each committed again
 * (counted once); then a cull of the three oldest: each is still found.
 */
TEST_F(cull, many_objects_are_found_after_growth_and_a_cull)
{
	long long one = disk_bytes("0a/01/0001");
	struct nfsc_cache_usage u;
	struct nfsc_cache *c;

	self->opts.max_size = 5000 * 4096;
	c = indexed(_metadata, &self->opts);
	ASSERT_NE(NULL, c);
	add_many(c, 5000, 2048);
	add_many(c, 5000, 4096);
	nfsc_cache_usage(c, &u);
	EXPECT_EQ(5003, u.objects);
	EXPECT_EQ(3 * one + 5000LL * 4096, (long long)u.bytes);

	/* Over the cap by the three indexed first (the oldest): they go. */
	EXPECT_EQ(3, nfsc_cache_cull(c));
	nfsc_cache_usage(c, &u);
	EXPECT_EQ(5000, u.objects);
	add_many(c, 5000, 1024);
	nfsc_cache_usage(c, &u);
	EXPECT_EQ(5000, u.objects);
	EXPECT_EQ(5000LL * 1024, (long long)u.bytes);
	nfsc_cache_free(c);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

/* The i-th of many objects, "xx/yy/a%05x". */
static const char *many_name(int i)
{
	static char name[32];

	snprintf(name, sizeof(name), "%02x/%02x/a%05x", i & 0xff, i >> 8, i);
	return name;
}

/*
 * A cull that takes most of the index compacts it (the indices move): the
 * rest is still found by name and culled least recently opened first, and
 * a refill still makes its object the most recent.
 */
TEST_F(cull, a_compacted_index_keeps_names_and_order)
{
	struct nfsc_cache_usage u;
	struct nfsc_cache *c;
	long long one;
	int i;

	/* 4 KiB each, the i-th last opened at 10000 + i. */
	for (i = 0; i < 300; i++)
		ASSERT_EQ(0, make_object(many_name(i), 4, 10000 + i));
	one = disk_bytes(many_name(0));
	ASSERT_LT(0, one);
	self->opts.max_size = 100 * one;
	c = indexed(_metadata, &self->opts);
	ASSERT_NE(NULL, c);

	/* The three of the fixture, then the 200 oldest of the rest. */
	EXPECT_EQ(203, nfsc_cache_cull(c));
	ASSERT_EQ(16, nr_culled);
	EXPECT_STREQ("0a/01/0001", culled[0]);
	EXPECT_STREQ("0c/03/h0003", culled[2]);
	for (i = 3; i < 16; i++)
		EXPECT_STREQ(many_name(i - 3), culled[i]);
	nfsc_cache_usage(c, &u);
	EXPECT_EQ(100, u.objects);
	EXPECT_EQ(100 * one, (long long)u.bytes);

	/* Room for ten more: the ten oldest left go, in order. */
	nr_culled = 0;
	EXPECT_EQ(0, nfsc_cache_make_room(c, 7, 10 * one, 0));
	ASSERT_EQ(10, nr_culled);
	for (i = 0; i < 10; i++)
		EXPECT_STREQ(many_name(200 + i), culled[i]);

	/* Refilled, the oldest left is the most recent: the next one goes. */
	nfsc_cache_added(c, 7, many_name(210), one);
	nr_culled = 0;
	EXPECT_EQ(0, nfsc_cache_make_room(c, 7, 11 * one, 0));
	ASSERT_EQ(1, nr_culled);
	EXPECT_STREQ(many_name(211), culled[0]);

	/* Each one left is found: committed again, counted once. */
	for (i = 210; i < 300; i++)
		if (i != 211)
			nfsc_cache_added(c, 7, many_name(i), one);
	nfsc_cache_usage(c, &u);
	EXPECT_EQ(89, u.objects);
	EXPECT_EQ(89 * one, (long long)u.bytes);
	nfsc_cache_free(c);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

/* Two mounts of one export with one cache: one volume, known by both. */
TEST_F(cull, a_volume_shared_by_two_mounts_is_both_of_theirs)
{
	long long one = disk_bytes("0a/01/0001");
	struct nfsc_cache_usage u;
	struct nfsc_cache *c;

	mounts[nr_mounts++] = (struct stub_mount){ .id = 8, .volume = "vol" };
	self->opts.max_size = 4 * one;
	c = indexed(_metadata, &self->opts);
	ASSERT_NE(NULL, c);
	EXPECT_TRUE(nfsc_cache_knows(c, 7));
	EXPECT_TRUE(nfsc_cache_knows(c, 8));
	ASSERT_EQ(0, make_object("0d/04/0004", 64, 4000));
	nfsc_cache_added(c, 7, "0d/04/0004", one);
	nfsc_cache_usage(c, &u);
	EXPECT_EQ(4, u.objects);
	/* A fill of the other mount culls from the same volume. */
	EXPECT_EQ(0, nfsc_cache_make_room(c, 8, one, 0));
	EXPECT_EQ(1, nr_culled);
	nfsc_cache_free(c);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

/*
 * A mount unmounted since the index: the kernel answers ENODEV once, the
 * volume's objects wait for its next mount, and no more CULLs are sent
 * for them nor do they count against the cap.
 */
TEST_F(cull, a_gone_mount_is_asked_once)
{
	long long one = disk_bytes("0a/01/0001");
	struct nfsc_cache_usage u;
	struct nfsc_cache *c;

	self->opts.max_size = 2 * one;
	c = indexed(_metadata, &self->opts);
	ASSERT_NE(NULL, c);
	mounts[0].gone = true;
	EXPECT_EQ(0, nfsc_cache_cull(c));
	EXPECT_EQ(1, nr_cull_calls);
	EXPECT_EQ(0, nfsc_cache_cull(c));
	EXPECT_EQ(1, nr_cull_calls);
	nfsc_cache_usage(c, &u);
	EXPECT_EQ(3, u.objects);
	EXPECT_TRUE(exists("0a/01/0001"));

	/* Mounted again (a new id): its objects are culled again. */
	mounts[nr_mounts++] = (struct stub_mount){ .id = 9, .volume = "vol" };
	EXPECT_FALSE(nfsc_cache_knows(c, 9));
	EXPECT_EQ(0, nfsc_cache_sync_mounts(c));
	EXPECT_TRUE(nfsc_cache_knows(c, 9));
	EXPECT_EQ(1, nfsc_cache_cull(c));
	EXPECT_FALSE(exists("0a/01/0001"));
	nfsc_cache_free(c);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

/*
 * The cap counts the volumes with a mount: objects of an unmounted export
 * cannot be culled, and must not make every fill of another cull all it
 * has.
 */
TEST_F(cull, an_unmounted_volume_is_outside_the_cap)
{
	long long one = disk_bytes("0a/01/0001");
	struct nfsc_cache *c;
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/old", cache_dir);
	ASSERT_EQ(0, mkdir(path, 0700));
	ASSERT_EQ(0, nfsc_sh("mkdir -p %s/old/0e/05 && cp %s/vol/0a/01/0001 %s/old/0e/05/0005 && "
			     "cp %s/vol/0a/01/0001 %s/old/0e/05/0006",
			     cache_dir, cache_dir, cache_dir, cache_dir, cache_dir));
	mounts[nr_mounts++] = (struct stub_mount){ .id = 5, .volume = "old" };
	self->opts.max_size = 4 * one;
	c = indexed(_metadata, &self->opts);
	ASSERT_NE(NULL, c);
	/* Both mounted: five objects, one over the cap for a fill. */
	EXPECT_EQ(0, nfsc_cache_make_room(c, 7, 0, 0));
	EXPECT_EQ(1, nr_culled);
	/* The old export unmounted: the cap holds the mounted volume's. */
	mounts[1].gone = true;
	EXPECT_EQ(0, nfsc_cache_sync_mounts(c));
	EXPECT_FALSE(nfsc_cache_knows(c, 5));
	EXPECT_EQ(0, nfsc_cache_make_room(c, 7, 2 * one, 0));
	EXPECT_EQ(1, nr_culled);
	nfsc_cache_free(c);
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

TEST_HARNESS_MAIN
