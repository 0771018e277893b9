// SPDX-License-Identifier: GPL-2.0
/* nfscache-helper: the daemon's published state (see state.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "state.h"

#define STATE_MAGIC	"nfscache-helper-state 1"

int64_t nfsc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A path on one line: control characters (a newline) shown as '?'. */
static void put_path(FILE *f, const char *path)
{
	for (; *path; path++)
		fputc((unsigned char)*path < 0x20 ? '?' : *path, f);
	fputc('\n', f);
}

int nfsc_state_write(const char *path, const struct nfsc_state *st)
{
	char tmp[PATH_MAX];
	unsigned int i;
	int fd, ret = 0;
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* Not through a symlink someone planted next to the state file. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	fprintf(f, STATE_MAGIC "\n"
		"pid %d\nstarted %" PRId64 "\nupdated_ns %" PRId64 "\n"
		"max_size %" PRIu64 "\ncull_run %u\ncull_start %u\ncull_stop %u\n"
		"max_inflight %u\nchecksum %d\n"
		"cache_bytes %" PRIu64 "\ncache_objects %lu\nculled %lu\n"
		"fills_ok %lu\nfills_failed %lu\nqueued %u\n",
		(int)st->pid, st->started, st->updated_ns,
		st->cull.max_size, st->cull.run, st->cull.start, st->cull.stop,
		st->max_inflight, st->checksum,
		st->cache_bytes, st->cache_objects, st->culled,
		st->fills_ok, st->fills_failed, st->queued);
	for (i = 0; i < st->nfills; i++) {
		const struct nfsc_state_fill *fl = &st->fills[i];

		fprintf(f, "fill %" PRIu64 " %" PRIu32 " %" PRIu64 " %" PRIu64
			" %" PRId64 " ", fl->id, fl->mount_id, fl->size,
			fl->bytes, fl->start_ns);
		put_path(f, fl->path);
	}
	if (ferror(f))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int add_fill(struct nfsc_state *st, const char *line)
{
	struct nfsc_state_fill *fl;
	int off = -1;

	fl = realloc(st->fills, (st->nfills + 1) * sizeof(*fl));
	if (!fl)
		return -ENOMEM;
	st->fills = fl;
	fl += st->nfills;
	if (sscanf(line, "fill %" SCNu64 " %" SCNu32 " %" SCNu64 " %" SCNu64
		   " %" SCNd64 " %n", &fl->id, &fl->mount_id, &fl->size,
		   &fl->bytes, &fl->start_ns, &off) != 5 || off < 0)
		return -EBADMSG;
	snprintf(fl->path, sizeof(fl->path), "%.*s",
		 (int)strcspn(line + off, "\n"), line + off);
	st->nfills++;
	return 0;
}

/*
 * One "key value" line into @st. 0, or -EBADMSG for a known key without a
 * number; keys of a later helper are skipped: the format only grows.
 */
static int parse_line(struct nfsc_state *st, const char *line)
{
	const char *space = strchr(line, ' ');
	unsigned long long v;
	char key[32], *end;
	long long sv;

	if (!strncmp(line, "fill ", 5))
		return add_fill(st, line);
	if (!space || space == line || space - line >= (long)sizeof(key))
		return 0;
	snprintf(key, sizeof(key), "%.*s", (int)(space - line), line);
	errno = 0;
	sv = strtoll(space + 1, &end, 10);
	if (errno || end == space + 1 || (*end && *end != '\n'))
		sv = LLONG_MIN;		/* refused below if the key is ours */
	v = sv;
	if (sv == LLONG_MIN &&
	    (!strcmp(key, "pid") || !strcmp(key, "started") ||
	     !strcmp(key, "updated_ns") || !strcmp(key, "max_size") ||
	     !strncmp(key, "cull_", 5) || !strncmp(key, "cache_", 6) ||
	     !strncmp(key, "fills_", 6) || !strcmp(key, "max_inflight") ||
	     !strcmp(key, "checksum") || !strcmp(key, "culled") ||
	     !strcmp(key, "queued")))
		return -EBADMSG;
	if (!strcmp(key, "pid"))
		st->pid = sv;
	else if (!strcmp(key, "started"))
		st->started = sv;
	else if (!strcmp(key, "updated_ns"))
		st->updated_ns = sv;
	else if (!strcmp(key, "max_size"))
		st->cull.max_size = v;
	else if (!strcmp(key, "cull_run"))
		st->cull.run = v;
	else if (!strcmp(key, "cull_start"))
		st->cull.start = v;
	else if (!strcmp(key, "cull_stop"))
		st->cull.stop = v;
	else if (!strcmp(key, "max_inflight"))
		st->max_inflight = v;
	else if (!strcmp(key, "checksum"))
		st->checksum = v;
	else if (!strcmp(key, "cache_bytes"))
		st->cache_bytes = v;
	else if (!strcmp(key, "cache_objects"))
		st->cache_objects = v;
	else if (!strcmp(key, "culled"))
		st->culled = v;
	else if (!strcmp(key, "fills_ok"))
		st->fills_ok = v;
	else if (!strcmp(key, "fills_failed"))
		st->fills_failed = v;
	else if (!strcmp(key, "queued"))
		st->queued = v;
	return 0;
}

int nfsc_state_read(const char *path, struct nfsc_state *st)
{
	char line[NFS_CACHEFS_PATH_MAX + 128];
	int ret = 0;
	FILE *f;

	memset(st, 0, sizeof(*st));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) || strcmp(line, STATE_MAGIC "\n"))
		ret = -EBADMSG;
	while (!ret && fgets(line, sizeof(line), f))
		ret = parse_line(st, line);
	if (!ret && ferror(f))
		ret = -EIO;
	if (!ret && st->pid <= 0)
		ret = -EBADMSG;
	fclose(f);
	if (ret)
		nfsc_state_free(st);
	return ret;
}

void nfsc_state_free(struct nfsc_state *st)
{
	free(st->fills);
	st->fills = NULL;
	st->nfills = 0;
}
