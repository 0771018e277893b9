// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: nfscache-helper's copy engine on ordinary files. Exact copies
 * at the sizes that matter (0, 1, pipe size +-1, the splice threshold +-1,
 * odd large sizes), short splices forced by asking more of a splice than
 * the pipe holds, many copies in one ring, big files cut into ranges
 * copied at once and through big pipes, small files by sendfile, plain
 * I/O on request and when splice is refused, submits the kernel refuses
 * for now, and errors. Built with ASan/UBSan; every test
 * ends with a leak check and a check that no fd was left open.
 */
#include <fcntl.h>
#include <liburing.h>
#include <sanitizer/lsan_interface.h>
#include <sys/stat.h>

#include "../lib/nfsc_test.h"
#include "../../helper/copy.h"
#include "kselftest_harness.h"

#define MiB (1ULL << 20)

FIXTURE(copy) {
	char dir[64];
	int fds_before;
	int completed;
};

FIXTURE_SETUP(copy)
{
	strcpy(self->dir, "/tmp/nfsc-copy-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	self->fds_before = nfsc_count_fds();
	self->completed = 0;
}

FIXTURE_TEARDOWN(copy)
{
	nfsc_sh("rm -rf %s", self->dir);
}

/* A source file of @size bytes of a position-dependent pattern. */
static int make_src(const char *path, uint64_t size)
{
	static unsigned char buf[1 << 16];
	uint64_t off = 0;
	int fd, i;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	while (off < size) {
		size_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);

		for (i = 0; i < (int)n; i++)
			buf[i] = (unsigned char)((off + i) * 2654435761u >> 13);
		if (pwrite(fd, buf, n, off) != (ssize_t)n) {
			close(fd);
			return -1;
		}
		off += n;
	}
	return fd;
}

static int same_content(int a, int b, uint64_t size)
{
	static char ba[1 << 16], bb[1 << 16];
	uint64_t off = 0;
	struct stat st;

	if (fstat(b, &st) || (uint64_t)st.st_size != size)
		return 0;
	while (off < size) {
		size_t n = size - off < sizeof(ba) ? size - off : sizeof(ba);

		if (pread(a, ba, n, off) != (ssize_t)n ||
		    pread(b, bb, n, off) != (ssize_t)n || memcmp(ba, bb, n))
			return 0;
		off += n;
	}
	return 1;
}

static int *completed_counter;

static void on_done(struct nfsc_copy *c)
{
	(void)c;
	(*completed_counter)++;
}

struct job {
	struct nfsc_copy c;
	char src[128], dst[128];
};

static void job_init(struct __test_metadata *_metadata, FIXTURE_DATA(copy) *self,
		     struct job *j, int i, uint64_t size, int dst_flags)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->src, sizeof(j->src), "%s/src%d", self->dir, i);
	snprintf(j->dst, sizeof(j->dst), "%s/dst%d", self->dir, i);
	j->c.src = make_src(j->src, size);
	ASSERT_LE(0, j->c.src);
	j->c.dst = open(j->dst, O_RDWR | O_CREAT | O_TRUNC | dst_flags, 0600);
	ASSERT_LE(0, j->c.dst);
	j->c.size = size;
	j->c.done = on_done;
	completed_counter = &self->completed;
}

/* Start every job as room permits and run the ring until all have ended. */
static void run_all(struct __test_metadata *_metadata, struct nfsc_copier *cp,
		    FIXTURE_DATA(copy) *self, struct job *jobs, int n)
{
	int started = 0;

	while (self->completed < n) {
		while (started < n && nfsc_copier_has_room(cp))
			nfsc_copier_start(cp, &jobs[started++].c);
		ASSERT_EQ(0, nfsc_copier_run(cp, true));
	}
	ASSERT_EQ(n, started);
	ASSERT_EQ(0u, nfsc_copier_inflight(cp));
	ASSERT_EQ(0u, nfsc_copier_copies(cp));
}

static void check_jobs(struct __test_metadata *_metadata, struct job *jobs,
		       int n, enum nfsc_engine engine)
{
	int i;

	for (i = 0; i < n; i++) {
		struct nfsc_copy *c = &jobs[i].c;

		EXPECT_EQ(0, c->error) TH_LOG("copy %d (%llu bytes): %s", i,
			(unsigned long long)c->size, strerror(-c->error));
		EXPECT_EQ(c->size, c->copied);
		if (c->size)
			EXPECT_EQ(engine, c->engine) TH_LOG("copy %d: %s, %s", i,
				nfsc_engine_name(c->engine), c->fallback);
		EXPECT_TRUE(same_content(c->src, c->dst, c->size))
			TH_LOG("copy %d of %llu bytes differs", i,
			       (unsigned long long)c->size);
		close(c->src);
		close(c->dst);
	}
}

static struct nfsc_copier *copier_with(struct __test_metadata *_metadata,
				       const struct nfsc_copy_opts *o)
{
	struct nfsc_copier *cp;
	const char *why;
	int err;

	cp = nfsc_copier_new(o, &why, &err);
	if (!cp)
		TH_LOG("copier: %s", strerror(-err));
	else if (why)
		TH_LOG("copier: %s", why);
	return cp;
}

static struct nfsc_copier *copier(struct __test_metadata *_metadata,
				  unsigned int pipe_size, unsigned int chunk,
				  uint64_t threshold, unsigned int inflight)
{
	struct nfsc_copy_opts o;

	nfsc_copy_opts_default(&o);
	o.pipe_size = pipe_size;
	o.chunk = chunk;
	o.splice_threshold = threshold;
	o.max_inflight = inflight;
	o.big_file = UINT64_MAX;	/* see big_files_take_big_pipes */
	return copier_with(_metadata, &o);
}

/* A copier that cuts files of 2 MiB and more into up to @ranges ranges. */
static struct nfsc_copier *ranged_copier(struct __test_metadata *_metadata,
					 unsigned int pipe_size,
					 unsigned int ranges,
					 unsigned int inflight)
{
	struct nfsc_copy_opts o;

	nfsc_copy_opts_default(&o);
	o.pipe_size = pipe_size;
	o.chunk = pipe_size;
	o.splice_threshold = 1;
	o.max_inflight = inflight;
	o.max_ranges = ranges;
	o.range_min = MiB;
	o.big_file = UINT64_MAX;
	return copier_with(_metadata, &o);
}

static void end_checks(struct __test_metadata *_metadata,
		       FIXTURE_DATA(copy) *self)
{
	EXPECT_EQ(self->fds_before, nfsc_count_fds());
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
}

static const uint64_t sizes[] = {
	0, 1, 4095, 65536, 65537, MiB - 1, MiB, MiB + 1,
	10 * MiB - 1, 10 * MiB, 10 * MiB + 1, 33 * MiB + 123,
};
#define NSIZES (int)(sizeof(sizes) / sizeof(sizes[0]))

TEST_F_TIMEOUT(copy, splice_exact_sizes, 120)
{
	struct job jobs[NSIZES];
	struct nfsc_copier *cp;
	int i;

	cp = copier(_metadata, 1 << 20, 1 << 20, 1, 4);
	ASSERT_NE(NULL, cp);
	for (i = 0; i < NSIZES; i++)
		job_init(_metadata, self, &jobs[i], i, sizes[i], 0);
	run_all(_metadata, cp, self, jobs, NSIZES);
	check_jobs(_metadata, jobs, NSIZES, NFSC_ENGINE_SPLICE);
	nfsc_copier_free(cp);
	end_checks(_metadata, self);
}

/* Asking 4 pipes' worth of one splice makes every first splice short. */
TEST_F_TIMEOUT(copy, short_splices_resubmitted, 120)
{
	struct job jobs[NSIZES];
	struct nfsc_copier *cp;
	int i;

	cp = copier(_metadata, 65536, 4 * 65536, 1, 3);
	ASSERT_NE(NULL, cp);
	for (i = 0; i < NSIZES; i++)
		job_init(_metadata, self, &jobs[i], i, sizes[i], 0);
	run_all(_metadata, cp, self, jobs, NSIZES);
	/* Every copy larger than one pipe went through short splices. */
	for (i = 0; i < NSIZES; i++)
		if (sizes[i] > 65536)
			EXPECT_LT(0u, jobs[i].c.resubmits) TH_LOG("size %llu",
				(unsigned long long)sizes[i]);
	check_jobs(_metadata, jobs, NSIZES, NFSC_ENGINE_SPLICE);
	nfsc_copier_free(cp);
	end_checks(_metadata, self);
}

TEST_F_TIMEOUT(copy, many_in_one_ring, 120)
{
	struct job jobs[40];
	struct nfsc_copier *cp;
	int i;

	cp = copier(_metadata, 65536, 65536, 1, 8);
	ASSERT_NE(NULL, cp);
	for (i = 0; i < 40; i++)
		job_init(_metadata, self, &jobs[i], i, 100000 + i * 37777, 0);
	run_all(_metadata, cp, self, jobs, 40);
	check_jobs(_metadata, jobs, 40, NFSC_ENGINE_SPLICE);
	nfsc_copier_free(cp);
	end_checks(_metadata, self);
}

/*
 * io_uring_submit() as the kernel may answer it under pressure: while
 * refuse_every is set, of every refuse_every calls all but two are
 * refused for now (EAGAIN or EBUSY), in a row, leaving the entries queued.
 * Linked with --wrap=io_uring_submit, so the engine's calls come here.
 */
static unsigned int refuse_every, submits, refused;

int __real_io_uring_submit(struct io_uring *ring);
int __wrap_io_uring_submit(struct io_uring *ring);
int __wrap_io_uring_submit(struct io_uring *ring)
{
	if (refuse_every && ++submits % refuse_every >= 2) {
		refused++;
		return refused % 2 ? -EAGAIN : -EBUSY;
	}
	return __real_io_uring_submit(ring);
}

TEST_F_TIMEOUT(copy, refused_submits_are_retried, 120)
{
	unsigned int deferred_seen = 0;
	struct job jobs[12];
	struct nfsc_copier *cp;
	int i, started = 0;

	cp = copier(_metadata, 65536, 65536, 1, 4);
	ASSERT_NE(NULL, cp);
	for (i = 0; i < 12; i++)
		job_init(_metadata, self, &jobs[i], i, 300000 + i * 65537, 0);
	refuse_every = 6;
	refused = 0;
	while (self->completed < 12) {
		while (started < 12 && nfsc_copier_has_room(cp))
			nfsc_copier_start(cp, &jobs[started++].c);
		/* Closes pile up too, as the daemon's do; never in a copy's way. */
		for (i = 0; i < 3; i++) {
			int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

			ASSERT_LE(0, fd);
			nfsc_copier_close(cp, fd);
		}
		ASSERT_EQ(0, nfsc_copier_run(cp, true));
		if (nfsc_copier_deferred(cp))
			deferred_seen++;
	}
	while (nfsc_copier_closes(cp))
		ASSERT_EQ(0, nfsc_copier_run(cp, true));
	refuse_every = 0;
	EXPECT_LT(0u, refused);
	EXPECT_LT(0u, deferred_seen);
	EXPECT_EQ(0, nfsc_copier_deferred(cp));
	check_jobs(_metadata, jobs, 12, NFSC_ENGINE_SPLICE);
	nfsc_copier_free(cp);
	end_checks(_metadata, self);
}

/*
 * Big files in ranges: exact copies at sizes around the 1 MiB range
 * boundaries, the pipes counted in flight while they run, and the prefix a
 * checksum may read never past a byte not yet written.
 */
static uint64_t max_inflight_seen, prefix_errors, copies_errors;

static void on_ranged_done(struct nfsc_copy *c)
{
	uint64_t want = c->error ? nfsc_copy_prefix(c) : c->size;

	if (nfsc_copy_prefix(c) != want || nfsc_copy_prefix(c) > c->copied)
		prefix_errors++;
	(*completed_counter)++;
}

TEST_F_TIMEOUT(copy, big_files_in_ranges, 120)
{
	static const uint64_t rsizes[] = {
		2 * MiB - 1, 2 * MiB, 2 * MiB + 1, 3 * MiB + 5, 7 * MiB,
		8 * MiB + 4095, 17 * MiB + 1,
	};
	const int n = sizeof(rsizes) / sizeof(rsizes[0]);
	struct job jobs[sizeof(rsizes) / sizeof(rsizes[0])];
	struct nfsc_copier *cp;
	int started = 0, i;

	cp = ranged_copier(_metadata, 65536, 4, 6);
	ASSERT_NE(NULL, cp);
	for (i = 0; i < n; i++) {
		job_init(_metadata, self, &jobs[i], i, rsizes[i], 0);
		jobs[i].c.done = on_ranged_done;
	}
	max_inflight_seen = prefix_errors = copies_errors = 0;
	while (self->completed < n) {
		while (started < n && nfsc_copier_has_room(cp))
			nfsc_copier_start(cp, &jobs[started++].c);
		if (nfsc_copier_inflight(cp) > max_inflight_seen)
			max_inflight_seen = nfsc_copier_inflight(cp);
		/* Pipes, each copy one or more of them. */
		if (nfsc_copier_copies(cp) > nfsc_copier_inflight(cp) ||
		    nfsc_copier_copies(cp) > (unsigned int)(started - self->completed))
			copies_errors++;
		for (i = 0; i < started; i++)
			if (nfsc_copy_prefix(&jobs[i].c) > jobs[i].c.copied)
				prefix_errors++;
		ASSERT_EQ(0, nfsc_copier_run(cp, true));
	}
	ASSERT_EQ(0u, nfsc_copier_inflight(cp));
	EXPECT_EQ(0u, nfsc_copier_copies(cp));
	EXPECT_EQ(0u, prefix_errors);
	EXPECT_EQ(0u, copies_errors);
	/* Up to the room in the ring: 6 pipes, never more. */
	EXPECT_EQ(6u, max_inflight_seen);
	for (i = 0; i < n; i++) {
		unsigned int want = rsizes[i] / MiB < 4 ? rsizes[i] / MiB : 4;

		EXPECT_LE(1u, jobs[i].c.nranges);
		EXPECT_GE(want, jobs[i].c.nranges) TH_LOG("size %llu",
			(unsigned long long)rsizes[i]);
		EXPECT_EQ(jobs[i].c.range[0].start, 0u);
		EXPECT_EQ(jobs[i].c.range[jobs[i].c.nranges - 1].end, rsizes[i]);
	}
	/* The first files found room for all their ranges. */
	EXPECT_EQ(1u, jobs[0].c.nranges);
	EXPECT_EQ(2u, jobs[1].c.nranges);
	check_jobs(_metadata, jobs, n, NFSC_ENGINE_SPLICE);
	nfsc_copier_free(cp);
	end_checks(_metadata, self);
}

/*
 * Files from big_file bytes on, and only those, take the big pipe for each
 * of their ranges and ask that much of a splice.
 */
TEST_F_TIMEOUT(copy, big_files_take_big_pipes, 120)
{
	static const struct {
		uint64_t size;
		unsigned int ranges, pipe;
	} want[] = {
		{ MiB, 1, 65536 },
		{ 3 * MiB - 1, 2, 65536 },
		{ 3 * MiB, 2, 262144 },
		{ 5 * MiB + 7, 2, 262144 },
	};
	const int n = sizeof(want) / sizeof(want[0]);
	struct job jobs[sizeof(want) / sizeof(want[0])];
	struct nfsc_copy_opts o;
	struct nfsc_copier *cp;
	int i;

	nfsc_copy_opts_default(&o);
	o.pipe_size = o.chunk = 65536;
	o.big_pipe_size = 262144;
	o.big_file = 3 * MiB;
	o.max_ranges = 2;
	o.range_min = MiB;
	cp = copier_with(_metadata, &o);
	ASSERT_NE(NULL, cp);
	for (i = 0; i < n; i++)
		job_init(_metadata, self, &jobs[i], i, want[i].size, 0);
	run_all(_metadata, cp, self, jobs, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(want[i].ranges, jobs[i].c.nranges);
		EXPECT_EQ(want[i].pipe, jobs[i].c.pipe_size) TH_LOG("size %llu",
			(unsigned long long)want[i].size);
		EXPECT_EQ(want[i].pipe, jobs[i].c.range[0].chunk);
	}
	check_jobs(_metadata, jobs, n, NFSC_ENGINE_SPLICE);
	nfsc_copier_free(cp);
	end_checks(_metadata, self);
}

/* Start @job alone, expecting @ranges ranges; run the ring until it ends. */
static void run_one(struct __test_metadata *_metadata, struct nfsc_copier *cp,
		    FIXTURE_DATA(copy) *self, struct job *job,
		    unsigned int ranges)
{
	nfsc_copier_start(cp, &job->c);
	EXPECT_EQ(ranges, job->c.nranges);
	while (!self->completed)
		ASSERT_EQ(0, nfsc_copier_run(cp, true));
	EXPECT_EQ(1, self->completed);
	EXPECT_EQ(0u, nfsc_copier_inflight(cp));
	EXPECT_EQ(0u, nfsc_copier_copies(cp));
}

/* The end of a test of one failed copy: its fds, the copier, the checks. */
static void end_one(struct __test_metadata *_metadata, struct nfsc_copier *cp,
		    FIXTURE_DATA(copy) *self, struct job *job)
{
	close(job->c.src);
	close(job->c.dst);
	nfsc_copier_free(cp);
	end_checks(_metadata, self);
}

/*
 * A destination every range's splice and plain write refuse: the copy fails
 * once, with that error, after each range has fallen back and ended.
 */
TEST_F_TIMEOUT(copy, ranges_fail_once, 120)
{
	struct nfsc_copier *cp;
	struct job job;

	cp = ranged_copier(_metadata, 65536, 3, 4);
	ASSERT_NE(NULL, cp);
	job_init(_metadata, self, &job, 0, 9 * MiB + 77, 0);
	close(job.c.dst);
	job.c.dst = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, job.c.dst);
	run_one(_metadata, cp, self, &job, 3);
	EXPECT_EQ(-EBADF, job.c.error) TH_LOG("%s", strerror(-job.c.error));
	EXPECT_EQ(0u, job.c.copied);
	EXPECT_NE(NULL, strstr(job.c.fallback, "splice to destination"))
		TH_LOG("fallback: '%s'", job.c.fallback);
	end_one(_metadata, cp, self, &job);
}

/* A source shorter than announced fails a ranged copy once, whole. */
TEST_F_TIMEOUT(copy, ranged_short_source, 120)
{
	struct nfsc_copier *cp;
	struct job job;

	cp = ranged_copier(_metadata, 65536, 4, 4);
	ASSERT_NE(NULL, cp);
	job_init(_metadata, self, &job, 0, 6 * MiB, 0);
	job.c.size = 8 * MiB;	/* the last range finds nothing */
	job.c.done = on_ranged_done;
	prefix_errors = 0;
	run_one(_metadata, cp, self, &job, 4);
	EXPECT_EQ(-ENODATA, job.c.error);
	EXPECT_GE(6 * MiB, job.c.copied);
	EXPECT_EQ(0u, prefix_errors);
	end_one(_metadata, cp, self, &job);
}

TEST_F(copy, small_files_take_sendfile)
{
	struct job jobs[4];
	struct nfsc_copier *cp;
	int i;

	cp = copier(_metadata, 65536, 65536, 10 * MiB, 4);
	ASSERT_NE(NULL, cp);
	for (i = 0; i < 4; i++)
		job_init(_metadata, self, &jobs[i], i, sizes[i + 1], 0);
	run_all(_metadata, cp, self, jobs, 4);
	for (i = 0; i < 4; i++)
		EXPECT_STREQ("", jobs[i].c.fallback);
	check_jobs(_metadata, jobs, 4, NFSC_ENGINE_SENDFILE);
	nfsc_copier_free(cp);
	end_checks(_metadata, self);
}

/* splice() refuses an O_APPEND destination: the copy falls back, intact. */
TEST_F(copy, refused_splice_falls_back)
{
	struct job jobs[2];
	struct nfsc_copier *cp;
	int i;

	cp = copier(_metadata, 65536, 65536, 1, 2);
	ASSERT_NE(NULL, cp);
	for (i = 0; i < 2; i++)
		job_init(_metadata, self, &jobs[i], i, 3 * MiB + 5, O_APPEND);
	run_all(_metadata, cp, self, jobs, 2);
	for (i = 0; i < 2; i++)
		EXPECT_NE(NULL, strstr(jobs[i].c.fallback, "splice to destination"))
			TH_LOG("fallback: '%s'", jobs[i].c.fallback);
	check_jobs(_metadata, jobs, 2, NFSC_ENGINE_PLAIN);
	nfsc_copier_free(cp);
	end_checks(_metadata, self);
}

TEST_F(copy, no_splice_option)
{
	struct nfsc_copy_opts o;
	struct nfsc_copier *cp;
	struct job job;
	const char *why;
	int err;

	nfsc_copy_opts_default(&o);
	o.no_splice = true;
	cp = nfsc_copier_new(&o, &why, &err);
	ASSERT_NE(NULL, cp);
	EXPECT_STREQ("splice disabled by option", why);
	job_init(_metadata, self, &job, 0, 12 * MiB, 0);
	nfsc_copier_start(cp, &job.c);
	EXPECT_EQ(1, self->completed);
	EXPECT_STREQ("splice disabled by option", job.c.fallback);
	check_jobs(_metadata, &job, 1, NFSC_ENGINE_PLAIN);
	nfsc_copier_free(cp);
	end_checks(_metadata, self);
}

/* A source shorter than announced, and a bad destination, are errors. */
TEST_F(copy, errors_reported)
{
	struct job jobs[3];
	struct nfsc_copier *cp;
	int i;

	cp = copier(_metadata, 65536, 65536, 1, 3);
	ASSERT_NE(NULL, cp);
	for (i = 0; i < 3; i++)
		job_init(_metadata, self, &jobs[i], i, 2 * MiB, 0);
	jobs[0].c.size = 2 * MiB + 1;			/* spliced, short source */
	close(jobs[1].c.dst);
	jobs[1].c.dst = open("/dev/null", O_RDONLY);	/* not writable */
	ASSERT_LE(0, jobs[1].c.dst);
	jobs[2].c.size = 10;				/* sendfile path: fine */
	run_all(_metadata, cp, self, jobs, 3);
	EXPECT_EQ(-ENODATA, jobs[0].c.error);
	EXPECT_EQ(2 * MiB, jobs[0].c.copied);
	EXPECT_EQ(-EBADF, jobs[1].c.error) TH_LOG("%s", strerror(-jobs[1].c.error));
	EXPECT_EQ(0, jobs[2].c.error);
	for (i = 0; i < 3; i++) {
		close(jobs[i].c.src);
		close(jobs[i].c.dst);
	}
	nfsc_copier_free(cp);
	end_checks(_metadata, self);
}

/*
 * Closes go through the ring, in one batch with copies or alone, and are
 * done once reaped; without a ring close(2) does it at once.
 */
TEST_F(copy, closes_in_the_ring)
{
	struct nfsc_copy_opts o;
	struct nfsc_copier *cp;
	struct job job;
	const char *why;
	int fds[4], i, err;

	cp = copier(_metadata, 65536, 65536, 1, 2);
	ASSERT_NE(NULL, cp);
	for (i = 0; i < 3; i++) {
		fds[i] = open("/dev/null", O_RDONLY);
		ASSERT_LE(0, fds[i]);
	}
	job_init(_metadata, self, &job, 0, MiB, 0);
	nfsc_copier_close(cp, fds[0]);
	nfsc_copier_close(cp, fds[1]);
	EXPECT_EQ(2, nfsc_copier_closes(cp));
	run_all(_metadata, cp, self, &job, 1);
	check_jobs(_metadata, &job, 1, NFSC_ENGINE_SPLICE);
	close(job.c.src);
	close(job.c.dst);
	nfsc_copier_close(cp, fds[2]);
	while (nfsc_copier_closes(cp))
		ASSERT_EQ(0, nfsc_copier_run(cp, true));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(-1, fcntl(fds[i], F_GETFD));
	nfsc_copier_free(cp);

	nfsc_copy_opts_default(&o);
	o.no_splice = true;
	cp = nfsc_copier_new(&o, &why, &err);
	ASSERT_NE(NULL, cp);
	fds[3] = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, fds[3]);
	nfsc_copier_close(cp, fds[3]);
	EXPECT_EQ(0, nfsc_copier_closes(cp));
	EXPECT_EQ(-1, fcntl(fds[3], F_GETFD));
	nfsc_copier_free(cp);
	end_checks(_metadata, self);
}

/*
 * A close queued before a copy in the smallest ring: the copy's first pair
 * must still go in one submit. Split, its drain would wait forever on the
 * pipe the short source never fills.
 */
TEST_F_TIMEOUT(copy, a_pair_is_never_split_across_submits, 30)
{
	struct nfsc_copier *cp;
	struct job job;
	int fd;

	cp = copier(_metadata, 65536, 65536, 1, 1);
	ASSERT_NE(NULL, cp);
	fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, fd);
	job_init(_metadata, self, &job, 0, 0, 0);
	job.c.size = 65536;	/* the source has nothing */
	nfsc_copier_close(cp, fd);
	nfsc_copier_start(cp, &job.c);
	while (self->completed < 1)
		ASSERT_EQ(0, nfsc_copier_run(cp, true));
	EXPECT_EQ(-ENODATA, job.c.error);
	EXPECT_EQ(0u, job.c.copied);
	while (nfsc_copier_closes(cp))
		ASSERT_EQ(0, nfsc_copier_run(cp, true));
	EXPECT_EQ(-1, fcntl(fd, F_GETFD));
	close(job.c.src);
	close(job.c.dst);
	nfsc_copier_free(cp);
	end_checks(_metadata, self);
}

/* A sparse file's layout: its size, and the data runs in it. */
struct layout {
	uint64_t size;
	struct { uint64_t off, len; } run[3];
};

/* @fd holds exactly @l's data runs: the same answers to SEEK_DATA/HOLE. */
static int holes_match(int fd, const struct layout *l)
{
	uint64_t pos = 0;
	int i;

	for (i = 0; i < 3 && l->run[i].len; i++) {
		if (lseek(fd, pos, SEEK_DATA) != (off_t)l->run[i].off ||
		    lseek(fd, l->run[i].off, SEEK_HOLE) !=
		    (off_t)(l->run[i].off + l->run[i].len))
			return 0;
		pos = l->run[i].off + l->run[i].len;
	}
	if (pos < l->size)
		return lseek(fd, pos, SEEK_DATA) < 0 && errno == ENXIO;
	return 1;
}

/* Write @len bytes of pattern at @off of @fd, through a scratch file. */
static int write_run(FIXTURE_DATA(copy) *self, int fd, uint64_t off,
		     uint64_t len)
{
	char run[128], buf[65536];
	uint64_t done = 0;
	int src, ret = 0;

	snprintf(run, sizeof(run), "%s/run", self->dir);
	src = make_src(run, len);
	if (src < 0)
		return -1;
	while (!ret && done < len) {
		ssize_t r = pread(src, buf, sizeof(buf), done);

		if (r <= 0 || pwrite(fd, buf, r, off + done) != r)
			ret = -1;
		done += r > 0 ? r : 0;
	}
	close(src);
	unlink(run);
	return ret;
}

/* A source of @l's layout for @job, whose size it sets. */
static int make_sparse(FIXTURE_DATA(copy) *self, struct job *job,
		       const struct layout *l)
{
	int j;

	if (ftruncate(job->c.src, l->size))
		return -1;
	for (j = 0; j < 3 && l->run[j].len; j++)
		if (write_run(self, job->c.src, l->run[j].off, l->run[j].len))
			return -1;
	job->c.size = l->size;
	return fsync(job->c.src);
}

/*
 * A source with holes: only its data runs are copied, and the destination
 * keeps its holes (a hole at the end made by its size), whichever engine
 * runs, in one range or several, written with O_DIRECT or not. Its bytes
 * are the source's.
 */
TEST_F_TIMEOUT(copy, holes_stay_holes, 120)
{
	static const struct layout layouts[] = {
		{ 5 * MiB + 123, { { MiB, 8192 }, { 3 * MiB, MiB } } },
		{ 9 * MiB + 5, { { 0, 4096 }, { 4 * MiB, 2 * MiB },
				 { 9 * MiB, 5 } } },
		{ 3 * MiB, { } },
		{ 2 * MiB + 4096, { { 0, 2 * MiB + 4096 } } },
	};
	static const char *const passes[] = {
		"splice", "splice, O_DIRECT", "plain", "plain, O_DIRECT",
	};
	const int n = sizeof(layouts) / sizeof(layouts[0]);
	struct job jobs[sizeof(layouts) / sizeof(layouts[0])];
	struct nfsc_copy_opts o;
	struct nfsc_copier *cp;
	uint64_t data, holes;
	bool plain, direct, direct_ok;
	char probe[128];
	struct stat st;
	int e, i, j, fd;

	/* tmpfs before 6.6 refuses O_DIRECT: those passes cannot run there. */
	snprintf(probe, sizeof(probe), "%s/probe", self->dir);
	fd = open(probe, O_RDWR | O_CREAT | O_DIRECT, 0600);
	direct_ok = fd >= 0;
	if (fd >= 0)
		close(fd);
	for (e = 0; e < 4; e++) {
		plain = e >= 2;
		direct = e & 1;
		if (direct && !direct_ok) {
			TH_LOG("%s: not run, %s refuses O_DIRECT", passes[e], self->dir);
			continue;
		}
		nfsc_copy_opts_default(&o);
		o.pipe_size = o.chunk = 65536;
		o.max_ranges = 3;
		o.range_min = MiB;
		o.big_file = UINT64_MAX;
		o.splice_threshold = 100 * MiB;	/* never for a sparse one */
		o.no_splice = plain;
		cp = copier_with(_metadata, &o);
		ASSERT_NE(NULL, cp);
		self->completed = 0;
		for (i = 0; i < n; i++) {
			job_init(_metadata, self, &jobs[i], 10 * e + i, 0,
				 direct ? O_DIRECT : 0);
			ASSERT_EQ(0, make_sparse(self, &jobs[i], &layouts[i]));
			if (!holes_match(jobs[i].c.src, &layouts[i])) {
				nfsc_copier_free(cp);
				SKIP(return, "this filesystem does not keep 4 KiB holes");
			}
		}
		run_all(_metadata, cp, self, jobs, n);
		for (i = 0; i < n; i++) {
			struct nfsc_copy *c = &jobs[i].c;

			/* The checks read it into buffers of any alignment. */
			ASSERT_EQ(0, fcntl(c->dst, F_SETFL,
					   fcntl(c->dst, F_GETFL) & ~O_DIRECT));
			data = 0;
			for (j = 0; j < 3; j++)
				data += layouts[i].run[j].len;
			holes = i == n - 1 ? 0 : layouts[i].size - data;
			EXPECT_EQ(holes, c->holes) TH_LOG("%s, layout %d", passes[e], i);
			EXPECT_TRUE(holes_match(c->dst, &layouts[i]))
				TH_LOG("%s, layout %d: the copy's holes differ", passes[e], i);
			ASSERT_EQ(0, fstat(c->dst, &st));
			/*
			 * The data and room for a filesystem's own blocks
			 * (an extent tree, 1 KiB blocks); the sparse ones,
			 * dense, would take 3 MiB or more.
			 */
			EXPECT_GE(data + MiB, (uint64_t)st.st_blocks * 512)
				TH_LOG("%s, layout %d: %llu bytes on disk", passes[e], i,
				       (unsigned long long)st.st_blocks * 512);
		}
		if (!plain)
			EXPECT_EQ(3u, jobs[1].c.nranges);
		/* The dense one, small enough for sendfile(), takes it. */
		check_jobs(_metadata, jobs, n - 1, plain ? NFSC_ENGINE_PLAIN :
							   NFSC_ENGINE_SPLICE);
		check_jobs(_metadata, &jobs[n - 1], 1,
			   plain ? NFSC_ENGINE_PLAIN : NFSC_ENGINE_SENDFILE);
		nfsc_copier_free(cp);
	}
	end_checks(_metadata, self);
}

/* The default copier, or one of plain I/O only; no copy ended yet. */
static struct nfsc_copier *default_copier(struct __test_metadata *_metadata,
					  FIXTURE_DATA(copy) *self, bool plain)
{
	struct nfsc_copy_opts o;

	nfsc_copy_opts_default(&o);
	o.no_splice = plain;
	self->completed = 0;
	return copier_with(_metadata, &o);
}

/*
 * A sparse source that got shorter than announced, its end now past the
 * file: the copy fails, it is not taken for a hole.
 */
TEST_F_TIMEOUT(copy, a_shorter_sparse_source_fails, 60)
{
	static const struct layout l = { 2 * MiB, { { MiB, 4096 } } };
	struct nfsc_copier *cp;
	struct job job;
	int e;

	for (e = 0; e < 2; e++) {
		cp = default_copier(_metadata, self, e);
		ASSERT_NE(NULL, cp);
		job_init(_metadata, self, &job, e, 0, 0);
		ASSERT_EQ(0, make_sparse(self, &job, &l));
		if (!holes_match(job.c.src, &l)) {
			nfsc_copier_free(cp);
			SKIP(return, "this filesystem does not keep 4 KiB holes");
		}
		job.c.size = 4 * MiB;
		run_one(_metadata, cp, self, &job, e ? 0 : 1);
		EXPECT_EQ(-ENODATA, job.c.error) TH_LOG("engine %d: %s", e,
			strerror(-job.c.error));
		/* Taken as sparse: the leading hole was skipped. */
		EXPECT_EQ(MiB, job.c.holes);
		close(job.c.src);
		close(job.c.dst);
		nfsc_copier_free(cp);
	}
	end_checks(_metadata, self);
}

/*
 * A source of more runs than the seeks a copy may ask: the runs up to the
 * bound keep their holes, the rest is copied as data, all of it right.
 */
TEST_F_TIMEOUT(copy, seeks_are_bounded, 120)
{
	const int runs = NFSC_COPY_MAX_SEEKS;
	struct nfsc_copier *cp;
	struct job job;
	int e, k;

	for (e = 0; e < 2; e++) {
		cp = default_copier(_metadata, self, e);
		ASSERT_NE(NULL, cp);
		job_init(_metadata, self, &job, e, 0, 0);
		/* A block of data, a block of hole, over and over. */
		ASSERT_EQ(0, ftruncate(job.c.src, runs * 8192ULL));
		for (k = 0; k < runs; k++)
			ASSERT_EQ(0, write_run(self, job.c.src, k * 8192ULL, 4096));
		job.c.size = runs * 8192ULL;
		if (lseek(job.c.src, 0, SEEK_HOLE) != 4096 ||
		    lseek(job.c.src, 4096, SEEK_DATA) != 8192 ||
		    lseek(job.c.src, job.c.size - 8192, SEEK_HOLE) !=
		    (off_t)job.c.size - 4096) {
			close(job.c.src);
			close(job.c.dst);
			nfsc_copier_free(cp);
			SKIP(return, "this filesystem does not keep 4 KiB holes");
		}
		run_one(_metadata, cp, self, &job, e ? 0 : 1);
		EXPECT_EQ(NFSC_COPY_MAX_SEEKS + 1u, job.c.seeks);
		EXPECT_FALSE(job.c.sparse);
		/* One seek for the first run, two for each after it. */
		EXPECT_EQ(NFSC_COPY_MAX_SEEKS / 2 * 4096ULL, job.c.holes);
		check_jobs(_metadata, &job, 1, e ? NFSC_ENGINE_PLAIN :
						   NFSC_ENGINE_SPLICE);
		nfsc_copier_free(cp);
	}
	end_checks(_metadata, self);
}

/* grow() for the budget test: grants up to grow_limit, counts its calls. */
static uint64_t grow_limit;
static unsigned int grow_calls;

static int grow_to_limit(struct nfsc_copy *c, uint64_t need)
{
	grow_calls++;
	if (need > grow_limit)
		return -ENOSPC;
	c->data_budget = need;
	return 0;
}

/*
 * A budgeted copy asks for exactly its source's data, a run at a time,
 * and holes cost nothing; a dense source asks for each range's rest at
 * once and never takes sendfile(). A budget that cannot grow fails the
 * copy with grow()'s error before more data than it allowed is written.
 */
TEST_F_TIMEOUT(copy, data_is_budgeted, 120)
{
	static const struct layout sparse = {
		9 * MiB + 5, { { 0, 4096 }, { 4 * MiB, 2 * MiB }, { 9 * MiB, 5 } }
	};
	const uint64_t data = 4096 + 2 * MiB + 5;
	struct nfsc_copy_opts o;
	struct nfsc_copier *cp;
	struct job job;
	int e;

	for (e = 0; e < 2; e++) {
		nfsc_copy_opts_default(&o);
		o.max_ranges = 3;
		o.range_min = MiB;
		o.big_file = UINT64_MAX;
		o.splice_threshold = 100 * MiB;
		o.no_splice = e;
		cp = copier_with(_metadata, &o);
		ASSERT_NE(NULL, cp);

		/* Sparse, room for all of it: one call a data run. */
		self->completed = 0;
		job_init(_metadata, self, &job, 10 * e, 0, 0);
		ASSERT_EQ(0, make_sparse(self, &job, &sparse));
		if (!holes_match(job.c.src, &sparse)) {
			close(job.c.src);
			close(job.c.dst);
			nfsc_copier_free(cp);
			SKIP(return, "this filesystem does not keep 4 KiB holes");
		}
		job.c.grow = grow_to_limit;
		grow_limit = UINT64_MAX;
		grow_calls = 0;
		run_one(_metadata, cp, self, &job, e ? 0 : 3);
		EXPECT_EQ(0, job.c.error);
		EXPECT_EQ(data, job.c.data_claimed);
		EXPECT_EQ(data, job.c.data_budget);
		EXPECT_EQ(3u, grow_calls);
		EXPECT_EQ(sparse.size - data, job.c.holes);
		check_jobs(_metadata, &job, 1, e ? NFSC_ENGINE_PLAIN :
						   NFSC_ENGINE_SPLICE);

		/* Dense and small: no sendfile(), a call a range. */
		self->completed = 0;
		job_init(_metadata, self, &job, 10 * e + 1, 4 * MiB + 7, 0);
		job.c.grow = grow_to_limit;
		grow_calls = 0;
		run_one(_metadata, cp, self, &job, e ? 0 : 3);
		EXPECT_EQ(0, job.c.error);
		EXPECT_EQ(4 * MiB + 7, job.c.data_claimed);
		EXPECT_EQ(e ? 1u : 3u, grow_calls);
		check_jobs(_metadata, &job, 1, e ? NFSC_ENGINE_PLAIN :
						   NFSC_ENGINE_SPLICE);

		/* Sparse, room for its first two runs only. */
		self->completed = 0;
		job_init(_metadata, self, &job, 10 * e + 2, 0, 0);
		ASSERT_EQ(0, make_sparse(self, &job, &sparse));
		job.c.grow = grow_to_limit;
		grow_limit = 4096 + 2 * MiB;
		run_one(_metadata, cp, self, &job, e ? 0 : 3);
		EXPECT_EQ(-ENOSPC, job.c.error);
		EXPECT_EQ(grow_limit, job.c.data_budget);
		EXPECT_GE(job.c.data_budget, job.c.copied - job.c.holes);
		end_one(_metadata, cp, self, &job);
	}
}

TEST_HARNESS_MAIN
