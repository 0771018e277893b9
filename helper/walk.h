/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_WALK_H
#define NFSC_HELPER_WALK_H

/* Called with each regular file's path: 0 goes on, -1 (errno set) stops. */
typedef int (*nfsc_walk_fn)(const char *path, void *arg);

/*
 * Call @on_file for @root when it is a regular file, or for every regular
 * file of the tree under it: on @root's file system only, following no
 * symbolic link below @root. A @root that is a symbolic link is followed
 * and the paths passed start with its target. Names that cannot be read
 * are reported ("@who: path: why") and skipped. 0 when every name was read, 1 when one
 * was not, -1 with errno set when @on_file stopped the walk or memory ran
 * out.
 */
int nfsc_walk(const char *root, const char *who, nfsc_walk_fn on_file, void *arg);

#endif
