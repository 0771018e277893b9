// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: miss -> fill -> switch. A cold read through the stack is right
 * while the fill runs; afterwards reads come from the cache object (NFS
 * sees no READ for them) and stats count hits; concurrent misses make one
 * fill; an open made during the miss switches to the object at its next
 * read or splice; changes on the server, before or during a fill, are
 * never served stale; files of awkward sizes; a daemon killed before its
 * claim, mid-copy or before FILL_DONE leaves nothing behind and its
 * successor completes the request; without a daemon nothing is queued.
 *
 * Some tests drive the protocol themselves (helper/nl.c's channel) to put
 * a change or a crash exactly between claim and done.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "../lib/nfsc_fill.h"
#include "kselftest_harness.h"

#define HELPER_LOG "/tmp/fill_test-helper.log"

FIXTURE(fill) {
	char dir[PATH_MAX];
	pid_t helper;
	int writer;	/* a file held open for writing on the server */
};

/* The file through the stack has @size bytes of pattern @seed. */
static int stack_has_pattern(const char *name, uint64_t seed, uint64_t size)
{
	static unsigned char got[1 << 16], want[1 << 16];
	char path[PATH_MAX];
	uint64_t off = 0;
	ssize_t n;
	int fd, ret = 0;

	path_in(path, sizeof(path), NFSC_STACK, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, got, sizeof(got))) > 0) {
		pattern(seed, off, want, n);
		if (memcmp(got, want, n))
			ret = -EIO;
		off += n;
	}
	close(fd);
	return n < 0 ? -EIO : off != size ? -EIO : ret;
}

static long long cache_objects(void)
{
	char out[64];

	if (nfsc_sh_out(out, sizeof(out), "find '%s' -type f | wc -l",
			nfsc_env("NFSC_CACHEDIR")))
		return -1;
	return strtoll(out, NULL, 10);
}

static pid_t start_helper(const char *args)
{
	return nfsc_start_helper(HELPER_LOG, args);
}

static int helper_log_has(const char *pattern)
{
	return nfsc_sh("grep -q -- '%s' " HELPER_LOG, pattern);
}

/*
 * The object of @name holds the server's bytes, and a cold read through
 * the stack is a hit that sends NFS no READ.
 */
static void expect_cached(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fill) *self, const char *name)
{
	char obj[PATH_MAX], exp[PATH_MAX];
	long long hits, reads;

	ASSERT_EQ(0, object_of(name, obj, sizeof(obj)));
	path_in(exp, sizeof(exp), nfsc_env("NFSC_EXPORT"), name);
	EXPECT_EQ(0, same_content(obj, exp));

	ASSERT_EQ(0, drop_caches());
	hits = nfsc_stat(self->dir, "hits");
	reads = nfs_reads();
	ASSERT_LE(0, reads);
	EXPECT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(reads, nfs_reads());
	EXPECT_EQ(hits + 1, nfsc_stat(self->dir, "hits"));
}

/*
 * @name, @size bytes of pattern @seed on the server, read once through
 * the stack by a helper started for it, and filled.
 */
static void cache_new_file(struct __test_metadata *_metadata,
			   FIXTURE_DATA(fill) *self, const char *name,
			   uint64_t size, uint64_t seed)
{
	long long ok;

	ASSERT_EQ(0, make_file(name, size, seed));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ((long long)size, read_through(name));
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60));
}

FIXTURE_SETUP(fill)
{
	self->helper = 0;
	self->writer = -1;
	/* A test killed meanwhile may have left its delay on the loopback. */
	nfsc_sh("tc qdisc del dev lo root 2>/dev/null");
	ASSERT_EQ(0, nfsc_module_load());
	ASSERT_EQ(0, nfsc_mount_stack(NFSC_STACK));
	ASSERT_EQ(0, nfsc_sysfs_dir(NFSC_STACK, self->dir, sizeof(self->dir)));
}

FIXTURE_TEARDOWN(fill)
{
	cache_thaw();	/* after a test stopped while the cache was frozen */
	nfsc_sh("tc qdisc del dev lo root 2>/dev/null");
	if (self->writer >= 0)
		close(self->writer);
	if (self->helper > 0)
		stop_helper(self->helper);
	/* The default; a test may have turned the server's delegations off. */
	nfsc_sh("echo 1 > /proc/sys/fs/leases-enable");
	nfsc_umount(NFSC_STACK);
}

TEST_F_TIMEOUT(fill, cold_read_then_hits_without_nfs_reads, 240)
{
	const char *name = "cold-64m";
	long long reads, ok;

	ASSERT_EQ(0, make_file(name, 64 * MiB + 3, 1));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ok = nfsc_stat(self->dir, "fills_ok");

	/* Cold: served by NFS while the helper copies. */
	ASSERT_EQ(0, drop_caches());
	reads = nfs_reads();
	ASSERT_LE(0, reads);
	ASSERT_EQ(0, stack_matches_export(name));
	EXPECT_LT(reads, nfs_reads());	/* the counter does count */
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 120));
	/* A file this big moves through the big pipes (root may have them). */
	EXPECT_EQ(0, helper_log_has("fill [0-9]* done: " NFSC_STACK "/cold-64m: 67108867 bytes, io_uring-splice in 2 ranges, 4096 KiB pipes, "));

	/* The object is where its name says; warm reads come from it. */
	expect_cached(_metadata, self, name);
	EXPECT_GE(nfsc_stat(self->dir, "bytes_cache"), 64 * MiB);
	/* No second fill for a hit. */
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending") + nfsc_stat(self->dir, "filling"));
}

/*
 * The copies run in io_uring's workers, at the daemon's nice value (10 by
 * default), so that programs reading NFS meanwhile come first.
 */
TEST_F_TIMEOUT(fill, copies_run_at_the_daemon_nice_value, 240)
{
	int workers = 0, other = 0, tries, nice, fd;
	char out[4096], path[PATH_MAX], *line, *save, *sp;
	long long ok;

	ASSERT_EQ(0, make_file("niced", 16 * MiB, 7));
	/* A 4 KiB pipe: thousands of rounds, the workers stay busy. */
	self->helper = start_helper("--pipe-size 4096");
	ASSERT_GT(self->helper, 0);
	EXPECT_EQ(0, helper_log_has(" nice 10, "));
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(0, drop_caches());
	path_in(path, sizeof(path), NFSC_STACK, "niced");
	fd = open(path, O_RDONLY);	/* the miss */
	ASSERT_LE(0, fd);
	close(fd);
	/* Each thread: "(comm) nice"; the daemon's own and its workers. */
	for (tries = 0; tries < 500 && !workers; tries++) {
		ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out),
			"for t in /proc/%d/task/*; do awk '{ print $2, $19 }' $t/stat; done",
			self->helper));
		for (line = strtok_r(out, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			sp = strchr(line, ' ');
			if (!sp || sscanf(sp, "%d", &nice) != 1)
				continue;
			if (!strncmp(line, "(iou-wrk-", 9))
				workers++;
			else if (strncmp(line, "(nfscache-helper)", 17))
				continue;
			if (nice != 10) {
				other++;
				TH_LOG("%s", line);
			}
		}
		usleep(10000);
	}
	EXPECT_LT(0, workers) TH_LOG("no io_uring worker seen while the fill ran");
	EXPECT_EQ(0, other);
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 180));
	nfsc_sh("rm -f '%s/niced'", nfsc_env("NFSC_EXPORT"));
}

TEST_F_TIMEOUT(fill, hundred_openers_one_fill, 240)
{
	const char *name = "crowd";
	long long ok, failed, hits, misses;
	int go[2], i, st, bad = 0;
	pid_t pids[100];

	ASSERT_EQ(0, make_file(name, 4 * MiB, 2));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ok = nfsc_stat(self->dir, "fills_ok");
	failed = nfsc_stat(self->dir, "fills_failed");
	hits = nfsc_stat(self->dir, "hits");
	misses = nfsc_stat(self->dir, "misses");

	ASSERT_EQ(0, pipe(go));
	for (i = 0; i < 100; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (!pids[i]) {
			char c;

			close(go[1]);
			if (read(go[0], &c, 1) < 0)
				_exit(2);
			_exit(stack_has_pattern(name, 2, 4 * MiB) ? 1 : 0);
		}
	}
	close(go[0]);
	close(go[1]);	/* everyone goes */
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &st, 0));
		bad += !WIFEXITED(st) || WEXITSTATUS(st);
	}
	EXPECT_EQ(0, bad);

	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60));
	sleep(1);	/* a second fill would be queued by now */
	EXPECT_EQ(ok + 1, nfsc_stat(self->dir, "fills_ok"));
	EXPECT_EQ(failed, nfsc_stat(self->dir, "fills_failed"));
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending") + nfsc_stat(self->dir, "filling"));
	/*
	 * One open per process, each a hit or a miss; a miss that switched
	 * to the object at a later read counts a hit as well.
	 */
	misses = nfsc_stat(self->dir, "misses") - misses;
	hits = nfsc_stat(self->dir, "hits") - hits;
	EXPECT_LE(1, misses);
	EXPECT_LE(100, hits + misses);
	EXPECT_GE(100, hits);
}

/* Read @fd to its end through a pipe with splice(2); bytes read. */
static long long splice_drain(int fd, unsigned char *out, size_t outlen)
{
	static unsigned char buf[1 << 16];
	long long total = 0;
	ssize_t n, m = 0;
	int p[2];

	if (pipe(p))
		return -errno;
	while ((n = splice(fd, NULL, p[1], NULL, sizeof(buf), 0)) > 0) {
		for (; n > 0; n -= m, total += m) {
			m = read(p[0], buf, n);
			if (m <= 0)
				goto out;
			if ((size_t)(total + m) <= outlen)
				memcpy(out + total, buf, m);
		}
	}
out:
	if (n < 0 || m < 0)
		total = -errno;
	close(p[0]);
	close(p[1]);
	return total;
}

/*
 * An open that missed, its fill committed: its next read, by read(2) or
 * by splice(2), comes from the object. A splice reads under the pipe's
 * lock, which a splice into a file takes inside the cache filesystem's
 * write access: it reads with the cache frozen, so it cannot be waiting
 * for that access to write the object's atime.
 */
static void switch_at_next_read(struct __test_metadata *_metadata,
				FIXTURE_DATA(fill) *self, const char *name,
				uint64_t seed, bool by_splice)
{
	unsigned char *got, *want;
	long long hits, reads, n;
	char path[PATH_MAX];
	uint64_t size = 8 * MiB + 5;
	int fd, st = -1, thaw;
	bool quick;
	pid_t pid;

	ASSERT_EQ(0, make_file(name, size, seed));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);

	path_in(path, sizeof(path), NFSC_STACK, name);
	fd = open(path, O_RDONLY);	/* the miss */
	ASSERT_GE(fd, 0);
	ASSERT_EQ(1, nfsc_wait_stat(self->dir, "fills_ok", 1, 60));

	ASSERT_EQ(0, drop_caches());
	hits = nfsc_stat(self->dir, "hits");
	reads = nfs_reads();
	ASSERT_LE(0, reads);
	/* Shared: a child splices. */
	got = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	want = malloc(size);
	ASSERT_TRUE(got != MAP_FAILED && want);
	if (!by_splice) {
		n = drain(fd, got, size);
	} else {
		ASSERT_EQ(0, cache_freeze(30));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(splice_drain(fd, got, size) == (long long)size ?
			      0 : 1);
		quick = !wait_child(pid, &st, 10);
		thaw = cache_thaw();
		EXPECT_TRUE(quick)
			TH_LOG("the splice waited for the frozen cache");
		if (!quick)
			ASSERT_EQ(pid, waitpid(pid, &st, 0));
		ASSERT_EQ(0, thaw);
		ASSERT_TRUE(WIFEXITED(st));
		n = WEXITSTATUS(st) ? -1 : (long long)size;
	}
	close(fd);
	EXPECT_EQ((long long)size, n);
	pattern(seed, 0, want, size);
	EXPECT_EQ(0, memcmp(got, want, size));
	/* Every byte came from the object. */
	EXPECT_EQ(reads, nfs_reads());
	EXPECT_EQ(hits + 1, nfsc_stat(self->dir, "hits"));
	munmap(got, size);
	free(want);
}

TEST_F_TIMEOUT(fill, open_during_miss_switches_at_next_read, 180)
{
	switch_at_next_read(_metadata, self, "switch", 3, false);
}

TEST_F_TIMEOUT(fill, open_during_miss_switches_at_next_splice, 180)
{
	switch_at_next_read(_metadata, self, "switch-splice", 4, true);
}

/*
 * A hit moves its object's atime, best effort: on a frozen cache
 * (fsfreeze, a snapshot) it must not wait for the thaw, as the VFS's own
 * atime update does not.
 */
TEST_F_TIMEOUT(fill, a_hit_on_a_frozen_cache_does_not_wait, 180)
{
	const char *name = "frozen-hit";
	long long ok, hits;
	pid_t reader;
	int st = -1;
	bool quick;

	ASSERT_EQ(0, make_file(name, MiB, 6));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(0, stack_matches_export(name));
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60));

	/* The first open since the fill: its atime is due. */
	hits = nfsc_stat(self->dir, "hits");
	ASSERT_EQ(0, cache_freeze(30));
	reader = fork();
	ASSERT_LE(0, reader);
	if (!reader)
		_exit(stack_matches_export(name) ? 1 : 0);
	quick = !wait_child(reader, &st, 10);
	ASSERT_EQ(0, cache_thaw());
	EXPECT_TRUE(quick) TH_LOG("the hit waited for the frozen cache");
	if (!quick)
		ASSERT_EQ(reader, waitpid(reader, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_EQ(hits + 1, nfsc_stat(self->dir, "hits"));
}

/*
 * A claim the kernel cannot open files for within its wait (the cache
 * frozen, as a dead NFS server would hold it) is answered -EINPROGRESS;
 * the daemon says so and lets it go, and claims it again when the kernel
 * tells it again after the thaw: the file is filled.
 */
TEST_F_TIMEOUT(fill, a_claim_that_waits_is_taken_again, 180)
{
	const char *name = "frozen-claim";
	long long ok;

	ASSERT_EQ(0, make_file(name, MiB, 8));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(0, cache_freeze(30));
	ASSERT_EQ((long long)MiB, read_through(name));
	/* The claim's 2 s, and the daemon's line about it. */
	sleep(4);
	EXPECT_EQ(ok, nfsc_stat(self->dir, "fills_ok"));
	ASSERT_EQ(0, cache_thaw());
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60));
	EXPECT_EQ(0, helper_log_has("frozen-claim: the kernel is still opening its files"));
	expect_cached(_metadata, self, name);
}

/*
 * A completion whose check outlasts the kernel's wait (its GETATTR on a
 * server 2 s away each way, the file held open for writing there so that
 * nfsd grants no delegation) is answered -EINPROGRESS: the daemon counts
 * it as unconfirmed, neither done nor failed, and says so in status; the
 * kernel commits it in the background.
 */
TEST_F_TIMEOUT(fill, a_completion_still_checked_is_counted_unconfirmed, 240)
{
	const char *name = "slow-done";
	char path[PATH_MAX], out[4096] = "";
	long long ok;
	int i;

	ASSERT_EQ(0, make_file(name, 64 * 1024, 9));
	path_in(path, sizeof(path), nfsc_env("NFSC_EXPORT"), name);
	self->writer = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, self->writer);
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(0, nfsc_sh("modprobe sch_netem && tc qdisc add dev lo root netem delay 2000ms"));
	ASSERT_EQ(64 * 1024, read_through(name));
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 120));
	for (i = 0; i < 100; i++) {
		if (!helper_log_has("slow-done: 65536 bytes; the kernel is still checking it") &&
		    !nfsc_sh_out(out, sizeof(out), "%s/helper/nfscache-helper status",
				 nfsc_env("NFSC_TOP")) &&
		    strstr(out, "fills: 0 done, 0 failed, 1 unconfirmed (the kernel was still checking them);"))
			break;
		usleep(200000);
	}
	EXPECT_GT(100, i) TH_LOG("%s", out);
	EXPECT_EQ(0, nfsc_sh("%s/helper/nfscache-helper status --json | python3 -c 'import json,sys;"
			     " d=json.load(sys.stdin)[\"daemon\"]; sys.exit(not (d[\"fills_ok\"] == 0 and"
			     " d[\"fills_failed\"] == 0 and d[\"fills_unconfirmed\"] == 1))'",
			     nfsc_env("NFSC_TOP")));
	/* Packets held already keep their time: none is lost. */
	ASSERT_EQ(0, nfsc_sh("tc qdisc change dev lo root netem delay 0ms"));
	close(self->writer);
	self->writer = -1;
	ASSERT_EQ(0, stop_helper(self->helper));
	self->helper = 0;
	EXPECT_EQ(0, helper_log_has("exiting: 0 fill(s) done, 0 failed, 1 unconfirmed,"));
	expect_cached(_metadata, self, name);
}

/*
 * @len bytes at @off of a make_file() of seed 7, read through @fd into a
 * buffer at @align past a page boundary. 0 if they match.
 */
static int direct_read_matches(int fd, off_t off, size_t len, size_t align)
{
	unsigned char *want = malloc(len);
	void *buf = NULL;
	int ret = -1;

	if (want && !posix_memalign(&buf, 4096, len + align) &&
	    pread(fd, (char *)buf + align, len, off) == (ssize_t)len) {
		pattern(7, off, want, len);
		ret = memcmp((char *)buf + align, want, len) ? -1 : 0;
	}
	free(buf);
	free(want);
	return ret;
}

/*
 * @len bytes at @off of a make_file() of seed 7, spliced from @fd (as
 * sendfile(2) and copy_file_range(2) read too) through a pipe. 0 if they
 * match.
 */
static int direct_splice_matches(int fd, off_t off, size_t len)
{
	unsigned char *want = malloc(len), *got = malloc(len);
	loff_t pos = off;
	int p[2], ret = -1;
	ssize_t n;

	if (!want || !got || pipe(p)) {
		free(want);
		free(got);
		return -1;
	}
	n = splice(fd, &pos, p[1], NULL, len, 0);
	if (n == (ssize_t)len && read(p[0], got, len) == n) {
		pattern(7, off, want, len);
		ret = memcmp(got, want, len) ? -1 : 0;
	}
	close(p[0]);
	close(p[1]);
	free(want);
	free(got);
	return ret;
}

/*
 * O_DIRECT on a hit: reads the cache's ext4 takes (aligned) come from the
 * object; those it refuses (unaligned, which NFS takes) go to NFS rather
 * than fail, whether O_DIRECT came with the open or since with F_SETFL,
 * and whether read or spliced.
 */
TEST_F_TIMEOUT(fill, direct_reads_the_cache_refuses_go_to_nfs, 180)
{
	const char *name = "direct";
	long long ok, hits, reads;
	char path[PATH_MAX];
	int fd, fl;

	ASSERT_EQ(0, make_file(name, MiB, 7));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(0, stack_matches_export(name));
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60));
	path_in(path, sizeof(path), NFSC_STACK, name);

	hits = nfsc_stat(self->dir, "hits");
	fd = open(path, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, fd) TH_LOG("O_DIRECT open: %s", strerror(errno));
	EXPECT_EQ(hits + 1, nfsc_stat(self->dir, "hits"));
	reads = nfs_reads();
	EXPECT_EQ(0, direct_read_matches(fd, 8192, 8192, 0)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(reads, nfs_reads()) TH_LOG("an aligned read went to NFS");
	EXPECT_EQ(0, direct_read_matches(fd, 3, 1000, 1)) TH_LOG("%s", strerror(errno));
	EXPECT_LT(reads, nfs_reads()) TH_LOG("an unaligned read came from the object");
	EXPECT_EQ(0, direct_splice_matches(fd, 4096, 4096)) TH_LOG("%s", strerror(errno));
	reads = nfs_reads();
	EXPECT_EQ(0, direct_splice_matches(fd, 7, 3000)) TH_LOG("%s", strerror(errno));
	EXPECT_LT(reads, nfs_reads()) TH_LOG("an unaligned splice came from the object");
	close(fd);

	/* A hit, then O_DIRECT, then without it again. */
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	fl = fcntl(fd, F_GETFL);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl | O_DIRECT)) TH_LOG("%s", strerror(errno));
	reads = nfs_reads();
	EXPECT_EQ(0, direct_read_matches(fd, 4097, 3000, 3)) TH_LOG("%s", strerror(errno));
	EXPECT_LT(reads, nfs_reads());
	ASSERT_EQ(0, fcntl(fd, F_SETFL, fl));
	reads = nfs_reads();
	EXPECT_EQ(0, direct_read_matches(fd, 5, 2000, 5));
	EXPECT_EQ(reads, nfs_reads());
	close(fd);
	EXPECT_EQ(ok + 1, nfsc_stat(self->dir, "fills_ok"));
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending"));
}

TEST_F_TIMEOUT(fill, server_change_before_open_is_seen, 180)
{
	const char *name = "changes";
	long long stale, ok;
	char obj[PATH_MAX];

	ASSERT_EQ(0, make_file(name, 2 * MiB, 4));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(0, stack_matches_export(name));
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60));
	ASSERT_EQ(0, object_of(name, obj, sizeof(obj)));

	/* Same size, other bytes, written on the server. */
	stale = nfsc_stat(self->dir, "stale");
	ASSERT_EQ(0, make_file(name, 2 * MiB, 5));
	ASSERT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(stale + 1, nfsc_stat(self->dir, "stale"));
	/* ...and the refill replaces the old object. */
	ASSERT_EQ(ok + 2, nfsc_wait_stat(self->dir, "fills_ok", ok + 2, 60));
	ASSERT_EQ(0, object_of(name, obj, sizeof(obj)));
	ASSERT_EQ(0, nfsc_sh("cmp -s '%s' '%s/%s'", obj, nfsc_env("NFSC_EXPORT"), name));
	ASSERT_EQ(0, stack_matches_export(name));
}

/*
 * Have NFS hold a read delegation of @name. nfsd grants one at an OPEN
 * unless it recalled a delegation of a file with a similar handle in the
 * last 30-60 s (a bloom filter: the tests before rewrite delegated files)
 * or a writer has the file open; the stack's hits send no OPEN, so open
 * it on NFS itself until the server has granted one. 0, or -ETIMEDOUT.
 */
static int nfs_take_delegation(const char *name)
{
	char path[PATH_MAX], c;
	int i, fd;

	path_in(path, sizeof(path), nfsc_env("NFSC_NFS"), name);
	for (i = 0; i < 60; i++) {
		if (nfs_server_delegations(name) > 0)
			return 0;
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			if (read(fd, &c, 1) < 0)
				c = 0;
			close(fd);
		}
		sleep(2);
	}
	return -ETIMEDOUT;
}

/*
 * The fill's and the delegation probe's CLOSEs go to the server
 * asynchronously, and the reply to one landing after the first warm open
 * may leave an attribute for NFS to fetch once more (seen on the slow
 * debug kernel). Wait until the server holds no open of @name, then open
 * until an open sends no GETATTR, at most 10 times: if every open sent
 * one, the count that follows shows it.
 */
static void settle_warm_opens(const char *name)
{
	long long before;
	int i;

	for (i = 0; i < 50 && nfs_server_states(name, "open") > 0; i++)
		usleep(200000);
	usleep(500000);		/* the CLOSE's reply, on the client */
	for (i = 0; i < 10; i++) {
		before = nfs_calls("GETATTR");
		if (stack_matches_export(name) || nfs_calls("GETATTR") == before)
			return;
		usleep(200000);
	}
}

/*
 * Fetch the attributes of the NFS directory now. An open checks that its
 * name is still valid against them, and once they are older than acdirmin
 * (30 s) it fetches them first: a GETATTR of the directory, NFS's own
 * opens alike, that a slow kernel's count of the file's opens would catch.
 */
static int nfs_dir_attrs_fresh(void)
{
	struct statx stx;

	return statx(AT_FDCWD, nfsc_env("NFSC_NFS"), AT_STATX_FORCE_SYNC,
		     STATX_BASIC_STATS, &stx) ? -errno : 0;
}

/*
 * Fill @name, then open and read it @n times through the stack: every
 * open must be a hit. The number of GETATTR calls those opens sent. The
 * first hit after the fill goes before the count: it may refresh an
 * attribute the fill's close left for NFS to revalidate (6.1 does).
 * Before and after the count the server must hold out @delegations read
 * delegations of the file: that is what the count is about.
 */
static long long getattrs_of_warm_opens(struct __test_metadata *_metadata,
					FIXTURE_DATA(fill) *self,
					const char *name, int n, int delegations)
{
	long long ok, hits, getattrs;
	int i;

	ok = nfsc_stat(self->dir, "fills_ok");
	EXPECT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60));
	EXPECT_EQ(0, stack_matches_export(name));
	if (delegations) {
		EXPECT_EQ(0, nfs_take_delegation(name));
		settle_warm_opens(name);
	}
	EXPECT_EQ(delegations, nfs_server_delegations(name));
	EXPECT_EQ(0, nfs_dir_attrs_fresh());
	hits = nfsc_stat(self->dir, "hits");
	getattrs = nfs_calls("GETATTR");
	EXPECT_LE(0, getattrs);
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(hits + n, nfsc_stat(self->dir, "hits"));
	EXPECT_EQ(delegations, nfs_server_delegations(name));
	return nfs_calls("GETATTR") - getattrs;
}

/*
 * GETATTRs NFS may send during a count of delegated hits on its own
 * schedule: one, in some runs on the slow debug kernel only, after the
 * settling above. A hit that asked the server would send one per open.
 */
#define NFS_OWN_GETATTRS 1

/*
 * Close-to-open without a round trip per open: while NFS holds a read
 * delegation (nfsd grants one to the opens of the miss and the fill), its
 * attributes are the server's, and a hit sends nothing.
 */
TEST_F_TIMEOUT(fill, warm_opens_trust_a_read_delegation, 120)
{
	ASSERT_EQ(0, make_file("delegated", MiB, 30));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	EXPECT_GE(NFS_OWN_GETATTRS,
		  getattrs_of_warm_opens(_metadata, self, "delegated", 20, 1));
}

/* Without delegations (leases off on the server) every open asks it. */
TEST_F_TIMEOUT(fill, without_delegation_every_open_asks_the_server, 120)
{
	ASSERT_EQ(0, nfsc_sh("echo 0 > /proc/sys/fs/leases-enable"));
	ASSERT_EQ(0, make_file("undelegated", MiB, 31));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	EXPECT_LE(20, getattrs_of_warm_opens(_metadata, self, "undelegated", 20, 0));
}

/* A server-side write recalls the delegation: the next open sees it. */
TEST_F_TIMEOUT(fill, server_write_recalls_the_delegation, 180)
{
	const char *name = "recalled";
	long long stale;

	ASSERT_EQ(0, make_file(name, MiB, 32));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	EXPECT_GE(NFS_OWN_GETATTRS,
		  getattrs_of_warm_opens(_metadata, self, name, 4, 1));
	stale = nfsc_stat(self->dir, "stale");
	/* Same size, other bytes: only the attributes tell. */
	ASSERT_EQ(0, make_file(name, MiB, 33));
	ASSERT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(stale + 1, nfsc_stat(self->dir, "stale"));
}

TEST_F_TIMEOUT(fill, server_change_during_fill_is_discarded, 120)
{
	const char *name = "racing";
	struct nfsc_fill_claim claim;
	struct fake_daemon fd;
	long long failed, hits;
	char obj[PATH_MAX];

	ASSERT_EQ(0, make_file(name, 3 * MiB, 6));
	ASSERT_EQ(0, fake_open(&fd));
	ASSERT_EQ(3 * MiB, read_through(name));
	ASSERT_EQ(0, fake_wait_request(&fd, 10));
	EXPECT_EQ(3 * MiB, fd.req[0].size);
	ASSERT_EQ(0, nfsc_chan_claim(fd.ch, fd.req[0].id, &claim));
	EXPECT_EQ(3 * MiB, claim.size);

	/* The server's file changes after the claim. */
	ASSERT_EQ(0, make_file(name, 3 * MiB, 7));
	EXPECT_EQ((long long)claim.size, plain_copy(claim.src_fd, claim.dst_fd, claim.size));
	close(claim.src_fd);
	close(claim.dst_fd);
	failed = nfsc_stat(self->dir, "fills_failed");
	EXPECT_EQ(-ESTALE, nfsc_chan_done(fd.ch, fd.req[0].id, 0, claim.size, NULL, 0));
	EXPECT_STREQ("the NFS file changed during the fill", nfsc_chan_why(fd.ch));
	EXPECT_EQ(failed + 1, nfsc_stat(self->dir, "fills_failed"));
	EXPECT_EQ(-ENOENT, object_of(name, obj, sizeof(obj)));

	/* A second DONE for the same request finds nothing. */
	EXPECT_EQ(-ENOENT, nfsc_chan_done(fd.ch, fd.req[0].id, 0, claim.size, NULL, 0));
	nfsc_chan_close(fd.ch);

	hits = nfsc_stat(self->dir, "hits");
	EXPECT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(hits, nfsc_stat(self->dir, "hits"));
}

TEST_F_TIMEOUT(fill, server_truncate_during_fill_is_discarded, 120)
{
	const char *name = "shrinking";
	struct nfsc_fill_claim claim;
	struct fake_daemon fd;
	char obj[PATH_MAX], path[PATH_MAX];
	long long copied;
	int ret;

	ASSERT_EQ(0, make_file(name, 4 * MiB, 8));
	ASSERT_EQ(0, fake_open(&fd));
	ASSERT_EQ(4 * MiB, read_through(name));
	ASSERT_EQ(0, fake_wait_request(&fd, 10));
	ASSERT_EQ(0, nfsc_chan_claim(fd.ch, fd.req[0].id, &claim));

	path_in(path, sizeof(path), nfsc_env("NFSC_EXPORT"), name);
	ASSERT_EQ(0, truncate(path, 1 * MiB));
	copied = plain_copy(claim.src_fd, claim.dst_fd, claim.size);
	close(claim.src_fd);
	close(claim.dst_fd);
	/* Whatever the copy saw, the kernel refuses it. */
	ret = nfsc_chan_done(fd.ch, fd.req[0].id, 0, copied, NULL, 0);
	EXPECT_TRUE(ret == -EIO || ret == -ESTALE);
	nfsc_chan_close(fd.ch);
	EXPECT_EQ(-ENOENT, object_of(name, obj, sizeof(obj)));
	EXPECT_EQ(0, stack_matches_export(name));
}

TEST_F_TIMEOUT(fill, awkward_sizes, 600)
{
	static const struct { const char *name; uint64_t size; } files[] = {
		{ "size-0", 0 },
		{ "size-1", 1 },
		{ "size-pipe", 1 * MiB },		/* the helper's pipe */
		{ "size-pipe+1", 1 * MiB + 1 },
		{ "size-64k", 65536 },			/* a default pipe */
		{ "size-10m-1", 10 * MiB - 1 },		/* below the threshold */
		{ "size-10m", 10 * MiB },
		{ "size-10m+1", 10 * MiB + 1 },
		{ "size-32m-1", 32 * MiB - 1 },		/* below the big pipes */
		{ "size-32m", 32 * MiB },
		{ "size-64m-1", 64 * MiB - 1 },		/* below the cut into ranges */
	};
	unsigned int i;
	long long ok;

	/* The threshold's edge: below it sendfile(), from it the ring. */
	self->helper = start_helper("--splice-threshold 10M");
	ASSERT_GT(self->helper, 0);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *name = files[i].name;

		TH_LOG("%s: %llu bytes", name, (unsigned long long)files[i].size);
		ASSERT_EQ(0, make_file(name, files[i].size, 100 + i));
		ok = nfsc_stat(self->dir, "fills_ok");
		ASSERT_EQ((long long)files[i].size, read_through(name));
		ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 300));
		expect_cached(_metadata, self, name);
	}
	EXPECT_EQ(0, helper_log_has("size-10m-1: 10485759 bytes, sendfile"));
	/* Pipes by the file's size: 1 MiB, and 4 MiB from 32 MiB on. */
	EXPECT_EQ(0, helper_log_has("size-10m: 10485760 bytes, io_uring-splice, 1024 KiB pipe, "));
	EXPECT_EQ(0, helper_log_has("size-32m-1: 33554431 bytes, io_uring-splice, 1024 KiB pipe, "));
	EXPECT_EQ(0, helper_log_has("size-32m: 33554432 bytes, io_uring-splice, 4096 KiB pipe, "));
	EXPECT_EQ(0, helper_log_has("size-64m-1: 67108863 bytes, io_uring-splice, 4096 KiB pipe, "));
}

/*
 * A sparse file's object keeps its holes: the fill copies only the data
 * runs NFS's SEEK_DATA finds, and a hit answers SEEK_DATA and SEEK_HOLE
 * as NFS does. Its fill counts what the file takes on the server against
 * --max-size, not its size: a cap smaller than the file does not refuse it.
 */
TEST_F_TIMEOUT(fill, sparse_file, 180)
{
	static const struct {
		off_t off;
		int whence;
	} seeks[] = {
		{ 0, SEEK_DATA }, { 0, SEEK_HOLE }, { 4096, SEEK_DATA },
		{ 20 * MiB + 123, SEEK_HOLE }, { 21 * MiB, SEEK_DATA },
		{ 48 * MiB - 1, SEEK_HOLE }, { 48 * MiB, SEEK_DATA },
	};
	const char *name = "sparse";
	char path[PATH_MAX], obj[PATH_MAX], stack[PATH_MAX];
	long long ok, hits;
	struct stat st;
	off_t want, got;
	int fd, fs, i;

	path_in(path, sizeof(path), nfsc_env("NFSC_EXPORT"), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, 48 * MiB));
	ASSERT_EQ(5, pwrite(fd, "start", 5, 0));
	ASSERT_EQ(6, pwrite(fd, "middle", 6, 20 * MiB + 123));
	ASSERT_EQ(3, pwrite(fd, "end", 3, 48 * MiB - 3));
	close(fd);

	self->helper = start_helper("--max-size 16M");
	ASSERT_GT(self->helper, 0);
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(48 * MiB, read_through(name));
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 120));
	ASSERT_EQ(0, object_of(name, obj, sizeof(obj)));
	EXPECT_EQ(0, same_content(obj, path));
	/* Three blocks of data; the rest of the 48 MiB, holes. */
	ASSERT_EQ(0, stat(obj, &st));
	EXPECT_EQ(48 * MiB, st.st_size);
	EXPECT_GE(64 * 1024, st.st_blocks * 512) TH_LOG("%lld bytes on disk",
		(long long)st.st_blocks * 512);
	EXPECT_EQ(0, helper_log_has("start: .*/sparse: 50331648 bytes, [0-9]* on the server"));
	EXPECT_EQ(0, helper_log_has(
		"sparse: 50331648 bytes, io_uring-splice, 4096 KiB pipe, 50319360 bytes in holes, "));
	ASSERT_EQ(0, drop_caches());
	EXPECT_EQ(0, stack_matches_export(name));

	/* A hit seeks as NFS does. */
	path_in(stack, sizeof(stack), NFSC_STACK, name);
	hits = nfsc_stat(self->dir, "hits");
	fs = open(stack, O_RDONLY);
	ASSERT_LE(0, fs);
	EXPECT_EQ(hits + 1, nfsc_stat(self->dir, "hits"));
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	for (i = 0; i < (int)(sizeof(seeks) / sizeof(seeks[0])); i++) {
		errno = 0;
		want = lseek(fd, seeks[i].off, seeks[i].whence);
		if (want < 0)
			want = -errno;
		errno = 0;
		got = lseek(fs, seeks[i].off, seeks[i].whence);
		if (got < 0)
			got = -errno;
		EXPECT_EQ(want, got) TH_LOG("lseek(%lld, %s)",
			(long long)seeks[i].off,
			seeks[i].whence == SEEK_DATA ? "SEEK_DATA" : "SEEK_HOLE");
	}
	/* The export's own answers, as a check of the check. */
	EXPECT_EQ(20 * MiB, lseek(fd, 4096, SEEK_DATA));
	close(fd);
	close(fs);
}

/* Where a scripted daemon dies in the protocol. */
enum kill_point {
	KILL_BEFORE_CLAIM,	/* the request received, not claimed */
	KILL_MID_COPY,		/* claimed, half the bytes copied */
	KILL_BEFORE_DONE,	/* every byte copied, FILL_DONE not sent */
};

/*
 * A daemon dies at @point with a fill of @name in hand: the request goes
 * back to pending, no object and nothing half-written is left, reads are
 * NFS's, and the next daemon is sent the request and completes it.
 */
static void daemon_killed_at(struct __test_metadata *_metadata,
			     FIXTURE_DATA(fill) *self, const char *name,
			     enum kill_point point)
{
	long long objects, ok, reads;
	char obj[PATH_MAX], c;
	int st, sync_pipe[2];
	pid_t pid;

	ASSERT_EQ(0, make_file(name, 6 * MiB, 9));
	objects = cache_objects();
	ASSERT_EQ(0, pipe(sync_pipe));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct nfsc_fill_claim claim;
		struct fake_daemon fd;

		close(sync_pipe[0]);
		if (fake_open(&fd) || write(sync_pipe[1], "r", 1) != 1 ||
		    fake_wait_request(&fd, 20))
			_exit(1);
		if (point != KILL_BEFORE_CLAIM) {
			uint64_t len;

			if (nfsc_chan_claim(fd.ch, fd.req[0].id, &claim))
				_exit(1);
			len = point == KILL_MID_COPY ? claim.size / 2 : claim.size;
			if (plain_copy(claim.src_fd, claim.dst_fd, len) != (long long)len)
				_exit(1);
		}
		raise(SIGKILL);
		_exit(2);
	}
	close(sync_pipe[1]);
	ASSERT_EQ(1, read(sync_pipe[0], &c, 1));	/* registered */
	close(sync_pipe[0]);
	ASSERT_EQ(6 * MiB, read_through(name));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	EXPECT_EQ(1, nfsc_wait_stat(self->dir, "pending", 1, 10));
	EXPECT_EQ(0, nfsc_stat(self->dir, "filling"));
	EXPECT_EQ(0, nfsc_stat(self->dir, "fills_failed"));
	EXPECT_EQ(-ENOENT, object_of(name, obj, sizeof(obj)));
	EXPECT_EQ(objects, cache_objects());
	EXPECT_EQ(0, stack_matches_export(name));

	ok = nfsc_stat(self->dir, "fills_ok");
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60));
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending"));
	ASSERT_EQ(0, drop_caches());
	reads = nfs_reads();
	ASSERT_LE(0, reads);
	EXPECT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(reads, nfs_reads());
}

TEST_F_TIMEOUT(fill, daemon_killed_before_claim_leaves_nothing, 180)
{
	daemon_killed_at(_metadata, self, "unclaimed", KILL_BEFORE_CLAIM);
}

TEST_F_TIMEOUT(fill, daemon_killed_after_claim_leaves_nothing, 180)
{
	daemon_killed_at(_metadata, self, "orphan", KILL_MID_COPY);
}

TEST_F_TIMEOUT(fill, daemon_killed_before_done_leaves_nothing, 180)
{
	daemon_killed_at(_metadata, self, "uncommitted", KILL_BEFORE_DONE);
}

/*
 * A fill of a 32 MiB file under way, its helper stopped mid-copy: 4 KiB
 * rounds take seconds over it, and a finished copy fails the start.
 */
static int start_frozen_fill(FIXTURE_DATA(fill) *self, const char *name)
{
	self->helper = nfsc_start_frozen_fill(self->dir, HELPER_LOG, name,
					      32 * MiB, 12);
	if (self->helper <= 0)
		return -1;
	return nfsc_stat(self->dir, "fills_ok") == 0 ? 0 : -1;
}

TEST_F_TIMEOUT(fill, helper_sigkill_mid_copy, 240)
{
	const char *name = "killed";
	char obj[PATH_MAX];
	long long objects;

	objects = cache_objects();
	ASSERT_EQ(0, start_frozen_fill(self, name));
	kill(self->helper, SIGKILL);
	waitpid(self->helper, NULL, 0);
	self->helper = 0;

	EXPECT_EQ(1, nfsc_wait_stat(self->dir, "pending", 1, 10));
	EXPECT_EQ(0, nfsc_stat(self->dir, "fills_ok"));
	EXPECT_EQ(-ENOENT, object_of(name, obj, sizeof(obj)));
	EXPECT_EQ(objects, cache_objects());
	EXPECT_EQ(0, stack_matches_export(name));

	/* The next helper is sent the request and completes it. */
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(1, nfsc_wait_stat(self->dir, "fills_ok", 1, 180));
	ASSERT_EQ(0, object_of(name, obj, sizeof(obj)));
	EXPECT_EQ(0, nfsc_sh("cmp -s '%s' '%s/%s'", obj, nfsc_env("NFSC_EXPORT"), name));
	nfsc_sh("rm -f '%s/%s'", nfsc_env("NFSC_EXPORT"), name);
}

/*
 * Cache files are written with O_DIRECT by default, their unaligned tails
 * buffered; --no-direct writes them through the page cache. Both fill
 * every byte, through the ring and through plain I/O.
 */
TEST_F_TIMEOUT(fill, direct_and_buffered_writes_with_unaligned_tails, 360)
{
	static const struct { const char *name; uint64_t size; } files[] = {
		{ "splice", 12 * MiB + 7 },	/* io_uring splice */
		{ "plain", 3 * MiB + 5 },	/* plain I/O */
	};
	static const struct { const char *args, *prefix; } modes[] = {
		{ "", "direct" }, { "--no-direct", "buffered" },
	};
	char obj[PATH_MAX], exp[PATH_MAX], name[64], line[128];
	unsigned int i, m;
	long long ok;

	for (m = 0; m < 2; m++) {
		/* The log is appended to: only this start's lines in it. */
		ASSERT_EQ(0, nfsc_sh(": > " HELPER_LOG));
		self->helper = start_helper(modes[m].args);
		ASSERT_GT(self->helper, 0);
		/* The start line ends "..., O_DIRECT)" when cache files are. */
		EXPECT_EQ(m ? 1 : 0, helper_log_has("O_DIRECT)"));
		for (i = 0; i < 2; i++) {
			snprintf(name, sizeof(name), "%s-%s", modes[m].prefix,
				 files[i].name);
			ASSERT_EQ(0, make_file(name, files[i].size, 300 + 2 * m + i));
			ok = nfsc_stat(self->dir, "fills_ok");
			ASSERT_EQ((long long)files[i].size, read_through(name));
			ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 120));
			ASSERT_EQ(0, object_of(name, obj, sizeof(obj)));
			path_in(exp, sizeof(exp), nfsc_env("NFSC_EXPORT"), name);
			EXPECT_EQ(0, same_content(obj, exp));
		}
		snprintf(line, sizeof(line), "%s-splice: 12582919 bytes, io_uring-splice",
			 modes[m].prefix);
		EXPECT_EQ(0, helper_log_has(line));
		EXPECT_EQ(0, stop_helper(self->helper));
		self->helper = 0;
	}
}

/*
 * The configuration file's flags, and the command line undoing each one
 * with its opposite: the daemon's start lines say what it runs with.
 */
TEST_F(fill, command_line_undoes_the_config_files_flags)
{
#define CONF "/tmp/fill_test.conf"
	static const char *const args[] = {
		"--config " CONF,
		"--config " CONF " --splice --direct --no-checksum",
	};
	unsigned int m;
	FILE *f;

	f = fopen(CONF, "we");
	ASSERT_NE(NULL, f);
	ASSERT_LE(0, fputs("checksum\nno-splice = yes\ndirect = no\n", f));
	ASSERT_EQ(0, fclose(f));
	for (m = 0; m < 2; m++) {
		ASSERT_EQ(0, nfsc_sh(": > " HELPER_LOG));
		self->helper = start_helper(args[m]);
		ASSERT_GT(self->helper, 0);
		EXPECT_EQ(m ? 1 : 0, helper_log_has("every fill uses plain I/O: splice disabled by option"));
		EXPECT_EQ(m ? 1 : 0, helper_log_has("bytes, checksums)"));
		EXPECT_EQ(m ? 0 : 1, helper_log_has("bytes, O_DIRECT)")) {
			nfsc_sh("cat " HELPER_LOG " >&2");
		}
		EXPECT_EQ(0, stop_helper(self->helper));
		self->helper = 0;
	}
	unlink(CONF);
#undef CONF
}

/* SIGHUP (a lost terminal) does as SIGTERM, which the next test sends. */
TEST_F_TIMEOUT(fill, sighup_finishes_fills_in_flight, 300)
{
	char obj[PATH_MAX];
	int st;

	ASSERT_EQ(0, start_frozen_fill(self, "term-once"));
	kill(self->helper, SIGHUP);
	kill(self->helper, SIGCONT);
	ASSERT_EQ(self->helper, waitpid(self->helper, &st, 0));
	self->helper = 0;
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_EQ(0, helper_log_has("finishing 1 fill(s) in flight"));
	EXPECT_EQ(1, nfsc_stat(self->dir, "fills_ok")) {
		nfsc_sh("cat " HELPER_LOG " >&2");
	}
	ASSERT_EQ(0, object_of("term-once", obj, sizeof(obj)));
	EXPECT_EQ(0, nfsc_sh("cmp -s '%s' '%s/term-once'", obj, nfsc_env("NFSC_EXPORT")));
	nfsc_sh("rm -f '%s/term-once'", nfsc_env("NFSC_EXPORT"));
}

/*
 * Plain copies (--no-splice) run to their end one after another, never
 * filling the ring: SIGTERM still stops the queue after the copy it
 * finds. The daemon read its signals only once the whole queue was done.
 */
TEST_F_TIMEOUT(fill, sigterm_stops_a_queue_of_plain_copies, 300)
{
	char name[32], path[PATH_MAX];
	const int files = 8;
	int i, fd, st;

	for (i = 0; i < files; i++) {
		snprintf(name, sizeof(name), "plainq-%d", i);
		ASSERT_EQ(0, make_file(name, 16 * MiB, 20 + i));
	}
	self->helper = start_helper("--no-splice");
	ASSERT_GT(self->helper, 0);
	/* Every miss queued before the daemon runs again. */
	ASSERT_EQ(0, kill(self->helper, SIGSTOP));
	for (i = 0; i < files; i++) {
		snprintf(name, sizeof(name), "plainq-%d", i);
		path_in(path, sizeof(path), NFSC_STACK, name);
		fd = open(path, O_RDONLY);
		ASSERT_LE(0, fd);
		close(fd);
	}
	ASSERT_EQ(files, nfsc_wait_stat(self->dir, "pending", files, 10));
	ASSERT_EQ(0, kill(self->helper, SIGCONT));
	for (i = 0; i < 1000 && helper_log_has("fill [0-9]* start: "); i++)
		usleep(10000);
	kill(self->helper, SIGTERM);
	ASSERT_EQ(self->helper, waitpid(self->helper, &st, 0));
	self->helper = 0;
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_EQ(0, helper_log_has("finishing [01] fill(s) in flight"));
	EXPECT_GT(files - 2, nfsc_stat(self->dir, "fills_ok")) {
		nfsc_sh("cat " HELPER_LOG " >&2");
	}
	for (i = 0; i < files; i++)
		nfsc_sh("rm -f '%s/plainq-%d'", nfsc_env("NFSC_EXPORT"), i);
}

TEST_F_TIMEOUT(fill, second_signal_abandons_cleanly, 240)
{
	long long objects;
	char obj[PATH_MAX];
	int st;

	objects = cache_objects();
	ASSERT_EQ(0, start_frozen_fill(self, "term-twice"));
	/* Two different signals cannot merge while it is stopped. */
	kill(self->helper, SIGTERM);
	kill(self->helper, SIGINT);
	kill(self->helper, SIGCONT);
	ASSERT_EQ(self->helper, waitpid(self->helper, &st, 0));
	self->helper = 0;
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_EQ(0, helper_log_has("abandoning the fills in flight"));
	EXPECT_EQ(0, helper_log_has("1 in flight abandoned"));
	EXPECT_EQ(0, nfsc_stat(self->dir, "fills_ok"));
	EXPECT_EQ(1, nfsc_wait_stat(self->dir, "pending", 1, 10));
	EXPECT_EQ(-ENOENT, object_of("term-twice", obj, sizeof(obj)));
	EXPECT_EQ(objects, cache_objects());
	nfsc_sh("rm -f '%s/term-twice'", nfsc_env("NFSC_EXPORT"));
}

/* The daemon's "Max open files", soft or hard, or -1. */
static long long helper_nofile(pid_t pid, bool hard)
{
	char out[128];

	if (nfsc_sh_out(out, sizeof(out), "awk '/^Max open files/ {print $%d}' /proc/%d/limits",
			hard ? 5 : 4, (int)pid))
		return -1;
	return atoll(out);
}

/*
 * --max-inflight 1000 may take 4064 files: the soft limit is raised to
 * that, or to the hard limit, with a word, when that is lower.
 */
TEST_F(fill, the_open_file_limit_is_raised_for_the_fills)
{
	struct rlimit was, rl;

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &was));
	rl.rlim_cur = 1024;
	rl.rlim_max = 65536;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	self->helper = start_helper("--max-inflight 1000");
	EXPECT_GT(self->helper, 0);
	if (self->helper > 0) {
		EXPECT_EQ(4064, helper_nofile(self->helper, false));
		EXPECT_EQ(0, stop_helper(self->helper));
	}
	rl.rlim_max = 2048;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	self->helper = start_helper("--max-inflight 1000");
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &was));
	ASSERT_GT(self->helper, 0);
	EXPECT_EQ(2048, helper_nofile(self->helper, false));
	EXPECT_EQ(0, helper_log_has("open file limit 2048, below the 4064"));
	EXPECT_EQ(0, stop_helper(self->helper));
	self->helper = 0;
}

TEST_F(fill, no_daemon_is_pure_passthrough)
{
	long long objects, misses;
	char name[32];
	int i;

	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "alone-%d", i);
		ASSERT_EQ(0, make_file(name, 4096 + i, 200 + i));
	}
	objects = cache_objects();
	misses = nfsc_stat(self->dir, "misses");
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "alone-%d", i);
		ASSERT_EQ(0, stack_matches_export(name));
	}
	EXPECT_EQ(misses + 20, nfsc_stat(self->dir, "misses"));
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending"));
	EXPECT_EQ(0, nfsc_stat(self->dir, "filling"));
	sleep(1);
	EXPECT_EQ(objects, cache_objects());
}

/*
 * The stack asks NFS for ACCESS and fresh attributes only when it has an
 * object to compare them with: a miss's own OPEN decides and brings the
 * attributes, and asking before it would cost each cold open two round
 * trips. (No daemon: nothing else opens the file.)
 */
TEST_F(fill, a_miss_sends_no_access_or_getattr)
{
	long long access, getattr;

	ASSERT_EQ(0, make_file("access-warm", 4096, 210));
	ASSERT_EQ(0, make_file("access-miss1", 4096, 211));
	ASSERT_EQ(0, make_file("access-miss2", 4096, 212));
	/*
	 * The directory's attributes, fresh for acdirmin: were they to expire
	 * between the warm open and the misses, the path walk would fetch
	 * them, see the new names' mtime and ask ACCESS again (6.12 in CI).
	 */
	ASSERT_EQ(0, nfs_dir_attrs_fresh());
	/* The directory's own ACCESS (the path walk's), cached by this one. */
	ASSERT_EQ(0, stack_matches_export("access-warm"));
	access = nfs_calls("ACCESS");
	getattr = nfs_calls("GETATTR");
	ASSERT_LE(0, access);
	ASSERT_LE(0, getattr);
	ASSERT_EQ(0, stack_matches_export("access-miss1"));
	ASSERT_EQ(0, stack_matches_export("access-miss2"));
	EXPECT_EQ(access, nfs_calls("ACCESS"));
	/* Two misses that asked would have sent two. */
	EXPECT_GE(NFS_OWN_GETATTRS, nfs_calls("GETATTR") - getattr);
}

TEST_F(fill, write_open_invalidates_object)
{
	const char *name = "rewritten";
	char path[PATH_MAX], obj[PATH_MAX];
	long long ok;
	int fd;

	ASSERT_EQ(0, make_file(name, 1 * MiB, 11));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(1 * MiB, read_through(name));
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60));
	ASSERT_EQ(0, object_of(name, obj, sizeof(obj)));

	/* Open for write through the stack: the object goes first. */
	path_in(path, sizeof(path), NFSC_STACK, name);
	fd = open(path, O_WRONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOENT, object_of(name, obj, sizeof(obj)));
	ASSERT_EQ(3, pwrite(fd, "new", 3, 0));
	close(fd);
	EXPECT_EQ(0, stack_matches_export(name));

	/* Truncate through the stack too. */
	ASSERT_EQ(ok + 2, nfsc_wait_stat(self->dir, "fills_ok", ok + 2, 60));
	ASSERT_EQ(0, object_of(name, obj, sizeof(obj)));
	ASSERT_EQ(0, truncate(path, 1000));
	EXPECT_EQ(-ENOENT, object_of(name, obj, sizeof(obj)));
	EXPECT_EQ(0, stack_matches_export(name));
}

TEST_F(fill, second_helper_is_refused)
{
	char out[1024];

	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), "%s/helper/nfscache-helper run",
				 nfsc_env("NFSC_TOP")));
	EXPECT_NE(NULL, strstr(out, "cannot register as the fill daemon: Device or resource busy: another fill daemon is registered"))
		TH_LOG("%s", out);
}

TEST_F(fill, open_writer_keeps_the_cache_out)
{
	const char *name = "held-open";
	char path[PATH_MAX];
	long long ok, hits;
	int wfd;

	ASSERT_EQ(0, make_file(name, 200000, 15));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	path_in(path, sizeof(path), NFSC_STACK, name);
	wfd = open(path, O_WRONLY);
	ASSERT_GE(wfd, 0);

	/* While it is open for writing: no hit, no fill. */
	ok = nfsc_stat(self->dir, "fills_ok");
	hits = nfsc_stat(self->dir, "hits");
	ASSERT_EQ(200000, read_through(name));
	sleep(1);
	EXPECT_EQ(ok, nfsc_stat(self->dir, "fills_ok"));
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending") + nfsc_stat(self->dir, "filling"));
	ASSERT_EQ(5, pwrite(wfd, "fresh", 5, 100));
	ASSERT_EQ(200000, read_through(name));
	EXPECT_EQ(hits, nfsc_stat(self->dir, "hits"));
	close(wfd);
	/*
	 * The server writes the data back now, not during the fill: ext4 on
	 * 6.1 moves the change attribute at writeback, which would (rightly)
	 * make the new object stale at once.
	 */
	ASSERT_EQ(0, drop_caches());

	/* Closed: cached again, with what was written. */
	ASSERT_EQ(200000, read_through(name));
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60));
	ASSERT_EQ(0, drop_caches());
	EXPECT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(hits + 1, nfsc_stat(self->dir, "hits"));
}

/*
 * A shared writable mapping made through the stack outlives its open: its
 * file is NFS's, which stays open for writing. So does a writer on NFS
 * itself. Either keeps the cache out, as an open writer does: its pages
 * may be newer than any object and than NFS's attributes.
 */
TEST_F(fill, writers_on_this_client_keep_the_cache_out)
{
	const char *name = "mapped-writer";
	char path[PATH_MAX], nfs[PATH_MAX];
	long long ok, hits;
	char *map;
	int fd;

	ASSERT_EQ(0, make_file(name, 200000, 16));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	path_in(path, sizeof(path), NFSC_STACK, name);
	path_in(nfs, sizeof(nfs), nfsc_env("NFSC_NFS"), name);
	ok = nfsc_stat(self->dir, "fills_ok");
	hits = nfsc_stat(self->dir, "hits");

	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	map = mmap(NULL, 200000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	close(fd);
	ASSERT_EQ(200000, read_through(name));
	sleep(1);
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending") + nfsc_stat(self->dir, "filling"));
	EXPECT_EQ(ok, nfsc_stat(self->dir, "fills_ok"));
	memcpy(map + 100, "mapped", 6);
	EXPECT_EQ(0, stack_matches_export(name));
	ASSERT_EQ(0, munmap(map, 200000));

	fd = open(nfs, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(200000, read_through(name));
	sleep(1);
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending") + nfsc_stat(self->dir, "filling"));
	EXPECT_EQ(ok, nfsc_stat(self->dir, "fills_ok"));
	close(fd);
	EXPECT_EQ(hits, nfsc_stat(self->dir, "hits"));
}

/*
 * A change NFS refuses drops nothing: NFS checks a write open, an unlink
 * or a rename at the server, after the VFS let the caller through, so
 * dropping first let anyone evict any object.
 */
TEST_F(fill, a_refused_change_drops_no_object)
{
	const char *name = "not-yours";
	char path[PATH_MAX], to[PATH_MAX], obj[PATH_MAX];
	long long hits;
	int st;
	pid_t pid;

	cache_new_file(_metadata, self, name, 100000, 17);
	ASSERT_EQ(0, object_of(name, obj, sizeof(obj)));
	path_in(path, sizeof(path), NFSC_STACK, name);
	path_in(to, sizeof(to), NFSC_STACK, "not-yours.moved");

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (!nfsc_become_nobody())
			_exit(100);
		if (open(path, O_WRONLY) >= 0 || errno != EACCES)
			_exit(101);
		if (open(path, O_RDONLY | O_TRUNC) >= 0 || errno != EACCES)
			_exit(102);
		if (!truncate(path, 0) || errno != EACCES)
			_exit(103);
		if (!unlink(path) || errno != EACCES)
			_exit(104);
		if (!rename(path, to) || errno != EACCES)
			_exit(105);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status %d", st);
	EXPECT_EQ(0, object_of(name, obj, sizeof(obj)));
	hits = nfsc_stat(self->dir, "hits");
	EXPECT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(hits + 1, nfsc_stat(self->dir, "hits"));
}

/* 0 if another process could write-lock @path now, else its errno. */
static int other_write_lock(const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int st, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(path, O_RDWR);
		_exit(fd < 0 ? 100 : fcntl(fd, F_SETLK, &fl) ? errno : 0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * Closing any fd of a file drops the process's POSIX locks on it, also
 * when both opens are hits and the lock was taken through the other one
 * (whose NFS file holds it, not the object).
 */
TEST_F(fill, closing_a_hit_drops_the_locks_taken_through_another)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	const char *name = "locked-hits";
	char path[PATH_MAX], nfs[PATH_MAX];
	long long hits;
	int fd1, fd2;

	cache_new_file(_metadata, self, name, 8192, 18);
	path_in(path, sizeof(path), NFSC_STACK, name);
	path_in(nfs, sizeof(nfs), nfsc_env("NFSC_NFS"), name);

	hits = nfsc_stat(self->dir, "hits");
	fd1 = open(path, O_RDONLY);
	fd2 = open(path, O_RDONLY);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(hits + 2, nfsc_stat(self->dir, "hits"));
	ASSERT_EQ(0, fcntl(fd1, F_SETLK, &fl));
	EXPECT_EQ(EAGAIN, other_write_lock(nfs));
	close(fd2);
	EXPECT_EQ(0, other_write_lock(nfs));
	close(fd1);
}

TEST_F(fill, namespace_changes_invalidate_objects)
{
	char from[PATH_MAX], to[PATH_MAX], obj[PATH_MAX], obj_a[PATH_MAX];
	long long ok;

	ASSERT_EQ(0, make_file("ns-a", 5000, 13));
	ASSERT_EQ(0, make_file("ns-b", 6000, 14));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(5000, read_through("ns-a"));
	ASSERT_EQ(6000, read_through("ns-b"));
	ASSERT_EQ(ok + 2, nfsc_wait_stat(self->dir, "fills_ok", ok + 2, 60));
	ASSERT_EQ(0, object_of("ns-a", obj_a, sizeof(obj_a)));
	ASSERT_EQ(0, object_of("ns-b", obj, sizeof(obj)));

	/* Renaming ns-a over ns-b drops both objects. */
	path_in(from, sizeof(from), NFSC_STACK, "ns-a");
	path_in(to, sizeof(to), NFSC_STACK, "ns-b");
	ASSERT_EQ(0, rename(from, to));
	EXPECT_NE(0, access(obj_a, F_OK)) TH_LOG("%s", obj_a);
	EXPECT_NE(0, access(obj, F_OK)) TH_LOG("%s", obj);
	EXPECT_EQ(-ENOENT, object_of("ns-b", obj, sizeof(obj)));
	EXPECT_EQ(0, stack_matches_export("ns-b"));

	/* ...refilled, then unlinked: its object goes too. */
	ASSERT_EQ(ok + 3, nfsc_wait_stat(self->dir, "fills_ok", ok + 3, 60));
	ASSERT_EQ(0, object_of("ns-b", obj, sizeof(obj)));
	ASSERT_EQ(0, unlink(to));
	EXPECT_NE(0, access(obj, F_OK));
}

/*
 * A new file renamed over a cached one on the server: the next open
 * through the stack reads the new file (close-to-open by name), and the
 * old object is not served. (While the old file is still open on this
 * client, NFS itself goes on opening it by that name: see the README.)
 */
TEST_F_TIMEOUT(fill, server_rename_over_a_cached_file_is_seen, 180)
{
	const char *name = "renamed-over";
	char path[PATH_MAX], tmp[PATH_MAX];
	long long ok, hits;

	ASSERT_EQ(0, make_file(name, 1 * MiB, 6));
	self->helper = start_helper("");
	ASSERT_GT(self->helper, 0);
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(0, stack_matches_export(name));
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60));
	ASSERT_EQ(0, stack_matches_export(name));	/* a hit */

	ASSERT_EQ(0, make_file("renamed-over.new", 1 * MiB, 7));
	path_in(tmp, sizeof(tmp), nfsc_env("NFSC_EXPORT"), "renamed-over.new");
	path_in(path, sizeof(path), nfsc_env("NFSC_EXPORT"), name);
	ASSERT_EQ(0, rename(tmp, path));
	/* New bytes: the old object was not served (a switch may count a hit). */
	EXPECT_EQ(0, stack_matches_export(name));
	/* The new file is filled under its own handle, and then a hit. */
	ASSERT_EQ(ok + 2, nfsc_wait_stat(self->dir, "fills_ok", ok + 2, 60));
	hits = nfsc_stat(self->dir, "hits");
	EXPECT_EQ(0, stack_matches_export(name));
	EXPECT_EQ(hits + 1, nfsc_stat(self->dir, "hits"));
}

TEST_HARNESS_MAIN
