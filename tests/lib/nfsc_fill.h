/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the VM tests of the fill path: files with known content on
 * the server, reads through the stack, counters, and a fill daemon driven
 * by hand through the helper's netlink channel (helper/nl.c).
 */
#ifndef NFSC_FILL_H
#define NFSC_FILL_H

#include <poll.h>
#include <stdint.h>

#include "nfsc_vm.h"
#include "nl.h"

#define MiB (1024 * 1024ULL)

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

#endif /* NFSC_FILL_H */
