/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the kselftest-harness tests (host and VM).
 * Tests run from the top of the source tree.
 */
#ifndef NFSC_TEST_H
#define NFSC_TEST_H

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

/*
 * Results line by line, also into a pipe or a file: tests/vm/run times
 * each test by when its result line arrives.
 */
__attribute__((constructor)) static void nfsc_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* Run a shell command; its exit status, or -1 if it did not exit. */
static inline int nfsc_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* The process's open fds, or -1: a test that ends with more leaked one. */
static inline int nfsc_count_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Run a shell command and capture its stdout+stderr into buf. */
static inline int nfsc_sh_out(char *buf, size_t len, const char *fmt, ...)
{
	char cmd[4096];
	size_t n = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>&1");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < len && !feof(p)) {
		n += fread(buf + n, 1, len - 1 - n, p);
		if (ferror(p))
			break;
	}
	buf[n] = '\0';
	st = pclose(p);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * Resolve a generic netlink family with a bare CTRL_CMD_GETFAMILY, without
 * the helper or libnl, so the test checks the kernel directly.
 * 0 and the family's version, -ENOENT if absent, or another -errno.
 */
static inline int nfsc_genl_family(const char *name, int *id, int *version)
{
	struct {
		struct nlmsghdr nlh;
		struct genlmsghdr genl;
		char buf[256];
	} req = { 0 };
	char resp[4096];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh = (struct nlmsghdr *)resp;
	struct nlattr *nla;
	int fd, len, rem, ret = -EPROTO;
	size_t nlen = strlen(name) + 1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;

	req.nlh.nlmsg_type = GENL_ID_CTRL;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = 1;
	req.genl.cmd = CTRL_CMD_GETFAMILY;
	req.genl.version = 1;
	nla = (struct nlattr *)req.buf;
	nla->nla_type = CTRL_ATTR_FAMILY_NAME;
	nla->nla_len = NLA_HDRLEN + nlen;
	memcpy((char *)nla + NLA_HDRLEN, name, nlen);
	req.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(nla->nla_len);

	if (sendto(fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	len = recv(fd, resp, sizeof(resp), 0);
	if (len < 0) {
		ret = -errno;
		goto out;
	}
	if (!NLMSG_OK(nlh, (unsigned int)len))
		goto out;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		ret = ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
		goto out;
	}
	nla = (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
	rem = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	while (rem >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN &&
	       nla->nla_len <= rem) {
		if ((nla->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_VERSION) {
			*version = *(int *)((char *)nla + NLA_HDRLEN);
			ret = 0;
		}
		if ((nla->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
			*id = *(unsigned short *)((char *)nla + NLA_HDRLEN);
		rem -= NLA_ALIGN(nla->nla_len);
		nla = (struct nlattr *)((char *)nla + NLA_ALIGN(nla->nla_len));
	}
out:
	close(fd);
	return ret;
}

static inline int nfsc_genl_family_version(const char *name, int *version)
{
	int id;

	return nfsc_genl_family(name, &id, version);
}

/*
 * Send one request of @family with NLM_F_ACK and raw attribute bytes
 * @attrs, and wait for its ack: 0 or the kernel's -errno, with the
 * extended ack's message in @why. Replies before the ack are skipped.
 */
static inline int nfsc_genl_raw(int family, int cmd, const void *attrs,
				size_t len, char *why, size_t why_len)
{
	struct {
		struct nlmsghdr nlh;
		struct genlmsghdr genl;
		char buf[1024];
	} req = { 0 };
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, n, one = 1, ret = -EPROTO;
	static char resp[16384];
	struct nlmsghdr *nlh;

	why[0] = '\0';
	if (len > sizeof(req.buf))
		return -E2BIG;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	req.nlh.nlmsg_type = family;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nlh.nlmsg_seq = 7;
	req.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + len;
	req.genl.cmd = cmd;
	req.genl.version = 1;
	memcpy(req.buf, attrs, len);
	if (sendto(fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	while ((n = recv(fd, resp, sizeof(resp), 0)) > 0) {
		for (nlh = (struct nlmsghdr *)resp; NLMSG_OK(nlh, (unsigned int)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			struct nlmsgerr *e = NLMSG_DATA(nlh);
			struct nlattr *a;
			int rem;

			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq != 7)
				continue;
			ret = e->error;
			a = (struct nlattr *)((char *)e + sizeof(*e));
			rem = nlh->nlmsg_len - NLMSG_HDRLEN - sizeof(*e);
			while ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
			       rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
			       a->nla_len <= rem) {
				if (a->nla_type == NLMSGERR_ATTR_MSG)
					snprintf(why, why_len, "%s",
						 (char *)a + NLA_HDRLEN);
				rem -= NLA_ALIGN(a->nla_len);
				a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
			}
			goto out;
		}
	}
	if (n < 0)
		ret = -errno;
out:
	close(fd);
	return ret;
}

/* Append one attribute to @buf at *@off. */
static inline void nfsc_nla_put(void *buf, size_t *off, int type,
				 const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)buf + *off);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	*off += NLA_ALIGN(a->nla_len);
}

/* Is a filesystem type listed in /proc/filesystems? */
static inline int nfsc_fs_registered(const char *type)
{
	char line[256], *name;
	int found = 0;
	FILE *f;

	f = fopen("/proc/filesystems", "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		name = strrchr(line, '\t');
		found = name && !strcmp(name + 1, type);
	}
	fclose(f);
	return found;
}

#endif /* NFSC_TEST_H */
