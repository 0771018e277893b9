// SPDX-License-Identifier: GPL-2.0
/*
 * nfscache-helper: the cache index and culling.
 *
 * The kernel names objects and serves them; which to evict is decided
 * here, as cachefilesd decides for cachefiles. At start (and when a fill
 * names a mount not seen yet) the daemon learns every mount's volume
 * directory from the kernel and indexes its objects: name, space on disk,
 * atime. A hit moves its object's atime to now when it is a second or
 * more behind (the kernel does, whatever relatime says), so atime is the
 * last open to about a second. Eviction goes least recently opened first,
 * through the kernel's CULL, which refuses an object that is open; the
 * atime is read again just before, so an object opened since it was
 * indexed is passed over.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "cull.h"
#include "log.h"
#include "nl.h"
#include "volume.h"

struct volume {
	char path[PATH_MAX];		/* <cachedir>/<volume> */
	int dirfd;
	dev_t dev;
	ino_t ino;
	uint32_t mount_id;		/* a mount that uses it, 0 if none now */
	struct volume *next;
};

struct object {
	char *name;			/* "ab/cd/<hex>", NULL once gone */
	struct volume *vol;
	uint64_t bytes;			/* on disk */
	int64_t atime;			/* seconds */
};

struct nfsc_cache {
	struct nfsc_cull_opts opts;
	struct nfsc_chan *ch;
	struct volume *vols;
	struct object *objs;
	size_t n, cap;
	/*
	 * objs by volume and name, so that a commit finds the object it
	 * replaces without a pass over the whole index: open addressing,
	 * a slot holds an index + 1 (0: empty), at most half of them full.
	 */
	size_t *slots;
	size_t nslots;			/* a power of two */
	uint64_t bytes;
	unsigned long culled;
};

/* What a cull pass must free. */
struct goal {
	struct volume *vol;		/* only its objects; NULL: any */
	uint64_t bytes;
	uint64_t inodes;
};

#define cull_say(fmt, ...) nfsc_say("cull: " fmt, ##__VA_ARGS__)

struct nfsc_cache *nfsc_cache_new(const struct nfsc_cull_opts *opts,
				  struct nfsc_chan *ch)
{
	struct nfsc_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->opts = *opts;
	c->ch = ch;
	return c;
}

void nfsc_cache_free(struct nfsc_cache *c)
{
	struct volume *v;
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		free(c->objs[i].name);
	free(c->objs);
	free(c->slots);
	while ((v = c->vols)) {
		c->vols = v->next;
		close(v->dirfd);
		free(v);
	}
	free(c);
}

/* FNV-1a of the name, its volume mixed in. */
static size_t object_hash(const struct volume *v, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uintptr_t)v;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 32));
}

static void slot_insert(struct nfsc_cache *c, size_t i)
{
	size_t mask = c->nslots - 1;
	size_t s = object_hash(c->objs[i].vol, c->objs[i].name) & mask;

	while (c->slots[s])
		s = (s + 1) & mask;
	c->slots[s] = i + 1;
}

/* Fill the table anew from objs (those not gone), in place. */
static void reslot(struct nfsc_cache *c)
{
	size_t i;

	if (!c->nslots)
		return;
	memset(c->slots, 0, c->nslots * sizeof(*c->slots));
	for (i = 0; i < c->n; i++)
		if (c->objs[i].name)
			slot_insert(c, i);
}

/* Room in the table for one more object. 0 or -ENOMEM. */
static int slots_reserve(struct nfsc_cache *c)
{
	size_t nslots = c->nslots ? c->nslots : 1024;
	size_t *slots;

	while (2 * (c->n + 1) > nslots)
		nslots *= 2;
	if (nslots == c->nslots)
		return 0;
	slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(c->slots);
	c->slots = slots;
	c->nslots = nslots;
	reslot(c);
	return 0;
}

static struct object *find_object(const struct nfsc_cache *c,
				  const struct volume *v, const char *name)
{
	size_t mask = c->nslots - 1, s;

	if (!c->nslots)
		return NULL;
	for (s = object_hash(v, name) & mask; c->slots[s]; s = (s + 1) & mask) {
		struct object *o = &c->objs[c->slots[s] - 1];

		/* One gone since the last reslot keeps its slot till then. */
		if (o->name && o->vol == v && !strcmp(o->name, name))
			return o;
	}
	return NULL;
}

static int add_object(struct nfsc_cache *c, struct volume *v, const char *name,
		      uint64_t bytes, int64_t atime)
{
	struct object *o;

	if (slots_reserve(c))
		return -ENOMEM;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;

		o = realloc(c->objs, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		c->objs = o;
		c->cap = cap;
	}
	o = &c->objs[c->n];
	o->name = strdup(name);
	if (!o->name)
		return -ENOMEM;
	o->vol = v;
	o->bytes = bytes;
	o->atime = atime;
	slot_insert(c, c->n);
	c->n++;
	c->bytes += bytes;
	return 0;
}

struct index_ctx {
	struct nfsc_cache *c;
	struct volume *v;
};

static int index_object(int dirfd, const char *leaf, const char *name,
			const struct stat *st, void *arg)
{
	struct index_ctx *ctx = arg;

	(void)dirfd;
	(void)leaf;
	return add_object(ctx->c, ctx->v, name, (uint64_t)st->st_blocks * 512,
			  st->st_atim.tv_sec);
}

/* Index the objects <vol>/ab/cd/<name>. 0 or -errno. */
static int scan_volume(struct nfsc_cache *c, struct volume *v)
{
	struct index_ctx ctx = { c, v };

	return nfsc_volume_walk(v->dirfd, index_object, &ctx);
}

static struct volume *volume_of(const struct nfsc_cache *c, uint32_t mount_id)
{
	struct volume *v;

	for (v = c->vols; v; v = v->next)
		if (v->mount_id == mount_id)
			return v;
	return NULL;
}

bool nfsc_cache_knows(const struct nfsc_cache *c, uint32_t mount_id)
{
	return volume_of(c, mount_id) != NULL;
}

struct sync_ctx {
	struct nfsc_cache *c;
	int error;
};

/* One mount of the GET_STATS dump: its volume, indexed once. */
static void sync_mount(const struct nfsc_mount_stats *m, void *arg)
{
	struct sync_ctx *ctx = arg;
	struct nfsc_cache *c = ctx->c;
	struct timespec t0, t1;
	struct volume *v;
	size_t before;
	struct stat st;
	int fd, ret;

	if (!m->volume[0])
		return;
	v = calloc(1, sizeof(*v));
	if (!v) {
		ctx->error = -ENOMEM;
		return;
	}
	fd = -1;
	errno = ENAMETOOLONG;
	if (snprintf(v->path, sizeof(v->path), "%s/%s", m->cachedir,
		     m->volume) < (int)sizeof(v->path))
		fd = open(v->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		cull_say("mount %u: %s: %s", m->id, v->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(v);
		return;
	}
	/* Two mounts of one export with one cache share a volume. */
	for (struct volume *o = c->vols; o; o = o->next) {
		if (o->dev == st.st_dev && o->ino == st.st_ino) {
			o->mount_id = m->id;
			close(fd);
			free(v);
			return;
		}
	}
	v->dirfd = fd;
	v->dev = st.st_dev;
	v->ino = st.st_ino;
	v->mount_id = m->id;
	v->next = c->vols;
	c->vols = v;

	before = c->n;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = scan_volume(c, v);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret) {
		/* What was seen stays indexed: it can still be culled. */
		cull_say("mount %u: indexing %s: %s (%zu object(s) indexed)", m->id,
			 v->path, strerror(-ret), c->n - before);
		ctx->error = ret;
		return;
	}
	cull_say("mount %u: indexed %zu object(s) in %s in %.3f s", m->id,
		 c->n - before, v->path,
		 (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

int nfsc_cache_sync_mounts(struct nfsc_cache *c)
{
	struct sync_ctx ctx = { .c = c };
	struct volume *v;
	int ret;

	/* Mount ids are what the dump says now; a volume may have none. */
	for (v = c->vols; v; v = v->next)
		v->mount_id = 0;
	ret = nfsc_nl_dump_stats(sync_mount, &ctx);
	return ret ? ret : ctx.error;
}

void nfsc_cache_added(struct nfsc_cache *c, uint32_t mount_id,
		      const char *object, uint64_t bytes)
{
	struct volume *v = volume_of(c, mount_id);
	struct timespec now;
	struct object *o;

	if (!v)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	/* A refill replaces the object of the same name. */
	o = find_object(c, v, object);
	if (o) {
		c->bytes = c->bytes - o->bytes + bytes;
		o->bytes = bytes;
		o->atime = now.tv_sec;
		return;
	}
	if (add_object(c, v, object, bytes, now.tv_sec))
		cull_say("out of memory: %s/%s not indexed", v->path, object);
}

/*
 * A min-heap of indices into c->objs by atime: the least recently opened
 * on top. An object whose atime moved since it was read goes back in
 * with the new one, so each pop is the oldest as far as anyone knows.
 */
struct heap {
	size_t *h;
	size_t n;
	const struct object *objs;
};

static bool older(const struct heap *hp, size_t a, size_t b)
{
	return hp->objs[hp->h[a]].atime < hp->objs[hp->h[b]].atime;
}

static void swap_idx(struct heap *hp, size_t a, size_t b)
{
	size_t t = hp->h[a];

	hp->h[a] = hp->h[b];
	hp->h[b] = t;
}

static void sift_down(struct heap *hp, size_t i)
{
	size_t l, m;

	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < hp->n && older(hp, l, m))
			m = l;
		if (l + 1 < hp->n && older(hp, l + 1, m))
			m = l + 1;
		if (m == i)
			return;
		swap_idx(hp, i, m);
		i = m;
	}
}

static void sift_up(struct heap *hp, size_t i)
{
	while (i && older(hp, i, (i - 1) / 2)) {
		swap_idx(hp, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static size_t heap_pop(struct heap *hp)
{
	size_t top = hp->h[0];

	hp->h[0] = hp->h[--hp->n];
	sift_down(hp, 0);
	return top;
}

static void heap_push(struct heap *hp, size_t idx)
{
	hp->h[hp->n++] = idx;
	sift_up(hp, hp->n - 1);
}

static void drop_gone(struct nfsc_cache *c)
{
	size_t i, j = 0;

	for (i = 0; i < c->n; i++)
		if (c->objs[i].name)
			c->objs[j++] = c->objs[i];
	if (j == c->n)
		return;
	c->n = j;
	reslot(c);	/* the indices moved */
}

static void forget(struct nfsc_cache *c, struct object *o)
{
	c->bytes -= o->bytes;
	free(o->name);
	o->name = NULL;
}

/*
 * Evict the least recently opened objects until @g is met. Each one's
 * atime is read again first: one opened since it was indexed goes back
 * in its new place; the kernel refuses one that is open. True if the goal
 * was met.
 */
static bool cull_for(struct nfsc_cache *c, const struct goal *g,
		     const char *why)
{
	struct heap hp = { .objs = c->objs };
	uint64_t freed = 0, inodes = 0, bytes;
	unsigned long n = 0, busy = 0;
	struct stat st;
	size_t i;
	int ret;

	hp.h = malloc((c->n + 1) * sizeof(*hp.h));
	if (!hp.h) {
		cull_say("%s: out of memory", why);
		return false;
	}
	for (i = 0; i < c->n; i++)
		if ((!g->vol || c->objs[i].vol == g->vol) && c->objs[i].vol->mount_id)
			hp.h[hp.n++] = i;
	for (i = hp.n / 2; i-- > 0;)
		sift_down(&hp, i);

	while (hp.n && (freed < g->bytes || inodes < g->inodes)) {
		struct object *o = &c->objs[heap_pop(&hp)];

		if (fstatat(o->vol->dirfd, o->name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno == ENOENT)
				forget(c, o);
			continue;
		}
		if (st.st_atim.tv_sec > o->atime) {
			o->atime = st.st_atim.tv_sec;
			heap_push(&hp, o - c->objs);
			continue;
		}
		ret = nfsc_chan_cull(c->ch, o->vol->mount_id, o->name, &bytes);
		if (ret == -EBUSY) {
			busy++;
			continue;
		}
		if (ret && ret != -ENOENT) {
			cull_say("%s/%s: %s%s%s", o->vol->path, o->name,
				 strerror(-ret), *nfsc_chan_why(c->ch) ? ": " : "",
				 nfsc_chan_why(c->ch));
			continue;
		}
		if (!ret) {
			n++;
			c->culled++;
			freed += o->bytes;
			inodes++;
		}
		forget(c, o);
	}
	free(hp.h);
	drop_gone(c);
	if (n || busy)
		cull_say("%s: culled %lu object(s), %" PRIu64 " bytes; %lu open, kept",
			 why, n, freed, busy);
	return freed >= g->bytes && inodes >= g->inodes;
}

/* Cull to the byte cap with @need more bytes to come; true when it holds. */
static bool cull_to_cap(struct nfsc_cache *c, uint64_t need)
{
	struct goal g = {};

	if (!c->opts.max_size || c->bytes + need <= c->opts.max_size)
		return true;
	g.bytes = c->bytes + need - c->opts.max_size;
	return cull_for(c, &g, "over --max-size");
}

/* Percent of @part in @all, 100 when @all is 0. */
static unsigned int pct(uint64_t part, uint64_t all)
{
	return all ? (unsigned int)(part * 100 / all) : 100;
}

/*
 * The watermarks of @v's filesystem with @need more bytes to come: below
 * start, cull until run is free. False when still below stop.
 */
static bool cull_to_watermarks(struct nfsc_cache *c, struct volume *v,
			       uint64_t need)
{
	unsigned int fb, fi;
	struct statvfs sv;
	struct goal g = { .vol = v };
	uint64_t bsize, want;

	if (fstatvfs(v->dirfd, &sv))
		return true;	/* nothing to go by */
	bsize = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
	need = (need + bsize - 1) / bsize;
	fb = pct(sv.f_bavail > need ? sv.f_bavail - need : 0, sv.f_blocks);
	fi = pct(sv.f_favail, sv.f_files);
	if (fb >= c->opts.start && fi >= c->opts.start)
		return true;
	want = sv.f_blocks * c->opts.run / 100 + need;
	if (want > sv.f_bavail)
		g.bytes = (want - sv.f_bavail) * bsize;
	want = sv.f_files * c->opts.run / 100;
	if (want > sv.f_favail)
		g.inodes = want - sv.f_favail;
	if (cull_for(c, &g, fb < c->opts.start ? "cache disk short of space" :
		     "cache disk short of inodes"))
		return true;
	if (fstatvfs(v->dirfd, &sv))
		return true;
	return pct(sv.f_bavail > need ? sv.f_bavail - need : 0, sv.f_blocks) >= c->opts.stop &&
	       pct(sv.f_favail, sv.f_files) >= c->opts.stop;
}

int nfsc_cache_make_room(struct nfsc_cache *c, uint32_t mount_id,
			 uint64_t size, uint64_t inflight)
{
	struct volume *v = volume_of(c, mount_id);

	if (c->opts.max_size && size > c->opts.max_size)
		return -EFBIG;
	if (!cull_to_cap(c, size + inflight))
		return -ENOSPC;
	if (v && !cull_to_watermarks(c, v, size))
		return -ENOSPC;
	return 0;
}

unsigned long nfsc_cache_cull(struct nfsc_cache *c)
{
	unsigned long before = c->culled;
	struct volume *v;

	cull_to_cap(c, 0);
	for (v = c->vols; v; v = v->next)
		if (v->mount_id)
			cull_to_watermarks(c, v, 0);
	return c->culled - before;
}

void nfsc_cache_usage(const struct nfsc_cache *c, struct nfsc_cache_usage *u)
{
	u->bytes = c->bytes;
	u->objects = c->n;
	u->culled = c->culled;
}
