/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_WALK_H
#define NFSC_HELPER_WALK_H

#include <linux/openat2.h>

/*
 * Called with each regular file: @path names it (for messages), @rel is
 * its path below @root_fd, the walk's root directory, which stays open
 * until nfsc_walk() returns. 0 goes on, -1 (errno set) stops.
 */
typedef int (*nfsc_walk_fn)(int root_fd, const char *rel, const char *path,
			    void *arg);

/*
 * How a walk's file is opened: below its root, through no symbolic link
 * and onto no other mount, whatever was renamed or replaced since the walk
 * read its directory (the walker is root, the tree may be anyone's).
 */
#define NFSC_WALK_RESOLVE (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV)

/* openat2() of @rel below @root_fd, NFSC_WALK_RESOLVE: an fd or -errno. */
int nfsc_walk_open(int root_fd, const char *rel, int flags);

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
