/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * nfs_cachefs: userspace ABI shared by the kernel module and nfscache-helper.
 *
 * Generic netlink family "nfs_cachefs", init network namespace only.
 *
 * Protocol changelog (NFS_CACHEFS_GENL_VERSION):
 *   1 - initial family: command and attribute numbering reserved for the
 *       fill protocol described below. Implemented: GET_STATS, a dump of
 *       every mount (MOUNT_ID, LOWERDIR, CACHEDIR, nested STATS); open to
 *       unprivileged callers, as the sysfs counters are.
 *       The fill protocol: DAEMON_REGISTER, FILL_REQUEST, FILL_CLAIM,
 *       FILL_DONE (CAP_SYS_ADMIN, see each command below), and the cache
 *       object record struct nfs_cachefs_record, version 1.
 *   2 - culling: CULL (CAP_SYS_ADMIN) removes an object the daemon chose,
 *       refused with -EBUSY while it is open; FILL_CLAIM's reply and the
 *       GET_STATS dump name objects and volumes (OBJECT, VOLUME); the
 *       CULLED counter. A hit sets its object's atime to now at the first
 *       open since its fill and when it is a minute or more behind (a
 *       second until 2026-12-02): the daemon's recency, whatever relatime
 *       says.
 *       SET and GET: the per-mount tunables, as in sysfs. The monitor
 *       group's EVENTs (CAP_SYS_ADMIN to join), enum nfs_cachefs_event.
 *       INVALIDATE and PREFETCH, given a file descriptor.
 *
 * Numbers in this file are ABI: never renumber, only append.
 */
#ifndef _UAPI_LINUX_NFS_CACHEFS_H
#define _UAPI_LINUX_NFS_CACHEFS_H

#include <linux/types.h>

#define NFS_CACHEFS_FS_NAME		"nfs_cachefs"
#define NFS_CACHEFS_SUPER_MAGIC		0x6e667363	/* "nfsc", statfs f_type */

#define NFS_CACHEFS_GENL_NAME		"nfs_cachefs"
#define NFS_CACHEFS_GENL_VERSION	2

/*
 * Extended attribute holding the validity record of a cache object. Its
 * name is also used at mount to check the cache filesystem has trusted.*.
 */
#define NFS_CACHEFS_XATTR		"trusted.nfs_cachefs"
#define NFS_CACHEFS_XATTR_PROBE		NFS_CACHEFS_XATTR

/* Multicast group for live events (miss, claim, done, fail, stale, cull). */
#define NFS_CACHEFS_GENL_MCGRP_MONITOR	"monitor"

/**
 * enum nfs_cachefs_cmd - generic netlink commands
 * @NFS_CACHEFS_CMD_UNSPEC: unused
 * @NFS_CACHEFS_CMD_DAEMON_REGISTER: make the sending socket the fill daemon
 *	(no attributes). -EBUSY while another socket holds the registration.
 *	Every queued request is (re)sent to the new daemon.
 * @NFS_CACHEFS_CMD_FILL_REQUEST: kernel to daemon (unicast), a file wants
 *	filling: REQUEST_ID, MOUNT_ID, SIZE, PATH.
 * @NFS_CACHEFS_CMD_FILL_CLAIM: daemon takes a request (REQUEST_ID). The
 *	reply carries REQUEST_ID, MOUNT_ID, SIZE (copy exactly this many
 *	bytes), PATH, SRC_FD (the NFS file, read-only) and DST_FD (an unnamed
 *	file in the cache), both installed O_CLOEXEC in the calling process,
 *	and OBJECT, the name the object will have once committed.
 *	-EINPROGRESS when opening them outlasts the kernel's wait (2 s): the
 *	request is not the daemon's, and its FILL_REQUEST comes again once
 *	they are open, for a claim that takes them at once.
 * @NFS_CACHEFS_CMD_FILL_DONE: daemon reports the end of a fill:
 *	REQUEST_ID, STATUS (0 or -errno), BYTES, optional CHECKSUM. The
 *	kernel verifies and commits the object, or discards it and says why.
 *	-EINPROGRESS when the check outlasts the kernel's wait (2 s): it goes
 *	on, and its end is told by a DONE or FAIL event.
 * @NFS_CACHEFS_CMD_INVALIDATE: drop the cache object of a file: FD, a
 *	descriptor (O_PATH will do) of a regular file on an nfs_cachefs
 *	mount in the caller. Its fill, if any, is cancelled. CAP_SYS_ADMIN.
 *	-EINPROGRESS when the removal outlasts the kernel's wait (2 s): the
 *	fill is cancelled already, the removal goes on.
 * @NFS_CACHEFS_CMD_PREFETCH: have a file filled: FD, open for reading on
 *	an nfs_cachefs mount. The reply's STATUS is an enum
 *	nfs_cachefs_prefetch; with QUEUED, REQUEST_ID names the fill (watch
 *	the monitor group for its end). -EAGAIN when no fill could be queued.
 *	-EINPROGRESS when asking NFS or the cache outlasts the kernel's wait
 *	(2 s), or an earlier PREFETCH of the file still does: ask again (a
 *	fill it queued meanwhile is then told at once). CAP_SYS_ADMIN.
 * @NFS_CACHEFS_CMD_CULL: remove an object chosen by the daemon: MOUNT_ID,
 *	OBJECT. -EBUSY while it is open (or being opened), -ENOENT when it is
 *	gone, -EINVAL for a name that is not an object's. The reply's BYTES
 *	is the space its blocks took. -EINPROGRESS when the removal outlasts
 *	the kernel's wait (2 s): it goes on, and a CULL event tells when the
 *	object is gone (none comes if it was opened meanwhile).
 * @NFS_CACHEFS_CMD_GET_STATS: read the counters of a mount: a dump of
 *	every mount (MOUNT_ID, LOWERDIR, CACHEDIR, VOLUME, nested STATS)
 * @NFS_CACHEFS_CMD_GET_MOUNTS: reserved, refused with -EOPNOTSUPP: the
 *	GET_STATS dump lists the mounts
 * @NFS_CACHEFS_CMD_SET: set a per-mount tunable: MOUNT_ID, KEY (its sysfs
 *	file's name), VALUE (as written there). CAP_SYS_ADMIN. -ENOENT for
 *	an unknown KEY, -EPERM for a read-only one, -EINVAL for a value
 *	sysfs would refuse.
 * @NFS_CACHEFS_CMD_GET: read a per-mount tunable: MOUNT_ID, KEY; the
 *	reply's VALUE is what its sysfs file shows, without the newline
 * @NFS_CACHEFS_CMD_EVENT: kernel to the monitor group: EVENT, MOUNT_ID,
 *	and per event (enum nfs_cachefs_event) REQUEST_ID, PATH, SIZE,
 *	BYTES, DURATION_NS, STATUS, REASON, OBJECT
 */
enum nfs_cachefs_cmd {
	NFS_CACHEFS_CMD_UNSPEC,
	NFS_CACHEFS_CMD_DAEMON_REGISTER,
	NFS_CACHEFS_CMD_FILL_REQUEST,
	NFS_CACHEFS_CMD_FILL_CLAIM,
	NFS_CACHEFS_CMD_FILL_DONE,
	NFS_CACHEFS_CMD_INVALIDATE,
	NFS_CACHEFS_CMD_PREFETCH,
	NFS_CACHEFS_CMD_CULL,
	NFS_CACHEFS_CMD_GET_STATS,
	NFS_CACHEFS_CMD_GET_MOUNTS,
	NFS_CACHEFS_CMD_SET,
	NFS_CACHEFS_CMD_GET,
	NFS_CACHEFS_CMD_EVENT,

	__NFS_CACHEFS_CMD_MAX,
};

#define NFS_CACHEFS_CMD_MAX (__NFS_CACHEFS_CMD_MAX - 1)

/**
 * enum nfs_cachefs_attr - generic netlink attributes
 * @NFS_CACHEFS_A_UNSPEC: unused
 * @NFS_CACHEFS_A_PAD: padding for 64-bit attributes
 * @NFS_CACHEFS_A_REQUEST_ID: u64, fill request id, never reused
 * @NFS_CACHEFS_A_MOUNT_ID: u32, per-mount id (the /sys/fs/nfs_cachefs/<id>)
 * @NFS_CACHEFS_A_SIZE: u64, size of the lower file in bytes
 * @NFS_CACHEFS_A_PATH: string, lower path, for logs only
 * @NFS_CACHEFS_A_SRC_FD: u32, fd of the lower file installed in the daemon
 * @NFS_CACHEFS_A_DST_FD: u32, fd of the cache tmpfile installed in the daemon
 * @NFS_CACHEFS_A_BYTES: u64, bytes the daemon copied
 * @NFS_CACHEFS_A_STATUS: s32, 0 or a negative errno from the daemon
 * @NFS_CACHEFS_A_CHECKSUM: binary, checksum of the copied data
 * @NFS_CACHEFS_A_FD: u32, fd of a file on an nfs_cachefs mount
 * @NFS_CACHEFS_A_KEY: string, tunable name
 * @NFS_CACHEFS_A_VALUE: string, tunable value
 * @NFS_CACHEFS_A_STATS: nested, counters of a mount
 * @NFS_CACHEFS_A_LOWERDIR: string, the mount's lower directory
 * @NFS_CACHEFS_A_CACHEDIR: string, the mount's cache directory
 * @NFS_CACHEFS_A_EVENT: u32, enum nfs_cachefs_event
 * @NFS_CACHEFS_A_OBJECT: string, an object's name in its volume directory,
 *	"ab/cd/<name>" (two levels of two lowercase hex digits, then
 *	lowercase hex, or 'h' and hex)
 * @NFS_CACHEFS_A_VOLUME: string, the mount's volume directory: where its
 *	objects live, CACHEDIR/VOLUME/OBJECT
 * @NFS_CACHEFS_A_DURATION_NS: u64, how long a fill took from its claim
 * @NFS_CACHEFS_A_REASON: string, why a fill failed, in words
 */
enum nfs_cachefs_attr {
	NFS_CACHEFS_A_UNSPEC,
	NFS_CACHEFS_A_PAD,
	NFS_CACHEFS_A_REQUEST_ID,
	NFS_CACHEFS_A_MOUNT_ID,
	NFS_CACHEFS_A_SIZE,
	NFS_CACHEFS_A_PATH,
	NFS_CACHEFS_A_SRC_FD,
	NFS_CACHEFS_A_DST_FD,
	NFS_CACHEFS_A_BYTES,
	NFS_CACHEFS_A_STATUS,
	NFS_CACHEFS_A_CHECKSUM,
	NFS_CACHEFS_A_FD,
	NFS_CACHEFS_A_KEY,
	NFS_CACHEFS_A_VALUE,
	NFS_CACHEFS_A_STATS,
	NFS_CACHEFS_A_LOWERDIR,
	NFS_CACHEFS_A_CACHEDIR,
	NFS_CACHEFS_A_EVENT,
	NFS_CACHEFS_A_OBJECT,
	NFS_CACHEFS_A_VOLUME,
	NFS_CACHEFS_A_DURATION_NS,
	NFS_CACHEFS_A_REASON,

	__NFS_CACHEFS_A_MAX,
};

#define NFS_CACHEFS_A_MAX (__NFS_CACHEFS_A_MAX - 1)

/**
 * enum nfs_cachefs_event - what NFS_CACHEFS_CMD_EVENT reports
 * @NFS_CACHEFS_EVENT_UNSPEC: unused
 * @NFS_CACHEFS_EVENT_MISS: a fill request was queued: REQUEST_ID, PATH, SIZE
 * @NFS_CACHEFS_EVENT_CLAIM: the daemon took it: REQUEST_ID, PATH, SIZE
 * @NFS_CACHEFS_EVENT_DONE: its object was committed: REQUEST_ID, PATH,
 *	BYTES, DURATION_NS
 * @NFS_CACHEFS_EVENT_FAIL: it was discarded, failed or timed out:
 *	REQUEST_ID, PATH, STATUS (-errno), REASON
 * @NFS_CACHEFS_EVENT_STALE: an open found an object out of date: OBJECT
 * @NFS_CACHEFS_EVENT_CULL: an object was evicted: OBJECT, BYTES
 */
enum nfs_cachefs_event {
	NFS_CACHEFS_EVENT_UNSPEC,
	NFS_CACHEFS_EVENT_MISS,
	NFS_CACHEFS_EVENT_CLAIM,
	NFS_CACHEFS_EVENT_DONE,
	NFS_CACHEFS_EVENT_FAIL,
	NFS_CACHEFS_EVENT_STALE,
	NFS_CACHEFS_EVENT_CULL,

	__NFS_CACHEFS_EVENT_MAX,
};

#define NFS_CACHEFS_EVENT_MAX (__NFS_CACHEFS_EVENT_MAX - 1)

/**
 * enum nfs_cachefs_prefetch - PREFETCH's reply STATUS
 * @NFS_CACHEFS_PREFETCH_QUEUED: a fill is queued or running: REQUEST_ID
 * @NFS_CACHEFS_PREFETCH_CACHED: the open read from the cache from the start
 * @NFS_CACHEFS_PREFETCH_FILLED: the open missed and a fill has committed
 *	since (its own or another's): it reads from the cache now
 */
enum nfs_cachefs_prefetch {
	NFS_CACHEFS_PREFETCH_QUEUED,
	NFS_CACHEFS_PREFETCH_CACHED,
	NFS_CACHEFS_PREFETCH_FILLED,
};

/**
 * enum nfs_cachefs_stat - counters nested in NFS_CACHEFS_A_STATS, all u64;
 * the same as /sys/fs/nfs_cachefs/<id>/stats/
 */
enum nfs_cachefs_stat {
	NFS_CACHEFS_STAT_UNSPEC,
	NFS_CACHEFS_STAT_PAD,
	NFS_CACHEFS_STAT_HITS,
	NFS_CACHEFS_STAT_MISSES,
	NFS_CACHEFS_STAT_FILLS_OK,
	NFS_CACHEFS_STAT_FILLS_FAILED,
	NFS_CACHEFS_STAT_STALE,
	NFS_CACHEFS_STAT_BYTES_CACHE,
	NFS_CACHEFS_STAT_BYTES_LOWER,
	NFS_CACHEFS_STAT_PENDING,
	NFS_CACHEFS_STAT_FILLING,
	NFS_CACHEFS_STAT_CULLED,

	__NFS_CACHEFS_STAT_MAX,
};

#define NFS_CACHEFS_STAT_MAX (__NFS_CACHEFS_STAT_MAX - 1)

/**
 * enum nfs_cachefs_csum_type - the first byte of a CHECKSUM
 * @NFS_CACHEFS_CSUM_NONE: unused
 * @NFS_CACHEFS_CSUM_SHA256: SHA-256 of the object's data, 32 bytes follow
 *
 * The kernel keeps FILL_DONE's CHECKSUM in the record's csum[] as given;
 * this is nfscache-helper's layout of it, for whoever reads records.
 */
enum nfs_cachefs_csum_type {
	NFS_CACHEFS_CSUM_NONE,
	NFS_CACHEFS_CSUM_SHA256,
};

/* Limits, enforced by the kernel's attribute policies. */
#define NFS_CACHEFS_PATH_MAX		4096
#define NFS_CACHEFS_CHECKSUM_MAX	64
#define NFS_CACHEFS_KEY_MAX		64
#define NFS_CACHEFS_VALUE_MAX		256
#define NFS_CACHEFS_OBJECT_MAX		256	/* with its NUL */

/* The longest <name> of an object "ab/cd/<name>" (see NFS_CACHEFS_A_OBJECT). */
#define NFS_CACHEFS_OBJECT_LEAF_MAX	244

/*
 * Validity record of a cache object: the value of NFS_CACHEFS_XATTR,
 * little-endian. The object is served only while every field matches the
 * NFS file as just revalidated; anything else (another version, another
 * length) makes the object stale.
 */
#define NFS_CACHEFS_RECORD_VERSION	1
#define NFS_CACHEFS_FH_MAX		160	/* NFSv4's 128 and exportfs's framing */

struct nfs_cachefs_record {
	__u8	version;	/* NFS_CACHEFS_RECORD_VERSION */
	__u8	fh_type;	/* exportfs handle type of the NFS file */
	__u8	fh_len;		/* bytes used in fh[] */
	__u8	csum_len;	/* bytes used in csum[], 0 when none */
	__le32	mtime_nsec;
	__le32	ctime_nsec;
	__le32	reserved;	/* zero */
	__le64	size;
	__le64	mtime_sec;
	__le64	ctime_sec;
	__le64	change;		/* NFS change attribute */
	__u8	fh[NFS_CACHEFS_FH_MAX];
	__u8	csum[NFS_CACHEFS_CHECKSUM_MAX];
};

#endif /* _UAPI_LINUX_NFS_CACHEFS_H */
