// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark tool: read two sets of files, side A and side B, in
 * alternating phases of CHUNK MiB a file, and print each side's MB/s
 * (MiB per second, as the bench's dd figures).
 *
 *   alt_read CHUNK_MIB A1 [A2 ...] -- B1 [B2 ...]
 *
 * One thread a pair (A_i, B_i). In a phase every thread reads the next
 * CHUNK of its file of one side, 1 MiB a read(2), the threads starting
 * and ending together; a side's time is the sum of its phases'. The sides
 * take turns ABBA ABBA..., so that a slow spell of the machine running
 * the VM lands on both alike: reading one side whole and then the other,
 * such spells made one side up to 1.5 times the other in a pair.
 * Each file is opened in its side's first phase and closed in its last,
 * so opens and closes are timed too.
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
	struct side_file file[2];
	char *buf;
	int err;		/* -errno of the first failure */
};

static pthread_barrier_t phase_start, phase_end;
static unsigned long long chunk;
static unsigned int nreaders;
static struct reader *readers;
static bool all_done;		/* written by thread 0 between barriers */
static int phase_side;		/* likewise */

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
	unsigned int i;

	for (i = 0; i < nreaders; i++) {
		if (readers[i].err)
			return true;
		if (!readers[i].file[0].done || !readers[i].file[1].done)
			return false;
	}
	return true;
}

/* The main thread is reader 0 and times the phases: ABBA ABBA ... */
static void run_phases(double secs[2])
{
	unsigned long long phase;
	double t0;

	for (phase = 0;; phase++) {
		phase_side = (phase ^ (phase >> 1)) & 1;
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
	fprintf(stderr, "usage: alt_read CHUNK_MIB A1 [A2 ...] -- B1 [B2 ...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long long bytes[2] = { 0, 0 };
	double secs[2] = { 0, 0 };
	unsigned int i, s;
	int sep, ret = 0;
	char *end;

	if (argc < 5)
		return usage();
	chunk = strtoull(argv[1], &end, 10);
	if (*end || !chunk || chunk > 1024)
		return usage();
	chunk <<= 20;
	for (sep = 2; sep < argc && strcmp(argv[sep], "--"); sep++)
		;
	nreaders = sep - 2;
	if (sep == argc || !nreaders || argc - sep - 1 != (int)nreaders)
		return usage();
	readers = calloc(nreaders, sizeof(*readers));
	if (!readers)
		return 1;
	for (i = 0; i < nreaders; i++) {
		readers[i].file[0] = (struct side_file){ .path = argv[2 + i], .fd = -1 };
		readers[i].file[1] = (struct side_file){ .path = argv[sep + 1 + i], .fd = -1 };
		readers[i].buf = malloc(READ_SIZE);
		if (!readers[i].buf) {
			fprintf(stderr, "alt_read: out of memory\n");
			return 1;
		}
		/* Faulted in now, not in the first side's first phase. */
		memset(readers[i].buf, 0, READ_SIZE);
	}
	if (pthread_barrier_init(&phase_start, NULL, nreaders) ||
	    pthread_barrier_init(&phase_end, NULL, nreaders)) {
		fprintf(stderr, "alt_read: barriers: %s\n", strerror(errno));
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
	for (i = 1; i < nreaders; i++)
		pthread_join(readers[i].thread, NULL);
	for (i = 0; i < nreaders; i++) {
		if (readers[i].err)
			ret = 1;
		for (s = 0; s < 2; s++)
			bytes[s] += readers[i].file[s].bytes;
		free(readers[i].buf);
	}
	free(readers);
	if (ret)
		return 1;
	for (s = 0; s < 2; s++)
		if (secs[s] <= 0) {
			fprintf(stderr, "alt_read: side %c took no time\n", 'A' + s);
			return 1;
		}
	printf("%.3f %.3f\n", bytes[0] / 1048576.0 / secs[0],
	       bytes[1] / 1048576.0 / secs[1]);
	return 0;
}
