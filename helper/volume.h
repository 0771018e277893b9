/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfscache-helper: the objects of a cache volume. The kernel lays them
 * out as <volume>/ab/cd/<name>, two fan-out levels of two lowercase hex
 * digits, <name> lowercase hex or 'h' and hex, at most
 * NFS_CACHEFS_OBJECT_LEAF_MAX long; anything else in a volume is not an
 * object (and the kernel would not cull it).
 */
#ifndef NFSC_HELPER_VOLUME_H
#define NFSC_HELPER_VOLUME_H

#include <sys/stat.h>
#include <linux/nfs_cachefs.h>

/*
 * One object: @dirfd is its fan-out directory, @leaf its name there,
 * @name "ab/cd/<leaf>". 0 to go on, or a negative errno that stops the
 * walk.
 */
typedef int (*nfsc_object_fn)(int dirfd, const char *leaf, const char *name,
			      const struct stat *st, void *arg);

/*
 * Every regular file at the object level of the volume @volfd. 0, the
 * errno that stopped the walk, or else the first error met on the way (a
 * fan directory or an object that could not be read): the walk goes on
 * past those, so the caller has all it could see and knows it is not all.
 */
int nfsc_volume_walk(int volfd, nfsc_object_fn fn, void *arg);

#endif
