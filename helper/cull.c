// SPDX-License-Identifier: GPL-2.0
/*
 * nfscache-helper: the cache index and culling.
 *
 * The kernel names objects and serves them; which to evict is decided
 * here, as cachefilesd decides for cachefiles. At start (and when a fill
 * names a mount not seen yet) the daemon learns every mount's volume
 * directory from the kernel and indexes its objects: name, space on disk,
 * atime. A hit moves its object's atime to now at the object's first
 * open since its fill and when it is a minute or more behind (the kernel
 * does, whatever relatime says), so atime is the last open to about a
 * minute. Eviction goes least recently opened first,
 * through the kernel's CULL, which refuses an object that is open; the
 * atime is read again just before, so an object opened since it was
 * indexed is passed over. Each volume keeps its objects in a heap by
 * atime from the index on, so that a fill at a full cache culls without a
 * pass over every object.
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

/* An object's place in its volume's heap: the atime it was placed by. */
struct lru_entry {
	int64_t atime;
	size_t idx;			/* into nfsc_cache.objs */
};

struct volume {
	char path[PATH_MAX];		/* <cachedir>/<volume> */
	int dirfd;
	dev_t dev;
	ino_t ino;
	/*
	 * The mounts that use it now (two mounts of one export with one
	 * cache share it), as the kernel listed them; none: its objects wait
	 * for a mount, apart from the byte cap, as none can be culled.
	 */
	uint32_t *mounts;
	size_t nmounts, mounts_cap;
	uint64_t bytes;			/* of its objects, on disk */
	/*
	 * Its objects (one entry each) as a min-heap by atime: the least
	 * recently opened on top. An entry may lag its object's atime (a
	 * refill, a hit found at a cull); popped, it goes back in with the
	 * object's. During a cull, the entries passed over (open objects)
	 * wait at the array's end, naside of them.
	 */
	struct lru_entry *lru;
	size_t nlru, naside, lru_cap;
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
	size_t gone;			/* objs culled, kept till a compaction */
	/*
	 * objs by volume and name, so that a commit finds the object it
	 * replaces without a pass over the whole index: open addressing,
	 * a slot holds an index + 1 (0: empty), at most half of them full.
	 */
	size_t *slots;
	size_t nslots;			/* a power of two */
	unsigned long culled;
	/*
	 * A CULL answered -EINPROGRESS (the cache disk slow: frozen, say):
	 * no pass before this CLOCK_MONOTONIC time, so that stuck removals
	 * do not pile up in the kernel, a pass's worth each.
	 */
	int64_t stalled_until_ns;
};

/* How long culling rests after a removal the kernel still works on. */
#define CULL_STALL_NS	(10 * 1000000000LL)

static int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

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
		free(v->lru);
		free(v->mounts);
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

static bool older(const struct volume *v, size_t a, size_t b)
{
	return v->lru[a].atime < v->lru[b].atime;
}

static void swap_entries(struct volume *v, size_t a, size_t b)
{
	struct lru_entry t = v->lru[a];

	v->lru[a] = v->lru[b];
	v->lru[b] = t;
}

static void sift_down(struct volume *v, size_t i)
{
	size_t l, m;

	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < v->nlru && older(v, l, m))
			m = l;
		if (l + 1 < v->nlru && older(v, l + 1, m))
			m = l + 1;
		if (m == i)
			return;
		swap_entries(v, i, m);
		i = m;
	}
}

static void sift_up(struct volume *v, size_t i)
{
	while (i && older(v, i, (i - 1) / 2)) {
		swap_entries(v, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static struct lru_entry lru_pop(struct volume *v)
{
	struct lru_entry top = v->lru[0];

	v->lru[0] = v->lru[--v->nlru];
	sift_down(v, 0);
	return top;
}

/* Room is there: each object has one entry, and lru_reserve() ran for it. */
static void lru_push(struct volume *v, size_t idx, int64_t atime)
{
	v->lru[v->nlru++] = (struct lru_entry){ .atime = atime, .idx = idx };
	sift_up(v, v->nlru - 1);
}

/* Room in @v's heap for one more object. 0 or -ENOMEM. */
static int lru_reserve(struct volume *v)
{
	size_t cap = v->lru_cap ? 2 * v->lru_cap : 1024;
	struct lru_entry *lru;

	if (v->nlru < v->lru_cap)
		return 0;
	lru = realloc(v->lru, cap * sizeof(*lru));
	if (!lru)
		return -ENOMEM;
	v->lru = lru;
	v->lru_cap = cap;
	return 0;
}

/* An entry passed over by a cull, put back in when it ends. */
static void lru_set_aside(struct volume *v, struct lru_entry e)
{
	v->lru[v->lru_cap - ++v->naside] = e;
}

static void lru_restore(struct volume *v)
{
	struct lru_entry e;

	while (v->naside) {
		e = v->lru[v->lru_cap - v->naside--];
		lru_push(v, e.idx, e.atime);
	}
}

static int add_object(struct nfsc_cache *c, struct volume *v, const char *name,
		      uint64_t bytes, int64_t atime)
{
	struct object *o;

	if (slots_reserve(c) || lru_reserve(v))
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
	lru_push(v, c->n, atime);
	c->n++;
	v->bytes += bytes;
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
	size_t i;

	for (v = c->vols; v; v = v->next)
		for (i = 0; i < v->nmounts; i++)
			if (v->mounts[i] == mount_id)
				return v;
	return NULL;
}

static int add_mount(struct volume *v, uint32_t mount_id)
{
	size_t cap = v->mounts_cap ? 2 * v->mounts_cap : 2;
	uint32_t *mounts;

	if (v->nmounts == v->mounts_cap) {
		mounts = realloc(v->mounts, cap * sizeof(*mounts));
		if (!mounts)
			return -ENOMEM;
		v->mounts = mounts;
		v->mounts_cap = cap;
	}
	v->mounts[v->nmounts++] = mount_id;
	return 0;
}

/* The kernel knows @mount_id no more (ENODEV): unmounted since the sync. */
static void drop_mount(struct volume *v, uint32_t mount_id)
{
	size_t i;

	for (i = 0; i < v->nmounts; i++) {
		if (v->mounts[i] == mount_id) {
			v->mounts[i] = v->mounts[--v->nmounts];
			cull_say("mount %u: gone; %s: %zu other mount(s)",
				 mount_id, v->path, v->nmounts);
			return;
		}
	}
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
			close(fd);
			free(v);
			if (add_mount(o, m->id))
				ctx->error = -ENOMEM;
			return;
		}
	}
	v->dirfd = fd;
	v->dev = st.st_dev;
	v->ino = st.st_ino;
	if (add_mount(v, m->id)) {
		close(fd);
		free(v);
		ctx->error = -ENOMEM;
		return;
	}
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
		v->nmounts = 0;
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
		v->bytes = v->bytes - o->bytes + bytes;
		o->bytes = bytes;
		o->atime = now.tv_sec;
		return;
	}
	if (add_object(c, v, object, bytes, now.tv_sec))
		cull_say("out of memory: %s/%s not indexed", v->path, object);
}

/*
 * Drop the culled from objs once they are half of it: indices move, so the
 * table and the heaps are built anew, a pass over the index for every
 * n / 2 objects culled.
 */
static void compact(struct nfsc_cache *c)
{
	struct volume *v;
	size_t i, j = 0;

	if (c->gone <= c->n / 2)
		return;
	for (i = 0; i < c->n; i++)
		if (c->objs[i].name)
			c->objs[j++] = c->objs[i];
	c->n = j;
	c->gone = 0;
	reslot(c);
	for (v = c->vols; v; v = v->next)
		v->nlru = 0;
	for (i = 0; i < c->n; i++) {
		v = c->objs[i].vol;
		v->lru[v->nlru++] = (struct lru_entry){ c->objs[i].atime, i };
	}
	for (v = c->vols; v; v = v->next)
		for (i = v->nlru / 2; i-- > 0;)
			sift_down(v, i);
}

static void forget(struct nfsc_cache *c, struct object *o)
{
	o->vol->bytes -= o->bytes;
	free(o->name);
	o->name = NULL;
	c->gone++;
}

/* Of the volumes @g may cull from, the one whose top is the oldest. */
static struct volume *oldest_volume(const struct nfsc_cache *c,
				    const struct goal *g)
{
	struct volume *v, *best = NULL;

	for (v = c->vols; v; v = v->next) {
		if (!v->nmounts || !v->nlru || (g->vol && v != g->vol))
			continue;
		if (!best || v->lru[0].atime < best->lru[0].atime)
			best = v;
	}
	return best;
}

/*
 * Evict the least recently opened objects until @g is met. Each one's
 * atime is read again first: one opened since it was indexed goes back
 * in its new place; the kernel refuses one that is open, which goes back
 * when the pass ends. True if the goal was met.
 */
static bool cull_for(struct nfsc_cache *c, const struct goal *g,
		     const char *why)
{
	uint64_t freed = 0, inodes = 0, bytes;
	unsigned long n = 0, busy = 0;
	struct lru_entry e;
	struct volume *v;
	struct object *o;
	struct stat st;
	int ret;

	if (monotonic_ns() < c->stalled_until_ns)
		return false;
	while ((freed < g->bytes || inodes < g->inodes) &&
	       (v = oldest_volume(c, g))) {
		e = lru_pop(v);
		o = &c->objs[e.idx];
		if (e.atime != o->atime) {
			lru_push(v, e.idx, o->atime);
			continue;
		}
		if (fstatat(v->dirfd, o->name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno == ENOENT)
				forget(c, o);
			else
				lru_set_aside(v, e);
			continue;
		}
		if (st.st_atim.tv_sec > o->atime) {
			o->atime = st.st_atim.tv_sec;
			lru_push(v, e.idx, o->atime);
			continue;
		}
		ret = nfsc_chan_cull(c->ch, v->mounts[0], o->name, &bytes);
		if (ret == -ENODEV) {
			/* Its next mount, if any, culls it. */
			drop_mount(v, v->mounts[0]);
			lru_set_aside(v, e);
			continue;
		}
		if (ret == -EBUSY) {
			busy++;
			lru_set_aside(v, e);
			continue;
		}
		if (ret == -EINPROGRESS) {
			/*
			 * The kernel removes it once the cache disk answers.
			 * Not counted yet; the pass ends and culling rests,
			 * or each pass would leave a goal's worth more to go
			 * at once. A later pass finds it gone.
			 */
			cull_say("%s/%s: the cache filesystem is slow to answer: still being removed; culling rests %lld s",
				 v->path, o->name, CULL_STALL_NS / 1000000000LL);
			c->stalled_until_ns = monotonic_ns() + CULL_STALL_NS;
			lru_set_aside(v, e);
			break;
		}
		if (ret && ret != -ENOENT) {
			cull_say("%s/%s: %s%s%s", v->path, o->name,
				 strerror(-ret), *nfsc_chan_why(c->ch) ? ": " : "",
				 nfsc_chan_why(c->ch));
			lru_set_aside(v, e);
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
	for (v = c->vols; v; v = v->next)
		lru_restore(v);
	compact(c);
	if (n || busy)
		cull_say("%s: culled %lu object(s), %" PRIu64 " bytes; %lu open, kept",
			 why, n, freed, busy);
	return freed >= g->bytes && inodes >= g->inodes;
}

/*
 * Bytes on disk of the volumes' objects; @mounted: only of those with a
 * mount, which the cap counts. The others cannot be culled (the kernel
 * culls through a mount), and would hold every fill of the mounted ones
 * to what they leave.
 */
static uint64_t volume_bytes(const struct nfsc_cache *c, bool mounted)
{
	const struct volume *v;
	uint64_t bytes = 0;

	for (v = c->vols; v; v = v->next)
		if (v->nmounts || !mounted)
			bytes += v->bytes;
	return bytes;
}

/* Cull to the byte cap with @need more bytes to come; true when it holds. */
static bool cull_to_cap(struct nfsc_cache *c, uint64_t need)
{
	uint64_t bytes = volume_bytes(c, true);
	struct goal g = {};

	if (!c->opts.max_size || bytes + need <= c->opts.max_size)
		return true;
	g.bytes = bytes + need - c->opts.max_size;
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
		if (v->nmounts)
			cull_to_watermarks(c, v, 0);
	return c->culled - before;
}

void nfsc_cache_usage(const struct nfsc_cache *c, struct nfsc_cache_usage *u)
{
	u->bytes = volume_bytes(c, false);
	u->objects = c->n - c->gone;
	u->culled = c->culled;
}
