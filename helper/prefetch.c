// SPDX-License-Identifier: GPL-2.0
/*
 * nfscache-helper prefetch / invalidate: files and whole trees on an
 * nfs_cachefs mount, named by path here and passed to the kernel as file
 * descriptors (PREFETCH, INVALIDATE), so that the kernel handles no path.
 *
 * prefetch joins the monitor group first, then opens each file for
 * reading and asks for its fill; the fills' done and fail events, matched
 * by request id, drive a progress bar until every one has ended. Opens
 * and closes go through io_uring, PREFETCH_OPENS files at once: each
 * waits for NFS's OPEN or CLOSE, and across a network their round trips
 * then overlap.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

/* A fill this run waits for, or one that ended before its id was known. */
struct fill_slot {
	uint64_t id;			/* 0: empty */
	uint64_t size;
	bool waiting;			/* queued by this run, not ended yet */
	bool ended, ok;
};

/* Files being opened or closed at once (a ring of as many entries). */
#define PREFETCH_OPENS 16
#define PREFETCH_OPEN_FLAGS (O_RDONLY | O_NOFOLLOW | O_CLOEXEC)

/* A file in the ring, from its open to its close: user_data is its index. */
struct open_slot {
	char *path;			/* NULL: free */
	uint64_t size;
	bool closing;			/* else opening */
};

struct prefetch {
	struct nfsc_chan *ch;
	struct fill_slot *slots;	/* open addressing by id */
	size_t cap, used;
	unsigned long files, cached, queued, filled, failed;
	unsigned long pending;		/* queued, not ended */
	uint64_t bytes_total, bytes_done;
	bool bar;
	bool ring_made;
	bool ring_ok;			/* submits work; else one file at a time */
	struct io_uring ring;
	struct open_slot opens[PREFETCH_OPENS];
	unsigned int nr_busy;		/* slots in use */
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
}

static void on_event(const struct nfsc_event *ev, void *arg)
{
	struct prefetch *p = arg;
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
	if (s->waiting) {
		p->pending--;
		settle(p, s);
	}
}

static struct prefetch *the_prefetch;	/* nftw() takes no argument */

/*
 * @path of @size opened (@fd, or -errno; the caller closes it): ask for
 * its fill. 0, or -1 with errno set when the run cannot go on.
 */
static int prefetch_opened(struct prefetch *p, const char *path,
			   uint64_t size, int fd)
{
	struct fill_slot *s;
	int ret, status;
	uint64_t id;

	if (fd < 0) {
		nfsc_say("prefetch: %s: %s", path, strerror(-fd));
		p->failed++;
		return 0;
	}
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
	p->bytes_total += size;
	s->size = size;
	s->waiting = true;
	if (s->ended) {		/* done before the reply reached us */
		settle(p, s);
	} else {
		p->pending++;
		draw_bar(p);
	}
	return 0;
}

/* One file at a time, without the ring. */
static int prefetch_plain(struct prefetch *p, const char *path, uint64_t size)
{
	int fd = open(path, PREFETCH_OPEN_FLAGS);
	int ret = prefetch_opened(p, path, size, fd < 0 ? -errno : fd);

	if (fd >= 0)
		close(fd);
	return ret;
}

static void slot_free(struct prefetch *p, struct open_slot *o)
{
	free(o->path);
	o->path = NULL;
	p->nr_busy--;
}

/*
 * Queue the open or the close of slot @i. The ring has an entry for each
 * slot and every entry is submitted at once, so one is always free. When
 * the ring refuses one, it stays in the queue: nothing is submitted from
 * then on (what is in flight is still reaped), the caller does the work
 * itself, and the files after it go one at a time. 0 or -errno.
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

/*
 * Wait for the next open or close in the ring to end and go on with its
 * file: ask for the fill of a file opened, then close it in the ring.
 */
static int reap_one(struct prefetch *p)
{
	struct io_uring_cqe *cqe;
	struct open_slot *o;
	int ret, res;

	do {
		ret = io_uring_wait_cqe(&p->ring, &cqe);
	} while (ret == -EINTR);
	if (ret) {
		nfsc_say("prefetch: waiting for io_uring: %s", strerror(-ret));
		errno = -ret;
		return -1;
	}
	o = &p->opens[io_uring_cqe_get_data64(cqe)];
	res = cqe->res;
	io_uring_cqe_seen(&p->ring, cqe);
	if (o->closing) {
		if (res < 0)
			nfsc_say("prefetch: %s: close: %s", o->path, strerror(-res));
		slot_free(p, o);
		return 0;
	}
	ret = prefetch_opened(p, o->path, o->size, res);
	if (res < 0) {
		slot_free(p, o);
		return ret;
	}
	o->closing = true;
	if (slot_submit(p, o - p->opens, res)) {
		close(res);
		slot_free(p, o);
	}
	return ret;
}

static int prefetch_one(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	struct prefetch *p = the_prefetch;
	struct open_slot *o;
	unsigned int i;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	p->files++;
	if (!p->ring_ok)
		return prefetch_plain(p, path, st->st_size);
	/* A slot frees when its close ends, not when its open does. */
	while (p->nr_busy == PREFETCH_OPENS) {
		if (reap_one(p))
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
	o->size = st->st_size;
	o->closing = false;
	p->nr_busy++;
	if (!slot_submit(p, i, -1))
		return 0;
	slot_free(p, o);
	return prefetch_plain(p, path, st->st_size);
}

int cmd_prefetch(int argc, char **argv)
{
	struct prefetch p = { .bar = isatty(STDERR_FILENO) };
	struct pollfd pfd;
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
	ret = io_uring_queue_init(PREFETCH_OPENS, &p.ring, 0);
	p.ring_made = p.ring_ok = !ret;
	if (ret)
		nfsc_say("prefetch: io_uring: %s; opening one file at a time",
			 strerror(-ret));
	the_prefetch = &p;
	for (i = 1; i < argc; i++) {
		if (nftw(argv[i], prefetch_one, 32, FTW_PHYS | FTW_MOUNT)) {
			nfsc_say("prefetch: %s: %s", argv[i], strerror(errno));
			status = 1;
		}
	}
	while (p.nr_busy) {
		if (reap_one(&p)) {
			status = 1;
			break;
		}
	}
	pfd = (struct pollfd){ .fd = nfsc_chan_fd(p.ch), .events = POLLIN };
	while (p.pending) {
		ret = poll(&pfd, 1, -1);
		if (ret < 0 && errno != EINTR)
			break;
		ret = nfsc_chan_receive(p.ch);
		if (ret) {
			nfsc_say("prefetch: netlink: %s", strerror(-ret));
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
	for (i = 0; i < PREFETCH_OPENS; i++)
		free(p.opens[i].path);
	free(p.slots);
	nfsc_chan_close(p.ch);
	return status || p.failed ? 1 : 0;
}

static struct nfsc_chan *the_chan;
static unsigned long invalidated, invalid_failed;

static int invalidate_one(const char *path, const struct stat *st, int type,
			  struct FTW *ftw)
{
	int fd, ret;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	ret = fd < 0 ? -errno : nfsc_chan_invalidate(the_chan, fd);
	if (fd >= 0)
		close(fd);
	if (ret) {
		nfsc_say("invalidate: %s: %s%s%s", path, strerror(-ret),
			 fd >= 0 && *nfsc_chan_why(the_chan) ? ": " : "",
			 fd >= 0 ? nfsc_chan_why(the_chan) : "");
		invalid_failed++;
	} else {
		invalidated++;
	}
	return 0;
}

int cmd_invalidate(int argc, char **argv)
{
	int i, ret, status = 0;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout,
			"Usage: nfscache-helper invalidate PATH...\n"
			"Drop the cache objects of files, or of every file of trees,\n"
			"on an nfs_cachefs mount. Needs CAP_SYS_ADMIN.\n");
		return argc < 2 ? EXIT_USAGE : 0;
	}
	the_chan = nfsc_chan_open(NULL, NULL, &ret);
	if (!the_chan) {
		nfsc_say("invalidate: %s", ret == -ENOENT ?
			 "the nfs_cachefs module is not loaded" : strerror(-ret));
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (nftw(argv[i], invalidate_one, 32, FTW_PHYS | FTW_MOUNT)) {
			nfsc_say("invalidate: %s: %s", argv[i], strerror(errno));
			status = 1;
		}
	}
	printf("invalidate: %lu file(s) dropped from the cache, %lu failed\n",
	       invalidated, invalid_failed);
	nfsc_chan_close(the_chan);
	return status || invalid_failed ? 1 : 0;
}
