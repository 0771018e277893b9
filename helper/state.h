/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfscache-helper: the daemon's published state. `run` rewrites a small
 * text file (atomically, by rename) when it starts, about once a second
 * while fills are in flight, after fills end and when idle; `status`
 * reads it. The kernel knows mounts and counters; only the daemon knows
 * its limits, the cache's usage and how far each copy has got.
 */
#ifndef NFSC_HELPER_STATE_H
#define NFSC_HELPER_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/nfs_cachefs.h>

#include "cull.h"

#define NFSC_STATE_DEFAULT	"/run/nfscache-helper/state"

struct nfsc_state_fill {
	uint64_t id;
	uint32_t mount_id;
	uint64_t size;
	uint64_t bytes;			/* copied so far */
	int64_t start_ns;		/* CLOCK_REALTIME of its claim */
	char path[NFS_CACHEFS_PATH_MAX];
};

struct nfsc_state {
	pid_t pid;
	int64_t started;		/* CLOCK_REALTIME, seconds */
	int64_t updated_ns;		/* CLOCK_REALTIME of this state */
	struct nfsc_cull_opts cull;
	unsigned int max_inflight;
	bool checksum;
	uint64_t cache_bytes;		/* on disk, every indexed object */
	unsigned long cache_objects;
	unsigned long culled;
	unsigned long fills_ok, fills_failed;
	unsigned long fills_unconfirmed;	/* the kernel's check went on */
	unsigned int queued;		/* requests not claimed yet */
	unsigned int nfills;
	struct nfsc_state_fill *fills;	/* in flight */
};

/* Write @st to @path through a temporary file. 0 or -errno. */
int nfsc_state_write(const char *path, const struct nfsc_state *st);

/*
 * Read @path into @st (free with nfsc_state_free()). 0, -ENOENT when there
 * is none, -EBADMSG for a file not in this format, or -errno.
 */
int nfsc_state_read(const char *path, struct nfsc_state *st);
void nfsc_state_free(struct nfsc_state *st);

/* CLOCK_REALTIME in nanoseconds. */
int64_t nfsc_now_ns(void);

#endif
