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
 *
 * Numbers in this file are ABI: never renumber, only append.
 */
#ifndef _UAPI_LINUX_NFS_CACHEFS_H
#define _UAPI_LINUX_NFS_CACHEFS_H

#define NFS_CACHEFS_FS_NAME		"nfs_cachefs"
#define NFS_CACHEFS_SUPER_MAGIC		0x6e667363	/* "nfsc", statfs f_type */

#define NFS_CACHEFS_GENL_NAME		"nfs_cachefs"
#define NFS_CACHEFS_GENL_VERSION	1

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
 * @NFS_CACHEFS_CMD_FILL_REQUEST: kernel to daemon, a file wants filling
 * @NFS_CACHEFS_CMD_FILL_CLAIM: daemon takes a request, gets source and
 *	destination file descriptors back
 * @NFS_CACHEFS_CMD_FILL_DONE: daemon reports the end of a fill
 * @NFS_CACHEFS_CMD_INVALIDATE: drop the cache object of a file
 * @NFS_CACHEFS_CMD_PREFETCH: queue a fill for a file given by fd
 * @NFS_CACHEFS_CMD_CULL: remove an object chosen by the daemon
 * @NFS_CACHEFS_CMD_GET_STATS: read the counters of a mount
 * @NFS_CACHEFS_CMD_GET_MOUNTS: list mounts (dump)
 * @NFS_CACHEFS_CMD_SET: set a per-mount tunable
 * @NFS_CACHEFS_CMD_GET: read a per-mount tunable
 * @NFS_CACHEFS_CMD_EVENT: monitor group notification
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

	__NFS_CACHEFS_A_MAX,
};

#define NFS_CACHEFS_A_MAX (__NFS_CACHEFS_A_MAX - 1)

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

	__NFS_CACHEFS_STAT_MAX,
};

#define NFS_CACHEFS_STAT_MAX (__NFS_CACHEFS_STAT_MAX - 1)

/* Limits, enforced by the kernel's attribute policies. */
#define NFS_CACHEFS_PATH_MAX		4096
#define NFS_CACHEFS_CHECKSUM_MAX	64
#define NFS_CACHEFS_KEY_MAX		64
#define NFS_CACHEFS_VALUE_MAX		256

#endif /* _UAPI_LINUX_NFS_CACHEFS_H */
