// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: nfscache-helper prefetch fills a whole tree and waits for it,
 * walks it without a GETATTR a file, opens its files many at once and
 * holds each open until its fill ends (so many and no more), waits once
 * for a file of two names, says what was cached already, and fails
 * clearly without a daemon or off an nfs_cachefs mount; invalidate drops
 * the objects of a subtree; both are root's. A fill cancelled under it
 * ends it. Either goes on when the kernel answers that it is still at it
 * (EINPROGRESS): prefetch asks again, invalidate says the removal goes on.
 */
#include <stdint.h>
#include <sys/wait.h>

#include "../lib/nfsc_fill.h"
#include "kselftest_harness.h"
#include "prefetch.h"

#define HELPER_LOG "/tmp/prefetch_test-helper.log"
#define IO_URING_DISABLED "/proc/sys/kernel/io_uring_disabled"

FIXTURE(prefetch) {
	char dir[PATH_MAX];
	pid_t helper;
	pid_t prefetch;		/* one in the background */
};

FIXTURE_SETUP(prefetch)
{
	self->helper = 0;
	self->prefetch = 0;
	ASSERT_EQ(0, nfsc_module_load());
	ASSERT_EQ(0, nfsc_mount_stack(NFSC_STACK));
	ASSERT_EQ(0, nfsc_sysfs_dir(NFSC_STACK, self->dir, sizeof(self->dir)));
	ASSERT_EQ(0, nfsc_sh("mkdir -p %s/pf/sub", nfsc_env("NFSC_EXPORT")));
	ASSERT_EQ(0, make_file("pf/a", MiB, 110));
	ASSERT_EQ(0, make_file("pf/sub/b", 2 * MiB, 111));
	ASSERT_EQ(0, make_file("pf/sub/c", 0, 112));
}

FIXTURE_TEARDOWN(prefetch)
{
	if (self->prefetch > 0) {	/* left holding files on the stack */
		kill(self->prefetch, SIGKILL);
		waitpid(self->prefetch, NULL, 0);
	}
	if (self->helper > 0)
		stop_helper(self->helper);
	/* What a test stopped early may have left. */
	cache_thaw();
	nfsc_sh("tc qdisc del dev lo root 2>/dev/null");
	nfsc_sh("[ ! -w " IO_URING_DISABLED " ] || echo 0 >" IO_URING_DISABLED);
	nfsc_umount(NFSC_STACK);
	nfsc_sh("rm -rf %s/pf", nfsc_env("NFSC_EXPORT"));
}

static int helper_cmd(char *out, size_t len, const char *args)
{
	return nfsc_sh_out(out, len, "%s/helper/nfscache-helper %s", nfsc_env("NFSC_TOP"), args);
}

TEST_F_TIMEOUT(prefetch, fills_a_tree_and_waits, 240)
{
	char out[4096], obj[PATH_MAX];
	long long reads, hits;

	/* A link in the tree is not followed; one named is. */
	ASSERT_EQ(0, nfsc_sh("ln -s a %s/pf/la", nfsc_env("NFSC_EXPORT")));
	self->helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, helper_cmd(out, sizeof(out), "prefetch " NFSC_STACK "/pf")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "prefetch: 3 file(s): 3 filled (3145728 bytes), "
			       "0 already cached, 0 failed")) TH_LOG("%s", out);
	/* Done when it says so: every object there, every read a hit. */
	EXPECT_EQ(0, object_of("pf/a", obj, sizeof(obj)));
	EXPECT_EQ(0, object_of("pf/sub/b", obj, sizeof(obj)));
	EXPECT_EQ(0, object_of("pf/sub/c", obj, sizeof(obj)));
	ASSERT_EQ(0, drop_caches());
	reads = nfs_reads();
	hits = nfsc_stat(self->dir, "hits");
	EXPECT_EQ(0, stack_matches_export("pf/a"));
	EXPECT_EQ(0, stack_matches_export("pf/sub/b"));
	EXPECT_EQ(reads, nfs_reads());
	EXPECT_EQ(hits + 2, nfsc_stat(self->dir, "hits"));

	/* Again: nothing to fill. */
	ASSERT_EQ(0, helper_cmd(out, sizeof(out), "prefetch " NFSC_STACK "/pf/a " NFSC_STACK "/pf/sub"));
	EXPECT_NE(NULL, strstr(out, "prefetch: 3 file(s): 0 filled (0 bytes), "
			       "3 already cached, 0 failed")) TH_LOG("%s", out);
	ASSERT_EQ(0, helper_cmd(out, sizeof(out), "prefetch " NFSC_STACK "/pf/la"));
	EXPECT_NE(NULL, strstr(out, "prefetch: 1 file(s): 0 filled (0 bytes), "
			       "1 already cached, 0 failed")) TH_LOG("%s", out);
}

/*
 * The reply tells a fill that ended between the open and PREFETCH (the
 * open's own request, done by a quick daemon) from a file cached before
 * the open; a helper that took the first for the second said "already
 * cached" of a file its own run had filled.
 */
TEST_F(prefetch, tells_filled_since_the_open_from_cached)
{
	struct nfsc_chan *admin;
	struct nfsc_fill_claim claim;
	struct fake_daemon fd;
	int missed, hit, status, err;
	long long reads;
	uint64_t id;

	ASSERT_EQ(0, fake_open(&fd));
	admin = nfsc_chan_open(NULL, NULL, &err);
	ASSERT_NE(NULL, admin) TH_LOG("%s", strerror(-err));
	missed = open(NFSC_STACK "/pf/a", O_RDONLY);
	ASSERT_LE(0, missed);
	ASSERT_EQ(0, fake_wait_request(&fd, 10));

	/* Queued: the open's own request. */
	EXPECT_EQ(0, nfsc_chan_prefetch(admin, missed, &status, &id));
	EXPECT_EQ(NFS_CACHEFS_PREFETCH_QUEUED, status);
	EXPECT_EQ(fd.req[0].id, id);

	ASSERT_EQ(0, nfsc_chan_claim(fd.ch, fd.req[0].id, &claim));
	EXPECT_EQ((long long)claim.size, plain_copy(claim.src_fd, claim.dst_fd, claim.size));
	close(claim.src_fd);
	close(claim.dst_fd);
	ASSERT_EQ(0, nfsc_chan_done(fd.ch, fd.req[0].id, 0, claim.size, NULL, 0));

	/* Filled since the open missed, and it reads from the cache now. */
	EXPECT_EQ(0, nfsc_chan_prefetch(admin, missed, &status, &id));
	EXPECT_EQ(NFS_CACHEFS_PREFETCH_FILLED, status);
	EXPECT_EQ(0, id);
	ASSERT_EQ(0, drop_caches());
	reads = nfs_reads();
	EXPECT_EQ(MiB, drain(missed, NULL, 0));
	EXPECT_EQ(reads, nfs_reads());

	/* An open after the fill hit: cached before it. */
	hit = open(NFSC_STACK "/pf/a", O_RDONLY);
	ASSERT_LE(0, hit);
	EXPECT_EQ(0, nfsc_chan_prefetch(admin, hit, &status, &id));
	EXPECT_EQ(NFS_CACHEFS_PREFETCH_CACHED, status);
	EXPECT_EQ(0, id);
	close(hit);
	close(missed);
	nfsc_chan_close(admin);
	nfsc_chan_close(fd.ch);
}

TEST_F(prefetch, says_why_it_cannot)
{
	char out[4096], path[PATH_MAX];

	/* No daemon: nothing can be queued. */
	EXPECT_EQ(1, helper_cmd(out, sizeof(out), "prefetch " NFSC_STACK "/pf/a"));
	EXPECT_NE(NULL, strstr(out, "Resource temporarily unavailable: no fill queued"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "1 file(s): 0 filled (0 bytes), 0 already cached, 1 failed"));
	/* Not on an nfs_cachefs mount. */
	snprintf(path, sizeof(path), "prefetch %s/pf/a", nfsc_env("NFSC_NFS"));
	EXPECT_EQ(1, helper_cmd(out, sizeof(out), path));
	EXPECT_NE(NULL, strstr(out, "not a regular file on an nfs_cachefs mount")) TH_LOG("%s", out);
	EXPECT_EQ(2, helper_cmd(out, sizeof(out), "prefetch"));
	/* Only root. */
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out),
				 "setpriv --reuid=65534 --regid=65534 --clear-groups "
				 "%s/helper/nfscache-helper prefetch " NFSC_STACK "/pf/a",
				 nfsc_env("NFSC_TOP")));
	EXPECT_NE(NULL, strstr(out, "needs CAP_SYS_ADMIN")) TH_LOG("%s", out);
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out),
				 "setpriv --reuid=65534 --regid=65534 --clear-groups "
				 "%s/helper/nfscache-helper invalidate " NFSC_STACK "/pf/a",
				 nfsc_env("NFSC_TOP")));
	EXPECT_NE(NULL, strstr(out, "Operation not permitted")) TH_LOG("%s", out);
}

/*
 * Across a network each open of a missing file waits for NFS's OPEN and
 * each close for its CLOSE: prefetch has many files in flight, so a tree
 * takes a few round trips more than on the loopback, not one or two a
 * file. No daemon: the opens alone are timed, each file still asked for
 * and counted. The same prefetch without the delay first, so that only
 * the round trips are compared, not the machine's speed. Before each, the
 * caches are dropped (evicted NFS inodes hand their read delegations
 * back: every open sends its OPEN, as counted) and the walk's attributes
 * fetched again, so that only the opens and closes cross the delay.
 */
#define MANY_FILES 48
#define RTT_MS 200

static int64_t prefetch_many_ms(char *out, size_t len, int rtt_ms, int *rc,
				long long *opens)
{
	long long opens0;
	int64_t t0, ms;

	if (drop_caches() || nfsc_sh("ls -l " NFSC_STACK "/pf/many >/dev/null"))
		return -1;
	if (rtt_ms && nfsc_sh("tc qdisc add dev lo root netem delay %dms", rtt_ms / 2))
		return -1;
	opens0 = nfs_calls("OPEN|OPEN_NOATTR");
	t0 = now_ns();
	*rc = helper_cmd(out, len, "prefetch " NFSC_STACK "/pf/many");
	ms = (now_ns() - t0) / 1000000;
	*opens = nfs_calls("OPEN|OPEN_NOATTR") - opens0;
	if (rtt_ms && nfsc_sh("tc qdisc del dev lo root"))
		return -1;
	return ms;
}

TEST_F_TIMEOUT(prefetch, opens_files_at_once, 240)
{
	char out[16384], name[64];
	int64_t local_ms, delayed_ms;
	long long opens;
	int i, rc;

	ASSERT_EQ(0, nfsc_sh("mkdir -p %s/pf/many", nfsc_env("NFSC_EXPORT")));
	for (i = 0; i < MANY_FILES; i++) {
		snprintf(name, sizeof(name), "pf/many/f%02d", i);
		ASSERT_EQ(0, make_file(name, 64 * 1024, 200 + i));
	}
	ASSERT_EQ(0, nfsc_sh("modprobe sch_netem"));
	local_ms = prefetch_many_ms(out, sizeof(out), 0, &rc, &opens);
	ASSERT_LE(0, local_ms);
	EXPECT_EQ(1, rc);
	EXPECT_LE(MANY_FILES, opens);
	delayed_ms = prefetch_many_ms(out, sizeof(out), RTT_MS, &rc, &opens);
	ASSERT_LE(0, delayed_ms);
	EXPECT_EQ(1, rc);
	EXPECT_LE(MANY_FILES, opens);
	EXPECT_NE(NULL, strstr(out, "prefetch: 48 file(s): 0 filled (0 bytes), "
			       "0 already cached, 48 failed")) TH_LOG("%s", out);
	/* One file at a time would add MANY_FILES round trips, its opens' alone. */
	EXPECT_LT(delayed_ms - local_ms, MANY_FILES * RTT_MS * 3 / 4);
	TH_LOG("%d files: %lld ms, %lld ms at a %d ms round trip", MANY_FILES,
	       (long long)local_ms, (long long)delayed_ms, RTT_MS);

	/* With the daemon every one fills, the opens' reaping in turn. */
	self->helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, helper_cmd(out, sizeof(out), "prefetch " NFSC_STACK "/pf/many"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "prefetch: 48 file(s): 48 filled (3145728 bytes), "
			       "0 already cached, 0 failed")) TH_LOG("%s", out);
	for (i = 0; i < MANY_FILES; i++) {
		char obj[PATH_MAX];

		snprintf(name, sizeof(name), "pf/many/f%02d", i);
		EXPECT_EQ(0, object_of(name, obj, sizeof(obj))) TH_LOG("%s", name);
	}
}

/*
 * The walk stats no file: it takes each name's type from readdir(). A
 * stat of a name whose attributes are older than acregmin (3 s, the
 * default, for files this new) sends GETATTR, a round trip in series
 * with the walk: on 6.1 a walk that stat()ed every name (nftw) sent one
 * for each file here. prefetch takes a file's size from the attributes
 * its OPEN brought. No daemon: every file is opened, asked for and
 * counted as failed.
 */
#define AGED_FILES 40

TEST_F_TIMEOUT(prefetch, walk_sends_no_getattr_for_its_files, 240)
{
	char out[8192], name[64], want[128];
	long long getattrs, opens;
	int i;

	ASSERT_EQ(0, nfsc_sh("mkdir -p %s/pf/aged", nfsc_env("NFSC_EXPORT")));
	for (i = 0; i < AGED_FILES; i++) {
		snprintf(name, sizeof(name), "pf/aged/f%02d", i);
		ASSERT_EQ(0, make_file(name, 4096, 500 + i));
	}
	ASSERT_EQ(0, drop_caches());
	ASSERT_EQ(0, nfsc_sh("ls -l " NFSC_STACK "/pf/aged >/dev/null"));
	sleep(4);	/* past acregmin: a stat would ask the server */
	getattrs = nfs_calls("GETATTR");
	opens = nfs_calls("OPEN|OPEN_NOATTR");
	EXPECT_EQ(1, helper_cmd(out, sizeof(out), "prefetch " NFSC_STACK "/pf/aged"));
	getattrs = nfs_calls("GETATTR") - getattrs;
	opens = nfs_calls("OPEN|OPEN_NOATTR") - opens;
	snprintf(want, sizeof(want), "prefetch: %d file(s): 0 filled (0 bytes), "
		 "0 already cached, %d failed", AGED_FILES, AGED_FILES);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_LE(AGED_FILES, opens);
	/*
	 * A few for the directories on the way (2 to 6 here, against 45 on
	 * 6.1 and 24 on 6.12 when the walk stat()ed each file), none a file.
	 */
	EXPECT_GT(AGED_FILES / 4, getattrs);
	TH_LOG("%lld GETATTR for the walk of %d files", getattrs, AGED_FILES);
}

/*
 * Each file stays open until its fill ends, and no more than PREFETCH_HELD
 * at once: with the daemon stopped, none ends, so prefetch's open files
 * under the tree climb to the bound and stay there; let go, it finishes.
 */
#define HELD_FILES (PREFETCH_HELD + 36)
#define PREFETCH_OUT "/tmp/prefetch_bg.out"

/* The stack's files under pf/@dir/ that @pid has open, or -1. */
static int files_held_by(pid_t pid, const char *dir)
{
	char out[64];

	if (nfsc_sh_out(out, sizeof(out), "ls -l /proc/%d/fd | grep -c ' %s/pf/%s/' || true",
			(int)pid, NFSC_STACK, dir))
		return -1;
	return atoi(out);
}

/* Within a minute, @pid holds @n files under pf/@dir/: how many it holds. */
static int wait_for_held(pid_t pid, const char *dir, int n)
{
	int i, held = 0;

	for (i = 0; i < 600 && held < n; i++) {
		usleep(100000);
		held = files_held_by(pid, dir);
	}
	return held;
}

/* prefetch of pf/@dir in the background: stdout to PREFETCH_OUT, stderr too. */
static pid_t prefetch_in_background(const char *dir)
{
	char cmd[PATH_MAX];

	snprintf(cmd, sizeof(cmd), "%s/helper/nfscache-helper prefetch %s/pf/%s >>" PREFETCH_OUT,
		 nfsc_env("NFSC_TOP"), NFSC_STACK, dir);
	return nfsc_spawn(cmd, PREFETCH_OUT, NULL);
}

/* @pid's exit status within @secs, or -1 (killed: it hung). */
static int exit_status_within(pid_t pid, int secs)
{
	int st;

	if (!wait_child(pid, &st, secs))
		return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* The daemon stopped, with room for fills queued longer than a minute. */
static void stop_daemon(struct __test_metadata *_metadata,
			FIXTURE_DATA(prefetch) *self)
{
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "fill_timeout_ms", "600000"));
	self->helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, kill(self->helper, SIGSTOP));
}

TEST_F_TIMEOUT(prefetch, holds_files_open_until_their_fills_end, 240)
{
	char out[4096], name[64], want[128];
	int i;

	ASSERT_EQ(0, nfsc_sh("mkdir -p %s/pf/held", nfsc_env("NFSC_EXPORT")));
	for (i = 0; i < HELD_FILES; i++) {
		snprintf(name, sizeof(name), "pf/held/f%03d", i);
		ASSERT_EQ(0, make_file(name, 4096, 300 + i));
	}
	stop_daemon(_metadata, self);
	self->prefetch = prefetch_in_background("held");
	ASSERT_LT(0, self->prefetch);
	EXPECT_EQ(PREFETCH_HELD, wait_for_held(self->prefetch, "held", PREFETCH_HELD));
	usleep(500000);
	EXPECT_EQ(PREFETCH_HELD, files_held_by(self->prefetch, "held"));
	EXPECT_EQ(0, waitpid(self->prefetch, NULL, WNOHANG));
	ASSERT_EQ(0, kill(self->helper, SIGCONT));
	EXPECT_EQ(0, exit_status_within(self->prefetch, 120));
	self->prefetch = 0;
	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "cat " PREFETCH_OUT));
	snprintf(want, sizeof(want), "prefetch: %d file(s): %d filled (%d bytes), "
		 "0 already cached, 0 failed", HELD_FILES, HELD_FILES, HELD_FILES * 4096);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
}

/*
 * Two names of one file (a hard link) share its fill: both are counted
 * when it ends, its bytes once. A helper that waited for the fill once
 * per name waited for ever.
 */
TEST_F_TIMEOUT(prefetch, waits_once_for_a_file_of_two_names, 240)
{
	char out[4096];

	ASSERT_EQ(0, nfsc_sh("mkdir -p %s/pf/links", nfsc_env("NFSC_EXPORT")));
	ASSERT_EQ(0, make_file("pf/links/x", MiB, 400));
	ASSERT_EQ(0, nfsc_sh("ln %1$s/pf/links/x %1$s/pf/links/y", nfsc_env("NFSC_EXPORT")));
	stop_daemon(_metadata, self);
	self->prefetch = prefetch_in_background("links");
	ASSERT_LT(0, self->prefetch);
	EXPECT_EQ(1, wait_for_held(self->prefetch, "links", 1));
	sleep(3);	/* the other name asked for too, and closed */
	EXPECT_EQ(1, files_held_by(self->prefetch, "links"));
	ASSERT_EQ(0, kill(self->helper, SIGCONT));
	EXPECT_EQ(0, exit_status_within(self->prefetch, 120));
	self->prefetch = 0;
	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "cat " PREFETCH_OUT));
	EXPECT_NE(NULL, strstr(out, "prefetch: 2 file(s): 2 filled (1048576 bytes), "
			       "0 already cached, 0 failed")) TH_LOG("%s", out);
}

/*
 * A fill cancelled before it is done (here by invalidate; opening the
 * file for writing, truncating or unlinking it do the same) ends with a
 * FAIL event: prefetch says why and ends, while the daemon is still
 * stopped. The kernel used to drop such a request without a word, and
 * prefetch waited for its end for ever.
 */
TEST_F_TIMEOUT(prefetch, ends_when_its_fill_is_cancelled, 240)
{
	char out[4096];

	ASSERT_EQ(0, nfsc_sh("mkdir -p %s/pf/cancel; rm -f " PREFETCH_OUT,
			     nfsc_env("NFSC_EXPORT")));
	ASSERT_EQ(0, make_file("pf/cancel/x", MiB, 500));
	stop_daemon(_metadata, self);
	self->prefetch = prefetch_in_background("cancel");
	ASSERT_LT(0, self->prefetch);
	ASSERT_EQ(1, wait_for_held(self->prefetch, "cancel", 1));
	ASSERT_EQ(0, helper_cmd(out, sizeof(out), "invalidate " NFSC_STACK "/pf/cancel/x"))
		TH_LOG("%s", out);
	EXPECT_EQ(1, exit_status_within(self->prefetch, 60));
	self->prefetch = 0;
	ASSERT_EQ(0, kill(self->helper, SIGCONT));
	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "cat " PREFETCH_OUT));
	EXPECT_NE(NULL, strstr(out, "cancelled: the file changes through the stack"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "prefetch: 1 file(s): 0 filled (0 bytes), "
			       "0 already cached, 1 failed")) TH_LOG("%s", out);
}

/* Where io_uring is refused (6.6 on can be told to), one open at a time. */
TEST_F_TIMEOUT(prefetch, opens_one_at_a_time_without_io_uring, 240)
{
	char out[4096];

	if (access(IO_URING_DISABLED, W_OK))
		SKIP(return, "no kernel.io_uring_disabled (before 6.6)");
	/* The daemon's ring is made before io_uring is refused. */
	self->helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, nfsc_sh("echo 2 >" IO_URING_DISABLED));
	EXPECT_EQ(0, helper_cmd(out, sizeof(out), "prefetch " NFSC_STACK "/pf"));
	EXPECT_EQ(0, nfsc_sh("echo 0 >" IO_URING_DISABLED));
	EXPECT_NE(NULL, strstr(out, "prefetch: io_uring: Operation not permitted; "
			       "opening one file at a time")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "prefetch: 3 file(s): 3 filled (3145728 bytes), "
			       "0 already cached, 0 failed")) TH_LOG("%s", out);
}

TEST_F_TIMEOUT(prefetch, invalidate_drops_a_subtree, 240)
{
	char out[4096], obj[PATH_MAX];
	long long misses;

	/* A link in the tree is not followed; one named is. */
	ASSERT_EQ(0, nfsc_sh("ln -s a %s/pf/la", nfsc_env("NFSC_EXPORT")));
	self->helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, helper_cmd(out, sizeof(out), "prefetch " NFSC_STACK "/pf")) TH_LOG("%s", out);
	ASSERT_EQ(0, stop_helper(self->helper));
	self->helper = 0;

	ASSERT_EQ(0, helper_cmd(out, sizeof(out), "invalidate " NFSC_STACK "/pf/sub"));
	EXPECT_NE(NULL, strstr(out, "invalidate: 2 file(s) dropped from the cache, 0 failed"))
		TH_LOG("%s", out);
	EXPECT_EQ(0, object_of("pf/a", obj, sizeof(obj)));
	EXPECT_EQ(-ENOENT, object_of("pf/sub/b", obj, sizeof(obj)));
	EXPECT_EQ(-ENOENT, object_of("pf/sub/c", obj, sizeof(obj)));
	misses = nfsc_stat(self->dir, "misses");
	EXPECT_EQ(0, stack_matches_export("pf/sub/b"));
	EXPECT_EQ(misses + 1, nfsc_stat(self->dir, "misses"));
}

/*
 * On a frozen cache filesystem each removal outlasts the kernel's wait:
 * invalidate names each file as still being dropped and exits 0, and the
 * objects go once the cache thaws.
 */
TEST_F_TIMEOUT(prefetch, invalidate_on_a_frozen_cache_goes_on, 240)
{
	char out[4096], obj[PATH_MAX];
	int ret;

	self->helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, helper_cmd(out, sizeof(out), "prefetch " NFSC_STACK "/pf")) TH_LOG("%s", out);
	ASSERT_EQ(0, stop_helper(self->helper));
	self->helper = 0;

	ASSERT_EQ(0, cache_freeze(60));
	ret = helper_cmd(out, sizeof(out), "invalidate " NFSC_STACK "/pf/sub");
	ASSERT_EQ(0, cache_thaw());
	EXPECT_EQ(0, ret) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "invalidate: 0 file(s) dropped from the cache, 0 failed"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "invalidate: 2 file(s) still being dropped, in the background"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "pf/sub/b: the object is still being removed, in the background"))
		TH_LOG("%s", out);
	EXPECT_EQ(0, wait_object_gone("pf/sub/b", 30));
	EXPECT_EQ(0, wait_object_gone("pf/sub/c", 30));
	EXPECT_EQ(0, object_of("pf/a", obj, sizeof(obj)));
}

/*
 * A PREFETCH the kernel answers -EINPROGRESS (its GETATTR waits on a slow
 * server, 2 s each way on the loopback) is asked again until answered:
 * the file is named once as waited for, then with the answer (no daemon:
 * no fill queued).
 */
TEST_F_TIMEOUT(prefetch, asks_again_while_the_server_is_slow, 240)
{
	char path[PATH_MAX], out[64];
	int writer, i;

	/* Open for writing on the server: nfsd hands the client no delegation. */
	path_in(path, sizeof(path), nfsc_env("NFSC_EXPORT"), "pf/a");
	writer = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, writer);
	ASSERT_EQ(0, nfsc_sh("modprobe sch_netem && tc qdisc add dev lo root netem delay 2000ms"));
	self->prefetch = prefetch_in_background("a");
	ASSERT_GT(self->prefetch, 0);
	for (i = 0; i < 600; i++) {
		if (!nfsc_sh("grep -q 'ask again; waiting' " PREFETCH_OUT))
			break;
		usleep(100000);
	}
	/* Packets held already keep their time: none is lost. */
	ASSERT_EQ(0, nfsc_sh("tc qdisc change dev lo root netem delay 0ms"));
	EXPECT_EQ(1, exit_status_within(self->prefetch, 120));
	self->prefetch = 0;
	close(writer);
	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "grep -c 'pf/a: still waiting on NFS or the "
				 "cache, in the background: ask again; waiting' " PREFETCH_OUT));
	EXPECT_EQ(1, atoi(out)) TH_LOG("the file was not named once as waited for");
	EXPECT_EQ(0, nfsc_sh("grep -q 'pf/a: Resource temporarily unavailable: no fill queued' "
			     PREFETCH_OUT));
	EXPECT_EQ(0, nfsc_sh("grep -q '1 file(s): 0 filled (0 bytes), 0 already cached, 1 failed' "
			     PREFETCH_OUT));
}

TEST_HARNESS_MAIN
