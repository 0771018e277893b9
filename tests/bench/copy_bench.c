// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark tool: copy files with one engine, the way the fill daemon
 * would, and print what it took. Used by scripts/bench-guest to choose the
 * helper's defaults.
 *
 *   copy_bench ENGINE DSTDIR SRC...
 *
 * ENGINE: splice (the helper's io_uring splice copier), plain (the
 * helper's pread/pwrite), sendfile, uring-rw (io_uring read + write).
 * Each SRC is copied to an unnamed file in DSTDIR (O_TMPFILE, dropped
 * after), fsynced, as the kernel commits fills. Prints one line:
 * "<engine> <files> <bytes> <seconds>".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#include "copy.h"

#define CHUNK (1U << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int copy_sendfile(int src, int dst, off_t size)
{
	off_t off = 0;
	ssize_t n;

	while (off < size) {
		n = sendfile(dst, src, &off, size - off > (1 << 30) ? 1 << 30 : size - off);
		if (n <= 0)
			return n < 0 ? -errno : -ENODATA;
	}
	return 0;
}

/* Read a chunk, write it: one linked pair per chunk, short reads redone. */
static int copy_uring_rw(struct io_uring *ring, char *buf, int src, int dst,
			 off_t size)
{
	struct io_uring_cqe *cqe;
	off_t off = 0;
	int i, res[2];

	while (off < size) {
		unsigned int len = size - off < CHUNK ? size - off : CHUNK;
		struct io_uring_sqe *r = io_uring_get_sqe(ring);
		struct io_uring_sqe *w = io_uring_get_sqe(ring);

		io_uring_prep_read(r, src, buf, len, off);
		r->flags |= IOSQE_IO_LINK;
		io_uring_sqe_set_data64(r, 0);
		io_uring_prep_write(w, dst, buf, len, off);
		io_uring_sqe_set_data64(w, 1);
		if (io_uring_submit(ring) != 2)
			return -EIO;
		for (i = 0; i < 2; i++) {
			if (io_uring_wait_cqe(ring, &cqe))
				return -EIO;
			res[io_uring_cqe_get_data64(cqe)] = cqe->res;
			io_uring_cqe_seen(ring, cqe);
		}
		if (res[0] <= 0)
			return res[0] < 0 ? res[0] : -ENODATA;
		if (res[1] == (int)len) {
			off += len;
			continue;
		}
		/* Short read: the write was cancelled; write what came. */
		if (pwrite(dst, buf, res[0], off) != res[0])
			return -errno;
		off += res[0];
	}
	return 0;
}

struct copier_done {
	int error;
	int done;
};

static void on_done(struct nfsc_copy *c)
{
	struct copier_done *d = c->priv;

	d->error = c->error;
	d->done = 1;
}

static int copy_with_copier(struct nfsc_copier *cp, int src, int dst,
			    off_t size)
{
	struct copier_done d = { 0 };
	struct nfsc_copy c = {
		.src = src, .dst = dst, .size = size, .done = on_done, .priv = &d,
	};
	int ret;

	nfsc_copier_start(cp, &c);
	while (!d.done) {
		ret = nfsc_copier_run(cp, true);
		if (ret)
			return ret;
	}
	return d.error;
}

int main(int argc, char **argv)
{
	struct nfsc_copier *cp = NULL;
	struct nfsc_copy_opts opts;
	unsigned long long bytes = 0;
	struct io_uring ring;
	const char *engine, *why;
	char *buf;
	double t0;
	int i, ret = 0, err;

	if (argc < 4) {
		fprintf(stderr, "usage: copy_bench splice|plain|sendfile|uring-rw DSTDIR SRC...\n");
		return 2;
	}
	engine = argv[1];
	buf = aligned_alloc(4096, CHUNK);
	if (!buf || io_uring_queue_init(8, &ring, 0))
		return 1;
	nfsc_copy_opts_default(&opts);
	opts.splice_threshold = 1;
	opts.no_splice = !strcmp(engine, "plain");
	if (!strcmp(engine, "splice") || !strcmp(engine, "plain")) {
		cp = nfsc_copier_new(&opts, &why, &err);
		if (!cp)
			return 1;
	} else if (strcmp(engine, "sendfile") && strcmp(engine, "uring-rw")) {
		fprintf(stderr, "copy_bench: unknown engine %s\n", engine);
		return 2;
	}

	t0 = now();
	for (i = 3; i < argc && !ret; i++) {
		struct stat st;
		int src, dst;

		src = open(argv[i], O_RDONLY);
		dst = open(argv[2], O_TMPFILE | O_RDWR, 0600);
		if (src < 0 || dst < 0 || fstat(src, &st)) {
			fprintf(stderr, "copy_bench: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (cp)
			ret = copy_with_copier(cp, src, dst, st.st_size);
		else if (!strcmp(engine, "sendfile"))
			ret = copy_sendfile(src, dst, st.st_size);
		else
			ret = copy_uring_rw(&ring, buf, src, dst, st.st_size);
		if (!ret && fsync(dst))
			ret = -errno;
		bytes += st.st_size;
		close(src);
		close(dst);
	}
	if (ret) {
		fprintf(stderr, "copy_bench: %s: %s\n", engine, strerror(-ret));
		return 1;
	}
	printf("%s %d %llu %.6f\n", engine, argc - 3, bytes, now() - t0);
	if (cp)
		nfsc_copier_free(cp);
	io_uring_queue_exit(&ring);
	free(buf);
	return 0;
}
