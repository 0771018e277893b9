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
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "copy.h"
#include "daemon.h"
#include "nl.h"

struct queued {
	struct nfsc_fill_request req;
	struct queued *next;
};

struct fill {
	struct nfsc_copy copy;
	struct daemon *d;
	uint64_t id;
	struct timespec start;
	struct fill *next;		/* on d->finished */
	struct fill *anext, **aprev;	/* on d->active until reported */
	char path[NFS_CACHEFS_PATH_MAX];
};

struct daemon {
	struct nfsc_chan *ch;
	struct nfsc_copier *cp;
	struct queued *head, **tail;
	unsigned int queued;
	struct fill *finished;		/* copies ended, FILL_DONE not sent */
	struct fill *active;		/* every claimed fill */
	int stopping;			/* signals received */
	bool direct;			/* write tmpfiles with O_DIRECT */
	unsigned long fills_ok, fills_failed;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("nfscache-helper: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

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
	struct queued *q;

	q = malloc(sizeof(*q));
	if (!q) {
		/* The kernel times it out; a later miss asks again. */
		say("fill %" PRIu64 ": out of memory, request dropped", req->id);
		return;
	}
	q->req = *req;
	q->next = NULL;
	*d->tail = q;
	d->tail = &q->next;
	d->queued++;
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
	if (f->anext)
		f->anext->aprev = f->aprev;
	*f->aprev = f->anext;
	free(f);
}

/* Report one finished copy; the kernel's answer decides its fate. */
static void report(struct daemon *d, struct fill *f)
{
	struct nfsc_copy *c = &f->copy;
	double secs = elapsed(&f->start);
	int ret;

	if (c->fallback[0])
		say("fill %" PRIu64 ": %s: plain I/O instead of splice: %s",
		     f->id, f->path, c->fallback);
	/* Closing first: the kernel holds its own reference to the tmpfile. */
	close_fill_fds(f);
	ret = nfsc_chan_done(d->ch, f->id, c->error, c->copied);
	if (c->error) {
		d->fills_failed++;
		say("fill %" PRIu64 " failed: %s: copy: %s", f->id, f->path,
		     strerror(-c->error));
	} else if (ret) {
		d->fills_failed++;
		say("fill %" PRIu64 " discarded: %s: %s%s%s", f->id, f->path,
		     strerror(-ret), *nfsc_chan_why(d->ch) ? ": " : "",
		     nfsc_chan_why(d->ch));
	} else {
		d->fills_ok++;
		say("fill %" PRIu64 " done: %s: %" PRIu64 " bytes, %s, %.3f s, %.1f MB/s",
		     f->id, f->path, c->copied, nfsc_engine_name(c->engine),
		     secs, secs > 0 ? c->copied / secs / 1e6 : 0.0);
	}
	fill_free(f);
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

/* O_DIRECT on the tmpfile; the copier finishes unaligned tails buffered. */
static void set_direct(struct fill *f)
{
	int flags = fcntl(f->copy.dst, F_GETFL);

	if (flags < 0 || fcntl(f->copy.dst, F_SETFL, flags | O_DIRECT))
		say("fill %" PRIu64 ": %s: O_DIRECT refused, writing buffered: %s",
		    f->id, f->path, strerror(errno));
}

/* Claim the next queued request and start its copy. */
static void start_next(struct daemon *d)
{
	struct nfsc_fill_claim claim;
	struct queued *q = d->head;
	struct fill *f;
	int ret;

	d->head = q->next;
	if (!d->head)
		d->tail = &d->head;
	d->queued--;

	ret = nfsc_chan_claim(d->ch, q->req.id, &claim);
	if (ret) {
		say("fill %" PRIu64 ": claim refused: %s: %s%s%s", q->req.id,
		     q->req.path, strerror(-ret),
		     *nfsc_chan_why(d->ch) ? ": " : "", nfsc_chan_why(d->ch));
		free(q);
		return;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		close(claim.src_fd);
		close(claim.dst_fd);
		nfsc_chan_done(d->ch, q->req.id, -ENOMEM, 0);
		free(q);
		return;
	}
	f->d = d;
	f->id = q->req.id;
	snprintf(f->path, sizeof(f->path), "%s", claim.path);
	f->copy.src = claim.src_fd;
	f->copy.dst = claim.dst_fd;
	if (d->direct)
		set_direct(f);
	f->copy.size = claim.size;
	f->copy.done = on_copy_done;
	f->anext = d->active;
	if (d->active)
		d->active->aprev = &f->anext;
	f->aprev = &d->active;
	d->active = f;
	free(q);
	clock_gettime(CLOCK_MONOTONIC, &f->start);
	say("fill %" PRIu64 " start: %s: %" PRIu64 " bytes", f->id, f->path,
	     f->copy.size);
	nfsc_copier_start(d->cp, &f->copy);
}

static int signal_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void take_signals(struct daemon *d, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		d->stopping++;
		if (d->stopping == 1)
			say("signal %u: finishing %u fill(s) in flight, then exiting",
			     si.ssi_signo, nfsc_copier_inflight(d->cp));
		else
			say("signal %u: abandoning the fills in flight",
			     si.ssi_signo);
	}
}

static int loop(struct daemon *d, int sfd)
{
	struct pollfd pfd[3];
	int ret, n;

	for (;;) {
		report_finished(d);
		while (!d->stopping && d->head && nfsc_copier_has_room(d->cp)) {
			start_next(d);
			report_finished(d);	/* plain copies end at once */
		}
		ret = nfsc_copier_run(d->cp, false);	/* submits */
		if (ret) {
			say("io_uring: %s", strerror(-ret));
			return ret;
		}
		if (d->finished)
			continue;
		if (d->stopping > 1 ||
		    (d->stopping && !nfsc_copier_inflight(d->cp)))
			return 0;

		n = 0;
		pfd[n++] = (struct pollfd){ .fd = nfsc_chan_fd(d->ch), .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		if (nfsc_copier_inflight(d->cp) && nfsc_copier_fd(d->cp) >= 0)
			pfd[n++] = (struct pollfd){ .fd = nfsc_copier_fd(d->cp),
						    .events = POLLIN };
		if (poll(pfd, n, -1) < 0 && errno != EINTR) {
			ret = -errno;
			say("poll: %s", strerror(-ret));
			return ret;
		}
		if (pfd[1].revents)
			take_signals(d, sfd);
		if (pfd[0].revents) {
			ret = nfsc_chan_receive(d->ch);
			if (ret) {
				say("netlink: %s", strerror(-ret));
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
		"  --max-inflight N        fills copied at once (default %u)\n"
		"  --splice-threshold B    files smaller than B bytes use\n"
		"                          sendfile(), one at a time (default\n"
		"                          %llu: every file through the ring)\n"
		"  --pipe-size B           pipe size of each fill (default %u)\n"
		"  --no-splice             plain I/O for every file\n"
		"  --direct                write cache files with O_DIRECT\n"
		"  -h, --help              print this help\n"
		"\n"
		"Logs one line per fill start and end to stderr. SIGTERM finishes\n"
		"the fills in flight and exits; a second SIGTERM abandons them.\n",
		NFSC_COPY_DEFAULT_INFLIGHT,
		(unsigned long long)NFSC_COPY_DEFAULT_THRESHOLD,
		NFSC_COPY_DEFAULT_PIPE_SIZE);
}

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
	if (errno || end == arg || *end || arg[0] == '-' || v > max || v < min) {
		fprintf(stderr, "nfscache-helper: run: %s: invalid value \"%s\" (%llu..%llu)\n",
			opt, arg, (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_run_opts(int argc, char **argv, struct nfsc_copy_opts *opts,
			  bool *direct)
{
	enum { OPT_INFLIGHT = 256, OPT_THRESHOLD, OPT_PIPE, OPT_NOSPLICE,
	       OPT_DIRECT };
	static const struct option longopts[] = {
		{ "max-inflight", required_argument, NULL, OPT_INFLIGHT },
		{ "splice-threshold", required_argument, NULL, OPT_THRESHOLD },
		{ "pipe-size", required_argument, NULL, OPT_PIPE },
		{ "no-splice", no_argument, NULL, OPT_NOSPLICE },
		{ "direct", no_argument, NULL, OPT_DIRECT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_INFLIGHT:
			if (parse_size("--max-inflight", optarg, 1, 4096, &v))
				return EXIT_USAGE;
			opts->max_inflight = v;
			break;
		case OPT_THRESHOLD:
			if (parse_size("--splice-threshold", optarg, 0,
				       UINT64_MAX >> 1, &v))
				return EXIT_USAGE;
			opts->splice_threshold = v;
			break;
		case OPT_PIPE:
			if (parse_size("--pipe-size", optarg, 1, 1U << 30, &v))
				return EXIT_USAGE;
			opts->pipe_size = v;
			opts->chunk = v;
			break;
		case OPT_NOSPLICE:
			opts->no_splice = true;
			break;
		case OPT_DIRECT:
			*direct = true;
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
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct daemon d = { .tail = &d.head };
	struct nfsc_copy_opts opts;
	const char *why;
	int ret, sfd;

	nfsc_copy_opts_default(&opts);
	ret = parse_run_opts(argc, argv, &opts, &d.direct);
	if (ret)
		return ret < 0 ? 0 : ret;

	d.ch = nfsc_chan_open(on_request, &d, &ret);
	if (!d.ch) {
		if (ret == -ENOENT)
			say("run: the nfs_cachefs module is not loaded");
		else
			say("run: netlink: %s", strerror(-ret));
		return 1;
	}
	ret = nfsc_chan_register(d.ch);
	if (ret) {
		say("run: cannot register as the fill daemon: %s%s%s",
		     strerror(-ret), *nfsc_chan_why(d.ch) ? ": " : "",
		     nfsc_chan_why(d.ch));
		nfsc_chan_close(d.ch);
		return 1;
	}
	d.cp = nfsc_copier_new(&opts, &why, &ret);
	if (!d.cp) {
		say("run: copier: %s", strerror(-ret));
		nfsc_chan_close(d.ch);
		return 1;
	}
	if (why)
		say("run: every fill uses plain I/O: %s", why);
	sfd = signal_fd();
	if (sfd < 0) {
		say("run: signalfd: %s", strerror(-sfd));
		ret = sfd;
		goto out;
	}
	say("registered as the fill daemon (max %u in flight, splice from %llu bytes%s)",
	    opts.max_inflight, (unsigned long long)opts.splice_threshold,
	    d.direct ? ", O_DIRECT" : "");

	ret = loop(&d, sfd);
	close(sfd);
	say("exiting: %lu fill(s) done, %lu failed, %u in flight abandoned",
	     d.fills_ok, d.fills_failed, nfsc_copier_inflight(d.cp));
out:
	/*
	 * Abandoned fills: the ring goes first (it points at them), then
	 * their fds; closing the channel tells the kernel, which drops their
	 * tmpfiles.
	 */
	nfsc_copier_free(d.cp);
	while (d.active) {
		struct fill *f = d.active;

		close_fill_fds(f);
		if (f->copy.pipe[0] >= 0) {
			close(f->copy.pipe[0]);
			close(f->copy.pipe[1]);
		}
		fill_free(f);
	}
	while (d.head) {
		struct queued *q = d.head;

		d.head = q->next;
		free(q);
	}
	nfsc_chan_close(d.ch);
	return ret ? 1 : 0;
}
