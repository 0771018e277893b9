// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: faults around the stack. The NFS server stopped in the middle
 * of a fill and started again (with and without the file changing while
 * it was down); the cache filesystem remounted read-only; objects and the
 * whole cache deleted behind the stack's back; umount and umount -l with
 * fills in flight; module removal tried while readers run; a registered
 * daemon that never answers, for a hundred request lifetimes; a hundred
 * mount cycles that must give back every reference and object.
 *
 * In every case a reader through the stack gets NFS's bytes, nothing
 * wrong is committed, and the stack fills again once the fault is gone.
 * Each case prints a "# fault:" line with what happened; make check
 * shows them.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "../lib/nfsc_fill.h"
#include "kselftest_harness.h"

#define HELPER_LOG "/tmp/fault_test-helper.log"

FIXTURE(fault) {
	char dir[PATH_MAX];
	uint32_t id;
	pid_t helper;
	bool nfsd_down;
	bool cache_ro;
};

FIXTURE_SETUP(fault)
{
	self->helper = 0;
	self->nfsd_down = false;
	self->cache_ro = false;
	ASSERT_EQ(0, nfsc_fresh_stack(self->dir, sizeof(self->dir), &self->id));
}

static int nfsd_stop(void)
{
	return nfsc_sh("rpc.nfsd 0");
}

/* As scripts/vm-guest starts it: NFSv4 only, grace period 10 s. */
static int nfsd_start(void)
{
	return nfsc_sh("rpc.nfsd -N 3 4 2>/dev/null");
}

static int cache_remount(const char *how)
{
	return nfsc_sh("mount -o remount,%s '%s'", how, nfsc_env("NFSC_CACHEDIR"));
}

FIXTURE_TEARDOWN(fault)
{
	if (self->nfsd_down)
		nfsd_start();
	if (self->cache_ro)
		cache_remount("rw");
	if (self->helper > 0)
		stop_helper(self->helper);
	EXPECT_EQ(0, nfsc_umount(NFSC_STACK));
}

static pid_t start_helper(const char *args)
{
	return nfsc_start_helper(HELPER_LOG, args);
}

/* The file through @fd holds @size bytes of pattern @seed: 0 or -EIO. */
static int fd_has_pattern(int fd, uint64_t seed, uint64_t size)
{
	static unsigned char got[1 << 16], want[1 << 16];
	uint64_t off = 0;
	ssize_t n;

	while ((n = pread(fd, got, sizeof(got), off)) > 0) {
		pattern(seed, off, want, n);
		if (memcmp(got, want, n))
			return -EIO;
		off += n;
	}
	return n < 0 || off != size ? -EIO : 0;
}

static int stack_has_pattern(const char *name, uint64_t seed, uint64_t size)
{
	char path[PATH_MAX];
	int fd, ret;

	path_in(path, sizeof(path), NFSC_STACK, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	ret = fd_has_pattern(fd, seed, size);
	close(fd);
	return ret;
}

/* A child that reads @name through the stack and checks it: wait_reader(). */
static pid_t start_reader(const char *name, uint64_t seed, uint64_t size)
{
	pid_t pid = fork();

	if (!pid)
		_exit(stack_has_pattern(name, seed, size) ? 1 : 0);
	return pid;
}

static int wait_reader(pid_t pid)
{
	int st;

	if (pid <= 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int helper_log_has(const char *what)
{
	return nfsc_sh("grep -qE -- '%s' " HELPER_LOG, what);
}

/* Fills ended either way. */
static long long fills_ended(const char *dir)
{
	return nfsc_stat(dir, "fills_ok") + nfsc_stat(dir, "fills_failed");
}

static long long wait_fills_ended(const char *dir, long long target, int secs)
{
	long long v = -1;
	int i;

	for (i = 0; i < secs * 10; i++) {
		v = fills_ended(dir);
		if (v >= target)
			break;
		usleep(100000);
	}
	return v;
}

/* A fill of @name under way, its helper stopped mid-copy (nfsc_fill.h). */
static int start_frozen_fill(FIXTURE_DATA(fault) *self, const char *name,
			     uint64_t size, uint64_t seed)
{
	self->helper = nfsc_start_frozen_fill(self->dir, HELPER_LOG, name, size, seed);
	return self->helper > 0 ? 0 : -1;
}

/* "committed" when @name has an object holding the server's bytes. */
static const char *object_state(const char *name)
{
	char obj[PATH_MAX], exp[PATH_MAX];

	if (object_of(name, obj, sizeof(obj)))
		return "none";
	path_in(exp, sizeof(exp), nfsc_env("NFSC_EXPORT"), name);
	return same_content(obj, exp) ? "WRONG" : "committed";
}

/*
 * The server goes away in the middle of a copy and comes back after its
 * grace period: the copy blocks (a hard mount) and then finishes or fails;
 * the reader that was reading meanwhile gets the whole file right.
 */
TEST_F_TIMEOUT(fault, nfs_server_restart_during_fill, 300)
{
	const char *name = "restart";
	const uint64_t size = 16 * MiB;
	pid_t reader;
	int rc;

	ASSERT_EQ(0, start_frozen_fill(self, name, size, 61));
	reader = start_reader(name, 61, size);
	ASSERT_LT(0, reader);
	ASSERT_EQ(0, nfsd_stop());
	self->nfsd_down = true;
	kill(self->helper, SIGCONT);
	sleep(3);
	ASSERT_EQ(0, nfsd_start());
	self->nfsd_down = false;

	ASSERT_LE(1, wait_fills_ended(self->dir, 1, 200));
	rc = wait_reader(reader);
	EXPECT_EQ(0, rc);
	EXPECT_STRNE("WRONG", object_state(name));
	fprintf(stderr, "# fault: NFS server restarted mid-fill: fills ok %lld, failed %lld, object %s, reader %s\n",
		nfsc_stat(self->dir, "fills_ok"), nfsc_stat(self->dir, "fills_failed"),
		object_state(name), rc ? "WRONG" : "right");

	/* Whatever happened, the next open finds or makes a good object. */
	EXPECT_EQ(0, stack_has_pattern(name, 61, size));
	ASSERT_EQ(1, nfsc_wait_stat(self->dir, "fills_ok", 1, 200));
	EXPECT_STREQ("committed", object_state(name));
}

/*
 * The file changes on the server while nfsd is down, in the middle of a
 * fill. NFS itself need not see it: the client reclaims the read
 * delegation it held, and no nfsd was there to recall it when the file
 * changed. Whatever NFS shows, the stack shows; once a write on the
 * server with nfsd up recalls the delegation, both show the new bytes and
 * a stale object is replaced.
 */
TEST_F_TIMEOUT(fault, change_while_the_server_is_down_follows_nfs, 600)
{
	const char *name = "changed-down";
	const uint64_t size = 16 * MiB;
	const char *nfs_saw;
	char nfs[PATH_MAX];
	long long ok, ended;
	int fd, opens;

	ASSERT_EQ(0, start_frozen_fill(self, name, size, 62));
	ASSERT_EQ(0, nfsd_stop());
	self->nfsd_down = true;
	/* Same size, new bytes. */
	ASSERT_EQ(0, make_file(name, size, 63));
	kill(self->helper, SIGCONT);
	sleep(2);
	ASSERT_EQ(0, nfsd_start());
	self->nfsd_down = false;

	ASSERT_LE(1, wait_fills_ended(self->dir, 1, 200));
	path_in(nfs, sizeof(nfs), nfsc_env("NFSC_NFS"), name);
	fd = open(nfs, O_RDONLY);
	ASSERT_LE(0, fd);
	nfs_saw = !fd_has_pattern(fd, 63, size) ? "new" :
		  !fd_has_pattern(fd, 62, size) ? "old" : "mixed";
	close(fd);
	EXPECT_EQ(0, stack_matches_nfs(name));
	fprintf(stderr, "# fault: file changed while the NFS server was down mid-fill: fills ok %lld, failed %lld; NFS shows the %s bytes, the stack the same\n",
		nfsc_stat(self->dir, "fills_ok"), nfsc_stat(self->dir, "fills_failed"),
		nfs_saw);

	/*
	 * NFS's attributes of the file may still move while it returns the
	 * delegation and drops its cache, and a fill that sees them move is
	 * discarded: the next open queues another. A few opens at most.
	 */
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(0, make_file(name, size, 64));
	for (opens = 1; opens <= 4; opens++) {
		ended = fills_ended(self->dir);
		EXPECT_EQ(0, stack_has_pattern(name, 64, size));
		if (wait_fills_ended(self->dir, ended + 1, 120) <= ended ||
		    nfsc_stat(self->dir, "fills_ok") > ok)
			break;
	}
	fprintf(stderr, "# fault: ...then a write on the server with nfsd up: new bytes; opens %d, fills ok %lld, failed %lld, pending %lld\n",
		opens, nfsc_stat(self->dir, "fills_ok"),
		nfsc_stat(self->dir, "fills_failed"), nfsc_stat(self->dir, "pending"));
	ASSERT_EQ(ok + 1, nfsc_stat(self->dir, "fills_ok"));
	EXPECT_STREQ("committed", object_state(name));
	EXPECT_EQ(0, stack_has_pattern(name, 64, size));
}

/*
 * A read-only cache filesystem: objects already there are still served,
 * fills fail with EROFS and leave nothing, reads are NFS's; once it is
 * writable again the stack fills as before.
 */
TEST_F_TIMEOUT(fault, read_only_cache_filesystem, 240)
{
	long long hits, failed;

	ASSERT_EQ(0, make_file("ro-old", 1 * MiB, 71));
	ASSERT_EQ(0, make_file("ro-new", 1 * MiB, 72));
	self->helper = start_helper("");
	ASSERT_LT(0, self->helper);
	ASSERT_EQ(0, stack_has_pattern("ro-old", 71, 1 * MiB));
	ASSERT_EQ(1, nfsc_wait_stat(self->dir, "fills_ok", 1, 60));

	ASSERT_EQ(0, cache_remount("ro"));
	self->cache_ro = true;

	hits = nfsc_stat(self->dir, "hits");
	EXPECT_EQ(0, stack_has_pattern("ro-old", 71, 1 * MiB));
	EXPECT_EQ(hits + 1, nfsc_stat(self->dir, "hits"));

	failed = nfsc_stat(self->dir, "fills_failed");
	EXPECT_EQ(0, stack_has_pattern("ro-new", 72, 1 * MiB));
	EXPECT_EQ(failed + 1, nfsc_wait_stat(self->dir, "fills_failed", failed + 1, 60));
	EXPECT_EQ(1, nfsc_stat(self->dir, "fills_ok"));
	EXPECT_STREQ("none", object_state("ro-new"));
	EXPECT_EQ(0, helper_log_has("Read-only file system"));
	EXPECT_EQ(0, stack_has_pattern("ro-new", 72, 1 * MiB));

	ASSERT_EQ(0, cache_remount("rw"));
	self->cache_ro = false;
	/* The refused fill has ended: the next miss queues it again. */
	EXPECT_EQ(0, stack_has_pattern("ro-new", 72, 1 * MiB));
	ASSERT_EQ(2, nfsc_wait_stat(self->dir, "fills_ok", 2, 60));
	EXPECT_STREQ("committed", object_state("ro-new"));
	fprintf(stderr, "# fault: read-only cache fs: hit served, fill failed (EROFS), reads right, fills again once writable\n");
}

/*
 * Objects removed by hand: an open hit keeps reading its (unlinked) file;
 * the next open is a miss and a new fill replaces the object. Then the
 * whole cache directory is emptied, volume and all.
 */
TEST_F_TIMEOUT(fault, objects_deleted_behind_the_stacks_back, 240)
{
	char path[PATH_MAX], obj[PATH_MAX];
	long long misses;
	int fd;

	ASSERT_EQ(0, make_file("del", 2 * MiB, 81));
	self->helper = start_helper("");
	ASSERT_LT(0, self->helper);
	ASSERT_EQ(0, stack_has_pattern("del", 81, 2 * MiB));
	ASSERT_EQ(1, nfsc_wait_stat(self->dir, "fills_ok", 1, 60));

	path_in(path, sizeof(path), NFSC_STACK, "del");
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, object_of("del", obj, sizeof(obj)));
	ASSERT_EQ(0, unlink(obj));
	EXPECT_EQ(0, fd_has_pattern(fd, 81, 2 * MiB));
	close(fd);

	misses = nfsc_stat(self->dir, "misses");
	EXPECT_EQ(0, stack_has_pattern("del", 81, 2 * MiB));
	EXPECT_EQ(misses + 1, nfsc_stat(self->dir, "misses"));
	ASSERT_EQ(2, nfsc_wait_stat(self->dir, "fills_ok", 2, 60));
	EXPECT_STREQ("committed", object_state("del"));

	/* Everything, volume directory included. */
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nfsc_sh("rm -rf '%s'/*", nfsc_env("NFSC_CACHEDIR")));
	EXPECT_EQ(0, fd_has_pattern(fd, 81, 2 * MiB));
	close(fd);
	misses = nfsc_stat(self->dir, "misses");
	EXPECT_EQ(0, stack_has_pattern("del", 81, 2 * MiB));
	EXPECT_EQ(misses + 1, nfsc_stat(self->dir, "misses"));
	ASSERT_EQ(3, nfsc_wait_stat(self->dir, "fills_ok", 3, 60));
	EXPECT_STREQ("committed", object_state("del"));
	EXPECT_EQ(0, stack_has_pattern("del", 81, 2 * MiB));
	fprintf(stderr, "# fault: objects and the volume deleted by hand: open hits kept reading, next opens missed and refilled\n");
}

/*
 * umount while the daemon is in the middle of a copy: the mount goes, the
 * fill's completion is refused, nothing is committed, the daemon stays
 * and fills for the next mount.
 */
/*
 * A hit's first lock opens the NFS file, whose OPEN by name finds the
 * file removed on the server: the lock fails with ESTALE, not with NFS's
 * internal "look it up again" (EOPENSTALE, 518), which only an open path
 * walk may see.
 */
TEST_F_TIMEOUT(fault, a_lock_on_a_hit_removed_on_the_server_is_estale, 240)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	char path[PATH_MAX];
	int fd, ret, err;

	ASSERT_EQ(0, make_file("gone-lock", 4096, 82));
	self->helper = start_helper("");
	ASSERT_LT(0, self->helper);
	ASSERT_EQ(0, stack_has_pattern("gone-lock", 82, 4096));
	ASSERT_EQ(1, nfsc_wait_stat(self->dir, "fills_ok", 1, 60));
	path_in(path, sizeof(path), NFSC_STACK, "gone-lock");
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, nfsc_stat(self->dir, "hits")) TH_LOG("not a hit");
	ASSERT_EQ(0, nfsc_sh("rm '%s/gone-lock'", nfsc_env("NFSC_EXPORT")));
	sleep(2);	/* any delegation recalled by the removal */
	ret = fcntl(fd, F_SETLK, &fl);
	err = errno;
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(ESTALE, err) TH_LOG("%s (%d)", strerror(err), err);
	close(fd);
}

TEST_F_TIMEOUT(fault, umount_with_a_fill_in_flight, 300)
{
	const char *name = "umount-busy";

	ASSERT_EQ(0, start_frozen_fill(self, name, 16 * MiB, 91));
	ASSERT_EQ(1, nfsc_stat(self->dir, "filling"));
	ASSERT_EQ(0, nfsc_umount(NFSC_STACK));
	kill(self->helper, SIGCONT);
	/* The helper finds out when it reports the end of its copy. */
	for (int i = 0; i < 1200 && helper_log_has("fill [0-9]* (failed|done|discarded)"); i++)
		usleep(100000);
	EXPECT_EQ(0, helper_log_has("fill [0-9]* (failed|done|discarded)"));
	EXPECT_EQ(0, kill(self->helper, 0));
	EXPECT_STREQ("none", object_state(name));

	ASSERT_EQ(0, nfsc_mount_stack(NFSC_STACK));
	ASSERT_EQ(0, nfsc_sysfs_dir(NFSC_STACK, self->dir, sizeof(self->dir)));
	EXPECT_EQ(0, stack_has_pattern(name, 91, 16 * MiB));
	ASSERT_EQ(1, nfsc_wait_stat(self->dir, "fills_ok", 1, 240));
	EXPECT_STREQ("committed", object_state(name));
	fprintf(stderr, "# fault: umount with a fill in flight: completion refused, no object, the daemon filled for the next mount\n");
}

/*
 * umount -l while a reader holds a file and a fill runs: the reader goes
 * on; when it closes, the superblock goes, and the module can be removed.
 */
TEST_F_TIMEOUT(fault, lazy_umount_with_a_reader_and_a_fill, 300)
{
	const char *name = "lazy";
	char path[PATH_MAX];
	int fd;

	ASSERT_EQ(0, start_frozen_fill(self, name, 8 * MiB, 92));
	path_in(path, sizeof(path), NFSC_STACK, name);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, umount2(NFSC_STACK, MNT_DETACH));
	kill(self->helper, SIGCONT);
	EXPECT_EQ(0, fd_has_pattern(fd, 92, 8 * MiB));
	EXPECT_EQ(-EWOULDBLOCK, nfsc_module_unload());
	close(fd);

	EXPECT_EQ(0, stop_helper(self->helper));
	self->helper = 0;
	/* The last reference went with close(): the module is free. */
	EXPECT_EQ(0, nfsc_module_unload());
	EXPECT_FALSE(nfsc_module_loaded());
	ASSERT_EQ(0, nfsc_fresh_stack(self->dir, sizeof(self->dir), &self->id));
	fprintf(stderr, "# fault: umount -l with a reader and a fill: reader read it all, module removable after close\n");
}

/* Removing the module while readers use the stack is refused, each time. */
TEST_F_TIMEOUT(fault, module_removal_under_load_is_refused, 240)
{
	pid_t readers[3];
	int i, refused = 0, tries = 25;

	ASSERT_EQ(0, make_file("load", 4 * MiB, 93));
	self->helper = start_helper("");
	ASSERT_LT(0, self->helper);
	for (i = 0; i < 3; i++) {
		readers[i] = fork();
		ASSERT_LE(0, readers[i]);
		if (!readers[i]) {
			time_t end = time(NULL) + 7;

			while (time(NULL) < end)
				if (stack_has_pattern("load", 93, 4 * MiB))
					_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < tries; i++) {
		if (nfsc_module_unload() == -EWOULDBLOCK)
			refused++;
		usleep(200000);
	}
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, wait_reader(readers[i]));
	EXPECT_EQ(tries, refused);
	EXPECT_TRUE(nfsc_module_loaded());
	EXPECT_LE(1, nfsc_stat(self->dir, "hits"));
	fprintf(stderr, "# fault: module removal under load: %d of %d attempts refused, readers right\n",
		refused, tries);
}

/*
 * What an open, fstat and read of a file renamed over on the server gave:
 * round r's file before the rename (OLD), the one renamed over it (NEW),
 * or an earlier round's file, whose name NFS may still resolve to it.
 */
enum rename_outcome { OLD_BYTES, NEW_BYTES, EARLIER_BYTES, STALE, OTHER,
		      OUTCOMES };

static const char *const rename_outcomes[OUTCOMES] = {
	"old", "new", "earlier", "ESTALE", "other"
};

/* The seed in [@lo, @hi] of @fd's bytes, all @size of them; else -1. */
static long long fd_seed(int fd, uint64_t lo, uint64_t hi, uint64_t size)
{
	unsigned char got[64], want[64];
	ssize_t n = pread(fd, got, sizeof(got), 0);
	uint64_t seed;

	for (seed = lo; n > 0 && seed <= hi; seed++) {
		pattern(seed, 0, want, n);
		if (!memcmp(got, want, n))
			return fd_has_pattern(fd, seed, size) ? -1 : (long long)seed;
	}
	return -1;
}

/* A call on @path that failed with @err: ESTALE, or other (logged). */
static enum rename_outcome rename_error(int round, const char *path,
					const char *what, int err)
{
	if (err == ESTALE)
		return STALE;
	fprintf(stderr, "# round %d: %s: %s: %s\n", round, path, what,
		strerror(err));
	return OTHER;
}

static enum rename_outcome rename_outcome(const char *top, const char *name,
					  uint64_t first_seed, int round,
					  uint64_t size)
{
	long long old_seed = first_seed + round, seed;
	enum rename_outcome ret;
	char path[PATH_MAX], c = 0;
	struct stat st;
	int fd;

	path_in(path, sizeof(path), top, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return rename_error(round, path, "open", errno);
	if (fstat(fd, &st)) {
		ret = rename_error(round, path, "fstat", errno);
	} else if ((seed = fd_seed(fd, first_seed, old_seed + 1, size)) >= 0) {
		ret = seed == old_seed ? OLD_BYTES :
		      seed > old_seed ? NEW_BYTES : EARLIER_BYTES;
	} else if (pread(fd, &c, 1, 0) < 0) {
		ret = rename_error(round, path, "read", errno);
	} else {
		fprintf(stderr, "# round %d: %s: %lld bytes, no round's whole file (first byte %#x)\n",
			round, path, (long long)st.st_size, (unsigned char)c);
		ret = OTHER;
	}
	close(fd);
	return ret;
}

/*
 * The server renames a new file over one the client holds open, round
 * after round (the stress's server writers do it to files fills hold).
 * NFS itself may go on reading the old file by that name, even an earlier
 * round's while it trusts the directory it cached, or, on 6.1, fail its
 * fstat with ESTALE. Through the stack: the old or the new bytes, whole,
 * and an earlier round's or ESTALE only in a run where NFS itself gave it.
 */
TEST_F_TIMEOUT(fault, server_rename_over_a_held_file_follows_nfs, 300)
{
	static const char *const phases[] = { "held", "after close" };
	const uint64_t size = 256 * 1024, first_seed = 200;
	int n[2][2][OUTCOMES] = {};	/* [phase][NFS, stack][outcome] */
	int nfs_saw[OUTCOMES] = {};	/* in either phase */
	char tmp[PATH_MAX], dst[PATH_MAX], held_path[PATH_MAX];
	const char *tops[2] = { nfsc_env("NFSC_NFS"), NFSC_STACK };
	int r, phase, k, o, side, held, rounds = 10;
	long long ok;

	path_in(tmp, sizeof(tmp), nfsc_env("NFSC_EXPORT"), "held.new");
	path_in(dst, sizeof(dst), nfsc_env("NFSC_EXPORT"), "held");
	path_in(held_path, sizeof(held_path), tops[0], "held");
	self->helper = start_helper("");
	ASSERT_LT(0, self->helper);
	ASSERT_EQ(0, make_file("held", size, first_seed));
	for (r = 0; r < rounds; r++) {
		/* Cached through the stack (if the fill can), held on NFS. */
		ok = nfsc_stat(self->dir, "fills_ok");
		read_through("held");
		nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 10);
		held = open(held_path, O_RDONLY);
		ASSERT_LE(0, held);
		ASSERT_EQ(0, make_file("held.new", size, first_seed + r + 1));
		ASSERT_EQ(0, rename(tmp, dst));
		for (phase = 0; phase < 2; phase++) {
			if (phase)
				close(held);
			for (k = 0; k < 2; k++) {
				side = k ^ (r & 1);	/* either goes first */
				n[phase][side][rename_outcome(tops[side], "held",
							      first_seed, r,
							      size)]++;
			}
		}
	}
	for (phase = 0; phase < 2; phase++) {
		for (side = 0; side < 2; side++) {
			fprintf(stderr, "# fault: server renames over a file held open, %d rounds, %s, %s:",
				rounds, phases[phase], side ? "stack" : "NFS");
			for (o = 0; o < OUTCOMES; o++)
				fprintf(stderr, " %s %d", rename_outcomes[o],
					n[phase][side][o]);
			fprintf(stderr, "\n");
		}
		for (o = 0; o < OUTCOMES; o++)
			nfs_saw[o] += n[phase][0][o];
	}
	for (phase = 0; phase < 2; phase++) {
		EXPECT_EQ(0, n[phase][1][OTHER]);
		if (!nfs_saw[STALE])
			EXPECT_EQ(0, n[phase][1][STALE]);
		if (!nfs_saw[EARLIER_BYTES])
			EXPECT_EQ(0, n[phase][1][EARLIER_BYTES]);
	}
	unlink(dst);
}

/* Wait until counter @name is 0; its last value. */
static long long wait_stat_zero(const char *dir, const char *name, int secs)
{
	long long v = -1;
	int i;

	for (i = 0; i < secs * 10; i++) {
		v = nfsc_stat(dir, name);
		if (!v)
			break;
		usleep(100000);
	}
	return v;
}

static long long meminfo_kb(const char *key)
{
	char out[64];

	if (nfsc_sh_out(out, sizeof(out), "awk '$1==\"%s:\"{print $2}' /proc/meminfo", key) ||
	    !*out)
		return -1;
	return strtoll(out, NULL, 10);
}

/*
 * KASAN (the debug kernel) keeps freed objects in its quarantine, up to a
 * 32nd of memory, so slab does not shrink back there: a hundred mounts
 * leave megabytes. On that kernel the run's kmemleak scan finds leaks.
 */
static bool slab_shows_leaks(void)
{
	return nfsc_sh("grep -q ' kasan_quarantine_reduce$' /proc/kallsyms") != 0;
}

/* Unreclaimable slab with the caches dropped twice: the part that leaks. */
static long long slab_unreclaimable_kb(void)
{
	drop_caches();
	drop_caches();
	return meminfo_kb("SUnreclaim");
}

/*
 * A daemon that registers and then never reads its socket nor claims,
 * for a hundred request lifetimes (fill_timeout_ms 100 ms): the queue
 * never passes max_pending, every request times out, and no memory stays
 * behind once the daemon is gone.
 */
TEST_F_TIMEOUT(fault, silent_daemon_for_a_hundred_timeouts, 240)
{
	const int nfiles = 64, max_pending = 16;
	long long slab0, slab1, misses0, failed0, pending, most = 0;
	struct fake_daemon d;
	char name[32], val[16];
	time_t start, min_end, end;
	int i, rounds = 0;
	bool judge_slab;

	for (i = 0; i < nfiles; i++) {
		snprintf(name, sizeof(name), "silent-%d", i);
		ASSERT_EQ(0, make_file(name, 4096, 100 + i));
		ASSERT_EQ(4096, read_through(name));
	}
	snprintf(val, sizeof(val), "%d", max_pending);
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "max_pending", val));
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "fill_timeout_ms", "100"));
	slab0 = slab_unreclaimable_kb();
	misses0 = nfsc_stat(self->dir, "misses");
	failed0 = nfsc_stat(self->dir, "fills_failed");

	ASSERT_EQ(0, fake_open(&d));
	/*
	 * 100 lifetimes of a request, and on a slow kernel (the debug one)
	 * until 100 requests have timed out, within 2 minutes.
	 */
	start = time(NULL);
	min_end = start + 10;
	end = start + 120;
	while (time(NULL) < min_end ||
	       (nfsc_stat(self->dir, "fills_failed") < failed0 + 100 &&
		time(NULL) < end)) {
		for (i = 0; i < nfiles; i++) {
			snprintf(name, sizeof(name), "silent-%d", i);
			ASSERT_EQ(4096, read_through(name));
			pending = nfsc_stat(self->dir, "pending");
			ASSERT_GE(max_pending, pending);
			if (pending > most)
				most = pending;
		}
		rounds++;
	}
	end = time(NULL);
	EXPECT_EQ(0, wait_stat_zero(self->dir, "pending", 10));
	EXPECT_EQ(0, nfsc_stat(self->dir, "filling"));
	/* The queue did fill up to near its bound (requests expire meanwhile). */
	EXPECT_LE(max_pending / 2, most);
	EXPECT_EQ(misses0 + rounds * nfiles, nfsc_stat(self->dir, "misses"));
	/* The queue turned over again and again: requests ended by timing out. */
	EXPECT_LT(failed0 + 5 * max_pending, nfsc_stat(self->dir, "fills_failed"));
	nfsc_chan_close(d.ch);

	slab1 = slab_unreclaimable_kb();
	judge_slab = slab_shows_leaks();
	fprintf(stderr, "# fault: silent daemon for %lld s (%d rounds of %d misses, %lld requests timed out): most pending %lld of %d, unreclaimable slab %lld -> %lld KiB%s\n",
		(long long)(end - start), rounds, nfiles,
		nfsc_stat(self->dir, "fills_failed") - failed0,
		most, max_pending, slab0, slab1,
		judge_slab ? "" : " (KASAN quarantine: kmemleak judges)");
	/* Thousands of requests came and went; a leak of one each would show. */
	if (judge_slab)
		EXPECT_GT(512, slab1 - slab0);
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "fill_timeout_ms", "60000"));
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "max_pending", "1024"));
}

/* No mount's directory left in /sys/fs/nfs_cachefs. */
static bool sysfs_is_empty(void)
{
	struct dirent *e;
	bool empty = true;
	DIR *d;

	d = opendir(NFSC_SYSFS);
	if (!d)
		return false;
	while (empty && (e = readdir(d)))
		empty = e->d_name[0] == '.';
	closedir(d);
	return empty;
}

/* The source of the filesystem mounted at @mnt, from /proc/mounts. */
static int mount_source(const char *mnt, char *buf, size_t len)
{
	if (nfsc_sh_out(buf, len, "awk '$2==\"%s\"{print $1}' /proc/mounts | tail -n 1", mnt) ||
	    !*buf)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * A hundred mounts, each with a miss, a fill and hits, then umount: every
 * superblock, sysfs directory, inode and reference must be given back.
 * Proof: no sysfs directory left, the NFS and cache filesystems can be
 * unmounted (a leaked path would pin them), the module unloads (a leaked
 * inode would make its slab cache complain), unreclaimable slab flat
 * (kmemleak's scan instead on the debug kernel).
 */
TEST_F_TIMEOUT(fault, hundred_mount_cycles_give_everything_back, 600)
{
	char name[32], dev[PATH_MAX], cachedir[PATH_MAX], nfs[PATH_MAX];
	long long slab0, slab1;
	int i, cycles = 100;
	bool judge_slab;

	ASSERT_EQ(0, make_file("cycle-big", 256 * 1024, 94));
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "cycle-%d", i);
		ASSERT_EQ(0, make_file(name, 4096 * (i + 1), 95 + i));
	}
	self->helper = start_helper("");
	ASSERT_LT(0, self->helper);
	ASSERT_EQ(0, nfsc_umount(NFSC_STACK));
	slab0 = slab_unreclaimable_kb();

	for (i = 0; i < cycles; i++) {
		ASSERT_EQ(0, nfsc_mount_stack(NFSC_STACK));
		ASSERT_EQ(0, stack_has_pattern("cycle-big", 94, 256 * 1024));
		ASSERT_EQ(0, stack_has_pattern("cycle-0", 95, 4096));
		snprintf(name, sizeof(name), "cycle-%d", 1 + i % 3);
		ASSERT_EQ(0, stack_has_pattern(name, 96 + i % 3, 4096 * (2 + i % 3)));
		if (i == 0) {
			ASSERT_EQ(0, nfsc_sysfs_dir(NFSC_STACK, self->dir, sizeof(self->dir)));
			ASSERT_EQ(3, nfsc_wait_stat(self->dir, "fills_ok", 3, 60));
		}
		ASSERT_EQ(0, nfsc_umount(NFSC_STACK));
		ASSERT_TRUE(sysfs_is_empty());
	}
	EXPECT_EQ(0, stop_helper(self->helper));
	self->helper = 0;
	slab1 = slab_unreclaimable_kb();

	/* Nothing of ours still holds the lower or the cache filesystem. */
	snprintf(cachedir, sizeof(cachedir), "%s", nfsc_env("NFSC_CACHEDIR"));
	snprintf(nfs, sizeof(nfs), "%s", nfsc_env("NFSC_NFS"));
	ASSERT_EQ(0, mount_source(cachedir, dev, sizeof(dev)));
	EXPECT_EQ(0, nfsc_umount(nfs));
	EXPECT_EQ(0, nfsc_umount(cachedir));
	ASSERT_EQ(0, nfsc_sh("mount -t ext4 '%s' '%s'", dev, cachedir));
	ASSERT_EQ(0, nfsc_sh("mount -t nfs4 -o vers=4.2 127.0.0.1:/ '%s'", nfs));
	EXPECT_EQ(0, nfsc_module_unload());
	judge_slab = slab_shows_leaks();
	fprintf(stderr, "# fault: %d mount cycles: sysfs empty after each, NFS and cache fs unmountable, module unloaded, unreclaimable slab %lld -> %lld KiB%s\n",
		cycles, slab0, slab1,
		judge_slab ? "" : " (KASAN quarantine: kmemleak judges)");
	if (judge_slab)
		EXPECT_GT(256, slab1 - slab0);
	ASSERT_EQ(0, nfsc_fresh_stack(self->dir, sizeof(self->dir), &self->id));
}

TEST_HARNESS_MAIN
