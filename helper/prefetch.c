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
	char *failure;			/* why it failed, said once it is ours */
	uint64_t ended_at;		/* open_slot serial when it ended */
};

/*
 * Without an event for this long, every fill still waited for is asked
 * after again (PREFETCH on its held file): the kernel's events are best
 * effort, and a lost one would keep the run waiting for ever.
 */
#define PREFETCH_REASK_MS 5000

/* Between asks the kernel answers -EINPROGRESS (it waited 2 s already). */
#define PREFETCH_BUSY_MS 200

/* Opens in the ring at once: across a network their round trips overlap. */
#define PREFETCH_OPENS 16
/* No wait for a writer, if a FIFO took a file's name since the walk read it. */
#define PREFETCH_OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_CLOEXEC)

enum open_state { SLOT_FREE, SLOT_OPENING, SLOT_HELD, SLOT_CLOSING };

/* A file from its open to its close: user_data of its ring entry is its index. */
struct open_slot {
	char *path;			/* NULL when free */
	enum open_state state;
	int dfd;			/* SLOT_OPENING in the ring: the root */
	int fd;				/* SLOT_HELD */
	uint64_t fill_id;		/* SLOT_HELD: the fill it waits for */
	uint64_t serial;		/* opens counted from 1, in order */
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
	uint64_t next_serial;
	bool missed_event;		/* lost, or not kept: ask again */
};

static struct fill_slot *slot_of(struct prefetch *p, uint64_t id)
{
	size_t i = (id * 0x9e3779b97f4a7c15ULL) & (p->cap - 1);

	while (p->slots[i].id && p->slots[i].id != id)
		i = (i + 1) & (p->cap - 1);
	return &p->slots[i];
}

/*
 * The serial of the oldest open whose PREFETCH has not been answered: a
 * fill that ended before it may still be named by that answer.
 */
static uint64_t oldest_unanswered(const struct prefetch *p)
{
	uint64_t oldest = p->next_serial + 1;
	unsigned int i;

	for (i = 0; i < PREFETCH_HELD; i++)
		if (p->opens[i].state == SLOT_OPENING && p->opens[i].serial < oldest)
			oldest = p->opens[i].serial;
	return oldest;
}

/*
 * A slot worth keeping: a fill of this run's, or one that ended while an
 * open whose answer may still name it was under way. A fill that ended
 * after an open began cannot be the one that open's PREFETCH names: the
 * open queued or joined a fill still in the table.
 */
static bool slot_kept(const struct fill_slot *s, uint64_t oldest)
{
	return s->id && (s->waiting || !s->ended || s->ended_at >= oldest);
}

/*
 * The slot of @id, made if new; NULL on ENOMEM. Keeps the table half
 * empty; when it would grow, the slots not worth keeping go first (every
 * fill's events reach us, not only this run's).
 */
static struct fill_slot *slot_get(struct prefetch *p, uint64_t id)
{
	struct fill_slot *s, *old = p->slots;
	uint64_t oldest = oldest_unanswered(p);
	size_t i, kept = 0, n = p->cap;

	if (2 * (p->used + 1) > p->cap) {
		for (i = 0; i < n; i++)
			kept += slot_kept(&old[i], oldest);
		/* At most a quarter full after, or the next call is here too. */
		p->cap = n ? n : 1024;
		while (4 * (kept + 1) > p->cap)
			p->cap *= 2;
		p->slots = calloc(p->cap, sizeof(*p->slots));
		if (!p->slots) {
			p->slots = old;
			p->cap = n;
			return NULL;
		}
		for (i = 0; i < n; i++) {
			if (slot_kept(&old[i], oldest))
				*slot_of(p, old[i].id) = old[i];
			else
				free(old[i].failure);
		}
		p->used = kept;
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
	if (s->failure)
		nfsc_say("prefetch: %s", s->failure);
	free(s->failure);
	s->failure = NULL;
	s->waiting = false;
	count_end(p, s->ok, s->size);
	while (--s->names)	/* the same bytes under another name */
		count_end(p, s->ok, 0);
}

/* The slot's own root, once its open has ended or failed. */
static void slot_drop_root(struct open_slot *o)
{
	if (o->dfd >= 0)
		close(o->dfd);
	o->dfd = -1;
}

static void slot_free(struct prefetch *p, struct open_slot *o)
{
	slot_drop_root(o);
	free(o->path);
	o->path = NULL;
	o->state = SLOT_FREE;
	p->nr_busy--;
}

/*
 * Queue the open (@fd < 0: @rel below o->dfd) or the close of slot @i. The
 * ring has an entry
 * for each slot, a slot has one in it at most, and every entry is
 * submitted at once, so one is always free. When the ring refuses one, it
 * stays in the queue: nothing is submitted from then on (what is in flight
 * is still reaped), the caller does the work itself, and the files after
 * it go one at a time. 0 or -errno.
 */
static int slot_submit(struct prefetch *p, unsigned int i, int fd,
		       const char *rel)
{
	/* Read when submitted, as @rel is; the root is used at the open. */
	struct open_how how = {
		.flags = PREFETCH_OPEN_FLAGS, .resolve = NFSC_WALK_RESOLVE,
	};
	struct io_uring_sqe *sqe;
	int ret;

	if (!p->ring_ok)
		return -EIO;
	sqe = io_uring_get_sqe(&p->ring);
	if (fd < 0)
		io_uring_prep_openat2(sqe, p->opens[i].dfd, rel, &how);
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
	if (!slot_submit(p, o - p->opens, fd, NULL)) {
		o->state = SLOT_CLOSING;
		return;
	}
	close(fd);
	slot_free(p, o);
}

/* Fill @s ended: its held file closes, and it is settled if ours. */
static void end_fill(struct prefetch *p, struct fill_slot *s)
{
	struct open_slot *o;

	s->ended_at = p->next_serial;
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

static void on_event(const struct nfsc_event *ev, void *arg)
{
	struct prefetch *p = arg;
	struct fill_slot *s;

	if (ev->type != NFS_CACHEFS_EVENT_DONE && ev->type != NFS_CACHEFS_EVENT_FAIL)
		return;
	s = slot_get(p, ev->request_id);
	if (!s) {
		/* Not kept: asked after again by ask_again() if it is ours. */
		p->missed_event = true;
		return;
	}
	if (s->ended)
		return;
	s->ended = true;
	s->ok = ev->type == NFS_CACHEFS_EVENT_DONE;
	/* Said when settled: other fills than this run's fail too. */
	if (!s->ok && asprintf(&s->failure, "%s: %s (%s)", ev->path,
			       *ev->reason ? ev->reason : "failed",
			       strerror(-ev->status)) < 0)
		s->failure = NULL;
	end_fill(p, s);
}

/*
 * The size of a file just opened, from the attributes its OPEN brought:
 * asking NFS again would cost a round trip. 0, or -errno: not a regular
 * file (something else took the name since the walk read it).
 */
static int opened_size(const char *path, int fd, uint64_t *size)
{
	struct statx stx;

	*size = 0;
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
		  STATX_TYPE | STATX_SIZE, &stx)) {
		nfsc_say("prefetch: %s: statx: %s", path, strerror(errno));
		return 0;
	}
	if (!S_ISREG(stx.stx_mode))
		return -EINVAL;
	*size = stx.stx_size;
	return 0;
}

/*
 * PREFETCH of @fd, asked again while the kernel answers that it goes on
 * in the background (NFS or the cache disk slow to answer): the kernel
 * runs one at a time a file, so the asks do not pile up, and a hard NFS
 * mount would hold the open as long. Said once a file.
 */
static int prefetch_ask(struct prefetch *p, const char *path, int fd,
			int *status, uint64_t *id)
{
	bool said = false;
	int ret;

	while ((ret = nfsc_chan_prefetch(p->ch, fd, status, id)) == -EINPROGRESS) {
		if (!said)
			nfsc_say("prefetch: %s: %s; waiting", path,
				 nfsc_chan_why(p->ch));
		said = true;
		usleep(PREFETCH_BUSY_MS * 1000);
	}
	return ret;
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
	if (opened_size(path, fd, &size)) {
		nfsc_say("prefetch: %s: no longer a regular file", path);
		p->failed++;
		return 0;
	}
	ret = prefetch_ask(p, path, fd, &status, &id);
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
	slot_drop_root(o);
	p->nr_opening--;
	ret = prefetch_opened(p, o->path, res, &wait_id);
	if (res < 0) {
		slot_free(p, o);
	} else if (wait_id) {
		o->state = SLOT_HELD;
		o->fd = res;
		o->fill_id = wait_id;
		slot_of(p, wait_id)->held = i + 1;
	} else {
		slot_close(p, o, res);
	}
	return ret;
}

/*
 * Ask again after the fill the file held in @o waits for, whose end may
 * have gone unheard: it goes on, it ended (filled or not), or it ended and
 * the file was queued again, to be waited for under its new id. 0, or -1
 * with errno set.
 */
static int ask_held(struct prefetch *p, struct open_slot *o)
{
	struct fill_slot *s, *t;
	int ret, status;
	uint64_t id;

	ret = prefetch_ask(p, o->path, o->fd, &status, &id);
	if (!ret && status == NFS_CACHEFS_PREFETCH_QUEUED) {
		if (id == o->fill_id)
			return 0;
		t = slot_get(p, id);
		if (!t) {
			nfsc_say("prefetch: %s", strerror(ENOMEM));
			errno = ENOMEM;
			return -1;
		}
		s = slot_of(p, o->fill_id);	/* slot_get() may move it */
		s->ended = true;		/* its events mean nothing now */
		s->waiting = false;
		s->held = 0;
		if (t->waiting) {		/* another name of ours has it */
			t->names += s->names;
			slot_close(p, o, o->fd);
			return 0;
		}
		t->waiting = true;
		t->names = s->names;
		t->size = s->size;
		t->held = o - p->opens + 1;
		o->fill_id = id;
		if (t->ended)
			end_fill(p, t);
		return 0;
	}
	s = slot_of(p, o->fill_id);
	s->ended = true;
	s->ok = !ret && (status == NFS_CACHEFS_PREFETCH_CACHED ||
			 status == NFS_CACHEFS_PREFETCH_FILLED);
	if (!s->ok && !s->failure &&
	    asprintf(&s->failure, "%s: %s%s%s", o->path,
		     ret ? strerror(-ret) : "unknown reply from the kernel",
		     ret && *nfsc_chan_why(p->ch) ? ": " : "",
		     ret ? nfsc_chan_why(p->ch) : "") < 0)
		s->failure = NULL;
	end_fill(p, s);
	return 0;
}

/* Ask again after every fill this run waits for. 0, or -1 with errno set. */
static int ask_again(struct prefetch *p)
{
	unsigned int i;

	p->missed_event = false;
	for (i = 0; i < PREFETCH_HELD; i++)
		if (p->opens[i].state == SLOT_HELD && ask_held(p, &p->opens[i]))
			return -1;
	return 0;
}

/*
 * Wait for opens and closes in the ring to end and for the fills' events,
 * and go on with each. Events lost, or none for PREFETCH_REASK_MS while
 * fills are waited for: every one is asked after. 0, or -1 with errno set.
 */
static int prefetch_wait(struct prefetch *p)
{
	struct pollfd pfd[2] = {
		{ .fd = nfsc_chan_fd(p->ch), .events = POLLIN },
		{ .fd = p->ring_made ? p->ring.ring_fd : -1, .events = POLLIN },
	};
	struct io_uring_cqe *cqe;
	bool idle = false;
	unsigned int i;
	int ret, res;

	if (nfsc_chan_events_lost(p->ch))
		p->missed_event = true;
	if ((!p->ring_made || !io_uring_cq_ready(&p->ring)) &&
	    !nfsc_chan_has_error(p->ch) && !p->missed_event) {
		ret = poll(pfd, 2, p->pending ? PREFETCH_REASK_MS : -1);
		if (ret < 0 && errno != EINTR) {
			nfsc_say("prefetch: poll: %s", strerror(errno));
			return -1;
		}
		idle = !ret;
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
	if (nfsc_chan_events_lost(p->ch))
		p->missed_event = true;
	return idle || p->missed_event ? ask_again(p) : 0;
}

static int prefetch_one(int root_fd, const char *rel, const char *path,
			void *arg)
{
	struct prefetch *p = arg;
	struct open_slot *o;
	unsigned int i;
	int fd;

	p->files++;
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
	o->serial = ++p->next_serial;
	p->nr_busy++;
	p->nr_opening++;
	/* The ring opens later, when the walk may have closed the root. */
	o->dfd = p->ring_ok ? fcntl(root_fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (o->dfd >= 0 && !slot_submit(p, i, -1, rel))
		return 0;
	/* Without the ring: opened here, and held the same way. */
	fd = nfsc_walk_open(root_fd, rel, PREFETCH_OPEN_FLAGS);
	return slot_ended(p, i, fd);
}

int cmd_prefetch(int argc, char **argv)
{
	struct prefetch p = { .bar = isatty(STDERR_FILENO) };
	int i, ret, status = 0;

	for (i = 0; i < PREFETCH_HELD; i++)
		p.opens[i].dfd = -1;

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
	for (i = 0; i < (int)p.cap; i++)
		free(p.slots[i].failure);
	free(p.slots);
	nfsc_chan_close(p.ch);
	return status || p.failed ? 1 : 0;
}

struct invalidate {
	struct nfsc_chan *ch;
	unsigned long dropped, dropping, failed;
};

static int invalidate_one(int root_fd, const char *rel, const char *path,
			  void *arg)
{
	struct invalidate *inv = arg;
	int fd, ret;

	fd = nfsc_walk_open(root_fd, rel, O_PATH | O_CLOEXEC);
	ret = fd < 0 ? fd : nfsc_chan_invalidate(inv->ch, fd);
	if (fd >= 0)
		close(fd);
	if (ret == -EINPROGRESS) {
		/* The kernel's wait ran out (a frozen cache): it goes on. */
		nfsc_say("invalidate: %s: %s", path, nfsc_chan_why(inv->ch));
		inv->dropping++;
	} else if (ret) {
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
	if (inv.dropping)
		printf("invalidate: %lu file(s) still being dropped, in the background\n",
		       inv.dropping);
	nfsc_chan_close(inv.ch);
	return status || inv.failed ? 1 : 0;
}
