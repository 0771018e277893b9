// SPDX-License-Identifier: GPL-2.0
/*
 * nfscache-helper run: the fill daemon.
 *
 * Registers with the kernel, queues the FILL_REQUESTs it is sent, claims
 * them while the copier has room (the kernel hands over the NFS file and
 * an unnamed cache file), copies, and reports FILL_DONE; the kernel
 * verifies and publishes. One poll loop over the netlink socket, the
 * ring and a signalfd. SIGTERM or SIGINT: claim nothing more, finish the
 * fills in flight, exit; a second one abandons them (the kernel discards
 * unfinished tmpfiles, so nothing partial is left).
 *
 * After each claim the cache makes room for the file (cull.c): the byte
 * cap holds with every fill in flight counted at its full size, and the
 * free-space watermarks are checked; the same runs at start and every
 * few seconds.
 *
 * With --checksum each cache file is read back as the copy writes it
 * (checksum.c) and FILL_DONE carries its SHA-256 for the record. The
 * daemon's state, for `status`, goes to a file (state.c).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checksum.h"
#include "config.h"
#include "copy.h"
#include "cull.h"
#include "daemon.h"
#include "log.h"
#include "nl.h"
#include "state.h"

/*
 * A request waiting for room in the copier. The line can be as long as
 * the kernel's max_pending (thousands after a burst of misses), so each
 * keeps only as much of the path as it has.
 */
struct queued {
	struct queued *next;
	uint64_t id;
	char path[];
};

struct fill {
	struct nfsc_copy copy;
	struct daemon *d;
	uint64_t id;
	uint32_t mount_id;
	uint64_t reserved;		/* counted in d->inflight_bytes */
	struct timespec start;
	int64_t start_ns;		/* CLOCK_REALTIME, for status */
	bool summing;			/* sum is in use (--checksum) */
	int sum_error;			/* reading the cache file back failed */
	struct nfsc_csum sum;
	struct fill *next;		/* on d->finished */
	struct fill *anext, **aprev;	/* on d->active until reported */
	char path[NFS_CACHEFS_PATH_MAX];
	char object[NFS_CACHEFS_OBJECT_MAX];
};

struct daemon {
	struct nfsc_chan *ch;
	struct nfsc_copier *cp;
	struct nfsc_cache *cache;
	uint64_t inflight_bytes;	/* sizes of the fills claimed */
	struct queued *head, **tail;
	unsigned int queued;
	struct fill *finished;		/* copies ended, FILL_DONE not sent */
	struct fill *active;		/* every claimed fill */
	int stopping;			/* signals received */
	bool direct;			/* write tmpfiles with O_DIRECT */
	dev_t direct_refused;		/* the last cache fs that would not */
	bool checksum;			/* sum every fill (--checksum) */
	unsigned long fills_ok, fills_failed;
	unsigned long fills_unconfirmed;	/* copied; the kernel still checking */
	/* What `status` is told, through the state file. */
	const char *state_path;		/* NULL: not published */
	int64_t state_ns;		/* when it was last written */
	int64_t cull_ns;		/* when the limits were last checked */
	bool state_dirty;		/* fills started or ended since */
	bool state_failed;		/* the last write failed: said once */
	bool submit_deferred;		/* the ring's queue refused: said once */
	int64_t started;
	struct nfsc_cull_opts cull;
	unsigned int max_inflight;
	unsigned int nice;		/* of the copies (--nice) */
};

/*
 * Fills are background work: a program reading the file being filled
 * (from NFS, until the fill commits) should not wait for the CPU the copy
 * takes. make bench's cold read: see README.
 */
#define FILL_DEFAULT_NICE	10

/*
 * A sparse fill reserves what its file takes on the server and grows its
 * reservation by this much at a time as its data turns out larger (a
 * compressing server's blocks, or a file still being written).
 */
#define GROW_STEP	(64ULL << 20)

/* How often an idle daemon checks the cap and the watermarks. */
#define CULL_CHECK_MS	5000

/* How often the state file is rewritten while fills are in flight. */
#define STATE_EVERY_NS	1000000000LL

/* How soon a submit the kernel refused for now (EAGAIN, EBUSY) is retried. */
#define SUBMIT_RETRY_MS	10

/*
 * What one pass of the loop reads back of each fill being summed: more
 * than a round of the copy (a pipe's worth), so the sum keeps up. The
 * loop waits meanwhile: up to this times --max-inflight per pass.
 */
#define SUM_STEP	(4U << 20)


static double elapsed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) +
	       (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* A FILL_REQUEST: wait in line for room in the copier. */
static void on_request(const struct nfsc_fill_request *req, void *arg)
{
	struct daemon *d = arg;
	size_t len = strlen(req->path) + 1;
	struct queued *q;

	q = malloc(sizeof(*q) + len);
	if (!q) {
		/* The kernel times it out; a later miss asks again. */
		nfsc_say("fill %" PRIu64 ": out of memory, request dropped", req->id);
		return;
	}
	q->next = NULL;
	q->id = req->id;
	memcpy(q->path, req->path, len);
	*d->tail = q;
	d->tail = &q->next;
	d->queued++;
	d->state_dirty = true;
}

static void on_copy_done(struct nfsc_copy *copy)
{
	struct fill *f = (struct fill *)copy;

	f->next = f->d->finished;
	f->d->finished = f;
}

static void close_fill_fds(struct fill *f)
{
	close(f->copy.src);
	close(f->copy.dst);
}

static void fill_free(struct fill *f)
{
	if (f->summing)
		nfsc_csum_free(&f->sum);
	if (f->anext)
		f->anext->aprev = f->aprev;
	*f->aprev = f->anext;
	free(f);
}

/*
 * Rewrite the state file: at once when @now, else at most once in
 * STATE_EVERY_NS. A failure is said once, then publishing stops.
 */
static void publish(struct daemon *d, bool now)
{
	struct nfsc_cache_usage u;
	struct nfsc_state st = {
		.pid = getpid(),
		.started = d->started,
		.updated_ns = nfsc_now_ns(),
		.cull = d->cull,
		.max_inflight = d->max_inflight,
		.checksum = d->checksum,
		.fills_ok = d->fills_ok,
		.fills_failed = d->fills_failed,
		.fills_unconfirmed = d->fills_unconfirmed,
		.queued = d->queued,
	};
	struct nfsc_state_fill *fl;
	struct fill *f;
	unsigned int n = 0;
	int ret;

	if (!d->state_path || (!now && (!(d->state_dirty || d->active) ||
			       st.updated_ns - d->state_ns < STATE_EVERY_NS)))
		return;
	nfsc_cache_usage(d->cache, &u);
	st.cache_bytes = u.bytes;
	st.cache_objects = u.objects;
	st.culled = u.culled;
	for (f = d->active; f; f = f->anext)
		n++;
	st.fills = calloc(n ? n : 1, sizeof(*st.fills));
	if (!st.fills)
		return;		/* the next one, then */
	for (f = d->active; f; f = f->anext) {
		fl = &st.fills[st.nfills++];
		fl->id = f->id;
		fl->mount_id = f->mount_id;
		fl->size = f->copy.size;
		fl->bytes = f->copy.copied;
		fl->start_ns = f->start_ns;
		snprintf(fl->path, sizeof(fl->path), "%s", f->path);
	}
	ret = nfsc_state_write(d->state_path, &st);
	free(st.fills);
	d->state_ns = st.updated_ns;
	if (ret) {
		/*
		 * Gone rather than frozen: status says "not running" until a
		 * write works again (a full /run emptied), tried as often.
		 */
		if (!d->state_failed)
			nfsc_say("state file %s: %s; status will not see this daemon until it can be written",
				 d->state_path, strerror(-ret));
		d->state_failed = true;
		unlink(d->state_path);
		return;
	}
	if (d->state_failed)
		nfsc_say("state file %s: written again", d->state_path);
	d->state_failed = false;
	d->state_dirty = false;
}

/* Read back what the copies have written so far, SUM_STEP each. */
static void sum_active(struct daemon *d)
{
	struct fill *f;
	int ret;

	for (f = d->active; f; f = f->anext) {
		if (!f->summing || f->sum_error)
			continue;
		ret = nfsc_csum_advance(&f->sum, f->copy.dst,
					nfsc_copy_prefix(&f->copy), SUM_STEP,
					false);
		if (ret)
			f->sum_error = ret;
	}
}

/*
 * The end of a summed fill: read the rest back. 0 and the checksum, or
 * -errno (the fill fails: an object is never committed without the sum
 * it was asked to have).
 */
static int sum_finish(struct fill *f, uint8_t csum[NFSC_CSUM_LEN])
{
	struct nfsc_copy *c = &f->copy;
	int ret = f->sum_error;

	if (!ret)
		ret = nfsc_csum_advance(&f->sum, c->dst, c->copied, UINT64_MAX,
					true);
	if (!ret && f->sum.done != c->copied)
		ret = -EIO;	/* the cache file is shorter than written */
	if (ret) {
		nfsc_say("fill %" PRIu64 ": %s: reading the cache file back for its checksum: %s",
			 f->id, f->path, strerror(-ret));
		return ret;
	}
	nfsc_csum_final(&f->sum, csum);
	return 0;
}

/* Report one finished copy; the kernel's answer decides its fate. */
static void report(struct daemon *d, struct fill *f)
{
	struct nfsc_copy *c = &f->copy;
	double secs = elapsed(&f->start);
	uint8_t csum[NFSC_CSUM_LEN];
	uint64_t disk = 0;
	char layout[96] = "";
	struct stat st;
	int ret, n;

	d->inflight_bytes -= f->reserved;
	if (!c->error && f->summing)
		c->error = sum_finish(f, csum);
	if (!c->error && !fstat(c->dst, &st))
		disk = (uint64_t)st.st_blocks * 512;
	if (c->fallback[0])
		nfsc_say("fill %" PRIu64 ": %s: plain I/O instead of splice: %s",
		          f->id, f->path, c->fallback);
	/*
	 * Closing first: the kernel holds its own reference to the tmpfile.
	 * The NFS file in the ring: its last close waits for the server.
	 */
	nfsc_copier_close(d->cp, c->src);
	close(c->dst);
	ret = nfsc_chan_done(d->ch, f->id, c->error, c->copied,
			     f->summing && !c->error ? csum : NULL,
			     f->summing ? sizeof(csum) : 0);
	if (c->error) {
		d->fills_failed++;
		nfsc_say("fill %" PRIu64 " failed: %s: copy: %s", f->id, f->path,
		          strerror(-c->error));
	} else if (ret == -EINPROGRESS) {
		/*
		 * Neither done nor failed: the kernel's DONE or FAIL event and
		 * its own counters tell. Counted in the cache as the kernel
		 * most likely ends it; an object that never comes is forgotten
		 * when culling finds it gone.
		 */
		d->fills_unconfirmed++;
		nfsc_cache_added(d->cache, f->mount_id, f->object, disk);
		nfsc_say("fill %" PRIu64 " copied: %s: %" PRIu64 " bytes; the kernel is still checking it (NFS or the cache disk is slow): its end is told to monitors",
			 f->id, f->path, c->copied);
	} else if (ret) {
		d->fills_failed++;
		nfsc_say("fill %" PRIu64 " discarded: %s: %s%s%s", f->id, f->path,
		          strerror(-ret), *nfsc_chan_why(d->ch) ? ": " : "",
		          nfsc_chan_why(d->ch));
	} else {
		d->fills_ok++;
		nfsc_cache_added(d->cache, f->mount_id, f->object, disk);
		n = 0;
		if (c->nranges > 1)
			n = snprintf(layout, sizeof(layout), " in %u ranges",
				     c->nranges);
		if (c->nranges && c->engine == NFSC_ENGINE_SPLICE)
			n += snprintf(layout + n, sizeof(layout) - n,
				      ", %u KiB pipe%s", c->pipe_size >> 10,
				      c->nranges > 1 ? "s" : "");
		if (c->holes)
			snprintf(layout + n, sizeof(layout) - n,
				 ", %" PRIu64 " bytes in holes", c->holes);
		nfsc_say("fill %" PRIu64 " done: %s: %" PRIu64 " bytes, %s%s, %.3f s, %.1f MB/s",
		          f->id, f->path, c->copied, nfsc_engine_name(c->engine),
		          layout, secs,
		          secs > 0 ? c->copied / secs / 1e6 : 0.0);
	}
	/* The cache disk filled up under us: make room for the next ones. */
	if (c->error == -ENOSPC || ret == -ENOSPC)
		nfsc_cache_cull(d->cache);
	fill_free(f);
	d->state_dirty = true;
}

static void report_finished(struct daemon *d)
{
	struct fill *f;

	while (d->finished) {
		f = d->finished;
		d->finished = f->next;
		report(d, f);
	}
}

/*
 * O_DIRECT on the tmpfile (the copier finishes unaligned tails buffered),
 * as cachefiles writes its cache: a fill then leaves no second copy of the
 * file in the page cache beside NFS's, and spends no CPU allocating,
 * zeroing and copying into one. A cache filesystem that refuses it (tmpfs
 * before 6.6) is written buffered, said once per filesystem.
 */
static void set_direct(struct daemon *d, struct fill *f)
{
	int flags = fcntl(f->copy.dst, F_GETFL);
	struct stat st;
	int err;

	if (flags >= 0 && !fcntl(f->copy.dst, F_SETFL, flags | O_DIRECT))
		return;
	err = errno;
	if (fstat(f->copy.dst, &st))
		st.st_dev = 0;
	else if (st.st_dev == d->direct_refused)
		return;
	d->direct_refused = st.st_dev;
	nfsc_say("fill %" PRIu64 ": %s: the cache filesystem refuses O_DIRECT (%s); its fills write buffered",
		 f->id, f->path, strerror(err));
}

/*
 * Hold @f's reservation at @total bytes, culling for the difference. 0,
 * or -EFBIG (more than the cap) or -ENOSPC, as nfsc_cache_make_room().
 */
static int reserve(struct daemon *d, struct fill *f, uint64_t total)
{
	int ret;

	if (total <= f->reserved)
		return 0;
	if (d->cull.max_size && total > d->cull.max_size)
		return -EFBIG;
	ret = nfsc_cache_make_room(d->cache, f->mount_id, total - f->reserved,
				   d->inflight_bytes);
	if (ret)
		return ret;
	d->inflight_bytes += total - f->reserved;
	f->reserved = total;
	f->copy.data_budget = total;
	return 0;
}

/* A sparse fill's data is about to pass its reservation: grow it. */
static int grow_fill(struct nfsc_copy *copy, uint64_t need)
{
	struct fill *f = (struct fill *)copy;
	uint64_t want = need + GROW_STEP < copy->size ? need + GROW_STEP :
			copy->size;
	int ret;

	ret = reserve(f->d, f, want > need ? want : need);
	if (ret && want > need)
		ret = reserve(f->d, f, need);
	if (ret)
		nfsc_say("fill %" PRIu64 ": %s: its data needs %" PRIu64 " bytes of cache, more than it had kept, and no more could be made: %s",
			 f->id, f->path, need, ret == -EFBIG ?
			 "larger than --max-size" :
			 "no room in the cache within its limits");
	return ret;
}

/* Answer a claimed request without a copy: the kernel drops it now. */
static void refuse_claimed(struct daemon *d, struct queued *q,
			   const struct nfsc_fill_claim *claim, int err,
			   const char *why)
{
	int ret;

	close(claim->src_fd);
	close(claim->dst_fd);
	d->fills_failed++;
	nfsc_say("fill %" PRIu64 " refused: %s: %" PRIu64 " bytes: %s", q->id,
		 claim->path, claim->size, why);
	ret = nfsc_chan_done(d->ch, q->id, err, 0, NULL, 0);
	if (ret)
		nfsc_say("fill %" PRIu64 ": its refusal was not taken: %s%s%s",
			 q->id, strerror(-ret),
			 *nfsc_chan_why(d->ch) ? ": " : "", nfsc_chan_why(d->ch));
	free(q);
}

/* Claim the next queued request and start its copy. */
static void start_next(struct daemon *d)
{
	struct nfsc_fill_claim claim;
	struct queued *q = d->head;
	uint64_t used = 0;
	bool sparse;
	struct fill *f;
	int ret, room;

	d->head = q->next;
	if (!d->head)
		d->tail = &d->head;
	d->queued--;

	ret = nfsc_chan_claim(d->ch, q->id, &claim);
	if (ret == -EINPROGRESS) {
		/* Its FILL_REQUEST comes again once its files are open. */
		nfsc_say("fill %" PRIu64 ": %s: the kernel is still opening its files (NFS or the cache disk is slow); claimed again when it says so",
			 q->id, q->path);
		free(q);
		return;
	}
	if (ret) {
		nfsc_say("fill %" PRIu64 ": claim refused: %s: %s%s%s", q->id,
		          q->path, strerror(-ret),
		          *nfsc_chan_why(d->ch) ? ": " : "", nfsc_chan_why(d->ch));
		free(q);
		return;
	}
	/*
	 * Room for the size at the claim, which the copy is held to (for a
	 * sparse file, what it takes on the server, grown as its data needs);
	 * culled only for a request the kernel still had.
	 */
	if (!nfsc_cache_knows(d->cache, claim.mount_id))
		nfsc_cache_sync_mounts(d->cache);	/* a mount made since */
	sparse = nfsc_copy_sparse_source(claim.src_fd, claim.size, &used);
	room = nfsc_cache_make_room(d->cache, claim.mount_id,
				    sparse ? used : claim.size,
				    d->inflight_bytes);
	if (room) {
		refuse_claimed(d, q, &claim, room, room == -EFBIG ?
			       "larger than --max-size" :
			       "no room in the cache within its limits");
		return;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		refuse_claimed(d, q, &claim, -ENOMEM, strerror(ENOMEM));
		return;
	}
	ret = d->checksum ? nfsc_csum_init(&f->sum) : 0;
	if (ret) {
		free(f);
		refuse_claimed(d, q, &claim, ret, strerror(-ret));
		return;
	}
	f->summing = d->checksum;
	f->d = d;
	f->id = q->id;
	f->mount_id = claim.mount_id;
	f->reserved = sparse ? used : claim.size;
	d->inflight_bytes += f->reserved;
	if (sparse) {
		f->copy.data_budget = used;
		f->copy.grow = grow_fill;
	}
	snprintf(f->path, sizeof(f->path), "%s", claim.path);
	snprintf(f->object, sizeof(f->object), "%s", claim.object);
	f->copy.src = claim.src_fd;
	f->copy.dst = claim.dst_fd;
	if (d->direct)
		set_direct(d, f);
	f->copy.size = claim.size;
	f->copy.done = on_copy_done;
	f->anext = d->active;
	if (d->active)
		d->active->aprev = &f->anext;
	f->aprev = &d->active;
	d->active = f;
	free(q);
	clock_gettime(CLOCK_MONOTONIC, &f->start);
	f->start_ns = nfsc_now_ns();
	d->state_dirty = true;
	if (sparse)
		nfsc_say("fill %" PRIu64 " start: %s: %" PRIu64 " bytes, %" PRIu64 " on the server",
			 f->id, f->path, f->copy.size, used);
	else
		nfsc_say("fill %" PRIu64 " start: %s: %" PRIu64 " bytes", f->id,
			 f->path, f->copy.size);
	nfsc_copier_start(d->cp, &f->copy);
}

static int signal_fd(void)
{
	sigset_t set;
	int fd;

	/* A lost terminal (SIGHUP) stops the daemon as cleanly as SIGTERM. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static void take_signals(struct daemon *d, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		d->stopping++;
		if (d->stopping == 1)
			nfsc_say("signal %u: finishing %u fill(s) in flight, then exiting",
			          si.ssi_signo, nfsc_copier_copies(d->cp));
		else
			nfsc_say("signal %u: abandoning the fills in flight",
			          si.ssi_signo);
	}
}

/* A refused submit is said when it starts and when the ring takes work again. */
static void note_deferred(struct daemon *d)
{
	int why = nfsc_copier_deferred(d->cp);

	if (why && !d->submit_deferred)
		nfsc_say("io_uring: submit: %s; retrying every %u ms",
			 strerror(-why), SUBMIT_RETRY_MS);
	else if (!why && d->submit_deferred)
		nfsc_say("io_uring: submit taken again");
	d->submit_deferred = why != 0;
}

static int loop(struct daemon *d, int sfd)
{
	struct pollfd pfd[3];
	int ret, n, timeout_ms;

	for (;;) {
		report_finished(d);
		while (!d->stopping && d->head && nfsc_copier_has_room(d->cp)) {
			start_next(d);
			report_finished(d);	/* plain copies end at once */
			/*
			 * Plain copies never fill the ring, so a queue of them
			 * would keep the loop here to its end: a signal must
			 * still stop it, and status still see it.
			 */
			take_signals(d, sfd);
			publish(d, false);
		}
		ret = nfsc_copier_run(d->cp, false);	/* submits */
		if (ret) {
			nfsc_say("io_uring: %s", strerror(-ret));
			return ret;
		}
		note_deferred(d);
		if (d->finished)
			continue;
		if (d->checksum)
			sum_active(d);
		publish(d, false);
		if (d->stopping > 1 ||
		    (d->stopping && !nfsc_copier_copies(d->cp)))
			return 0;

		n = 0;
		pfd[n++] = (struct pollfd){ .fd = nfsc_chan_fd(d->ch), .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		if ((nfsc_copier_copies(d->cp) || nfsc_copier_closes(d->cp)) &&
		    nfsc_copier_fd(d->cp) >= 0)
			pfd[n++] = (struct pollfd){ .fd = nfsc_copier_fd(d->cp),
						    .events = POLLIN };
		/*
		 * The state file follows fills about every second; a fault a
		 * command met on the channel is reported at once.
		 */
		timeout_ms = d->state_dirty || d->active ?
			     STATE_EVERY_NS / 1000000 : CULL_CHECK_MS;
		if (nfsc_copier_deferred(d->cp))
			timeout_ms = SUBMIT_RETRY_MS;
		if (nfsc_chan_has_error(d->ch))
			timeout_ms = 0;
		ret = poll(pfd, n, timeout_ms);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			nfsc_say("poll: %s", strerror(-ret));
			return ret;
		}
		/*
		 * Quiet for a while: the watermarks may still need work. (Not
		 * the short wait for a refused submit.)
		 */
		if (!ret && !nfsc_copier_deferred(d->cp)) {
			if (nfsc_now_ns() - d->cull_ns >= CULL_CHECK_MS * 1000000LL) {
				nfsc_cache_cull(d->cache);
				d->cull_ns = nfsc_now_ns();
			}
			publish(d, true);
		}
		if (pfd[1].revents)
			take_signals(d, sfd);
		if (pfd[0].revents || nfsc_chan_has_error(d->ch)) {
			ret = nfsc_chan_receive(d->ch);
			if (ret) {
				nfsc_say("netlink: %s", strerror(-ret));
				return ret;
			}
		}
	}
}

static void run_usage(FILE *out)
{
	fprintf(out,
		"Usage: nfscache-helper run [OPTION]...\n"
		"Register as the fill daemon and fill the cache on misses.\n"
		"\n"
		"  --max-inflight N        splice chains in the ring at once\n"
		"                          (default %u); a file cut into ranges\n"
		"                          takes one per range\n"
		"  --ranges N              copy each file of %llu MiB or more as\n"
		"                          up to N ranges at once, %llu MiB each at\n"
		"                          least (default %u, at most %u)\n"
		"  --splice-threshold B    files smaller than B bytes use\n"
		"                          sendfile(), one at a time (default\n"
		"                          %llu: every file through the ring)\n"
		"  --pipe-size B           pipe size of each fill (default %u)\n"
		"  --big-pipe-size B       pipe size instead for files of %llu MiB\n"
		"                          or more (default %u; without it,\n"
		"                          --pipe-size's if that is given, on the\n"
		"                          command line or in the configuration\n"
		"                          file)\n"
		"  --nice N                nice value of the copies, 0-19 (default\n"
		"                          %u: programs reading come first; 0: as\n"
		"                          started)\n"
		"  --no-splice             plain I/O for every file (--splice:\n"
		"                          the default)\n"
		"  --no-direct             write cache files through the page\n"
		"                          cache (default: O_DIRECT, unaligned\n"
		"                          tails buffered; --direct)\n"
		"  --checksum              store each object's SHA-256, taken as\n"
		"                          it is written, for `verify`\n"
		"                          (--no-checksum: the default)\n"
		"  --max-size B            keep the cache's objects under B bytes\n"
		"                          on disk (default 0: no cap)\n"
		"  --cull-run P            free-space watermarks of the cache\n"
		"  --cull-start P          filesystem, in percent of its blocks and\n"
		"  --cull-stop P           of its inodes: below start, cull until\n"
		"                          run is free; below stop, no new fills\n"
		"                          (defaults %u, %u, %u; stop < start < run)\n"
		"  --state FILE            where `status` finds this daemon's\n"
		"                          state (default " NFSC_STATE_DEFAULT ")\n"
		"  --config FILE           options from FILE, one \"key = value\" a\n"
		"                          line, keys the long options' names\n"
		"                          (default " NFSC_CONFIG_DEFAULT " if it\n"
		"                          exists); the command line wins\n"
		"  -h, --help              print this help\n"
		"\n"
		"Culling evicts the least recently opened objects first, never one\n"
		"that is open. Logs one line per fill start and end to stderr.\n"
		"SIGTERM finishes the fills in flight and exits; a second SIGTERM\n"
		"abandons them.\n",
		NFSC_COPY_DEFAULT_INFLIGHT,
		(unsigned long long)(2 * NFSC_COPY_DEFAULT_RANGE_MIN >> 20),
		(unsigned long long)(NFSC_COPY_DEFAULT_RANGE_MIN >> 20),
		NFSC_COPY_DEFAULT_RANGES, NFSC_COPY_MAX_RANGES,
		(unsigned long long)NFSC_COPY_DEFAULT_THRESHOLD,
		NFSC_COPY_DEFAULT_PIPE_SIZE,
		(unsigned long long)(NFSC_COPY_DEFAULT_BIG_FILE >> 20),
		NFSC_COPY_DEFAULT_BIG_PIPE_SIZE, FILL_DEFAULT_NICE,
		NFSC_CULL_DEFAULT_RUN,
		NFSC_CULL_DEFAULT_START, NFSC_CULL_DEFAULT_STOP);
}

/*
 * A pipe holds at least a page (F_SETPIPE_SZ rounds up to one); a smaller
 * size would only make each splice move less than the pipe holds.
 */
#define NFSC_MIN_PIPE_SIZE 4096

/* The command whose options are being parsed, for messages. */
static const char *cmd_name = "run";

/* A number with an optional K/M/G suffix (powers of 1024). */
static int parse_size(const char *opt, const char *arg, uint64_t min,
		      uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (end != arg && *end && !end[1]) {
		int shift = *end == 'K' ? 10 : *end == 'M' ? 20 :
			    *end == 'G' ? 30 : -1;

		if (shift > 0 && v <= (max >> shift)) {
			v <<= shift;
			end++;
		}
	}
	/* Digits first: strtoull() takes a sign and leading blanks. */
	if (errno || !isdigit((unsigned char)arg[0]) || *end || v > max ||
	    v < min) {
		fprintf(stderr, "nfscache-helper: %s: %s: invalid value \"%s\" (%llu..%llu)\n",
			cmd_name, opt, arg, (unsigned long long)min,
			(unsigned long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

enum { OPT_MAX_SIZE = 256, OPT_CULL_RUN, OPT_CULL_START, OPT_CULL_STOP,
       OPT_INFLIGHT, OPT_RANGES, OPT_THRESHOLD, OPT_PIPE, OPT_BIG_PIPE, OPT_NICE,
       OPT_SPLICE, OPT_NOSPLICE, OPT_DIRECT, OPT_NODIRECT, OPT_CONFIG,
       OPT_CHECKSUM, OPT_NOCHECKSUM, OPT_STATE };

#define CULL_LONGOPTS \
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE }, \
	{ "cull-run", required_argument, NULL, OPT_CULL_RUN }, \
	{ "cull-start", required_argument, NULL, OPT_CULL_START }, \
	{ "cull-stop", required_argument, NULL, OPT_CULL_STOP }

/* One of CULL_LONGOPTS. 0, or EXIT_USAGE. */
static int parse_cull_opt(int opt, const char *arg, struct nfsc_cull_opts *cull)
{
	uint64_t v;

	if (opt == OPT_MAX_SIZE) {
		if (parse_size("--max-size", arg, 0, UINT64_MAX >> 1, &v))
			return EXIT_USAGE;
		cull->max_size = v;
		return 0;
	}
	if (parse_size(opt == OPT_CULL_RUN ? "--cull-run" :
		       opt == OPT_CULL_START ? "--cull-start" : "--cull-stop",
		       arg, 0, 99, &v))
		return EXIT_USAGE;
	*(opt == OPT_CULL_RUN ? &cull->run :
	  opt == OPT_CULL_START ? &cull->start : &cull->stop) = v;
	return 0;
}

static int check_cull_opts(const struct nfsc_cull_opts *cull)
{
	if (cull->stop < cull->start && cull->start < cull->run)
		return 0;
	fprintf(stderr, "nfscache-helper: %s: watermarks must be --cull-stop < --cull-start < --cull-run (%u, %u, %u given)\n",
		cmd_name, cull->stop, cull->start, cull->run);
	return EXIT_USAGE;
}

/*
 * run's options; the configuration file's keys are their names. Every flag
 * has its opposite, so that the command line can undo one the file set.
 */
static const struct option run_longopts[] = {
	{ "max-inflight", required_argument, NULL, OPT_INFLIGHT },
	{ "ranges", required_argument, NULL, OPT_RANGES },
	{ "splice-threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "pipe-size", required_argument, NULL, OPT_PIPE },
	{ "big-pipe-size", required_argument, NULL, OPT_BIG_PIPE },
	{ "nice", required_argument, NULL, OPT_NICE },
	{ "splice", no_argument, NULL, OPT_SPLICE },
	{ "no-splice", no_argument, NULL, OPT_NOSPLICE },
	{ "direct", no_argument, NULL, OPT_DIRECT },
	{ "no-direct", no_argument, NULL, OPT_NODIRECT },
	{ "checksum", no_argument, NULL, OPT_CHECKSUM },
	{ "no-checksum", no_argument, NULL, OPT_NOCHECKSUM },
	{ "state", required_argument, NULL, OPT_STATE },
	CULL_LONGOPTS,
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_run_opts(int argc, char **argv, struct nfsc_copy_opts *opts,
			  struct nfsc_cull_opts *cull, struct daemon *d)
{
	bool big_pipe_given = false;
	uint64_t v;
	int opt;

	optind = 0;	/* a new parse: main() stopped at the command */
	while ((opt = getopt_long(argc, argv, "h", run_longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_CONFIG:	/* read before, see run_args() */
			break;
		case OPT_INFLIGHT:
			if (parse_size("--max-inflight", optarg, 1, 4096, &v))
				return EXIT_USAGE;
			opts->max_inflight = v;
			break;
		case OPT_RANGES:
			if (parse_size("--ranges", optarg, 1,
				       NFSC_COPY_MAX_RANGES, &v))
				return EXIT_USAGE;
			opts->max_ranges = v;
			break;
		case OPT_THRESHOLD:
			if (parse_size("--splice-threshold", optarg, 0,
				       UINT64_MAX >> 1, &v))
				return EXIT_USAGE;
			opts->splice_threshold = v;
			break;
		case OPT_PIPE:
			if (parse_size("--pipe-size", optarg, NFSC_MIN_PIPE_SIZE,
				       1U << 30, &v))
				return EXIT_USAGE;
			opts->pipe_size = v;
			opts->chunk = v;
			if (!big_pipe_given)
				opts->big_pipe_size = v;
			break;
		case OPT_BIG_PIPE:
			if (parse_size("--big-pipe-size", optarg,
				       NFSC_MIN_PIPE_SIZE, 1U << 30, &v))
				return EXIT_USAGE;
			opts->big_pipe_size = v;
			big_pipe_given = true;
			break;
		case OPT_NICE:
			if (parse_size("--nice", optarg, 0, 19, &v))
				return EXIT_USAGE;
			d->nice = v;
			break;
		case OPT_SPLICE:
			opts->no_splice = false;
			break;
		case OPT_NOSPLICE:
			opts->no_splice = true;
			break;
		case OPT_DIRECT:
			d->direct = true;
			break;
		case OPT_NODIRECT:
			d->direct = false;
			break;
		case OPT_CHECKSUM:
			d->checksum = true;
			break;
		case OPT_NOCHECKSUM:
			d->checksum = false;
			break;
		case OPT_STATE:
			if (!*optarg) {
				fprintf(stderr, "nfscache-helper: run: --state: empty path\n");
				return EXIT_USAGE;
			}
			d->state_path = optarg;
			break;
		case OPT_MAX_SIZE:
		case OPT_CULL_RUN:
		case OPT_CULL_START:
		case OPT_CULL_STOP:
			if (parse_cull_opt(opt, optarg, cull))
				return EXIT_USAGE;
			break;
		case 'h':
			run_usage(stdout);
			return -1;
		default:
			run_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nfscache-helper: run: unexpected argument \"%s\"\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	return check_cull_opts(cull);
}

/*
 * run's arguments: the configuration file's (--config FILE, or
 * NFSC_CONFIG_DEFAULT if it exists), then the command line's, which win.
 * 0 and *@all to free(); or an exit status.
 */
static int run_args(int argc, char **argv, struct nfsc_config *cfg,
		    char ***all, int *n)
{
	const char *path = NFSC_CONFIG_DEFAULT;
	bool must_exist = false, help = false;
	int ret, opt;

	/*
	 * --config as getopt_long() will see it (--conf, --config=FILE...);
	 * everything else is parsed, and refused, later. --help reads no
	 * file: a broken one must not hide the usage.
	 */
	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", run_longopts, NULL)) != -1) {
		if (opt == OPT_CONFIG) {
			path = optarg;
			must_exist = true;
		}
		help |= opt == 'h';
	}
	opterr = 1;
	memset(cfg, 0, sizeof(*cfg));
	ret = help ? 0 : nfsc_config_load(cfg, path, must_exist, run_longopts);
	if (ret)
		return ret > 0 ? EXIT_USAGE : 1;
	*all = calloc(argc + cfg->n + 1, sizeof(**all));
	if (!*all) {
		nfsc_config_free(cfg);
		nfsc_say("run: %s", strerror(ENOMEM));
		return 1;
	}
	(*all)[0] = argv[0];
	memcpy(*all + 1, cfg->args, cfg->n * sizeof(**all));
	memcpy(*all + 1 + cfg->n, argv + 1, (argc - 1) * sizeof(**all));
	*n = argc + cfg->n;
	return 0;
}

/* The state directory (the default one is under /run), and a first state. */
static void publish_start(struct daemon *d)
{
	char dir[PATH_MAX], *slash;

	d->started = nfsc_now_ns() / 1000000000LL;
	snprintf(dir, sizeof(dir), "%s", d->state_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			nfsc_say("state directory %s: %s", dir, strerror(errno));
	}
	publish(d, true);
}

/* A registered daemon's life: index, cull, fill until told to stop. */
/*
 * Each fill holds its two claimed files and a pipe a range, and ranges
 * in flight are at most --max-inflight: room for all of them, past a
 * soft limit of 1024 (systemd's) up to the hard one. Short of it, claims
 * fail in the kernel ("no free file descriptors") and say nothing here.
 */
static void raise_nofile(const struct nfsc_copy_opts *opts)
{
	rlim_t want = 4 * (rlim_t)opts->max_inflight + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		nfsc_say("run: RLIMIT_NOFILE: %s", strerror(errno));
		return;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
			      want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			nfsc_say("run: RLIMIT_NOFILE: %s", strerror(errno));
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
		nfsc_say("run: open file limit %llu, below the %llu that --max-inflight %u may take: fills past it fail",
			 (unsigned long long)rl.rlim_cur,
			 (unsigned long long)want, opts->max_inflight);
}

static int serve(struct daemon *d, const struct nfsc_copy_opts *opts)
{
	const char *why;
	int ret, sfd;

	d->cache = nfsc_cache_new(&d->cull, d->ch);
	if (!d->cache) {
		nfsc_say("run: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	/*
	 * Before the ring: io_uring's workers, which do the splices, take the
	 * nice value of this thread when they are created.
	 */
	if (d->nice && setpriority(PRIO_PROCESS, 0, d->nice))
		nfsc_say("run: --nice %u: %s; copies run at the priority given",
			 d->nice, strerror(errno));
	raise_nofile(opts);
	d->cp = nfsc_copier_new(opts, &why, &ret);
	if (!d->cp) {
		nfsc_say("run: copier: %s", strerror(-ret));
		return ret;
	}
	if (why)
		nfsc_say("run: every fill uses plain I/O: %s", why);
	sfd = signal_fd();
	if (sfd < 0) {
		nfsc_say("run: signalfd: %s", strerror(-sfd));
		return sfd;
	}
	nfsc_say("registered as the fill daemon (max %u in flight, %u ranges a file, nice %d, splice from %llu bytes%s%s)",
		 opts->max_inflight, opts->max_ranges, getpriority(PRIO_PROCESS, 0),
		 (unsigned long long)opts->splice_threshold,
		 d->direct ? ", O_DIRECT" : "", d->checksum ? ", checksums" : "");
	/* What the cache holds, and culling it to the limits now. */
	ret = nfsc_cache_sync_mounts(d->cache);
	if (ret)
		nfsc_say("run: indexing the cache: %s", strerror(-ret));
	nfsc_cache_cull(d->cache);
	nfsc_say("cache cap %llu bytes%s; free-space watermarks run %u%%, start %u%%, stop %u%%",
		 (unsigned long long)d->cull.max_size,
		 d->cull.max_size ? "" : " (none)",
		 d->cull.run, d->cull.start, d->cull.stop);
	publish_start(d);

	ret = loop(d, sfd);
	close(sfd);
	nfsc_say("exiting: %lu fill(s) done, %lu failed, %lu unconfirmed, %u in flight abandoned",
		 d->fills_ok, d->fills_failed, d->fills_unconfirmed,
		 nfsc_copier_copies(d->cp));
	return ret;
}

int cmd_run(int argc, char **argv)
{
	struct daemon d = { .tail = &d.head, .state_path = NFSC_STATE_DEFAULT,
			    .cull = NFSC_CULL_OPTS_DEFAULT,
			    .nice = FILL_DEFAULT_NICE, .direct = true };
	struct nfsc_copy_opts opts;
	struct nfsc_config cfg;
	int ret, n;
	char **all;

	nfsc_copy_opts_default(&opts);
	ret = run_args(argc, argv, &cfg, &all, &n);
	if (ret)
		return ret;
	/* Options point into cfg and all: both live to the end. */
	ret = parse_run_opts(n, all, &opts, &d.cull, &d);
	if (ret) {
		ret = ret < 0 ? 0 : ret;
		goto out_args;
	}
	d.max_inflight = opts.max_inflight;

	d.ch = nfsc_chan_open(on_request, &d, &ret);
	if (!d.ch) {
		if (ret == -ENOENT)
			nfsc_say("run: the nfs_cachefs module is not loaded");
		else
			nfsc_say("run: netlink: %s", strerror(-ret));
		ret = 1;
		goto out_args;
	}
	ret = nfsc_chan_register(d.ch);
	if (ret) {
		nfsc_say("run: cannot register as the fill daemon: %s%s%s",
			 strerror(-ret), *nfsc_chan_why(d.ch) ? ": " : "",
			 nfsc_chan_why(d.ch));
		ret = 1;
		goto out_chan;
	}
	ret = serve(&d, &opts) ? 1 : 0;

	/*
	 * Abandoned fills: the ring goes first (it points at them), then
	 * their fds; closing the channel tells the kernel, which drops their
	 * tmpfiles. The state file goes while this daemon still holds the
	 * registration, so it never removes a successor's.
	 */
	if (d.cp)
		nfsc_copier_free(d.cp);
	while (d.active) {
		struct fill *f = d.active;

		close_fill_fds(f);
		nfsc_copy_close_pipes(&f->copy);
		fill_free(f);
	}
	while (d.head) {
		struct queued *q = d.head;

		d.head = q->next;
		free(q);
	}
	nfsc_cache_free(d.cache);
	if (d.state_path && d.state_ns)
		unlink(d.state_path);
out_chan:
	nfsc_chan_close(d.ch);
out_args:
	free(all);
	nfsc_config_free(&cfg);
	return ret;
}

static void cull_usage(FILE *out)
{
	fprintf(out,
		"Usage: nfscache-helper cull [OPTION]...\n"
		"Cull every mount's cache to the limits now, as run does: least\n"
		"recently opened objects first, never one that is open.\n"
		"\n"
		"  --max-size B            keep the objects under B bytes on disk\n"
		"                          (default 0: no cap)\n"
		"  --cull-run P            free-space watermarks, in percent of\n"
		"  --cull-start P          blocks and inodes (defaults %u, %u, %u)\n"
		"  --cull-stop P\n"
		"  -h, --help              print this help\n",
		NFSC_CULL_DEFAULT_RUN, NFSC_CULL_DEFAULT_START,
		NFSC_CULL_DEFAULT_STOP);
}

int cmd_cull(int argc, char **argv)
{
	static const struct option longopts[] = {
		CULL_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nfsc_cull_opts cull = NFSC_CULL_OPTS_DEFAULT;
	struct nfsc_cache_usage u;
	struct nfsc_cache *cache;
	struct nfsc_chan *ch;
	unsigned long n;
	int opt, ret;

	cmd_name = "cull";
	optind = 0;	/* a new parse: main() stopped at the command */
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			cull_usage(stdout);
			return 0;
		}
		if (opt == '?' || opt == ':') {
			cull_usage(stderr);
			return EXIT_USAGE;
		}
		if (parse_cull_opt(opt, optarg, &cull))
			return EXIT_USAGE;
	}
	if (optind < argc) {
		fprintf(stderr, "nfscache-helper: cull: unexpected argument \"%s\"\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (check_cull_opts(&cull))
		return EXIT_USAGE;

	ch = nfsc_chan_open(NULL, NULL, &ret);
	if (!ch) {
		nfsc_say("cull: %s", ret == -ENOENT ?
		         "the nfs_cachefs module is not loaded" : strerror(-ret));
		return 1;
	}
	cache = nfsc_cache_new(&cull, ch);
	if (!cache) {
		nfsc_chan_close(ch);
		nfsc_say("cull: %s", strerror(ENOMEM));
		return 1;
	}
	ret = nfsc_cache_sync_mounts(cache);
	if (ret)
		nfsc_say("cull: indexing the cache: %s", strerror(-ret));
	n = nfsc_cache_cull(cache);
	nfsc_cache_usage(cache, &u);
	printf("culled %lu object(s); the cache holds %lu object(s), %llu bytes\n",
	       n, u.objects, (unsigned long long)u.bytes);
	nfsc_cache_free(cache);
	nfsc_chan_close(ch);
	return ret ? 1 : 0;
}
