// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: a bounded-time stress. Readers and writers (through the stack,
 * by default) work on a few overlapping files while the real helper fills
 * and culls (under a small --max-size), and the helper's commands
 * invalidate and cull beside it.
 * Every block of every file names its file, version and offset, so each
 * read is checked: one version throughout, the right bytes and size, and
 * the latest version written (a reader holds the file's lock shared, so
 * no write is under way, and close-to-open must show the last one).
 * The run must have exercised fills, hits, invalidations and culls.
 * scripts/vm fails the run on any lockdep or other report in the log.
 *
 * NFSC_STRESS_SECONDS sets the length of the run (default 30),
 * NFSC_STRESS_WRITES where writers write (below).
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>

#include "../lib/nfsc_fill.h"
#include "kselftest_harness.h"

#define HELPER_LOG	"/tmp/stress_test-helper.log"
/* The cap is under the files' total, so the daemon culls as it fills. */
#define HELPER_ARGS	"--max-size 3M --splice-threshold 256K"
/* And the cull command, every few seconds, culls harder beside it. */
#define CULL_ARGS	"--max-size 1M"
#define CULL_EVERY_MS	5000
#define INVALIDATE_EVERY_MS 200

#define NFILES		12
#define BLOCK		4096
#define MAX_FILE_SIZE	(2 * MiB + 3 * BLOCK + 3 * 1024)
#define BLOCK_MAGIC	0x6e667363u	/* "nfsc" */

enum role { READER, WRITER, INVALIDATOR, CULLER };
static const struct { enum role role; int n; } crew[] = {
	{ READER, 4 }, { WRITER, 2 }, { INVALIDATOR, 1 }, { CULLER, 1 },
};
#define NKIDS		8	/* the crew's total */

enum read_mode { PLAIN, PREAD, MMAP, NMODES };
static const char *const mode_name[NMODES] = { "read", "pread", "mmap" };

/* Each version adds 0-15 KiB to these: about 6.5 MiB in all. */
static const uint64_t base_size[NFILES] = {
	4096, 8192, 20480, 61440, 131072, 204800,
	262144, 524288, 786432, 1048576, 1572864, 2097152,
};

/* The head of every 4 KiB block (the last one may be shorter). */
struct block_head {
	uint32_t magic;
	uint32_t file;
	uint64_t version;
	uint64_t offset;
	uint64_t size;
};

/* What the processes share (MAP_SHARED): touched with __atomic builtins. */
struct shared {
	int64_t deadline_ns;
	int stop;
	uint64_t latest[NFILES];	/* set under the file's lock, held exclusive */
	bool renamed[NFILES];		/* ...by a rename on the server */
	long reads[NMODES], writes_stack, writes_server;
	long invalidations, cull_commands, cull_command_objects;
	long behind_server;		/* reads that saw what NFS saw: not the latest */
	long estale_after_rename;	/* the known issue the README names */
	long failures;
	int first_taken;
	char first_failure[512];
};

static const char *top;	/* NFSC_TOP, read before the fork */
static const char *nfs_dir;	/* NFSC_NFS */
static const char *failed_call;	/* what a read failed in, for its report */
/*
 * NFSC_STRESS_WRITES: "stack" (the default, what make check runs),
 * "server" or "both". Renames on the server while a fill holds the old
 * file open make NFS itself open the old file by its name for a while,
 * for readers and writers alike: there only "never behind NFS" holds, and
 * the known ESTALE of the README shows up. Those modes are for that work.
 */
static char write_mode = 's';

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* xorshift64*: each process its own stream. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint64_t version_seed(int file, uint64_t version)
{
	return mix64(((uint64_t)file << 48) ^ version ^ 0x5354524553530000ULL);
}

/* Whole blocks plus a tail of 0-3 KiB: never a head cut short. */
static uint64_t size_of(int file, uint64_t version)
{
	uint64_t h = mix64(version_seed(file, version));

	return base_size[file] + h % 4 * BLOCK + (h >> 8) % 4 * 1024;
}

/* The block at @off of (@file, @version): @len bytes of it into @buf. */
static void make_block(int file, uint64_t version, uint64_t off,
		       unsigned char *buf, size_t len)
{
	struct block_head head = { BLOCK_MAGIC, file, version, off,
				   size_of(file, version) };
	uint64_t seed = version_seed(file, version), w;
	size_t i;

	/* A word per mix, not a byte: this runs under emulation. */
	for (i = 0; i < len; i += 8) {
		w = mix64(seed + (off + i) / 8);
		memcpy(buf + i, &w, len - i < 8 ? len - i : 8);
	}
	memcpy(buf, &head, sizeof(head));
}

static uint64_t make_content(int file, uint64_t version, unsigned char *buf)
{
	uint64_t size = size_of(file, version), off;

	for (off = 0; off < size; off += BLOCK)
		make_block(file, version, off, buf + off,
			   size - off < BLOCK ? size - off : BLOCK);
	return size;
}

static void fail(struct shared *sh, const char *fmt, ...)
{
	char msg[sizeof(sh->first_failure)];
	va_list ap;
	int no = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# stress: FAIL: %s\n", msg);
	__atomic_fetch_add(&sh->failures, 1, __ATOMIC_RELAXED);
	if (__atomic_compare_exchange_n(&sh->first_taken, &no, 1, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		memcpy(sh->first_failure, msg, sizeof(msg));
	/* One failure says it all: end the run early. */
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
}

static bool stopped(struct shared *sh)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_RELAXED) ||
	       now_ns() >= sh->deadline_ns;
}

/* Sleep @ms, in short naps so the deadline is kept. */
static void nap(struct shared *sh, int ms)
{
	for (; ms > 0 && !stopped(sh); ms -= 100)
		usleep((ms < 100 ? ms : 100) * 1000);
}

/*
 * A read of @file, @len bytes: 0 and its version in *@seen, or -1 with
 * what is wrong in @why.
 */
static int check_content(int file, const unsigned char *buf, size_t len,
			 uint64_t *seen, char *why, size_t why_len)
{
	static unsigned char want[BLOCK];
	struct block_head head, first;
	uint64_t off;
	size_t n;

	if (len < sizeof(first)) {
		snprintf(why, why_len, "%zu bytes, not even a block head", len);
		return -1;
	}
	memcpy(&first, buf, sizeof(first));
	if (first.magic != BLOCK_MAGIC || first.file != (uint32_t)file || first.offset) {
		snprintf(why, why_len, "block 0: magic %#x, file %u, offset %llu",
			 first.magic, first.file, (unsigned long long)first.offset);
		return -1;
	}
	*seen = first.version;
	if (len != size_of(file, first.version)) {
		snprintf(why, why_len, "%zu bytes, version %llu has %llu", len,
			 (unsigned long long)first.version,
			 (unsigned long long)size_of(file, first.version));
		return -1;
	}
	for (off = 0; off < len; off += BLOCK) {
		n = len - off < BLOCK ? len - off : BLOCK;
		make_block(file, first.version, off, want, n);
		if (!memcmp(buf + off, want, n))
			continue;
		memcpy(&head, buf + off, sizeof(head));
		if (head.magic == BLOCK_MAGIC && head.file == (uint32_t)file &&
		    head.offset == off && head.version != first.version)
			snprintf(why, why_len, "block %llu has version %llu, block 0 version %llu",
				 (unsigned long long)(off / BLOCK),
				 (unsigned long long)head.version,
				 (unsigned long long)first.version);
		else
			snprintf(why, why_len, "block %llu (version %llu) is corrupt",
				 (unsigned long long)(off / BLOCK),
				 (unsigned long long)first.version);
		return -1;
	}
	return 0;
}

/* read() in chunks of random sizes to EOF. Bytes, or -errno. */
static ssize_t read_plain(int fd, unsigned char *buf, uint64_t *rs)
{
	size_t got = 0, want;
	ssize_t n;

	do {
		want = 1 + rnd(rs) % (256 << 10);
		if (want > MAX_FILE_SIZE + 1 - got)
			want = MAX_FILE_SIZE + 1 - got;
		if (!want)
			return -EFBIG;
		n = read(fd, buf + got, want);
		if (n < 0) {
			failed_call = "read";
			return -errno;
		}
		got += n;
	} while (n);
	return got;
}

/* The whole file, chunk by chunk in a random order. Bytes, or -errno. */
static ssize_t read_scattered(int fd, unsigned char *buf, uint64_t *rs)
{
	static uint32_t order[MAX_FILE_SIZE / 512 + 1];
	size_t chunk = 512 + rnd(rs) % (64 << 10), nchunks, i, j, done;
	struct stat st;
	uint32_t t;
	ssize_t n;

	if (fstat(fd, &st)) {
		failed_call = "fstat";
		return -errno;
	}
	if ((uint64_t)st.st_size > MAX_FILE_SIZE)
		return -EFBIG;
	nchunks = (st.st_size + chunk - 1) / chunk;
	for (i = 0; i < nchunks; i++)
		order[i] = i;
	for (i = nchunks; i > 1; i--) {
		j = rnd(rs) % i;
		t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	for (i = 0; i < nchunks; i++) {
		size_t off = (size_t)order[i] * chunk;
		size_t len = st.st_size - off < chunk ? st.st_size - off : chunk;

		for (done = 0; done < len; done += n) {
			n = pread(fd, buf + off + done, len - done, off + done);
			if (n < 0) {
				failed_call = "pread";
				return -errno;
			}
			if (!n)
				return -ENODATA;	/* EOF before st_size */
		}
	}
	if (pread(fd, &t, 1, st.st_size) != 0)
		return -EOVERFLOW;		/* data past st_size */
	return st.st_size;
}

static ssize_t read_mmap(int fd, unsigned char *buf)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st)) {
		failed_call = "fstat";
		return -errno;
	}
	if ((uint64_t)st.st_size > MAX_FILE_SIZE)
		return -EFBIG;
	if (!st.st_size)
		return 0;	/* nothing to map; the check says what is wrong */
	p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		failed_call = "mmap";
		return -errno;
	}
	memcpy(buf, p, st.st_size);
	munmap(p, st.st_size);
	return st.st_size;
}

/*
 * One read of a file through @path: its length and version, or -1 with
 * the reason in @why.
 */
static int read_version(int file, const char *path, enum read_mode mode,
			unsigned char *buf, uint64_t *rs, uint64_t *version,
			char *why, size_t why_len, int *err)
{
	ssize_t len;
	int fd;

	failed_call = "open";
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		len = -errno;
	} else {
		len = mode == PLAIN ? read_plain(fd, buf, rs) :
		      mode == PREAD ? read_scattered(fd, buf, rs) :
		      read_mmap(fd, buf);
		close(fd);
	}
	*err = len < 0 ? (int)-len : 0;
	if (len < 0) {
		snprintf(why, why_len, "%s: %s", failed_call, strerror(-len));
		return -1;
	}
	return check_content(file, buf, len, version, why, why_len);
}

/*
 * The latest version must be seen after a write through the stack: the
 * NFS client wrote it itself. After a rename on the server, NFS itself
 * may go on opening the old file by its name while the old file is still
 * open on this client (a fill in flight holds it), so there the promise
 * is the stack's: never behind what NFS showed just before, under the
 * same lock.
 */
static void reader(struct shared *sh, int me, const int *lock, uint64_t *rs,
		   unsigned char *buf)
{
	char path[PATH_MAX], nfs_path[PATH_MAX], why[256];
	uint64_t expected, seen, floor = 0;
	enum read_mode mode;
	int file, bad_nfs, bad, err = 0;
	bool renamed;

	while (!stopped(sh)) {
		file = rnd(rs) % NFILES;
		mode = rnd(rs) % NMODES;
		snprintf(path, sizeof(path), NFSC_STACK "/stress-%d", file);
		snprintf(nfs_path, sizeof(nfs_path), "%s/stress-%d", nfs_dir, file);
		flock(lock[file], LOCK_SH);
		expected = __atomic_load_n(&sh->latest[file], __ATOMIC_SEQ_CST);
		renamed = __atomic_load_n(&sh->renamed[file], __ATOMIC_SEQ_CST);
		bad_nfs = renamed && read_version(file, nfs_path, PLAIN, buf, rs,
						  &floor, why, sizeof(why), &err);
		bad = !bad_nfs && read_version(file, path, mode, buf, rs, &seen,
					       why, sizeof(why), &err);
		flock(lock[file], LOCK_UN);
		/*
		 * Known issue (README): now and then ESTALE through the stack
		 * where NFS, just before, read the renamed-over file. Counted
		 * and reported, not hidden; any other error fails.
		 */
		if ((bad || bad_nfs) && renamed && err == ESTALE) {
			__atomic_fetch_add(&sh->estale_after_rename, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (bad_nfs)
			fail(sh, "reader %d: stress-%d on NFS itself: %s", me, file, why);
		else if (bad)
			fail(sh, "reader %d: stress-%d, %s, expected version %llu: %s",
			     me, file, mode_name[mode],
			     (unsigned long long)expected, why);
		else if (renamed ? seen < floor || seen > expected : seen != expected)
			fail(sh, "reader %d: stress-%d, %s: expected version %llu%s, saw version %llu",
			     me, file, mode_name[mode], (unsigned long long)expected,
			     renamed ? " (or what NFS showed, never less)" : "",
			     (unsigned long long)seen);
		else
			__atomic_fetch_add(&sh->reads[mode], 1, __ATOMIC_RELAXED);
		if (renamed && !bad_nfs && !bad && seen < expected && seen >= floor)
			__atomic_fetch_add(&sh->behind_server, 1, __ATOMIC_RELAXED);
	}
}

static int write_all(int fd, const unsigned char *buf, uint64_t size)
{
	uint64_t done;
	ssize_t n;

	for (done = 0; done < size; done += n) {
		n = write(fd, buf + done, size - done);
		if (n <= 0)
			return n ? -errno : -EIO;
	}
	return 0;
}

/* In place through the stack: the open for write invalidates the object. */
static int write_via_stack(int file, const unsigned char *buf, uint64_t size)
{
	char path[PATH_MAX];
	int fd, ret;

	snprintf(path, sizeof(path), NFSC_STACK "/stress-%d", file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	ret = write_all(fd, buf, size);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/*
 * On the server, a new file renamed over the old one: a new file handle,
 * so close-to-open sees it. (In place, a change within the server's
 * timestamp granularity could go unseen by NFS itself.)
 */
static int write_server_side(int file, const char *tmp_name,
			     const unsigned char *buf, uint64_t size)
{
	char tmp[PATH_MAX], path[PATH_MAX], name[32];
	int fd, ret;

	snprintf(name, sizeof(name), "stress-%d", file);
	path_in(tmp, sizeof(tmp), nfsc_env("NFSC_EXPORT"), tmp_name);
	path_in(path, sizeof(path), nfsc_env("NFSC_EXPORT"), name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ret = write_all(fd, buf, size);
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	return ret;
}

static void writer(struct shared *sh, int me, const int *lock, uint64_t *rs,
		   unsigned char *buf)
{
	char tmp_name[32];
	uint64_t version, size;
	bool via_stack;
	int file, ret;

	snprintf(tmp_name, sizeof(tmp_name), ".stress-tmp-%d", me);
	while (!stopped(sh)) {
		file = rnd(rs) % NFILES;
		via_stack = write_mode == 'b' ? rnd(rs) & 1 : write_mode == 's';
		flock(lock[file], LOCK_EX);
		version = sh->latest[file] + 1;
		size = make_content(file, version, buf);
		ret = via_stack ? write_via_stack(file, buf, size) :
		      write_server_side(file, tmp_name, buf, size);
		if (!ret) {
			__atomic_store_n(&sh->latest[file], version, __ATOMIC_SEQ_CST);
			__atomic_store_n(&sh->renamed[file], !via_stack, __ATOMIC_SEQ_CST);
		}
		flock(lock[file], LOCK_UN);
		if (ret)
			fail(sh, "writer %d: stress-%d version %llu %s: %s", me, file,
			     (unsigned long long)version,
			     via_stack ? "through the stack" : "on the server",
			     strerror(-ret));
		else
			__atomic_fetch_add(via_stack ? &sh->writes_stack :
					   &sh->writes_server, 1, __ATOMIC_RELAXED);
		/* Some quiet, so objects also live long enough to be hit. */
		nap(sh, rnd(rs) % 50);
	}
}

/* nfscache-helper invalidate or cull, beside the daemon, until the end. */
static void churn(struct shared *sh, enum role role, uint64_t *rs)
{
	unsigned long culled;
	char out[4096], *line;
	int file, rc;

	while (!stopped(sh)) {
		file = rnd(rs) % NFILES;
		if (role == INVALIDATOR)
			rc = nfsc_sh_out(out, sizeof(out),
					 "%s/helper/nfscache-helper invalidate " NFSC_STACK "/stress-%d",
					 top, file);
		else
			rc = nfsc_sh_out(out, sizeof(out),
					 "%s/helper/nfscache-helper cull " CULL_ARGS, top);
		if (rc) {
			fail(sh, "nfscache-helper %s: exit %d: %s",
			     role == INVALIDATOR ? "invalidate" : "cull", rc, out);
		} else if (role == INVALIDATOR) {
			__atomic_fetch_add(&sh->invalidations, 1, __ATOMIC_RELAXED);
		} else {
			__atomic_fetch_add(&sh->cull_commands, 1, __ATOMIC_RELAXED);
			/* Its log lines come first: find the summary's. */
			for (line = out; line; line = strchr(line, '\n')) {
				line += *line == '\n';
				if (sscanf(line, "culled %lu object", &culled) == 1)
					__atomic_fetch_add(&sh->cull_command_objects,
							   culled, __ATOMIC_RELAXED);
			}
		}
		nap(sh, role == INVALIDATOR ? INVALIDATE_EVERY_MS : CULL_EVERY_MS);
	}
}

/* A child's life; its exit status. */
static int kid_main(struct shared *sh, enum role role, int me)
{
	unsigned char *buf = NULL;
	int lock[NFILES], i;
	char path[64];
	uint64_t rs;

	rs = mix64(now_ns() ^ ((uint64_t)getpid() << 32) ^ (role * 16 + me)) | 1;
	/* flock() excludes open file descriptions: each child opens its own. */
	for (i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "/tmp/stress-lock-%d", i);
		lock[i] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (lock[i] < 0) {
			fail(sh, "%s: %s", path, strerror(errno));
			return 1;
		}
	}
	if (role == READER || role == WRITER) {
		buf = malloc(MAX_FILE_SIZE + 1);
		if (!buf) {
			fail(sh, "out of memory");
			return 1;
		}
	}
	if (role == READER)
		reader(sh, me, lock, &rs, buf);
	else if (role == WRITER)
		writer(sh, me, lock, &rs, buf);
	else
		churn(sh, role, &rs);
	free(buf);
	return 0;
}

FIXTURE(stress) {
	char dir[PATH_MAX];
	uint32_t id;
	pid_t helper;
	pid_t kids[NKIDS];
	struct shared *sh;
};

FIXTURE_SETUP(stress)
{
	ASSERT_EQ(0, nfsc_fresh_stack(self->dir, sizeof(self->dir), &self->id));
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	top = nfsc_env("NFSC_TOP");
	nfs_dir = nfsc_env("NFSC_NFS");
	if (getenv("NFSC_STRESS_WRITES"))
		write_mode = !strcmp(getenv("NFSC_STRESS_WRITES"), "both") ? 'b' :
			     !strcmp(getenv("NFSC_STRESS_WRITES"), "server") ? 'e' : 's';
}

FIXTURE_TEARDOWN(stress)
{
	int i;

	/* Only after a failed ASSERT are children still there. */
	for (i = 0; i < NKIDS; i++) {
		if (self->kids[i] > 0) {
			kill(self->kids[i], SIGKILL);
			waitpid(self->kids[i], NULL, 0);
		}
	}
	if (self->helper > 0)
		stop_helper(self->helper);
	if (self->sh != MAP_FAILED)
		munmap(self->sh, sizeof(*self->sh));
	EXPECT_EQ(0, nfsc_umount(NFSC_STACK));
	nfsc_sh("rm -f '%s'/stress-* '%s'/.stress-tmp-* /tmp/stress-lock-*",
		nfsc_env("NFSC_EXPORT"), nfsc_env("NFSC_EXPORT"));
}

/* The run's length: NFSC_STRESS_SECONDS, within what tests/vm/run allows. */
static int stress_seconds(void)
{
	const char *v = getenv("NFSC_STRESS_SECONDS");
	int secs = v ? atoi(v) : 30;

	return secs < 5 ? 5 : secs > 150 ? 150 : secs;
}

/*
 * Wait for the children until @bound_secs have passed, then kill what is
 * left. How many did not exit 0 by themselves, each told in the log.
 */
static int reap_kids(pid_t *kids, int bound_secs)
{
	int64_t end = now_ns() + bound_secs * 1000000000LL;
	int i, st, left = NKIDS, bad = 0;

	while (left && now_ns() < end) {
		for (i = 0; i < NKIDS; i++) {
			if (kids[i] <= 0 || waitpid(kids[i], &st, WNOHANG) != kids[i])
				continue;
			if (!WIFEXITED(st) || WEXITSTATUS(st)) {
				fprintf(stderr, "# stress: child %d: %s %d\n", i,
					WIFEXITED(st) ? "exit" : "signal",
					WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
				bad++;
			}
			kids[i] = 0;
			left--;
		}
		usleep(50000);
	}
	for (i = 0; i < NKIDS; i++) {
		if (kids[i] > 0) {
			fprintf(stderr, "# stress: child %d still running: killed\n", i);
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			kids[i] = 0;
			bad++;
		}
	}
	return bad;
}

TEST_F_TIMEOUT(stress, readers_writers_fills_invalidations_culls, 290)
{
	static unsigned char buf[MAX_FILE_SIZE];
	long long fills0, hits0, culled0, fills, hits, culled;
	int secs = stress_seconds(), i, j, k = 0, bad;
	struct shared *sh = self->sh;
	pid_t parent = getpid();
	char name[32];
	long reads;
	double took;

	/* Version 1 of every file, written on the server. */
	for (i = 0; i < NFILES; i++) {
		ASSERT_EQ(0, write_server_side(i, ".stress-tmp-init", buf,
					       make_content(i, 1, buf)));
		sh->latest[i] = 1;
	}
	fills0 = nfsc_stat(self->dir, "fills_ok");
	hits0 = nfsc_stat(self->dir, "hits");
	culled0 = nfsc_stat(self->dir, "culled");
	self->helper = nfsc_start_helper(HELPER_LOG, HELPER_ARGS);
	ASSERT_GT(self->helper, 0);

	sh->deadline_ns = now_ns() + secs * 1000000000LL;
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < (int)(sizeof(crew) / sizeof(crew[0])); i++) {
		for (j = 0; j < crew[i].n; j++, k++) {
			self->kids[k] = fork();
			ASSERT_LE(0, self->kids[k]);
			if (!self->kids[k]) {
				/* Never outlive the test, holding the stack busy. */
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (getppid() != parent)
					_exit(1);
				_exit(kid_main(sh, crew[i].role, j));
			}
		}
	}
	while (!stopped(sh))
		usleep(100000);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
	/* A write or a read under way finishes in far less. */
	bad = reap_kids(self->kids, 60);
	took = (now_ns() - (sh->deadline_ns - secs * 1000000000LL)) / 1e9;

	fills = nfsc_stat(self->dir, "fills_ok") - fills0;
	hits = nfsc_stat(self->dir, "hits") - hits0;
	culled = nfsc_stat(self->dir, "culled") - culled0;
	reads = sh->reads[PLAIN] + sh->reads[PREAD] + sh->reads[MMAP];
	ksft_print_msg("stress: %.1f s: %ld reads (%ld read, %ld pread, %ld mmap), "
		       "%ld writes (%ld stack, %ld server), %ld invalidations, "
		       "%ld cull commands (%ld objects), culled %lld, fills_ok %lld, "
		       "hits %lld, %ld reads behind a server rename as NFS was, "
		       "%ld ESTALE after a server rename, failures %ld\n",
		       took, reads, sh->reads[PLAIN], sh->reads[PREAD], sh->reads[MMAP],
		       sh->writes_stack + sh->writes_server, sh->writes_stack,
		       sh->writes_server, sh->invalidations, sh->cull_commands,
		       sh->cull_command_objects, culled, fills, hits, sh->behind_server,
		       sh->estale_after_rename, sh->failures);
	fflush(stdout);		/* the test's process ends with _exit() */

	EXPECT_EQ(0, sh->failures) {
		TH_LOG("first failure: %s", sh->first_failure);
	}
	EXPECT_EQ(0, bad);
	/*
	 * Rates far below what the slowest VM does (the debug kernel beside
	 * another guest: 104 reads, 16 writes, 3 invalidations in 30 s):
	 * the stress did happen.
	 */
	EXPECT_LE((long)secs, reads);
	EXPECT_LE(secs / 4L, sh->writes_stack + sh->writes_server);
	if (write_mode != 'e')
		EXPECT_LT(0, sh->writes_stack);
	if (write_mode != 's')
		EXPECT_LT(0, sh->writes_server);
	EXPECT_LT(0, sh->invalidations);
	EXPECT_LT(0, sh->cull_commands);
	EXPECT_LT(0, fills);
	EXPECT_LT(0, hits);
	EXPECT_LT(0, culled);
	/* The daemon culled too, not only the command. */
	EXPECT_EQ(0, nfsc_sh("grep -q 'over --max-size: culled [1-9]' " HELPER_LOG));

	/* Whatever the churn left, the stack serves what the server has. */
	for (i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "stress-%d", i);
		EXPECT_EQ(0, stack_matches_export(name)) {
			TH_LOG("%s differs from the server's copy", name);
		}
	}
	EXPECT_EQ(0, stop_helper(self->helper)) {
		nfsc_sh("tail -n 20 " HELPER_LOG " >&2");
	}
	self->helper = 0;
}

TEST_HARNESS_MAIN
