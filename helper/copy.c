// SPDX-License-Identifier: GPL-2.0
/*
 * nfscache-helper: the copy engine (see copy.h).
 *
 * A copy is cut into ranges (one, unless the file is big), each with its
 * own pipe, moving in rounds of its own. A full round is a linked pair
 * [splice src -> pipe | IOSQE_IO_LINK] -> [splice pipe -> dst]; when the
 * first splice comes back short the kernel cancels the second (-ECANCELED)
 * and the next round is a lone pipe -> dst splice of exactly what sits in
 * the pipe. Every short result is looped on; the copy ends when `size`
 * bytes reached the destination, or on the first error. A round's CQEs may
 * come in any order: the copy acts once all of them are in.
 *
 * A source with fewer blocks than bytes may be sparse: each range then
 * asks SEEK_HOLE where the data it starts in ends (if it starts in a
 * hole, SEEK_DATA where the next data starts), jumps over the hole, and
 * copies the run alone. A hole left at the end is made by ftruncate()
 * once every range has ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <liburing.h>

#include "copy.h"

#define PLAIN_BUF (1U << 20)

struct nfsc_copier {
	struct nfsc_copy_opts opts;
	struct io_uring ring;
	bool have_ring;
	unsigned int inflight;		/* pipes in the ring */
	unsigned int copies;		/* copies in the ring */
	unsigned int closes;		/* closes in the ring */
	int deferred;			/* why the last submit left work queued */
	char *buf;			/* for plain copies */
	char why[96];			/* why there is no ring */
};

/*
 * user_data: a range (a copy, for UD_SYNC), its low bits the step the CQE
 * ends; for a close, the fd shifted by UD_FD_SHIFT and UD_CLOSE.
 */
#define UD_OUT		1UL	/* the pipe -> dst splice of a range's round */
#define UD_SYNC		2UL	/* the writeback of a finished copy */
#define UD_CLOSE	4UL	/* nfsc_copier_close(): no pointer */
#define UD_STEP		(UD_OUT | UD_SYNC)
#define UD_FD_SHIFT	3

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
		.big_pipe_size = NFSC_COPY_DEFAULT_BIG_PIPE_SIZE,
		.big_file = NFSC_COPY_DEFAULT_BIG_FILE,
		.splice_threshold = NFSC_COPY_DEFAULT_THRESHOLD,
		.max_ranges = NFSC_COPY_DEFAULT_RANGES,
		.range_min = NFSC_COPY_DEFAULT_RANGE_MIN,
	};
}

struct nfsc_copier *nfsc_copier_new(const struct nfsc_copy_opts *opts,
				    const char **why, int *err)
{
	struct nfsc_copier *cp;
	int ret;

	*why = NULL;
	*err = 0;
	if (!opts->max_inflight || !opts->pipe_size || !opts->chunk ||
	    !opts->big_pipe_size ||
	    !opts->max_ranges || opts->max_ranges > NFSC_COPY_MAX_RANGES ||
	    !opts->range_min) {
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
	/*
	 * Two SQEs per pipe in flight, and as many again for closes, which
	 * never take the copies' half (nfsc_copier_close()): a round always
	 * finds room, even while the kernel refuses submits.
	 */
	ret = io_uring_queue_init(4 * opts->max_inflight, &cp->ring, 0);
	if (ret < 0) {
		snprintf(cp->why, sizeof(cp->why), "io_uring unavailable: %s",
			 strerror(-ret));
		*why = cp->why;
	} else {
		cp->have_ring = true;
	}
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

unsigned int nfsc_copier_copies(const struct nfsc_copier *cp)
{
	return cp->copies;
}

unsigned int nfsc_copier_closes(const struct nfsc_copier *cp)
{
	return cp->closes;
}

int nfsc_copier_deferred(const struct nfsc_copier *cp)
{
	if (!cp->have_ring || !io_uring_sq_ready(&cp->ring))
		return 0;
	return cp->deferred ? cp->deferred : -EAGAIN;
}

/*
 * Hand the queued entries to the kernel. It may refuse them for now: no
 * memory for the requests (EAGAIN), completions it could not post yet
 * (EBUSY), a signal (EINTR). They stay in the ring for the next submit,
 * and nothing is lost; any other error is the ring's failure.
 */
static int submit(struct nfsc_copier *cp)
{
	int ret = io_uring_submit(&cp->ring);

	cp->deferred = 0;
	if (ret >= 0)
		return 0;
	if (ret != -EAGAIN && ret != -EBUSY && ret != -EINTR)
		return ret;
	cp->deferred = ret;
	return 1;
}

bool nfsc_copier_has_room(const struct nfsc_copier *cp)
{
	return cp->inflight < cp->opts.max_inflight;
}

static void close_pipe(struct nfsc_range *r)
{
	if (r->pipe[0] >= 0)
		close(r->pipe[0]);
	if (r->pipe[1] >= 0)
		close(r->pipe[1]);
	r->pipe[0] = r->pipe[1] = -1;
}

void nfsc_copy_close_pipes(struct nfsc_copy *c)
{
	unsigned int i;

	for (i = 0; i < c->nranges; i++)
		close_pipe(&c->range[i]);
}

uint64_t nfsc_copy_prefix(const struct nfsc_copy *c)
{
	uint64_t done = c->copied;	/* plain and sendfile go in order */
	unsigned int i;

	for (i = 0; i < c->nranges; i++) {
		done = c->range[i].off_out;
		if (done < c->range[i].end)
			break;
	}
	return done;
}

static void finish(struct nfsc_copier *cp, struct nfsc_copy *c, int error)
{
	cp->inflight -= c->nranges;
	cp->copies -= c->nranges > 0;
	nfsc_copy_close_pipes(c);
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

/*
 * Holes are skipped in whole blocks, so that O_DIRECT writes of the runs
 * between them stay aligned; a smaller hole is copied as the zeros it is.
 */
#define HOLE_ALIGN	4096ULL

/* A seek of the source, counted; past the bound, the rest is data. */
static off_t seek_src(struct nfsc_copy *c, off_t off, int whence)
{
	if (++c->seeks > NFSC_COPY_MAX_SEEKS) {
		c->sparse = false;
		errno = EOVERFLOW;
		return -1;
	}
	return lseek(c->src, off, whence);
}

/*
 * SEEK_DATA found no more data in a sparse source: a hole runs to its end
 * (0), or it is shorter than the copy's size now (-ENODATA).
 */
static int hole_to_end(struct nfsc_copy *c)
{
	struct statx stx;

	/* NFS's size as the server has it now, not as cached. */
	if (statx(c->src, "", AT_EMPTY_PATH | AT_STATX_FORCE_SYNC,
		  STATX_SIZE, &stx))
		return -errno;
	return stx.stx_size < c->size ? -ENODATA : 0;
}

/*
 * *@pos (aligned) is where a run of a sparse source's data ended
 * (*@at_hole: at a hole SEEK_HOLE found), or a range starts: move it past
 * the hole there, if any, up to @end, counting the hole as done, and set
 * *@data_end to where the data from there ends. Where nothing says a hole
 * starts, SEEK_HOLE is asked first: a file with no hole costs one seek.
 * 0, or -errno (-ENODATA: no more data because the source got shorter).
 * A seek that fails leaves the rest of the range to be copied as data.
 */
static int skip_hole(struct nfsc_copy *c, uint64_t *pos, uint64_t end,
		     uint64_t *data_end, bool *at_hole)
{
	off_t data = *pos, hole;
	uint64_t next;
	bool known;
	int ret;

	if (!c->sparse || *pos < *data_end || *pos >= end)
		return 0;
	known = *at_hole && *pos == *data_end;
	*data_end = end;
	*at_hole = false;
	/* A hole rounded up to a block may end in it: SEEK_DATA says so. */
	hole = known ? data : seek_src(c, data, SEEK_HOLE);
	if (hole == data) {
		/* In a hole: where does the data start again? */
		data = seek_src(c, data, SEEK_DATA);
		if (data < 0 && errno != ENXIO)
			return 0;
		if (data < 0) {
			ret = hole_to_end(c);
			if (ret)
				return ret;
		}
		if (data < 0 || (uint64_t)data >= end)
			next = end;
		else
			next = (uint64_t)data & ~(HOLE_ALIGN - 1);
		if (next > *pos) {
			c->holes += next - *pos;
			c->copied += next - *pos;
			*pos = next;
		}
		if (*pos >= end)
			return 0;
		/* From the data itself: its block may start with a hole. */
		hole = seek_src(c, data, SEEK_HOLE);
	}
	if (hole < 0)
		return 0;
	hole = (hole + HOLE_ALIGN - 1) & ~(HOLE_ALIGN - 1);
	/* No hole after the data now: the file changed; copy on. */
	if ((uint64_t)hole > *pos && (uint64_t)hole < end) {
		*data_end = hole;
		*at_hole = true;
	}
	return 0;
}

/* A hole at the end of the file was skipped, not written: size it. */
static int set_size(struct nfsc_copy *c)
{
	struct stat st;

	if (!c->holes)
		return 0;
	if (fstat(c->dst, &st))
		return -errno;
	if ((uint64_t)st.st_size < c->size && ftruncate(c->dst, c->size))
		return -errno;
	return 0;
}

/*
 * @r is about to write the data from @pos to @to: count what it has not
 * counted yet against the copy's budget, asking grow() for more when it
 * would pass it. 0, or grow()'s -errno, which fails the copy.
 */
static int claim_data(struct nfsc_copy *c, struct nfsc_range *r,
		      uint64_t pos, uint64_t to)
{
	uint64_t from = pos > r->claimed_end ? pos : r->claimed_end;
	uint64_t need;
	int ret;

	if (!c->grow || to <= from)
		return 0;
	need = c->data_claimed + (to - from);
	if (need > c->data_budget) {
		ret = c->grow(c, need);
		if (ret)
			return ret;
		if (need > c->data_budget)
			return -EFBIG;	/* grow() said yes, but did not */
	}
	c->data_claimed = need;
	r->claimed_end = to;
	return 0;
}

/* Write @len bytes of @buf at @off, looping on short writes. */
static int write_all(struct nfsc_copy *c, const char *buf, size_t len,
		     uint64_t off)
{
	size_t done = 0;
	ssize_t w;

	while (done < len) {
		w = pwrite(c->dst, buf + done, len - done, off + done);
		if (w < 0) {
			if (errno == EINTR || (errno == EINVAL && drop_direct(c)))
				continue;
			return -errno;
		}
		done += w;
	}
	return 0;
}

/*
 * pread/pwrite the rest of @r from r->off_out, moving it and c->copied
 * on; the data run there ends at r->data_end, holes are skipped.
 */
static int plain_copy(struct nfsc_copier *cp, struct nfsc_range *r)
{
	struct nfsc_copy *c = r->copy;
	uint64_t *pos = &r->off_out;
	int ret;

	while (*pos < r->end) {
		uint64_t run_end, left;
		size_t want;
		ssize_t n;

		ret = skip_hole(c, pos, r->end, &r->data_end, &r->at_hole);
		if (ret)
			return ret;
		run_end = c->sparse ? r->data_end : r->end;
		left = run_end - *pos;
		if (!left)
			break;
		ret = claim_data(c, r, *pos, run_end);
		if (ret)
			return ret;
		want = left < PLAIN_BUF ? left : PLAIN_BUF;
		n = pread(c->src, cp->buf, want, *pos);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENODATA;	/* the source got shorter */
		ret = write_all(c, cp->buf, n, *pos);
		if (ret)
			return ret;
		*pos += n;
		c->copied += n;
	}
	return 0;
}

/* The whole copy, or what sendfile() left of it, as one plain range. */
static void run_plain(struct nfsc_copier *cp, struct nfsc_copy *c)
{
	struct nfsc_range r = {
		.copy = c,
		.off_out = c->copied,
		.data_end = c->copied,
		.claimed_end = c->copied,
		.end = c->size,
	};
	int ret;

	c->engine = NFSC_ENGINE_PLAIN;
	ret = plain_copy(cp, &r);
	finish(cp, c, ret ? ret : set_size(c));
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

	/* The ring has room for two per pipe; flush if a batch filled it. */
	if (!sqe && io_uring_submit(&cp->ring) >= 0)
		sqe = io_uring_get_sqe(&cp->ring);
	return sqe;
}

/* Queue the next round of @r: a linked pair, or a lone drain of the pipe. */
static int queue_round(struct nfsc_copier *cp, struct nfsc_range *r)
{
	struct nfsc_copy *c = r->copy;
	struct io_uring_sqe *in = NULL, *out;
	unsigned int sqes;
	uint64_t len;

	r->round_got = 0;
	r->res_in = 0;
	r->res_out = 0;
	r->round_in = r->in_pipe == 0;
	/*
	 * Both of a pair go in one submit: a link cut at the end of a submit
	 * would leave the drain waiting on an empty pipe if the fill of it
	 * fails or finds the file's end. Closes share the ring, uncounted.
	 */
	sqes = r->round_in ? 2 : 1;
	if (io_uring_sq_space_left(&cp->ring) < sqes)
		io_uring_submit(&cp->ring);
	if (io_uring_sq_space_left(&cp->ring) < sqes)
		return -EBUSY;
	if (r->round_in) {
		len = (c->sparse ? r->data_end : r->end) - r->off_in;
		if (len > r->chunk)
			len = r->chunk;
		in = get_sqe(cp);
		if (!in)
			return -EBUSY;
		io_uring_prep_splice(in, c->src, r->off_in, r->pipe[1], -1,
				     len, 0);
		io_uring_sqe_set_data(in, r);
		in->flags |= IOSQE_IO_LINK;
	} else {
		len = r->in_pipe;
	}
	out = get_sqe(cp);
	if (!out)
		return -EBUSY;
	io_uring_prep_splice(out, r->pipe[0], -1, c->dst, r->off_out, len, 0);
	io_uring_sqe_set_data(out, (void *)((uintptr_t)r | UD_OUT));
	r->round_want = r->round_in ? 2 : 1;
	return 0;
}

/* splice errors that mean "this pair of files cannot splice": use plain. */
static bool splice_unsupported(int err)
{
	return err == -EINVAL || err == -EOPNOTSUPP || err == -ENOSYS ||
	       err == -EBADF;
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
 * A range has nothing more in the ring; @err, if any, fails the copy and
 * stops its other ranges at their next round. The last range to end ends
 * the copy.
 */
static void end_range(struct nfsc_copier *cp, struct nfsc_range *r, int err)
{
	struct nfsc_copy *c = r->copy;

	if (err && !c->error)
		c->error = err;
	if (--c->running)
		return;
	if (!c->error)
		c->error = set_size(c);
	if (c->error)
		finish(cp, c, c->error);
	else
		queue_sync(cp, c);
}

/*
 * Queue @r's next round, past a hole if it is at one: 0, NEXT_DONE when
 * the hole ran to the range's end, or -errno.
 */
#define NEXT_DONE	1

static int next_round(struct nfsc_copier *cp, struct nfsc_range *r)
{
	int ret;

	if (!r->in_pipe) {
		ret = skip_hole(r->copy, &r->off_in, r->end, &r->data_end,
				&r->at_hole);
		r->off_out = r->off_in;
		if (ret)
			return ret;
		if (r->off_out >= r->end)
			return NEXT_DONE;
		ret = claim_data(r->copy, r, r->off_in,
				 r->copy->sparse ? r->data_end : r->end);
		if (ret)
			return ret;
	}
	return queue_round(cp, r);
}

/* Write out what sits in the pipe, then copy the rest of @r plainly. */
static void fall_back(struct nfsc_copier *cp, struct nfsc_range *r,
		      const char *what, int why)
{
	struct nfsc_copy *c = r->copy;
	int err = 0;

	if (!c->fallback[0])
		snprintf(c->fallback, sizeof(c->fallback), "%s: %s", what,
			 strerror(-why));
	c->engine = NFSC_ENGINE_PLAIN;
	while (r->in_pipe) {
		ssize_t n = read(r->pipe[0], cp->buf,
				 r->in_pipe < PLAIN_BUF ? r->in_pipe : PLAIN_BUF);

		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		err = write_all(c, cp->buf, n, r->off_out);
		if (err)
			break;
		r->in_pipe -= n;
		r->off_out += n;
		c->copied += n;
	}
	if (!err && !c->error)
		err = plain_copy(cp, r);
	end_range(cp, r, err);
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
static void end_round(struct nfsc_copier *cp, struct nfsc_range *r)
{
	struct nfsc_copy *c = r->copy;
	int in_err = 0, ret;

	if (r->round_in) {
		if (interrupted(r->res_in)) {
			c->resubmits++;
		} else if (r->res_in < 0) {
			in_err = r->res_in;
		} else {
			r->off_in += r->res_in;
			r->in_pipe += r->res_in;
			if (r->res_in == 0)
				r->eof = true;
		}
	}
	if (r->res_out >= 0) {
		r->in_pipe -= r->res_out;
		r->off_out += r->res_out;
		c->copied += r->res_out;
	} else if (r->res_out == -ECANCELED || interrupted(r->res_out)) {
		c->resubmits += r->in_pipe > 0;
	} else if (r->res_out == -EINVAL && drop_direct(c)) {
		/* Nothing moved; the next round drains the pipe, buffered. */
	} else if (splice_unsupported(r->res_out)) {
		fall_back(cp, r, "splice to destination", r->res_out);
		return;
	} else {
		end_range(cp, r, r->res_out);
		return;
	}

	if (in_err && r->in_pipe == 0) {
		if (splice_unsupported(in_err))
			fall_back(cp, r, "splice from source", in_err);
		else
			end_range(cp, r, in_err);
		return;
	}
	if (c->error) {
		end_range(cp, r, 0);	/* another range failed */
		return;
	}
	if (r->in_pipe == 0 && r->off_out >= r->end) {
		end_range(cp, r, 0);
		return;
	}
	if (r->in_pipe == 0 && r->eof) {
		end_range(cp, r, -ENODATA);	/* the source got shorter */
		return;
	}
	if (r->res_out == 0 && !r->round_in) {
		/* The destination took nothing from a full pipe. */
		end_range(cp, r, -EIO);
		return;
	}
	ret = next_round(cp, r);
	if (ret)
		end_range(cp, r, ret == NEXT_DONE ? 0 : ret);
}

/*
 * How many ranges to cut @size into: none under two minimum ranges, and
 * no more than the ring has room for (one at least).
 */
static unsigned int ranges_for(const struct nfsc_copier *cp, uint64_t size)
{
	uint64_t n = size / cp->opts.range_min;
	unsigned int room = cp->inflight < cp->opts.max_inflight ?
			    cp->opts.max_inflight - cp->inflight : 1;

	if (n > cp->opts.max_ranges)
		n = cp->opts.max_ranges;
	if (n > room)
		n = room;
	return n ? n : 1;
}

/* Ranges end on RANGE_ALIGN, so that O_DIRECT writes stay aligned. */
#define RANGE_ALIGN	(1ULL << 20)

/*
 * Size @r's pipe for a copy of @size bytes: big files ask for the big
 * pipe, and settle for the small one (an unprivileged daemon may not go
 * past /proc/sys/fs/pipe-max-size); a pipe smaller than asked for only
 * means more rounds. Returns the pipe's size.
 */
static unsigned int size_pipe(const struct nfsc_copy_opts *o,
			      struct nfsc_range *r, uint64_t size)
{
	bool big = size >= o->big_file;
	int got = -1;

	r->chunk = o->chunk;
	if (big) {
		got = fcntl(r->pipe[1], F_SETPIPE_SZ, o->big_pipe_size);
		r->chunk = o->big_pipe_size;
	}
	if (got < 0)
		got = fcntl(r->pipe[1], F_SETPIPE_SZ, o->pipe_size);
	if (got < 0)
		got = fcntl(r->pipe[1], F_GETPIPE_SZ);
	/* A pipe not granted: ask no more than the one there is holds. */
	if (got > 0 && (unsigned int)got < (big ? o->big_pipe_size : o->pipe_size) &&
	    (unsigned int)got < r->chunk)
		r->chunk = got;
	return got > 0 ? got : 0;
}

/*
 * Fewer blocks than bytes: holes, maybe (or compression, or data not yet
 * allocated on the server): worth asking where the data is. A file as
 * large on disk as it is long costs no seek.
 */
bool nfsc_copy_sparse_source(int fd, uint64_t size, uint64_t *used)
{
	struct stat st;

	if (size < HOLE_ALIGN || fstat(fd, &st))
		return false;
	*used = ((uint64_t)st.st_blocks * 512 + HOLE_ALIGN - 1) &
		~(HOLE_ALIGN - 1);
	return *used < size;
}

void nfsc_copier_start(struct nfsc_copier *cp, struct nfsc_copy *c)
{
	unsigned int i, n, got;
	uint64_t per;
	uint64_t used;
	int ret;

	c->error = 0;
	c->copied = 0;
	c->resubmits = 0;
	c->direct_dropped = false;
	c->pipe_size = 0;
	c->nranges = 0;
	c->running = 0;
	c->holes = 0;
	c->seeks = 0;
	c->data_claimed = 0;
	c->engine = NFSC_ENGINE_SPLICE;
	c->sparse = nfsc_copy_sparse_source(c->src, c->size, &used);

	/* sendfile() would copy the holes, and write past a budget. */
	if (c->size < cp->opts.splice_threshold && !cp->opts.no_splice &&
	    !c->sparse && !c->grow) {
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

	n = ranges_for(cp, c->size);
	per = (c->size + n - 1) / n;
	per = (per + RANGE_ALIGN - 1) / RANGE_ALIGN * RANGE_ALIGN;
	n = (c->size + per - 1) / per;
	for (i = 0; i < n; i++) {
		struct nfsc_range *r = &c->range[i];

		if (pipe2(r->pipe, O_CLOEXEC)) {
			if (i)
				break;	/* fewer ranges, the last one longer */
			snprintf(c->fallback, sizeof(c->fallback), "pipe: %s",
				 strerror(errno));
			run_plain(cp, c);
			return;
		}
		got = size_pipe(&cp->opts, r, c->size);
		if (!c->pipe_size || got < c->pipe_size)
			c->pipe_size = got;
		r->copy = c;
		r->start = r->off_in = r->off_out = r->data_end = i * per;
		r->end = r->start + per < c->size ? r->start + per : c->size;
		r->claimed_end = r->start;
		r->in_pipe = 0;
		r->at_hole = false;
		r->eof = false;
	}
	n = i;
	c->nranges = c->running = n;
	c->range[n - 1].end = c->size;
	cp->inflight += n;
	cp->copies++;
	/* The last end_range() may call done(), which may free @c. */
	for (i = 0; i < n; i++) {
		struct nfsc_range *r = &c->range[i];

		ret = c->error ? 0 : next_round(cp, r);
		if (ret || c->error)
			end_range(cp, r, ret == NEXT_DONE ? 0 : ret);
	}
}

void nfsc_copier_close(struct nfsc_copier *cp, int fd)
{
	struct io_uring_sqe *sqe = NULL;

	if (cp->have_ring &&
	    io_uring_sq_space_left(&cp->ring) > 2 * cp->opts.max_inflight)
		sqe = io_uring_get_sqe(&cp->ring);
	if (!sqe) {
		close(fd);
		return;
	}
	io_uring_prep_close(sqe, fd);
	io_uring_sqe_set_data64(sqe, (uint64_t)fd << UD_FD_SHIFT | UD_CLOSE);
	cp->closes++;
}

int nfsc_copier_run(struct nfsc_copier *cp, bool wait)
{
	struct io_uring_cqe *cqe;
	unsigned int seen = 0;
	int ret, res;

	if (!cp->have_ring || (!cp->inflight && !cp->closes))
		return 0;
	ret = submit(cp);
	if (ret < 0)
		return ret;
	/* What the kernel refused may be all there is to wait for. */
	if (ret)
		wait = false;
	for (;;) {
		struct nfsc_range *r;
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
		res = cqe->res;
		io_uring_cqe_seen(&cp->ring, cqe);
		seen++;
		/*
		 * A close that ran took the fd, whatever it returned; one
		 * cancelled (the link it followed broke, the ring went) did
		 * not.
		 */
		if (ud & UD_CLOSE) {
			cp->closes--;
			if (res == -ECANCELED)
				close((int)(ud >> UD_FD_SHIFT));
			continue;
		}
		if (ud & UD_SYNC) {
			end_sync(cp, (struct nfsc_copy *)(ud & ~UD_STEP), res);
			continue;
		}
		r = (struct nfsc_range *)(ud & ~UD_STEP);
		if (ud & UD_OUT)
			r->res_out = res;
		else
			r->res_in = res;
		if (++r->round_got == r->round_want)
			end_round(cp, r);
	}
	ret = submit(cp);
	return ret < 0 ? ret : 0;
}
