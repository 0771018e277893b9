/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the VM tests of the fill path: files with known content on
 * the server, reads through the stack, counters, NFS call counts, cache
 * objects, the real helper started and stopped, and a fill daemon driven
 * by hand through the helper's netlink channel (helper/nl.c).
 */
#ifndef NFSC_FILL_H
#define NFSC_FILL_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

#include "nfsc_vm.h"
#include "nl.h"

#define MiB (1024 * 1024ULL)

/* Read all of @fd from where it is; the bytes or -errno. */
static inline long long drain(int fd, unsigned char *out, size_t outlen)
{
	static unsigned char buf[1 << 20];
	long long total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (out && (size_t)total < outlen)
			memcpy(out + total, buf,
			       outlen - total < (size_t)n ? outlen - total : (size_t)n);
		total += n;
	}
	return n < 0 ? -errno : total;
}

/* Open through the stack and read it all: a miss or a hit. */
static inline long long read_through(const char *name)
{
	char path[PATH_MAX];
	long long n;
	int fd;

	path_in(path, sizeof(path), NFSC_STACK, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = drain(fd, NULL, 0);
	close(fd);
	return n;
}

static inline long long nfsc_stat(const char *dir, const char *name)
{
	char attr[64];

	snprintf(attr, sizeof(attr), "stats/%s", name);
	return nfsc_attr_num(dir, attr);
}

/* Wait until counter @name reaches @target; its last value. */
static inline long long nfsc_wait_stat(const char *dir, const char *name,
				       long long target, int secs)
{
	long long v = -1;
	int i;

	for (i = 0; i < secs * 20; i++) {
		v = nfsc_stat(dir, name);
		if (v >= target)
			break;
		usleep(50000);
	}
	return v;
}

/* The protocol driven by hand: requests as they come. */
struct fake_daemon {
	struct nfsc_chan *ch;
	struct nfsc_fill_request req[8];
	int n;
};

static inline void fake_on_request(const struct nfsc_fill_request *req, void *arg)
{
	struct fake_daemon *fd = arg;

	if (fd->n < 8)
		fd->req[fd->n++] = *req;
}

static inline int fake_open(struct fake_daemon *fd)
{
	int err;

	memset(fd, 0, sizeof(*fd));
	fd->ch = nfsc_chan_open(fake_on_request, fd, &err);
	if (!fd->ch)
		return err;
	return nfsc_chan_register(fd->ch);
}

/* Wait until @want requests have come in; 0 or -ETIMEDOUT. */
static inline int fake_wait_requests(struct fake_daemon *fd, int want, int secs)
{
	struct pollfd pfd = { .fd = nfsc_chan_fd(fd->ch), .events = POLLIN };
	int i;

	for (i = 0; i < secs * 10 && fd->n < want; i++) {
		poll(&pfd, 1, 100);
		if (nfsc_chan_receive(fd->ch))
			return -EIO;
	}
	return fd->n >= want ? 0 : -ETIMEDOUT;
}

static inline int fake_wait_request(struct fake_daemon *fd, int secs)
{
	return fake_wait_requests(fd, 1, secs);
}

/* The child that thaws the cache if the test does not (cache_freeze()). */
static pid_t cache_thawer;

/*
 * Freeze the cache filesystem. A child thaws it @secs later unless
 * cache_thaw() has: a test killed meanwhile leaves it frozen for no other.
 */
static inline int cache_freeze(int secs)
{
	if (nfsc_sh("fsfreeze -f '%s'", nfsc_env("NFSC_CACHEDIR")))
		return -1;
	cache_thawer = fork();
	if (!cache_thawer) {
		/* Out of the test's process group, which a timeout kills. */
		setsid();
		sleep(secs);
		_exit(nfsc_sh("fsfreeze -u '%s' 2>/dev/null",
			      nfsc_env("NFSC_CACHEDIR")));
	}
	return 0;
}

/* 0 when the cache filesystem was frozen and is thawed now. */
static inline int cache_thaw(void)
{
	if (cache_thawer > 0) {
		kill(cache_thawer, SIGKILL);
		waitpid(cache_thawer, NULL, 0);
		cache_thawer = 0;
	}
	return nfsc_sh("fsfreeze -u '%s' 2>/dev/null",
		       nfsc_env("NFSC_CACHEDIR"));
}

/* Reap child @pid if it exits within @secs: 0 and *@st, or -1. */
static inline int wait_child(pid_t pid, int *st, int secs)
{
	int i;

	for (i = 0; i < secs * 20; i++) {
		if (waitpid(pid, st, WNOHANG) == pid)
			return 0;
		usleep(50000);
	}
	return -1;
}

/* 0 once task @pid sleeps uninterruptibly (state D) within @secs, or -1. */
static inline int wait_task_blocked(pid_t pid, int secs)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int i, fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < secs * 20; i++) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return -1;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'D')
			return 0;
		usleep(50000);
	}
	return -1;
}

/* Copy @len bytes from src to dst with plain I/O; bytes copied. */
static inline long long plain_copy(int src, int dst, uint64_t len)
{
	static unsigned char buf[1 << 20];
	uint64_t off = 0;
	ssize_t n;

	while (off < len) {
		n = pread(src, buf, len - off < sizeof(buf) ? len - off : sizeof(buf), off);
		if (n <= 0)
			break;
		if (pwrite(dst, buf, n, off) != n)
			return -EIO;
		off += n;
	}
	return off;
}

/* 0 when the two files have the same bytes. */
static inline int same_content(const char *a, const char *b)
{
	return nfsc_sh("cmp -s '%s' '%s'", a, b);
}

/* The file through the stack equals the server's copy. */
static inline int stack_matches_export(const char *name)
{
	char s[PATH_MAX], e[PATH_MAX];

	path_in(s, sizeof(s), NFSC_STACK, name);
	path_in(e, sizeof(e), nfsc_env("NFSC_EXPORT"), name);
	return same_content(s, e);
}

/*
 * Reading @name through the stack gives what NFS itself gives now: the
 * promise where NFS's own view is not the server's latest (a file still
 * open on this client after the server renamed another over it, a read
 * delegation reclaimed after a server restart).
 */
static inline int stack_matches_nfs(const char *name)
{
	char s[PATH_MAX], n[PATH_MAX];

	path_in(s, sizeof(s), NFSC_STACK, name);
	path_in(n, sizeof(n), nfsc_env("NFSC_NFS"), name);
	return same_content(s, n);
}

/* READ and READ_PLUS (NFSv4.2, 6.12) calls. */
static inline long long nfs_reads(void)
{
	return nfs_calls("READ|READ_PLUS");
}

/*
 * States of @type ("open", "deleg") the NFS server holds for its file
 * @name, from nfsd's per-client state lists (which name the file by its
 * last path components). -1 when the lists cannot be read.
 */
static inline int nfs_server_states(const char *name, const char *type)
{
	char out[64];

	if (nfsc_sh_out(out, sizeof(out),
			"s=$(cat /proc/fs/nfsd/clients/*/states) &&"
			" { echo \"$s\" | grep -cE 'type: %s.*filename: \"([^\"]*/)?%s\"'; true; }",
			type, name) || !*out)
		return -1;
	return (int)strtol(out, NULL, 10);
}

/* Read delegations held out on @name: a test that counts on one checks it. */
static inline int nfs_server_delegations(const char *name)
{
	return nfs_server_states(name, "deleg");
}

/* Forget cached pages, so a read that is not a hit must go to NFS. */
static inline int drop_caches(void)
{
	return nfsc_sh("sync && echo 3 > /proc/sys/vm/drop_caches");
}

/*
 * The object of the NFS file @name: found by the name the module gives it,
 * the file handle in hex (name_to_handle_at encodes it the same way).
 * 0 and its path, -ENOENT when there is none.
 */
static inline int object_of(const char *name, char *obj, size_t len)
{
	char path[PATH_MAX], hex[2 * (1 + 128) + 1], out[PATH_MAX];
	struct file_handle *fh;
	unsigned int i;
	int mnt_id;

	fh = calloc(1, sizeof(*fh) + 128);
	if (!fh)
		return -ENOMEM;
	fh->handle_bytes = 128;
	path_in(path, sizeof(path), nfsc_env("NFSC_NFS"), name);
	if (name_to_handle_at(AT_FDCWD, path, fh, &mnt_id, 0)) {
		free(fh);
		return -errno;
	}
	snprintf(hex, sizeof(hex), "%02x", fh->handle_type & 0xff);
	for (i = 0; i < fh->handle_bytes; i++)
		snprintf(hex + 2 + 2 * i, 3, "%02x", fh->f_handle[i]);
	free(fh);
	if (nfsc_sh_out(out, sizeof(out), "find '%s' -name '%s' -type f",
			nfsc_env("NFSC_CACHEDIR"), hex))
		return -EIO;
	if (!*out)
		return -ENOENT;
	out[strcspn(out, "\n")] = '\0';
	snprintf(obj, len, "%s", out);
	return 0;
}

/* 0 once @name has no object, within @secs; -1 otherwise. */
static inline int wait_object_gone(const char *name, int secs)
{
	char obj[PATH_MAX];
	int i;

	for (i = 0; i < secs * 10; i++) {
		if (object_of(name, obj, sizeof(obj)) == -ENOENT)
			return 0;
		usleep(100000);
	}
	return -1;
}

/*
 * Run @cmd with sh in the background, its stderr appended to @log, and
 * wait until @log has a line matching @ready (if not NULL). The pid, or -1.
 */
static inline pid_t nfsc_spawn(const char *cmd, const char *log, const char *ready)
{
	char line[2 * PATH_MAX];
	pid_t pid;
	int i;

	unlink(log);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		snprintf(line, sizeof(line), "exec %s 2>>%s", cmd, log);
		execl("/bin/sh", "sh", "-c", line, (char *)NULL);
		_exit(127);
	}
	if (!ready)
		return pid;
	for (i = 0; i < 200; i++) {
		if (!nfsc_sh("grep -q '%s' %s", ready, log))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* Start nfscache-helper run with @args, logging to @log; wait until it is registered. */
static inline pid_t nfsc_start_helper(const char *log, const char *args)
{
	char cmd[PATH_MAX];

	snprintf(cmd, sizeof(cmd), "%s/helper/nfscache-helper run %s",
		 nfsc_env("NFSC_TOP"), args);
	return nfsc_spawn(cmd, log, "registered as the fill daemon");
}

/* SIGTERM and wait; the helper's exit status, or -1. */
static inline int stop_helper(pid_t pid)
{
	int st;

	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	kill(pid, SIGCONT);	/* a test may have left it stopped */
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * Start a fill of @name (@size bytes of pattern @seed, on the server) and
 * freeze the helper mid-copy: small pipe rounds, a miss made by an open
 * alone (reading the file first would let the copy run ahead), and a stop
 * as soon as the helper logs the start to @log. A stopped helper submits
 * no more rounds, so the copy cannot finish behind the test's back. The
 * stopped helper's pid, or -1.
 */
static inline pid_t nfsc_start_frozen_fill(const char *dir, const char *log,
					   const char *name, uint64_t size,
					   uint64_t seed)
{
	char path[PATH_MAX];
	pid_t helper;
	int i, fd;

	if (make_file(name, size, seed) ||
	    nfsc_attr_write(dir, "fill_timeout_ms", "600000"))
		return -1;
	helper = nfsc_start_helper(log, "--pipe-size 4096 --splice-threshold 1");
	if (helper <= 0)
		return -1;
	path_in(path, sizeof(path), NFSC_STACK, name);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		close(fd);
		for (i = 0; i < 400; i++) {
			if (!nfsc_sh("grep -q 'fill [0-9]* start: ' %s", log)) {
				kill(helper, SIGSTOP);
				return helper;
			}
			usleep(10000);
		}
	}
	stop_helper(helper);
	return -1;
}

/*
 * Where most VM tests start: the module loaded, the cache emptied (so the
 * tests' counts of objects and bytes are exact), the stack mounted at
 * NFSC_STACK; its sysfs directory in @dir and its id in *@id. 0, or the
 * step that failed (1-4).
 */
static inline int nfsc_fresh_stack(char *dir, size_t len, uint32_t *id)
{
	if (nfsc_module_load())
		return 1;
	if (nfsc_sh("rm -rf '%s'/*", nfsc_env("NFSC_CACHEDIR")))
		return 2;
	if (nfsc_mount_stack(NFSC_STACK))
		return 3;
	if (nfsc_sysfs_dir(NFSC_STACK, dir, len))
		return 4;
	*id = strtoul(strrchr(dir, '/') + 1, NULL, 10);
	return 0;
}

#endif /* NFSC_FILL_H */
