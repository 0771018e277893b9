// SPDX-License-Identifier: GPL-2.0
/*
 * The tree walk of prefetch and invalidate. A name's type comes from its
 * directory entry (d_type), so a regular file costs no stat: nftw() stats
 * every name, and on NFS each stat made after the attributes READDIRPLUS
 * brought have aged past acregmin is a GETATTR, a round trip in series
 * with the walk. A directory is stat()ed for its device alone, from the
 * attributes the client has (AT_STATX_DONT_SYNC). Only a file system that
 * leaves d_type unknown pays a stat a name.
 *
 * Each level holds one directory open: a tree deeper than the open file
 * limit reports EMFILE for its deepest directories.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "walk.h"

struct walk {
	const char *who;
	nfsc_walk_fn on_file;
	void *arg;
	unsigned int dev_major, dev_minor;	/* the root's file system */
	char *path;		/* the name visited, from the root */
	size_t len, cap;
	int root_fd;		/* the root directory, open */
	size_t root_len;	/* path's first root_len bytes name it */
	int status;		/* 1 once a name could not be read */
};

static void walk_failed(struct walk *w, const char *what, int err)
{
	nfsc_say("%s: %s: %s%s", w->who, w->path, what, strerror(err));
	w->status = 1;
}

/* w->path += "/@name". 0, or -1 with errno ENOMEM. */
static int path_push(struct walk *w, const char *name)
{
	size_t n = strlen(name), need = w->len + 1 + n + 1;
	size_t slash = w->path[w->len - 1] != '/';	/* not after "/" */
	char *p;

	if (need > w->cap) {
		p = realloc(w->path, 2 * need);
		if (!p)
			return -1;
		w->path = p;
		w->cap = 2 * need;
	}
	w->path[w->len] = '/';
	memcpy(w->path + w->len + slash, name, n + 1);
	w->len += slash + n;
	return 0;
}

static void path_pop(struct walk *w, size_t len)
{
	w->len = len;
	w->path[len] = '\0';
}

static int walk_dir(struct walk *w, int fd);

int nfsc_walk_open(int root_fd, const char *rel, int flags)
{
	struct open_how how = { .flags = flags, .resolve = NFSC_WALK_RESOLVE };
	long fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* The file visited, w->path, as its path below the root. */
static const char *walk_rel(const struct walk *w)
{
	const char *rel = w->path + w->root_len;

	return *rel == '/' ? rel + 1 : rel;
}

/* Entry @name of directory @dfd, of readdir() type @type; w->path names it. */
static int walk_entry(struct walk *w, int dfd, const char *name,
		      unsigned char type)
{
	struct stat st;
	int fd;

	if (type == DT_UNKNOWN) {
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
			walk_failed(w, "", errno);
			return 0;
		}
		type = S_ISREG(st.st_mode) ? DT_REG :
		       S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
	}
	if (type == DT_REG)
		return w->on_file(w->root_fd, walk_rel(w), w->path, w->arg);
	if (type != DT_DIR)
		return 0;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		walk_failed(w, "", errno);
		return 0;
	}
	return walk_dir(w, fd);
}

/* The directory open as @fd, which this closes; w->path names it. */
static int walk_dir(struct walk *w, int fd)
{
	size_t len = w->len;
	struct dirent *de;
	struct statx stx;
	int ret = 0;
	DIR *dir;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, 0, &stx)) {
		walk_failed(w, "", errno);
		close(fd);
		return 0;
	}
	/* Another file system mounted here is not this walk's. */
	if (stx.stx_dev_major != w->dev_major || stx.stx_dev_minor != w->dev_minor) {
		close(fd);
		return 0;
	}
	dir = fdopendir(fd);
	if (!dir) {
		walk_failed(w, "", errno);
		close(fd);
		return 0;
	}
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (!de) {
			if (errno)
				walk_failed(w, "reading the directory: ", errno);
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ret = path_push(w, de->d_name);
		if (!ret)
			ret = walk_entry(w, dirfd(dir), de->d_name, de->d_type);
		path_pop(w, len);
		if (ret)
			break;
	}
	closedir(dir);
	return ret;
}

/* A root that is a regular file: its directory is the root_fd. */
static int walk_file_root(struct walk *w)
{
	char *slash = strrchr(w->path, '/');
	bool cut = slash && slash != w->path;	/* "dir/file", not "/file" */
	int ret;

	if (cut)
		*slash = '\0';
	w->root_fd = open(!slash ? "." : cut ? w->path : "/",
			  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cut)
		*slash = '/';
	w->root_len = slash ? slash - w->path : 0;
	if (w->root_fd < 0) {
		walk_failed(w, "", errno);
		return 1;
	}
	ret = w->on_file(w->root_fd, walk_rel(w), w->path, w->arg);
	close(w->root_fd);
	return ret;
}

int nfsc_walk(const char *root, const char *who, nfsc_walk_fn on_file, void *arg)
{
	struct walk w = { .who = who, .on_file = on_file, .arg = arg };
	char *resolved = NULL;
	struct statx stx;
	int ret, fd, err;

	/*
	 * @root itself is followed when a symbolic link, as find -H does, and
	 * named by its target: the callers open below it with
	 * nfsc_walk_open(), which follows no link.
	 */
	err = statx(AT_FDCWD, root, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &stx) ? errno : 0;
	if (!err && S_ISLNK(stx.stx_mode)) {
		resolved = realpath(root, NULL);
		if (resolved) {
			root = resolved;
			err = statx(AT_FDCWD, root, 0, STATX_TYPE, &stx) ? errno : 0;
		} else {
			err = errno;
		}
	}
	w.len = strlen(root);
	while (w.len > 1 && root[w.len - 1] == '/')
		w.len--;
	w.cap = w.len + 1;
	w.path = strndup(root, w.len);
	free(resolved);
	if (!w.path)
		return -1;
	if (err) {
		walk_failed(&w, "", err);
		ret = 1;
	} else if (S_ISREG(stx.stx_mode)) {
		ret = walk_file_root(&w);
	} else if (!S_ISDIR(stx.stx_mode)) {
		nfsc_say("%s: %s: not a regular file or a directory", who, w.path);
		ret = 1;
	} else {
		w.dev_major = stx.stx_dev_major;
		w.dev_minor = stx.stx_dev_minor;
		fd = open(w.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			walk_failed(&w, "", errno);
			ret = 1;
		} else {
			/* The root's own walk holds it open to the end. */
			w.root_fd = fd;
			w.root_len = w.len;
			ret = walk_dir(&w, fd);
		}
	}
	free(w.path);
	return ret ? ret : w.status;
}
