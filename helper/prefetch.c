// SPDX-License-Identifier: GPL-2.0
/*
 * nfscache-helper prefetch / invalidate: files and whole trees on an
 * nfs_cachefs mount, named by path here and passed to the kernel as file
 * descriptors (PREFETCH, INVALIDATE), so that the kernel handles no path.
 *
 * prefetch joins the monitor group first, then opens each file for
 * reading and asks for its fill; the fills' done and fail events, matched
 * by request id, drive a progress bar until every one has ended. Opens
 * and closes go through io_uring, PREFETCH_OPENS opens at once: each
 * waits for NFS's OPEN or CLOSE, and across a network their round trips
 * then overlap. A file stays open until its fill ends, so that the fill
 * finds it open on the NFS client and sends no OPEN of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <liburing.h>

#include "daemon.h"
#include "log.h"
#include "nl.h"
#include "prefetch.h"
#include "walk.h"

/* A fill this run waits for, or one that ended before its id was known. */
struct fill_slot {
	uint64_t id;			/* 0: empty */
	uint64_t size;
	unsigned int held;		/* its file's open_slot + 1; 0: none */
	unsigned int names;		/* hard links, trees named twice */
	bool waiting;			/* queued by this run, not ended yet */
	bool ended, ok;
};

/* Opens in the ring at once: across a network their round trips overlap. */
#define PREFETCH_OPENS 16
#define PREFETCH_OPEN_FLAGS (O_RDONLY | O_NOFOLLOW | O_CLOEXEC)

enum open_state { SLOT_FREE, SLOT_OPENING, SLOT_HELD, SLOT_CLOSING };

/* A file from its open to its close: user_data of its ring entry is its index. */
struct open_slot {
	char *path;			/* NULL when free */
	enum open_state state;
	int fd;				/* SLOT_HELD */
};

struct prefetch {
	struct nfsc_chan *ch;
	struct fill_slot *slots;	/* open addressing by id */
	size_t cap, used;
	unsigned long files, cached, queued, filled, failed;
	unsigned long pending;		/* files queued, their fills not ended */
	uint64_t bytes_total, bytes_done;
	bool bar;
	bool ring_made;
	bool ring_ok;			/* submits work; else one file at a time */
	struct io_uring ring;
	struct open_slot opens[PREFETCH_HELD];
	unsigned int nr_busy;		/* slots not free */
	unsigned int nr_opening;	/* slots in SLOT_OPENING */
};

static struct fill_slot *slot_of(struct prefetch *p, uint64_t id)
{
	size_t i = (id * 0x9e3779b97f4a7c15ULL) & (p->cap - 1);

	while (p->slots[i].id && p->slots[i].id != id)
		i = (i + 1) & (p->cap - 1);
	return &p->slots[i];
}

/* The slot of @id, made if new; NULL on ENOMEM. Keeps the table half empty. */
static struct fill_slot *slot_get(struct prefetch *p, uint64_t id)
{
	struct fill_slot *s, *old = p->slots;
	size_t i, n = p->cap;

	if (2 * (p->used + 1) > p->cap) {
		p->cap = n ? 2 * n : 1024;
		p->slots = calloc(p->cap, sizeof(*p->slots));
		if (!p->slots) {
			p->slots = old;
			p->cap = n;
			return NULL;
		}
		for (i = 0; i < n; i++)
			if (old[i].id)
				*slot_of(p, old[i].id) = old[i];
		free(old);
	}
	s = slot_of(p, id);
	if (!s->id) {
		s->id = id;
		p->used++;
	}
	return s;
}

static void draw_bar(const struct prefetch *p)
{
	unsigned long ended = p->queued - p->pending;
	int width = 30, full;

	if (!p->bar || !p->queued)
		return;
	full = (int)(ended * width / p->queued);
	fprintf(stderr, "\rprefetch: [%.*s%*s] %lu/%lu fills, %.1f/%.1f MiB ",
		full, "##############################", width - full, "",
		ended, p->queued, p->bytes_done / 1048576.0,
		p->bytes_total / 1048576.0);
}

/* A fill of this run ended. */
static void count_end(struct prefetch *p, bool ok, uint64_t size)
{
	if (ok) {
		p->filled++;
		p->bytes_done += size;
	} else {
		p->failed++;
	}
	draw_bar(p);
}

static void settle(struct prefetch *p, struct fill_slot *s)
{
	s->waiting = false;
	count_end(p, s->ok, s->size);
	while (--s->names)	/* the same bytes under another name */
		count_end(p, s->ok, 0);
}

static void slot_free(struct prefetch *p, struct open_slot *o)
{
	free(o->path);
	o->path = NULL;
	o->state = SLOT_FREE;
	p->nr_busy--;
}

/*
 * Queue the open (@fd < 0) or the close of slot @i. The ring has an entry
 * for each slot, a slot has one in it at most, and every entry is
 * submitted at once, so one is always free. When the ring refuses one, it
 * stays in the queue: nothing is submitted from then on (what is in flight
 * is still reaped), the caller does the work itself, and the files after
 * it go one at a time. 0 or -errno.
 */
static int slot_submit(struct prefetch *p, unsigned int i, int fd)
{
	struct io_uring_sqe *sqe;
	int ret;

	if (!p->ring_ok)
		return -EIO;
	sqe = io_uring_get_sqe(&p->ring);
	if (fd < 0)
		io_uring_prep_openat(sqe, AT_FDCWD, p->opens[i].path,
				     PREFETCH_OPEN_FLAGS, 0);
	else
		io_uring_prep_close(sqe, fd);
	io_uring_sqe_set_data64(sqe, i);
	ret = io_uring_submit(&p->ring);
	if (ret == 1)
		return 0;
	ret = ret < 0 ? ret : -EIO;
	nfsc_say("prefetch: io_uring: %s; one file at a time from here", strerror(-ret));
	p->ring_ok = false;
	return ret;
}

/* Close @fd, the file of slot @o, in the ring if it takes it. */
static void slot_close(struct prefetch *p, struct open_slot *o, int fd)
{
	if (!slot_submit(p, o - p->opens, fd)) {
		o->state = SLOT_CLOSING;
		return;
	}
	close(fd);
	slot_free(p, o);
}

static void on_event(const struct nfsc_event *ev, void *arg)
{
	struct prefetch *p = arg;
	struct open_slot *o;
	struct fill_slot *s;

	if (ev->type != NFS_CACHEFS_EVENT_DONE && ev->type != NFS_CACHEFS_EVENT_FAIL)
		return;
	s = slot_get(p, ev->request_id);
	if (!s || s->ended)
		return;
	s->ended = true;
	s->ok = ev->type == NFS_CACHEFS_EVENT_DONE;
	if (!s->ok)
		nfsc_say("prefetch: %s: %s (%s)", ev->path, ev->reason,
			 strerror(-ev->status));
	if (s->held) {
		o = &p->opens[s->held - 1];
		s->held = 0;
		slot_close(p, o, o->fd);
	}
	if (s->waiting) {
		p->pending -= s->names;
		settle(p, s);
	}
}

/*
 * The size of a file just opened, from the attributes its OPEN brought:
 * asking NFS again would cost a round trip.
 */
static uint64_t opened_size(const char *path, int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_SIZE, &stx)) {
		nfsc_say("prefetch: %s: statx: %s", path, strerror(errno));
		return 0;
	}
	return stx.stx_size;
}

/*
 * @path opened (@fd, or -errno; the caller closes it): ask for its fill.
 * Sets *@wait_id to the fill's id when the file is to be held open until
 * the fill ends, else to 0. 0, or -1 with errno set when the run cannot go
 * on.
 */
static int prefetch_opened(struct prefetch *p, const char *path, int fd,
			   uint64_t *wait_id)
{
	struct fill_slot *s;
	int ret, status;
	uint64_t id, size;

	*wait_id = 0;
	if (fd < 0) {
		nfsc_say("prefetch: %s: %s", path, strerror(-fd));
		p->failed++;
		return 0;
	}
	size = opened_size(path, fd);
	ret = nfsc_chan_prefetch(p->ch, fd, &status, &id);
	if (ret) {
		nfsc_say("prefetch: %s: %s%s%s", path, strerror(-ret),
			 *nfsc_chan_why(p->ch) ? ": " : "", nfsc_chan_why(p->ch));
		p->failed++;
		return 0;
	}
	switch (status) {
	case NFS_CACHEFS_PREFETCH_QUEUED:
		break;
	case NFS_CACHEFS_PREFETCH_CACHED:
		p->cached++;
		return 0;
	case NFS_CACHEFS_PREFETCH_FILLED:	/* the open's fill beat our asking */
		p->queued++;
		p->bytes_total += size;
		count_end(p, true, size);
		return 0;
	default:
		nfsc_say("prefetch: %s: unknown reply %d from the kernel", path, status);
		p->failed++;
		return 0;
	}
	s = slot_get(p, id);
	if (!s) {
		nfsc_say("prefetch: %s", strerror(ENOMEM));
		errno = ENOMEM;
		return -1;
	}
	p->queued++;
	if (s->waiting) {	/* another name of a file already queued */
		s->names++;
		p->pending++;
		return 0;
	}
	p->bytes_total += size;
	s->size = size;
	s->names = 1;
	s->waiting = true;
	if (s->ended) {		/* done before the reply reached us */
		settle(p, s);
	} else {
		p->pending++;
		*wait_id = id;
		draw_bar(p);
	}
	return 0;
}

/* One file at a time, without the ring: closed at once. */
static int prefetch_plain(struct prefetch *p, const char *path)
{
	int fd = open(path, PREFETCH_OPEN_FLAGS);
	uint64_t wait_id;
	int ret = prefetch_opened(p, path, fd < 0 ? -errno : fd, &wait_id);

	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * The ring entry of slot @i ended with @res: ask for the fill of a file
 * opened and hold it open until its fill ends, or close it now.
 */
static int slot_ended(struct prefetch *p, unsigned int i, int res)
{
	struct open_slot *o = &p->opens[i];
	uint64_t wait_id;
	int ret;

	if (o->state == SLOT_CLOSING) {
		if (res < 0)
			nfsc_say("prefetch: %s: close: %s", o->path, strerror(-res));
		slot_free(p, o);
		return 0;
	}
	p->nr_opening--;
	ret = prefetch_opened(p, o->path, res, &wait_id);
	if (res < 0) {
		slot_free(p, o);
	} else if (wait_id) {
		o->state = SLOT_HELD;
		o->fd = res;
		slot_of(p, wait_id)->held = i + 1;
	} else {
		slot_close(p, o, res);
	}
	return ret;
}

/*
 * Wait for opens and closes in the ring to end and for the fills' events,
 * and go on with each. 0, or -1 with errno set.
 */
static int prefetch_wait(struct prefetch *p)
{
	struct pollfd pfd[2] = {
		{ .fd = nfsc_chan_fd(p->ch), .events = POLLIN },
		{ .fd = p->ring_made ? p->ring.ring_fd : -1, .events = POLLIN },
	};
	struct io_uring_cqe *cqe;
	unsigned int i;
	int ret, res;

	if ((!p->ring_made || !io_uring_cq_ready(&p->ring)) &&
	    !nfsc_chan_has_error(p->ch)) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
			nfsc_say("prefetch: poll: %s", strerror(errno));
			return -1;
		}
	}
	while (p->ring_made && !io_uring_peek_cqe(&p->ring, &cqe)) {
		i = io_uring_cqe_get_data64(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&p->ring, cqe);
		if (slot_ended(p, i, res))
			return -1;
	}
	ret = nfsc_chan_receive(p->ch);
	if (ret) {
		nfsc_say("prefetch: netlink: %s", strerror(-ret));
		errno = -ret;
		return -1;
	}
	return 0;
}

static int prefetch_one(const char *path, void *arg)
{
	struct prefetch *p = arg;
	struct open_slot *o;
	unsigned int i;

	p->files++;
	if (!p->ring_ok)
		return prefetch_plain(p, path);
	while (p->nr_busy == PREFETCH_HELD || p->nr_opening == PREFETCH_OPENS) {
		if (prefetch_wait(p))
			return -1;
	}
	for (i = 0; p->opens[i].path; i++)
		;
	o = &p->opens[i];
	o->path = strdup(path);
	if (!o->path) {
		nfsc_say("prefetch: %s", strerror(ENOMEM));
		errno = ENOMEM;
		return -1;
	}
	o->state = SLOT_OPENING;
	p->nr_busy++;
	p->nr_opening++;
	if (!slot_submit(p, i, -1))
		return 0;
	p->nr_opening--;
	slot_free(p, o);
	return prefetch_plain(p, path);
}

int cmd_prefetch(int argc, char **argv)
{
	struct prefetch p = { .bar = isatty(STDERR_FILENO) };
	int i, ret, status = 0;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout,
			"Usage: nfscache-helper prefetch PATH...\n"
			"Fill the cache with files, or every file of trees, on an\n"
			"nfs_cachefs mount; waits for the fills (a running `run`\n"
			"daemon does them) with a progress bar. Needs CAP_SYS_ADMIN.\n");
		return argc < 2 ? EXIT_USAGE : 0;
	}
	p.ch = nfsc_chan_open(NULL, NULL, &ret);
	if (!p.ch) {
		nfsc_say("prefetch: %s", ret == -ENOENT ?
			 "the nfs_cachefs module is not loaded" : strerror(-ret));
		return 1;
	}
	ret = nfsc_chan_monitor(p.ch, on_event, &p);
	if (ret) {
		nfsc_say("prefetch: joining the monitor group: %s%s", strerror(-ret),
			 ret == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		nfsc_chan_close(p.ch);
		return 1;
	}
	ret = io_uring_queue_init(PREFETCH_HELD, &p.ring, 0);
	p.ring_made = p.ring_ok = !ret;
	if (ret)
		nfsc_say("prefetch: io_uring: %s; opening one file at a time",
			 strerror(-ret));
	for (i = 1; i < argc; i++) {
		ret = nfsc_walk(argv[i], "prefetch", prefetch_one, &p);
		if (ret)
			status = 1;
		if (ret < 0) {
			nfsc_say("prefetch: %s: %s", argv[i], strerror(errno));
			break;
		}
	}
	while (p.nr_busy || p.pending) {
		if (prefetch_wait(&p)) {
			status = 1;
			break;
		}
	}
	if (p.bar && p.queued)
		fputc('\n', stderr);
	printf("prefetch: %lu file(s): %lu filled (%" PRIu64 " bytes), %lu already cached, %lu failed\n",
	       p.files, p.filled, p.bytes_done, p.cached, p.failed);
	if (p.ring_made)
		io_uring_queue_exit(&p.ring);
	for (i = 0; i < PREFETCH_HELD; i++) {
		if (p.opens[i].state == SLOT_HELD)
			close(p.opens[i].fd);
		free(p.opens[i].path);
	}
	free(p.slots);
	nfsc_chan_close(p.ch);
	return status || p.failed ? 1 : 0;
}

struct invalidate {
	struct nfsc_chan *ch;
	unsigned long dropped, failed;
};

static int invalidate_one(const char *path, void *arg)
{
	struct invalidate *inv = arg;
	int fd, ret;

	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	ret = fd < 0 ? -errno : nfsc_chan_invalidate(inv->ch, fd);
	if (fd >= 0)
		close(fd);
	if (ret) {
		nfsc_say("invalidate: %s: %s%s%s", path, strerror(-ret),
			 fd >= 0 && *nfsc_chan_why(inv->ch) ? ": " : "",
			 fd >= 0 ? nfsc_chan_why(inv->ch) : "");
		inv->failed++;
	} else {
		inv->dropped++;
	}
	return 0;
}

int cmd_invalidate(int argc, char **argv)
{
	struct invalidate inv = { 0 };
	int i, ret, status = 0;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout,
			"Usage: nfscache-helper invalidate PATH...\n"
			"Drop the cache objects of files, or of every file of trees,\n"
			"on an nfs_cachefs mount. Needs CAP_SYS_ADMIN.\n");
		return argc < 2 ? EXIT_USAGE : 0;
	}
	inv.ch = nfsc_chan_open(NULL, NULL, &ret);
	if (!inv.ch) {
		nfsc_say("invalidate: %s", ret == -ENOENT ?
			 "the nfs_cachefs module is not loaded" : strerror(-ret));
		return 1;
	}
	for (i = 1; i < argc; i++) {
		ret = nfsc_walk(argv[i], "invalidate", invalidate_one, &inv);
		if (ret)
			status = 1;
		if (ret < 0) {
			nfsc_say("invalidate: %s: %s", argv[i], strerror(errno));
			break;
		}
	}
	printf("invalidate: %lu file(s) dropped from the cache, %lu failed\n",
	       inv.dropped, inv.failed);
	nfsc_chan_close(inv.ch);
	return status || inv.failed ? 1 : 0;
}
