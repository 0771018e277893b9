/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for tests that run in the test VM (scripts/vm-guest sets the
 * NFSC_* environment): load the module, mount and unmount the stack.
 */
#ifndef NFSC_VM_H
#define NFSC_VM_H

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include <linux/nfs_cachefs.h>

#include "nfsc_test.h"

#define NFSC_STACK	"/mnt/data"
#define NFSC_SYSFS	"/sys/fs/nfs_cachefs"

static inline const char *nfsc_env(const char *name)
{
	const char *v = getenv(name);

	if (!v) {
		fprintf(stderr, "%s is not set: run inside scripts/vm\n", name);
		exit(1);
	}
	return v;
}

#define NFSC_NOBODY	65534

/*
 * In a forked child: become nobody, root's supplementary groups dropped
 * too (NFS sends them to the server). False if any step failed.
 */
static inline bool nfsc_become_nobody(void)
{
	return !setgroups(0, NULL) &&
	       !setresgid(NFSC_NOBODY, NFSC_NOBODY, NFSC_NOBODY) &&
	       !setresuid(NFSC_NOBODY, NFSC_NOBODY, NFSC_NOBODY);
}

static inline void path_in(char *buf, size_t len, const char *top, const char *name)
{
	snprintf(buf, len, "%s/%s", top, name);
}

/* Deterministic content: @seed picks the stream, offsets matter. */
static inline void pattern(uint64_t seed, uint64_t off, unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t x = (off + i) / 8 * 0x9e3779b97f4a7c15ULL ^ seed;

		x ^= x >> 29;
		x *= 0xbf58476d1ce4e5b9ULL;
		x ^= x >> 32;
		buf[i] = x >> (((off + i) % 8) * 8);
	}
}

/* Write @size bytes of pattern @seed to the export, on the server side. */
static inline int make_file(const char *name, uint64_t size, uint64_t seed)
{
	static unsigned char buf[1 << 20];
	char path[PATH_MAX];
	uint64_t off;
	int fd;

	path_in(path, sizeof(path), nfsc_env("NFSC_EXPORT"), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	for (off = 0; off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);

		pattern(seed, off, buf, n);
		if (pwrite(fd, buf, n, off) != (ssize_t)n) {
			close(fd);
			return -EIO;
		}
	}
	close(fd);
	return 0;
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

/* The sysfs directory of the mount at @mnt, found by its dev. */
static inline int nfsc_sysfs_dir(const char *mnt, char *dir, size_t len)
{
	struct stat st;
	char out[PATH_MAX];

	if (stat(mnt, &st))
		return -1;
	if (nfsc_sh_out(out, sizeof(out),
			"grep -lx '%u:%u' " NFSC_SYSFS "/*/dev | head -n 1",
			major(st.st_dev), minor(st.st_dev)) || !*out)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	snprintf(dir, len, "%.*s", (int)(strlen(out) - 4), out);
	return 0;
}

static inline int nfsc_attr_read(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX + NAME_MAX + 2];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* write(2) of @val to a tunable; 0 or -errno. */
static inline int nfsc_attr_write(const char *dir, const char *name, const char *val)
{
	char path[PATH_MAX + NAME_MAX + 2];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

static inline long long nfsc_attr_num(const char *dir, const char *name)
{
	char buf[64];

	if (nfsc_attr_read(dir, name, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

/* Calls of the NFS operations @ops (an awk regex) sent on the lower mount. */
static inline long long nfs_calls(const char *ops)
{
	char out[256];

	if (nfsc_sh_out(out, sizeof(out),
			"awk '$1==\"device\"{m=($5==\"%s\" && $8 ~ /^nfs4?$/)}"
			" m && $1 ~ /^(%s):$/ {n+=$2; f=1}"
			" END{if (f) print n}' /proc/self/mountstats",
			nfsc_env("NFSC_NFS"), ops) || !*out)
		return -1;
	return strtoll(out, NULL, 10);
}

#endif /* NFSC_VM_H */
