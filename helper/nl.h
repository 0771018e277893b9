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
	uint64_t stat[NFS_CACHEFS_STAT_MAX + 1];	/* by enum nfs_cachefs_stat */
};

typedef void (*nfsc_mount_stats_fn)(const struct nfsc_mount_stats *m,
				    void *arg);

/* Every mount's counters (GET_STATS dump), one callback each. 0 or -errno. */
int nfsc_nl_dump_stats(nfsc_mount_stats_fn fn, void *arg);

/* The name of a counter, as in sysfs stats/. */
const char *nfsc_stat_name(int type);

#endif
