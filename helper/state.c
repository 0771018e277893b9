// SPDX-License-Identifier: GPL-2.0
/* nfscache-helper: the daemon's published state (see state.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The scalar fields, one "key value" line each, in this order. */
static const struct field {
	const char *key;
	size_t off, size;		/* in struct nfsc_state */
	bool is_signed;
} fields[] = {
#define FIELD(key, member, sgn) \
	{ key, offsetof(struct nfsc_state, member), \
	  sizeof(((struct nfsc_state *)0)->member), sgn }
	FIELD("pid", pid, true),
	FIELD("started", started, true),
	FIELD("updated_ns", updated_ns, true),
	FIELD("max_size", cull.max_size, false),
	FIELD("cull_run", cull.run, false),
	FIELD("cull_start", cull.start, false),
	FIELD("cull_stop", cull.stop, false),
	FIELD("max_inflight", max_inflight, false),
	FIELD("checksum", checksum, false),
	FIELD("cache_bytes", cache_bytes, false),
	FIELD("cache_objects", cache_objects, false),
	FIELD("culled", culled, false),
	FIELD("fills_ok", fills_ok, false),
	FIELD("fills_failed", fills_failed, false),
	FIELD("fills_unconfirmed", fills_unconfirmed, false),
	FIELD("queued", queued, false),
#undef FIELD
};

/* A field's value, widened to 64 bits (sign-extended when signed). */
static uint64_t field_get(const struct nfsc_state *st, const struct field *fd)
{
	const char *p = (const char *)st + fd->off;

	switch (fd->size) {
	case 1:
		return *(const bool *)p;
	case 4:
		return fd->is_signed ? (uint64_t)(int64_t)*(const int32_t *)p :
				       *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

static void field_set(struct nfsc_state *st, const struct field *fd, uint64_t v)
{
	char *p = (char *)st + fd->off;

	switch (fd->size) {
	case 1:
		*(bool *)p = v;
		break;
	case 4:
		*(uint32_t *)p = v;
		break;
	default:
		*(uint64_t *)p = v;
		break;
	}
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
	/*
	 * Not through a symlink someone planted next to the state file. Its
	 * owner's alone, a tmpfile an older daemon left included: it names
	 * the files being filled, as monitor's events do.
	 */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fchmod(fd, 0600) ? NULL : fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	fputs(STATE_MAGIC "\n", f);
	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		fprintf(f, fields[i].is_signed ? "%s %" PRId64 "\n" : "%s %" PRIu64 "\n",
			fields[i].key, field_get(st, &fields[i]));
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

/* Does @v, as parsed for @fd (sign-extended when signed), fit its member? */
static bool field_fits(const struct field *fd, uint64_t v)
{
	switch (fd->size) {
	case 1:
		return v <= 1;
	case 4:
		return fd->is_signed ?
		       (int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX :
		       v <= UINT32_MAX;
	default:
		return true;
	}
}

/*
 * One "key value" line into @st. 0, or -EBADMSG for a known key without a
 * number that fits it; keys of a later helper are skipped: the format only
 * grows.
 */
static int parse_line(struct nfsc_state *st, const char *line)
{
	size_t len = strcspn(line, " ");
	unsigned int i;
	uint64_t v;
	char *end;

	if (!strncmp(line, "fill ", 5))
		return add_fill(st, line);
	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		if (strlen(fields[i].key) != len || strncmp(line, fields[i].key, len))
			continue;
		errno = 0;
		v = fields[i].is_signed ? (uint64_t)strtoll(line + len, &end, 10) :
					  strtoull(line + len, &end, 10);
		if (errno || end == line + len || (*end && *end != '\n') ||
		    (!fields[i].is_signed && strchr(line + len, '-')) ||
		    !field_fits(&fields[i], v))
			return -EBADMSG;
		field_set(st, &fields[i], v);
		return 0;
	}
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
