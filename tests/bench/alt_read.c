// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark tool: read two or more sets of files ("sides") in alternating
 * phases of CHUNK MiB a file, and print each side's MB/s (MiB per
 * second, as the bench's dd figures), in the order given.
 *
 *   alt_read CHUNK_MIB A1 [A2 ...] -- B1 [B2 ...] [-- C1 [C2 ...] ...]
 *
 * Every side has as many files; one thread reads file i of every side.
 * In a phase every thread reads the next CHUNK of its file of one side,
 * 1 MiB a read(2), the threads starting and ending together; a side's
 * time is the sum of its phases'. The sides take turns forth and back,
 * ABBA ABBA... (ABCCBA... for three), so that a slow spell of the
 * machine running the VM lands on every side alike: reading one side
 * whole and then the other, such spells made one side up to 1.5 times
 * the other. Each file is opened in its side's first phase and closed in
 * its last, so opens and closes are timed too.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE (1U << 20)

struct side_file {
	const char *path;
	int fd;			/* -1 before the first phase and after EOF */
	bool done;
	unsigned long long bytes;
};

struct reader {
	pthread_t thread;
	struct side_file *file;	/* one a side */
	char *buf;
	int err;		/* -errno of the first failure */
};

static pthread_barrier_t phase_start, phase_end;
static unsigned long long chunk;
static unsigned int nreaders, nsides;
static struct reader *readers;
static bool all_done;		/* written by thread 0 between barriers */
static unsigned int phase_side;	/* likewise */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One phase of @f: open it if new, read up to a chunk, close it at EOF. */
static int read_chunk(struct reader *r, struct side_file *f)
{
	unsigned long long left = chunk;
	ssize_t n;

	if (f->done)
		return 0;
	if (f->fd < 0) {
		f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0)
			return -errno;
	}
	while (left) {
		n = read(f->fd, r->buf, left < READ_SIZE ? left : READ_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n) {
			f->done = true;
			if (close(f->fd))
				return -errno;
			f->fd = -1;
			break;
		}
		f->bytes += n;
		left -= n;
	}
	return 0;
}

/* Reader @r's part of the current phase. */
static void do_phase(struct reader *r)
{
	struct side_file *f = &r->file[phase_side];
	int ret;

	if (r->err)
		return;
	ret = read_chunk(r, f);
	if (ret) {
		r->err = ret;
		fprintf(stderr, "alt_read: %s: %s\n", f->path, strerror(-ret));
	}
}

static void *reader_main(void *arg)
{
	for (;;) {
		pthread_barrier_wait(&phase_start);
		if (all_done)
			return NULL;
		do_phase(arg);
		pthread_barrier_wait(&phase_end);
	}
}

/* Every file read to its end, or a reader failed: no more phases. */
static bool finished(void)
{
	unsigned int i, s;

	for (i = 0; i < nreaders; i++)
		if (readers[i].err)
			return true;
	for (i = 0; i < nreaders; i++)
		for (s = 0; s < nsides; s++)
			if (!readers[i].file[s].done)
				return false;
	return true;
}

/* The main thread is reader 0 and times the phases: forth and back. */
static void run_phases(double *secs)
{
	unsigned long long phase;
	unsigned int turn;
	double t0;

	for (phase = 0;; phase++) {
		turn = phase % (2 * nsides);
		phase_side = turn < nsides ? turn : 2 * nsides - 1 - turn;
		all_done = finished();
		pthread_barrier_wait(&phase_start);
		if (all_done)
			return;
		t0 = now();
		do_phase(&readers[0]);
		pthread_barrier_wait(&phase_end);
		secs[phase_side] += now() - t0;
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: alt_read CHUNK_MIB A1 [A2 ...] -- B1 [B2 ...] [-- C1 ...]\n");
	return 2;
}

/* argv[first..]: the sides' files, "--" between sides, as many each. */
static int parse_sides(int argc, char **argv, int first)
{
	unsigned int i, s, n = 0;
	int a;

	nsides = 1;
	for (a = first; a < argc; a++) {
		if (strcmp(argv[a], "--")) {
			n++;
			continue;
		}
		if (!n || (nreaders && n != nreaders))
			return -EINVAL;
		nreaders = n;
		n = 0;
		nsides++;
	}
	if (nsides < 2 || n != nreaders)
		return -EINVAL;
	readers = calloc(nreaders, sizeof(*readers));
	if (!readers)
		return -ENOMEM;
	for (i = 0; i < nreaders; i++) {
		readers[i].file = calloc(nsides, sizeof(*readers[i].file));
		readers[i].buf = malloc(READ_SIZE);
		if (!readers[i].file || !readers[i].buf)
			return -ENOMEM;
		/* Faulted in now, not in the first side's first phase. */
		memset(readers[i].buf, 0, READ_SIZE);
		for (s = 0; s < nsides; s++)
			readers[i].file[s] = (struct side_file){
				.path = argv[first + s * (nreaders + 1) + i],
				.fd = -1,
			};
	}
	return 0;
}

int main(int argc, char **argv)
{
	double *secs;
	unsigned long long bytes;
	unsigned int i, s;
	char *end;
	int ret;

	if (argc < 5)
		return usage();
	chunk = strtoull(argv[1], &end, 10);
	if (*end || !chunk || chunk > 1024)
		return usage();
	chunk <<= 20;
	ret = parse_sides(argc, argv, 2);
	if (ret == -EINVAL)
		return usage();
	secs = calloc(nsides, sizeof(*secs));
	if (ret || !secs) {
		fprintf(stderr, "alt_read: out of memory\n");
		return 1;
	}
	ret = pthread_barrier_init(&phase_start, NULL, nreaders);
	if (!ret)
		ret = pthread_barrier_init(&phase_end, NULL, nreaders);
	if (ret) {
		fprintf(stderr, "alt_read: barriers: %s\n", strerror(ret));
		return 1;
	}
	for (i = 1; i < nreaders; i++) {
		ret = pthread_create(&readers[i].thread, NULL, reader_main,
				     &readers[i]);
		if (ret) {
			fprintf(stderr, "alt_read: thread: %s\n", strerror(ret));
			return 1;	/* the others wait at a barrier: exit */
		}
	}
	run_phases(secs);
	ret = 0;
	for (i = 1; i < nreaders; i++)
		pthread_join(readers[i].thread, NULL);
	for (i = 0; i < nreaders; i++)
		if (readers[i].err)
			ret = 1;
	for (s = 0; !ret && s < nsides; s++) {
		for (bytes = 0, i = 0; i < nreaders; i++)
			bytes += readers[i].file[s].bytes;
		if (secs[s] <= 0) {
			fprintf(stderr, "alt_read: side %u took no time\n", s + 1);
			ret = 1;
			break;
		}
		printf("%s%.3f", s ? " " : "", bytes / 1048576.0 / secs[s]);
	}
	if (!ret)
		printf("\n");
	for (i = 0; i < nreaders; i++) {
		free(readers[i].file);
		free(readers[i].buf);
	}
	free(readers);
	free(secs);
	return ret;
}
