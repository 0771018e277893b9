// SPDX-License-Identifier: GPL-2.0
/* nfscache-helper: the objects of a cache volume (see volume.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "volume.h"

/* Keep the first error, go on with the rest of the volume. */
static void note_error(int *first, int err)
{
	if (err && !*first)
		*first = err;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_fan_name(const char *s)
{
	return is_hex(s[0]) && is_hex(s[1]) && !s[2];
}

/* What the kernel names an object: a handle in hex, or 'h' and a hash. */
static bool is_object_name(const char *s)
{
	size_t len = strlen(s), i;

	if (!len || len > NFS_CACHEFS_OBJECT_LEAF_MAX)
		return false;
	for (i = s[0] == 'h'; i < len; i++)
		if (!is_hex(s[i]))
			return false;
	return len > (s[0] == 'h');
}

/* readdir(), with its errors told apart from the end of @dir. */
static struct dirent *next_entry(DIR *dir, int *first)
{
	struct dirent *e;

	errno = 0;
	e = readdir(dir);
	if (!e && errno)
		note_error(first, -errno);
	return e;
}

/*
 * The directory @name in @dirfd in *@dir if it is a fan level ("ab"),
 * else NULL. 0, or -errno when a fan level cannot be opened.
 */
static int open_fan(int dirfd, const char *name, DIR **dir)
{
	int fd;

	*dir = NULL;
	if (!is_fan_name(name))
		return 0;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*dir = fdopendir(fd);
	if (!*dir) {
		close(fd);
		return -errno;
	}
	return 0;
}

int nfsc_volume_walk(int volfd, nfsc_object_fn fn, void *arg)
{
	struct dirent *e1, *e2, *e3;
	char name[3 + 3 + NAME_MAX + 1];
	DIR *top, *d1, *d2;
	int fd, ret = 0, first = 0;
	struct stat st;

	fd = dup(volfd);
	if (fd < 0)
		return -errno;
	top = fdopendir(fd);
	if (!top) {
		close(fd);
		return -errno;
	}
	rewinddir(top);
	while (!ret && (e1 = next_entry(top, &first))) {
		note_error(&first, open_fan(dirfd(top), e1->d_name, &d1));
		if (!d1)
			continue;
		while (!ret && (e2 = next_entry(d1, &first))) {
			note_error(&first, open_fan(dirfd(d1), e2->d_name, &d2));
			if (!d2)
				continue;
			while (!ret && (e3 = next_entry(d2, &first))) {
				/* Nothing else can be culled by its name. */
				if (!is_object_name(e3->d_name))
					continue;
				if (fstatat(dirfd(d2), e3->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
					/* Culled or refilled since readdir: not an error. */
					if (errno != ENOENT)
						note_error(&first, -errno);
					continue;
				}
				if (!S_ISREG(st.st_mode) ||
				    snprintf(name, sizeof(name), "%.2s/%.2s/%s",
					     e1->d_name, e2->d_name,
					     e3->d_name) >= (int)sizeof(name))
					continue;
				ret = fn(dirfd(d2), e3->d_name, name, &st, arg);
			}
			closedir(d2);
		}
		closedir(d1);
	}
	closedir(top);
	return ret ? ret : first;
}
