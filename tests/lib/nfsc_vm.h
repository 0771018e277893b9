/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for tests that run in the test VM (scripts/vm-guest sets the
 * NFSC_* environment): load the module, mount and unmount the stack.
 */
#ifndef NFSC_VM_H
#define NFSC_VM_H

#include <fcntl.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include <linux/nfs_cachefs.h>

#include "nfsc_test.h"

#define NFSC_STACK	"/mnt/data"

static inline const char *nfsc_env(const char *name)
{
	const char *v = getenv(name);

	if (!v) {
		fprintf(stderr, "%s is not set: run inside scripts/vm\n", name);
		exit(1);
	}
	return v;
}

static inline int nfsc_module_loaded(void)
{
	return access("/sys/module/nfs_cachefs", F_OK) == 0;
}

/* Load the freshly built module unless it is loaded. 0 or -errno. */
static inline int nfsc_module_load(void)
{
	int fd, ret;

	if (nfsc_module_loaded())
		return 0;
	fd = open(nfsc_env("NFSC_KO"), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static inline int nfsc_module_unload(void)
{
	return syscall(SYS_delete_module, "nfs_cachefs", O_NONBLOCK) ? -errno : 0;
}

/* mount -t nfs_cachefs with the given options; 0 or -errno. */
static inline int nfsc_mount_opts(const char *target, const char *opts)
{
	mkdir(target, 0755);
	return mount("none", target, NFS_CACHEFS_FS_NAME, 0, opts) ? -errno : 0;
}

/* The standard stack: lowerdir = the NFS mount, cachedir = the cache disk. */
static inline int nfsc_mount_stack(const char *target)
{
	char opts[2 * PATH_MAX];

	snprintf(opts, sizeof(opts), "lowerdir=%s,cachedir=%s",
		 nfsc_env("NFSC_NFS"), nfsc_env("NFSC_CACHEDIR"));
	return nfsc_mount_opts(target, opts);
}

/* 0 if the filesystem at @path has statfs type @magic, else -1. */
static inline int statfs_type_is(const char *path, long magic)
{
	struct statfs sfs;

	if (statfs(path, &sfs))
		return -1;
	return sfs.f_type == magic ? 0 : -1;
}

static inline int nfsc_umount(const char *target)
{
	return umount2(target, 0) ? -errno : 0;
}

#endif /* NFSC_VM_H */
