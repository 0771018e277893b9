/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_CULL_H
#define NFSC_HELPER_CULL_H

#include <stdbool.h>
#include <stdint.h>

struct nfsc_chan;

/*
 * Culling policy: a byte cap on the objects of every volume the daemon
 * knows a mount of, and free-space watermarks on their filesystems, as
 * percentages of blocks and of inodes: below start, cull until run is
 * free again; below stop, start no fill.
 */
struct nfsc_cull_opts {
	uint64_t max_size;		/* bytes on disk, 0: no cap */
	unsigned int run, start, stop;	/* percent free */
};

#define NFSC_CULL_DEFAULT_RUN	10
#define NFSC_CULL_DEFAULT_START	7
#define NFSC_CULL_DEFAULT_STOP	3
#define NFSC_CULL_OPTS_DEFAULT { .run = NFSC_CULL_DEFAULT_RUN, \
				 .start = NFSC_CULL_DEFAULT_START, \
				 .stop = NFSC_CULL_DEFAULT_STOP }

struct nfsc_cache;

/* An empty index; NULL on ENOMEM. */
struct nfsc_cache *nfsc_cache_new(const struct nfsc_cull_opts *opts,
				  struct nfsc_chan *ch);
void nfsc_cache_free(struct nfsc_cache *c);

/*
 * Learn the mounts from the kernel and index the objects of volumes not
 * yet known (size on disk, atime). 0 or -errno.
 */
int nfsc_cache_sync_mounts(struct nfsc_cache *c);

/* Is @mount_id known (its volume indexed)? */
bool nfsc_cache_knows(const struct nfsc_cache *c, uint32_t mount_id);

/* A fill of mount @mount_id committed @object, @bytes on disk. */
void nfsc_cache_added(struct nfsc_cache *c, uint32_t mount_id,
		      const char *object, uint64_t bytes);

/*
 * Make room for a new fill of @size bytes while @inflight bytes of other
 * fills are being written: cull least-recently-opened objects until the
 * cap and watermarks allow it. 0, or -EFBIG (the file alone exceeds the
 * cap) or -ENOSPC (no room could be made: everything left is open).
 */
int nfsc_cache_make_room(struct nfsc_cache *c, uint32_t mount_id,
			 uint64_t size, uint64_t inflight);

/* Cull to the cap and the watermarks now; the objects culled. */
unsigned long nfsc_cache_cull(struct nfsc_cache *c);

struct nfsc_cache_usage {
	uint64_t bytes;		/* on disk, every indexed object */
	unsigned long objects;
	unsigned long culled;	/* by this daemon */
};

void nfsc_cache_usage(const struct nfsc_cache *c, struct nfsc_cache_usage *u);

#endif
