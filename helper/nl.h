/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_NL_H
#define NFSC_HELPER_NL_H

struct nfsc_family_info {
	int id;
	unsigned int version;
};

/* 0, -ENOENT when the module is not loaded, or another negative errno. */
int nfsc_nl_family_info(struct nfsc_family_info *info);

#include <stdint.h>
#include <linux/nfs_cachefs.h>

struct nfsc_mount_stats {
	uint32_t id;
	char lowerdir[NFS_CACHEFS_PATH_MAX];
	char cachedir[NFS_CACHEFS_PATH_MAX];
	char volume[NFS_CACHEFS_OBJECT_MAX];	/* its objects: cachedir/volume/ */
	uint64_t stat[NFS_CACHEFS_STAT_MAX + 1];	/* by enum nfs_cachefs_stat */
};

typedef void (*nfsc_mount_stats_fn)(const struct nfsc_mount_stats *m,
				    void *arg);

/* Every mount's counters (GET_STATS dump), one callback each. 0 or -errno. */
int nfsc_nl_dump_stats(nfsc_mount_stats_fn fn, void *arg);

/* One event of the monitor group (NFS_CACHEFS_CMD_EVENT). */
struct nfsc_event {
	uint32_t type;				/* enum nfs_cachefs_event */
	uint32_t mount_id;
	uint64_t request_id;
	uint64_t size;
	uint64_t bytes;
	uint64_t duration_ns;
	int32_t status;
	char path[NFS_CACHEFS_PATH_MAX];
	char object[NFS_CACHEFS_OBJECT_MAX];
	char reason[256];
};

typedef void (*nfsc_event_fn)(const struct nfsc_event *ev, void *arg);

/*
 * Join the monitor group (CAP_SYS_ADMIN: -EPERM otherwise), call @joined
 * once, then hand every event to @fn; returns only on an error (-errno).
 */
int nfsc_nl_monitor(nfsc_event_fn fn, void (*joined)(void *arg), void *arg);

/* The name of a counter, as in sysfs stats/. */
const char *nfsc_stat_name(int type);


/*
 * The fill daemon's channel: one socket that registers as the daemon,
 * receives FILL_REQUESTs and claims and completes them.
 */
#include <stdbool.h>
#include <stddef.h>

struct nfsc_fill_request {
	uint64_t id;
	uint32_t mount_id;
	uint64_t size;
	char path[NFS_CACHEFS_PATH_MAX];
};

struct nfsc_fill_claim {
	int src_fd;
	int dst_fd;
	uint64_t size;
	uint32_t mount_id;
	char path[NFS_CACHEFS_PATH_MAX];
	char object[NFS_CACHEFS_OBJECT_MAX];	/* its name once committed */
};

typedef void (*nfsc_fill_request_fn)(const struct nfsc_fill_request *req,
				     void *arg);

struct nfsc_chan;

/*
 * NULL and -errno in *err (-ENOENT: the module is not loaded). @fn may be
 * NULL: a channel for commands only.
 */
struct nfsc_chan *nfsc_chan_open(nfsc_fill_request_fn fn, void *arg, int *err);
void nfsc_chan_close(struct nfsc_chan *ch);
int nfsc_chan_fd(const struct nfsc_chan *ch);

/* The kernel's message for the last refused command, or "". */
const char *nfsc_chan_why(const struct nfsc_chan *ch);

/* Process what the socket holds, without blocking. 0 or -errno. */
int nfsc_chan_receive(struct nfsc_chan *ch);
/*
 * A command met a malformed message while it waited for its answer:
 * nfsc_chan_receive() reports it (the socket need not be readable).
 */
bool nfsc_chan_has_error(const struct nfsc_chan *ch);
/*
 * Whether events were lost (the receive buffer overran) since the last
 * call. Only channels that joined the monitor group can lose any: the
 * daemon's requests are sent again.
 */
bool nfsc_chan_events_lost(struct nfsc_chan *ch);

/* Each returns 0 or the kernel's -errno (see nfsc_chan_why()). */
int nfsc_chan_register(struct nfsc_chan *ch);
/*
 * -EINPROGRESS: the kernel is still opening the files; the request comes
 * again once they are open.
 */
int nfsc_chan_claim(struct nfsc_chan *ch, uint64_t id,
		    struct nfsc_fill_claim *claim);
/*
 * The end of a fill; @csum (NULL: none) is kept in the object's record.
 * -EINPROGRESS: the kernel's check goes on; its end is an event.
 */
int nfsc_chan_done(struct nfsc_chan *ch, uint64_t id, int status,
		   uint64_t bytes, const void *csum, size_t csum_len);
/* The tunable @key of mount @mount_id, as its sysfs file has it. */
int nfsc_chan_set(struct nfsc_chan *ch, uint32_t mount_id, const char *key,
		  const char *value);
int nfsc_chan_get(struct nfsc_chan *ch, uint32_t mount_id, const char *key,
		  char *value, size_t len);
/* Also take the monitor group's events on this channel, to @fn. */
int nfsc_chan_monitor(struct nfsc_chan *ch, nfsc_event_fn fn, void *arg);
/* Drop the object of the file behind @fd (O_PATH will do). */
int nfsc_chan_invalidate(struct nfsc_chan *ch, int fd);
/* Have the file open at @fd filled: *@status, enum nfs_cachefs_prefetch;
 * QUEUED with its fill's *@id. */
int nfsc_chan_prefetch(struct nfsc_chan *ch, int fd, int *status, uint64_t *id);
/* Evict @object of mount @mount_id; *@bytes: the space it took. */
int nfsc_chan_cull(struct nfsc_chan *ch, uint32_t mount_id,
		   const char *object, uint64_t *bytes);

#endif
