// SPDX-License-Identifier: GPL-2.0
/*
 * nfscache-helper status: one look at everything. The mounts, their
 * tunables and hit ratios come from the kernel (GET_STATS, GET); the
 * daemon's limits, the cache's usage and its fills in flight from the
 * state file it publishes (state.h), believed only while its pid lives
 * and is not another process's since.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "json.h"
#include "log.h"
#include "nl.h"
#include "state.h"
#include "status.h"
#include "tunables.h"

#define NR_TUNABLES	16

struct mount_view {
	struct nfsc_mount_stats m;
	char value[NR_TUNABLES][NFS_CACHEFS_VALUE_MAX];
	bool have[NR_TUNABLES];
};

struct mounts {
	struct mount_view *v;
	unsigned int n;
	int error;
};

static void collect_mount(const struct nfsc_mount_stats *m, void *arg)
{
	struct mounts *ms = arg;
	struct mount_view *v;

	v = realloc(ms->v, (ms->n + 1) * sizeof(*v));
	if (!v) {
		ms->error = -ENOMEM;
		return;
	}
	ms->v = v;
	memset(&v[ms->n], 0, sizeof(*v));
	v[ms->n++].m = *m;
}

/* Each mount's tunables, over the same GET that `get` uses. */
static void read_tunables(struct mounts *ms)
{
	struct nfsc_chan *ch;
	unsigned int i, k;
	int ret;

	ch = nfsc_chan_open(NULL, NULL, &ret);
	if (!ch)
		return;
	for (i = 0; i < ms->n; i++)
		for (k = 0; nfsc_tunable_keys[k] && k < NR_TUNABLES; k++)
			ms->v[i].have[k] = !nfsc_chan_get(ch, ms->v[i].m.id,
					nfsc_tunable_keys[k], ms->v[i].value[k],
					sizeof(ms->v[i].value[k]));
	nfsc_chan_close(ch);
}

/* hits / (hits + misses), or -1 before the first open. */
static double hit_ratio(const struct nfsc_mount_stats *m)
{
	uint64_t opens = m->stat[NFS_CACHEFS_STAT_HITS] +
			 m->stat[NFS_CACHEFS_STAT_MISSES];

	return opens ? (double)m->stat[NFS_CACHEFS_STAT_HITS] / opens : -1;
}

/*
 * When process @pid started, CLOCK_REALTIME seconds: /proc/PID/stat's
 * starttime (clock ticks after boot) past /proc/stat's btime. -1 if not
 * known.
 */
static int64_t process_started(pid_t pid)
{
	unsigned long long ticks;
	long long btime = -1;
	char line[1024], *p;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	int i, ok;

	snprintf(line, sizeof(line), "/proc/%d/stat", (int)pid);
	f = fopen(line, "re");
	if (!f)
		return -1;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	/*
	 * Field 22, counted from the end of the command's name (field 2,
	 * which may hold anything but ends at the last ')').
	 */
	p = p ? strrchr(line, ')') : NULL;
	for (i = 2; p && i < 22; i++)
		p = strchr(p + 1, ' ');
	if (!p || hz <= 0 || sscanf(p, " %llu", &ticks) != 1)
		return -1;
	f = fopen("/proc/stat", "re");
	if (!f)
		return -1;
	ok = 0;
	while (!ok && fgets(line, sizeof(line), f))
		ok = sscanf(line, "btime %lld", &btime) == 1;
	fclose(f);
	return ok ? btime + (int64_t)(ticks / hz) : -1;
}

/*
 * A process that started after the daemon published its start has taken
 * its pid since; a minute's slack for the clock being stepped meanwhile.
 */
#define PID_REUSE_SLACK_S 60

/* The daemon's state, if a live daemon published it. */
enum daemon_seen { DAEMON_RUNNING, DAEMON_NONE, DAEMON_DEAD, DAEMON_UNREADABLE };

static enum daemon_seen read_daemon(const char *path, struct nfsc_state *st,
				    int *err)
{
	int64_t started;

	*err = nfsc_state_read(path, st);
	if (*err == -ENOENT)
		return DAEMON_NONE;
	if (*err)
		return DAEMON_UNREADABLE;
	started = process_started(st->pid);
	if ((kill(st->pid, 0) && errno == ESRCH) ||
	    (started >= 0 && started > st->started + PID_REUSE_SLACK_S)) {
		nfsc_state_free(st);
		return DAEMON_DEAD;
	}
	return DAEMON_RUNNING;
}

struct fill_view {
	double mb_s;			/* since its claim */
	double eta;			/* seconds, -1 unknown */
	double done;			/* fraction */
};

static struct fill_view fill_view(const struct nfsc_state_fill *f, int64_t now)
{
	double secs = (now - f->start_ns) / 1e9;
	uint64_t bytes = f->bytes < f->size ? f->bytes : f->size;
	struct fill_view v = { .eta = -1 };

	/* Clamped: the state file is another process's word. */
	v.done = f->size ? (double)bytes / f->size : 1;
	if (secs > 0)
		v.mb_s = bytes / secs / 1e6;
	if (v.mb_s > 0)
		v.eta = (f->size - bytes) / (v.mb_s * 1e6);
	return v;
}

/* 1.5 GiB and the like. */
static const char *human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = bytes;
	int i = 0;

	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, unit[i]);
	return buf;
}

static void print_text(const struct mounts *ms, enum daemon_seen seen,
		       const struct nfsc_state *st, const char *path, int err)
{
	char a[32], b[32];
	int64_t now = nfsc_now_ns();
	unsigned int i, k;
	double r;

	if (!ms->n)
		printf("no nfs_cachefs mounts\n");
	for (i = 0; i < ms->n; i++) {
		const struct mount_view *v = &ms->v[i];
		const uint64_t *s = v->m.stat;

		printf("mount %u: %s\n  cache %s/%s\n  tunables", v->m.id,
		       v->m.lowerdir, v->m.cachedir, v->m.volume);
		for (k = 0; nfsc_tunable_keys[k] && k < NR_TUNABLES; k++)
			if (v->have[k])
				printf(" %s=%s", nfsc_tunable_keys[k], v->value[k]);
		r = hit_ratio(&v->m);
		printf("\n  opens %" PRIu64 " hits, %" PRIu64 " misses", s[NFS_CACHEFS_STAT_HITS],
		       s[NFS_CACHEFS_STAT_MISSES]);
		if (r >= 0)
			printf(": hit ratio %.1f%%", 100 * r);
		printf("\n  fills %" PRIu64 " done, %" PRIu64 " failed, %" PRIu64
		       " pending, %" PRIu64 " filling; %" PRIu64 " stale, %" PRIu64 " culled\n",
		       s[NFS_CACHEFS_STAT_FILLS_OK], s[NFS_CACHEFS_STAT_FILLS_FAILED],
		       s[NFS_CACHEFS_STAT_PENDING], s[NFS_CACHEFS_STAT_FILLING],
		       s[NFS_CACHEFS_STAT_STALE], s[NFS_CACHEFS_STAT_CULLED]);
	}
	switch (seen) {
	case DAEMON_NONE:
		printf("daemon: not running (no %s)\n", path);
		return;
	case DAEMON_DEAD:
		printf("daemon: not running (%s is from a daemon that is gone)\n", path);
		return;
	case DAEMON_UNREADABLE:
		printf("daemon: unknown (%s: %s)\n", path, strerror(-err));
		return;
	case DAEMON_RUNNING:
		break;
	}
	printf("daemon: running, pid %d, up %" PRId64 " s (state %.1f s old)%s\n",
	       (int)st->pid, (int64_t)(now / 1000000000LL - st->started),
	       (now - st->updated_ns) / 1e9, st->checksum ? ", checksums" : "");
	printf("cache: %s in %lu object(s)", human(st->cache_bytes, a, sizeof(a)),
	       st->cache_objects);
	if (st->cull.max_size)
		printf(" of a %s cap (%.1f%%)", human(st->cull.max_size, b, sizeof(b)),
		       100.0 * st->cache_bytes / st->cull.max_size);
	else
		printf(", no cap");
	printf("; watermarks run %u%%, start %u%%, stop %u%%; %lu culled\n",
	       st->cull.run, st->cull.start, st->cull.stop, st->culled);
	printf("fills: %lu done, %lu failed", st->fills_ok, st->fills_failed);
	if (st->fills_unconfirmed)
		printf(", %lu unconfirmed (the kernel was still checking them)",
		       st->fills_unconfirmed);
	printf("; %u in flight (at most %u), %u queued\n", st->nfills,
	       st->max_inflight, st->queued);
	for (i = 0; i < st->nfills; i++) {
		const struct nfsc_state_fill *f = &st->fills[i];
		struct fill_view fv = fill_view(f, now);
		char bar[21];
		int fill = fv.done * 20;

		memset(bar, '#', fill);
		memset(bar + fill, '.', 20 - fill);
		bar[20] = '\0';
		printf("  fill %" PRIu64 " %s\n    [%s] %3.0f%% %s / %s, %.1f MB/s",
		       f->id, f->path, bar, 100 * fv.done,
		       human(f->bytes, a, sizeof(a)), human(f->size, b, sizeof(b)),
		       fv.mb_s);
		if (fv.eta >= 0)
			printf(", ETA %.0f s", fv.eta);
		printf("\n");
	}
}

static void print_json(const struct mounts *ms, enum daemon_seen seen,
		       const struct nfsc_state *st)
{
	int64_t now = nfsc_now_ns();
	unsigned int i, k, shown;
	double r;

	printf("{\"mounts\": [");
	for (i = 0; i < ms->n; i++) {
		const struct mount_view *v = &ms->v[i];

		printf("%s\n    {\"id\": %u, \"lowerdir\": ", i ? "," : "", v->m.id);
		nfsc_json_string(v->m.lowerdir);
		printf(", \"cachedir\": ");
		nfsc_json_string(v->m.cachedir);
		printf(", \"volume\": ");
		nfsc_json_string(v->m.volume);
		printf(", \"tunables\": {");
		for (k = 0, shown = 0; nfsc_tunable_keys[k] && k < NR_TUNABLES; k++) {
			if (!v->have[k])
				continue;
			printf("%s", shown++ ? ", " : "");
			nfsc_json_string(nfsc_tunable_keys[k]);
			printf(": ");
			nfsc_json_string(v->value[k]);
		}
		printf("}, \"stats\": {");
		for (k = NFS_CACHEFS_STAT_HITS; k <= NFS_CACHEFS_STAT_MAX; k++)
			printf("%s\"%s\": %" PRIu64, k == NFS_CACHEFS_STAT_HITS ? "" : ", ",
			       nfsc_stat_name(k), v->m.stat[k]);
		r = hit_ratio(&v->m);
		if (r >= 0)
			printf("}, \"hit_ratio\": %.4f}", r);
		else
			printf("}, \"hit_ratio\": null}");
	}
	printf("%s],\n  \"daemon\": {\"running\": %s", ms->n ? "\n  " : "",
	       seen == DAEMON_RUNNING ? "true" : "false");
	if (seen != DAEMON_RUNNING) {
		printf("}}\n");
		return;
	}
	printf(", \"pid\": %d, \"started\": %" PRId64 ", \"state_age\": %.3f, "
	       "\"checksum\": %s, \"max_size\": %" PRIu64 ", \"cull_run\": %u, "
	       "\"cull_start\": %u, \"cull_stop\": %u, \"max_inflight\": %u, "
	       "\"cache_bytes\": %" PRIu64 ", \"cache_objects\": %lu, "
	       "\"culled\": %lu, \"fills_ok\": %lu, \"fills_failed\": %lu, "
	       "\"fills_unconfirmed\": %lu, \"queued\": %u, \"fills\": [",
	       (int)st->pid, st->started, (now - st->updated_ns) / 1e9,
	       st->checksum ? "true" : "false", st->cull.max_size, st->cull.run,
	       st->cull.start, st->cull.stop, st->max_inflight, st->cache_bytes,
	       st->cache_objects, st->culled, st->fills_ok, st->fills_failed,
	       st->fills_unconfirmed, st->queued);
	for (i = 0; i < st->nfills; i++) {
		const struct nfsc_state_fill *f = &st->fills[i];
		struct fill_view fv = fill_view(f, now);

		printf("%s\n    {\"id\": %" PRIu64 ", \"mount\": %" PRIu32 ", \"path\": ",
		       i ? "," : "", f->id, f->mount_id);
		nfsc_json_string(f->path);
		printf(", \"size\": %" PRIu64 ", \"bytes\": %" PRIu64
		       ", \"mb_s\": %.3f, \"eta_seconds\": ", f->size, f->bytes, fv.mb_s);
		if (fv.eta >= 0)
			printf("%.1f}", fv.eta);
		else
			printf("null}");
	}
	printf("%s]}}\n", st->nfills ? "\n  " : "");
}

static void status_usage(FILE *out)
{
	fprintf(out,
		"Usage: nfscache-helper status [--json] [--state FILE]\n"
		"The nfs_cachefs mounts (lower and cache directories, tunables,\n"
		"hit ratio, fills), the fill daemon (running or not, its limits,\n"
		"the cache's usage against its cap) and each fill in flight with\n"
		"a progress bar, its speed and an ETA.\n"
		"\n"
		"  --json        one JSON object instead\n"
		"  --state FILE  the state file of the daemon to show, as given\n"
		"                to run --state (default " NFSC_STATE_DEFAULT ")\n"
		"  -h, --help    print this help\n"
		"\n"
		"Exit status: 0, 1 when the module is not loaded or the kernel\n"
		"cannot be asked, 2 on bad usage.\n");
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NFSC_STATE_DEFAULT;
	struct mounts ms = { 0 };
	enum daemon_seen seen;
	struct nfsc_state st;
	bool json = false;
	int opt, ret, err;

	optind = 0;	/* a new parse: main() stopped at the command */
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 's':
			path = optarg;
			break;
		case 'h':
			status_usage(stdout);
			return 0;
		default:
			status_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nfscache-helper: status: unexpected argument \"%s\"\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	ret = nfsc_nl_dump_stats(collect_mount, &ms);
	if (!ret)
		ret = ms.error;
	if (ret) {
		nfsc_say("status: %s", ret == -ENOENT ?
			 "the nfs_cachefs module is not loaded" : strerror(-ret));
		free(ms.v);
		return 1;
	}
	read_tunables(&ms);
	seen = read_daemon(path, &st, &err);
	if (json)
		print_json(&ms, seen, &st);
	else
		print_text(&ms, seen, &st, path, err);
	if (seen == DAEMON_RUNNING)
		nfsc_state_free(&st);
	free(ms.v);
	return 0;
}
