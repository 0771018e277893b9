// SPDX-License-Identifier: GPL-2.0
/*
 * nfscache-helper: the copy engine (see copy.h).
 *
 * Each copy owns a pipe and moves in rounds. A full round is a linked pair
 * [splice src -> pipe | IOSQE_IO_LINK] -> [splice pipe -> dst]; when the
 * first splice comes back short the kernel cancels the second (-ECANCELED)
 * and the next round is a lone pipe -> dst splice of exactly what sits in
 * the pipe. Every short result is looped on; the copy ends when `size`
 * bytes reached the destination, or on the first error. A round's CQEs may
 * come in any order: the copy acts once all of them are in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <liburing.h>

#include "copy.h"

#define PLAIN_BUF (1U << 20)

struct nfsc_copier {
	struct nfsc_copy_opts opts;
	struct io_uring ring;
	bool have_ring;
	unsigned int inflight;
	char *buf;			/* for plain copies */
};

/* user_data: the copy pointer, its low bits the step the CQE ends. */
#define UD_OUT	1UL	/* the pipe -> dst splice of a round */
#define UD_SYNC	2UL	/* the writeback of a finished copy */
#define UD_STEP	(UD_OUT | UD_SYNC)

const char *nfsc_engine_name(enum nfsc_engine engine)
{
	switch (engine) {
	case NFSC_ENGINE_SPLICE:	return "io_uring-splice";
	case NFSC_ENGINE_SENDFILE:	return "sendfile";
	default:			return "plain";
	}
}

void nfsc_copy_opts_default(struct nfsc_copy_opts *opts)
{
	*opts = (struct nfsc_copy_opts){
		.max_inflight = NFSC_COPY_DEFAULT_INFLIGHT,
		.pipe_size = NFSC_COPY_DEFAULT_PIPE_SIZE,
		.chunk = NFSC_COPY_DEFAULT_PIPE_SIZE,
		.splice_threshold = NFSC_COPY_DEFAULT_THRESHOLD,
	};
}

struct nfsc_copier *nfsc_copier_new(const struct nfsc_copy_opts *opts,
				    const char **why, int *err)
{
	struct nfsc_copier *cp;
	int ret;

	*why = NULL;
	*err = 0;
	if (!opts->max_inflight || !opts->pipe_size || !opts->chunk) {
		*err = -EINVAL;
		return NULL;
	}
	cp = calloc(1, sizeof(*cp));
	if (!cp) {
		*err = -ENOMEM;
		return NULL;
	}
	cp->opts = *opts;
	/* Aligned, so that plain writes can be O_DIRECT. */
	cp->buf = aligned_alloc(4096, PLAIN_BUF);
	if (!cp->buf) {
		free(cp);
		*err = -ENOMEM;
		return NULL;
	}
	if (opts->no_splice) {
		*why = "splice disabled by option";
		return cp;
	}
	/* Two SQEs per copy in flight. */
	ret = io_uring_queue_init(2 * opts->max_inflight, &cp->ring, 0);
	if (ret < 0)
		*why = "io_uring unavailable";
	else
		cp->have_ring = true;
	return cp;
}

void nfsc_copier_free(struct nfsc_copier *cp)
{
	if (!cp)
		return;
	if (cp->have_ring)
		io_uring_queue_exit(&cp->ring);
	free(cp->buf);
	free(cp);
}

int nfsc_copier_fd(const struct nfsc_copier *cp)
{
	return cp->have_ring ? cp->ring.ring_fd : -1;
}

unsigned int nfsc_copier_inflight(const struct nfsc_copier *cp)
{
	return cp->inflight;
}

bool nfsc_copier_has_room(const struct nfsc_copier *cp)
{
	return cp->inflight < cp->opts.max_inflight;
}

static void close_pipe(struct nfsc_copy *c)
{
	if (c->pipe[0] >= 0)
		close(c->pipe[0]);
	if (c->pipe[1] >= 0)
		close(c->pipe[1]);
	c->pipe[0] = c->pipe[1] = -1;
}

static void finish(struct nfsc_copier *cp, struct nfsc_copy *c, int error)
{
	if (c->engine == NFSC_ENGINE_SPLICE && c->pipe[0] >= 0)
		cp->inflight--;
	close_pipe(c);
	c->error = error;
	c->done(c);
}

/*
 * An O_DIRECT destination refused a write (EINVAL: an unaligned offset or
 * length, such as a file's tail): finish it through the page cache.
 */
static bool drop_direct(struct nfsc_copy *c)
{
	int flags = fcntl(c->dst, F_GETFL);

	if (flags < 0 || !(flags & O_DIRECT))
		return false;
	if (fcntl(c->dst, F_SETFL, flags & ~O_DIRECT))
		return false;
	c->direct_dropped = true;
	return true;
}

/* pread/pwrite from c->copied to c->size, looping on short results. */
static int plain_copy(struct nfsc_copier *cp, struct nfsc_copy *c)
{
	while (c->copied < c->size) {
		uint64_t left = c->size - c->copied;
		size_t want = left < PLAIN_BUF ? left : PLAIN_BUF;
		ssize_t n, w, off = 0;

		n = pread(c->src, cp->buf, want, c->copied);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENODATA;	/* the source got shorter */
		while (off < n) {
			w = pwrite(c->dst, cp->buf + off, n - off,
				   c->copied + off);
			if (w < 0) {
				if (errno == EINTR ||
				    (errno == EINVAL && drop_direct(c)))
					continue;
				return -errno;
			}
			off += w;
		}
		c->copied += n;
	}
	return 0;
}

static void run_plain(struct nfsc_copier *cp, struct nfsc_copy *c)
{
	c->engine = NFSC_ENGINE_PLAIN;
	finish(cp, c, plain_copy(cp, c));
}

/* sendfile() to the end; what it cannot do is finished with plain I/O. */
static void run_sendfile(struct nfsc_copier *cp, struct nfsc_copy *c)
{
	off_t off = c->copied;
	ssize_t n;

	c->engine = NFSC_ENGINE_SENDFILE;
	if (lseek(c->dst, c->copied, SEEK_SET) < 0)
		goto fall_back;
	while (c->copied < c->size) {
		n = sendfile(c->dst, c->src, &off, c->size - c->copied);
		if (n < 0 && (errno == EINTR ||
			      (errno == EINVAL && drop_direct(c))))
			continue;
		if (n < 0)
			goto fall_back;
		if (n == 0) {
			finish(cp, c, -ENODATA);	/* the source got shorter */
			return;
		}
		c->copied += n;
	}
	finish(cp, c, 0);
	return;

fall_back:
	snprintf(c->fallback, sizeof(c->fallback), "sendfile: %s",
		 strerror(errno));
	run_plain(cp, c);
}

static struct io_uring_sqe *get_sqe(struct nfsc_copier *cp)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&cp->ring);

	/* The ring has room for two per copy; flush if a batch filled it. */
	if (!sqe && io_uring_submit(&cp->ring) >= 0)
		sqe = io_uring_get_sqe(&cp->ring);
	return sqe;
}

/* Queue the next round of @c: a linked pair, or a lone drain of the pipe. */
static int queue_round(struct nfsc_copier *cp, struct nfsc_copy *c)
{
	struct io_uring_sqe *in = NULL, *out;
	uint64_t len;

	c->round_got = 0;
	c->res_in = 0;
	c->res_out = 0;
	c->round_in = c->in_pipe == 0;
	if (c->round_in) {
		len = c->size - c->off_in;
		if (len > cp->opts.chunk)
			len = cp->opts.chunk;
		in = get_sqe(cp);
		if (!in)
			return -EBUSY;
		io_uring_prep_splice(in, c->src, c->off_in, c->pipe[1], -1,
				     len, 0);
		io_uring_sqe_set_data(in, c);
		in->flags |= IOSQE_IO_LINK;
	} else {
		len = c->in_pipe;
	}
	out = get_sqe(cp);
	if (!out)
		return -EBUSY;
	io_uring_prep_splice(out, c->pipe[0], -1, c->dst, c->copied, len, 0);
	io_uring_sqe_set_data(out, (void *)((uintptr_t)c | UD_OUT));
	c->round_want = c->round_in ? 2 : 1;
	return 0;
}

/* splice errors that mean "this pair of files cannot splice": use plain. */
static bool splice_unsupported(int err)
{
	return err == -EINVAL || err == -EOPNOTSUPP || err == -ENOSYS ||
	       err == -EBADF;
}

/* Write out what sits in the pipe, then finish the copy with plain I/O. */
static void fall_back(struct nfsc_copier *cp, struct nfsc_copy *c)
{
	int err = 0;

	while (c->in_pipe && !err) {
		ssize_t n = read(c->pipe[0], cp->buf,
				 c->in_pipe < PLAIN_BUF ? c->in_pipe : PLAIN_BUF);
		ssize_t off = 0, w;

		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		while (off < n) {
			w = pwrite(c->dst, cp->buf + off, n - off,
				   c->copied + off);
			if (w < 0) {
				if (errno == EINVAL && drop_direct(c))
					continue;
				err = -errno;
				break;
			}
			off += w;
		}
		c->in_pipe -= off;
		c->copied += off;
	}
	cp->inflight--;
	close_pipe(c);
	if (err) {
		c->engine = NFSC_ENGINE_PLAIN;
		finish(cp, c, err);
		return;
	}
	run_plain(cp, c);
}

/*
 * Every byte is in the destination: write it back and wait, in the ring,
 * so that FILL_DONE (the kernel has the data on disk before it publishes
 * the object) finds nothing left to write and the daemon's loop does not
 * wait for the disk. A ring too full for it leaves that to the kernel.
 */
static void queue_sync(struct nfsc_copier *cp, struct nfsc_copy *c)
{
	struct io_uring_sqe *sqe = get_sqe(cp);

	if (!sqe) {
		finish(cp, c, 0);
		return;
	}
	io_uring_prep_sync_file_range(sqe, c->dst, 0, 0,
				      SYNC_FILE_RANGE_WAIT_BEFORE |
				      SYNC_FILE_RANGE_WRITE |
				      SYNC_FILE_RANGE_WAIT_AFTER);
	io_uring_sqe_set_data(sqe, (void *)((uintptr_t)c | UD_SYNC));
}

/*
 * The writeback ended. Its error is the copy's: the kernel's own check of
 * the file at FILL_DONE no longer sees an error reported here. A kernel
 * without the operation leaves the writeback to FILL_DONE.
 */
static void end_sync(struct nfsc_copier *cp, struct nfsc_copy *c, int res)
{
	if (res == -EINTR || res == -EAGAIN) {
		queue_sync(cp, c);
		return;
	}
	finish(cp, c, res == -EINVAL || res == -EOPNOTSUPP ? 0 : res);
}

/*
 * A splice the kernel gave up on before moving anything, because a signal
 * came (the daemon is stopped and continued, or told to stop): ask again.
 */
static bool interrupted(int res)
{
	return res == -EINTR || res == -EAGAIN;
}

/* All CQEs of a round are in: account for them and decide what is next. */
static void end_round(struct nfsc_copier *cp, struct nfsc_copy *c)
{
	int in_err = 0, ret;

	if (c->round_in) {
		if (interrupted(c->res_in)) {
			c->resubmits++;
		} else if (c->res_in < 0) {
			in_err = c->res_in;
		} else {
			c->off_in += c->res_in;
			c->in_pipe += c->res_in;
			if (c->res_in == 0)
				c->eof = true;
		}
	}
	if (c->res_out >= 0) {
		c->in_pipe -= c->res_out;
		c->copied += c->res_out;
	} else if (c->res_out == -ECANCELED || interrupted(c->res_out)) {
		c->resubmits += c->in_pipe > 0;
	} else if (c->res_out == -EINVAL && drop_direct(c)) {
		/* Nothing moved; the next round drains the pipe, buffered. */
	} else {
		if (!splice_unsupported(c->res_out)) {
			finish(cp, c, c->res_out);
			return;
		}
		snprintf(c->fallback, sizeof(c->fallback),
			 "splice to destination: %s", strerror(-c->res_out));
		fall_back(cp, c);
		return;
	}

	if (in_err && c->in_pipe == 0) {
		if (!splice_unsupported(in_err)) {
			finish(cp, c, in_err);
			return;
		}
		snprintf(c->fallback, sizeof(c->fallback),
			 "splice from source: %s", strerror(-in_err));
		fall_back(cp, c);
		return;
	}
	if (c->in_pipe == 0 && c->copied >= c->size) {
		queue_sync(cp, c);
		return;
	}
	if (c->in_pipe == 0 && c->eof) {
		finish(cp, c, -ENODATA);	/* the source got shorter */
		return;
	}
	if (c->res_out == 0 && !c->round_in) {
		/* The destination took nothing from a full pipe. */
		finish(cp, c, -EIO);
		return;
	}
	ret = queue_round(cp, c);
	if (ret)
		finish(cp, c, ret);
}

void nfsc_copier_start(struct nfsc_copier *cp, struct nfsc_copy *c)
{
	int ret;

	c->error = 0;
	c->copied = 0;
	c->off_in = 0;
	c->in_pipe = 0;
	c->eof = false;
	c->resubmits = 0;
	c->direct_dropped = false;
	c->pipe[0] = c->pipe[1] = -1;
	c->engine = NFSC_ENGINE_SPLICE;

	if (c->size < cp->opts.splice_threshold && !cp->opts.no_splice) {
		run_sendfile(cp, c);
		return;
	}
	if (!cp->have_ring || c->size == 0) {
		if (c->size)
			snprintf(c->fallback, sizeof(c->fallback), "%s",
				 cp->opts.no_splice ? "splice disabled by option" :
				 "io_uring unavailable");
		run_plain(cp, c);
		return;
	}
	if (pipe2(c->pipe, O_CLOEXEC)) {
		snprintf(c->fallback, sizeof(c->fallback), "pipe: %s",
			 strerror(errno));
		run_plain(cp, c);
		return;
	}
	/* A smaller pipe only means more rounds. */
	fcntl(c->pipe[1], F_SETPIPE_SZ, cp->opts.pipe_size);
	cp->inflight++;
	ret = queue_round(cp, c);
	if (ret)
		finish(cp, c, ret);
}

int nfsc_copier_run(struct nfsc_copier *cp, bool wait)
{
	struct io_uring_cqe *cqe;
	unsigned int seen = 0;
	int ret, res;

	if (!cp->have_ring || !cp->inflight)
		return 0;
	ret = io_uring_submit(&cp->ring);
	if (ret < 0)
		return ret;
	for (;;) {
		struct nfsc_copy *c;
		uintptr_t ud;

		if (wait && !seen)
			ret = io_uring_wait_cqe(&cp->ring, &cqe);
		else
			ret = io_uring_peek_cqe(&cp->ring, &cqe);
		if (ret == -EAGAIN || ret == -EINTR)
			break;
		if (ret < 0)
			return ret;
		ud = (uintptr_t)io_uring_cqe_get_data(cqe);
		c = (struct nfsc_copy *)(ud & ~UD_STEP);
		res = cqe->res;
		io_uring_cqe_seen(&cp->ring, cqe);
		seen++;
		if (ud & UD_SYNC) {
			end_sync(cp, c, res);
			continue;
		}
		if (ud & UD_OUT)
			c->res_out = res;
		else
			c->res_in = res;
		if (++c->round_got == c->round_want)
			end_round(cp, c);
	}
	ret = io_uring_submit(&cp->ring);
	return ret < 0 ? ret : 0;
}
