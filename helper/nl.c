// SPDX-License-Identifier: GPL-2.0
/* nfscache-helper: generic netlink client (libnl-genl-3). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/nfs_cachefs.h>

#include "nl.h"

/* libnl has its own error space; keep errno meaning where there is one. */
static int nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

static const char *const stat_names[NFS_CACHEFS_STAT_MAX + 1] = {
	[NFS_CACHEFS_STAT_HITS]		= "hits",
	[NFS_CACHEFS_STAT_MISSES]	= "misses",
	[NFS_CACHEFS_STAT_FILLS_OK]	= "fills_ok",
	[NFS_CACHEFS_STAT_FILLS_FAILED]	= "fills_failed",
	[NFS_CACHEFS_STAT_STALE]	= "stale",
	[NFS_CACHEFS_STAT_BYTES_CACHE]	= "bytes_cache",
	[NFS_CACHEFS_STAT_BYTES_LOWER]	= "bytes_lower",
	[NFS_CACHEFS_STAT_PENDING]	= "pending",
	[NFS_CACHEFS_STAT_FILLING]	= "filling",
	[NFS_CACHEFS_STAT_CULLED]	= "culled",
};

const char *nfsc_stat_name(int type)
{
	if (type < 0 || type > NFS_CACHEFS_STAT_MAX)
		return NULL;
	return stat_names[type];
}

/* A connected generic netlink socket, or NULL and -errno in *err. */
static struct nl_sock *genl_socket(int *err)
{
	struct nl_sock *sk;
	int ret;

	sk = nl_socket_alloc();
	if (!sk) {
		*err = -ENOMEM;
		return NULL;
	}
	ret = genl_connect(sk);
	if (ret < 0) {
		fprintf(stderr, "nfscache-helper: generic netlink connect: %s\n",
			nl_geterror(ret));
		nl_socket_free(sk);
		*err = nlerr_to_errno(ret);
		return NULL;
	}
	return sk;
}

/*
 * A receive buffer for bursts: past net.core.rmem_max for root
 * (SO_RCVBUFFORCE), else as far as it allows; a smaller one is said, with
 * what it costs @who.
 */
static void set_rcvbuf(struct nl_sock *sk, const char *who, const char *cost)
{
	int fd = nl_socket_get_fd(sk), bytes = 8 << 20, got = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes))) {
		fprintf(stderr, "nfscache-helper: %s: setting the receive buffer: %s; %s\n",
			who, strerror(errno), cost);
		return;
	}
	/* The kernel reports twice what it grants, its own overhead. */
	if (!getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) && got < bytes)
		fprintf(stderr, "nfscache-helper: %s: receive buffer %d KiB, not the %d KiB asked for (net.core.rmem_max): %s\n",
			who, got / 2 >> 10, bytes >> 10, cost);
}

/* A connected socket and the family's id; -ENOENT if not registered. */
static int open_family(struct nl_sock **skp, int *family)
{
	struct nl_sock *sk;
	int ret;

	sk = genl_socket(&ret);
	if (!sk)
		return ret;
	ret = genl_ctrl_resolve(sk, NFS_CACHEFS_GENL_NAME);
	if (ret < 0) {
		nl_socket_free(sk);
		return nlerr_to_errno(ret);
	}
	*family = ret;
	*skp = sk;
	return 0;
}

struct dump_ctx {
	nfsc_mount_stats_fn fn;
	void *arg;
	int error;
};

static int parse_mount_stats(struct nl_msg *msg, void *data)
{
	struct nlattr *tb[NFS_CACHEFS_A_MAX + 1], *st[NFS_CACHEFS_STAT_MAX + 1];
	struct dump_ctx *ctx = data;
	struct nfsc_mount_stats m;
	int ret, i;

	memset(&m, 0, sizeof(m));
	ret = genlmsg_parse(nlmsg_hdr(msg), 0, tb, NFS_CACHEFS_A_MAX, NULL);
	if (ret < 0 || !tb[NFS_CACHEFS_A_MOUNT_ID] || !tb[NFS_CACHEFS_A_STATS]) {
		ctx->error = -EPROTO;
		return NL_STOP;
	}
	m.id = nla_get_u32(tb[NFS_CACHEFS_A_MOUNT_ID]);
	if (tb[NFS_CACHEFS_A_LOWERDIR])
		nla_strlcpy(m.lowerdir, tb[NFS_CACHEFS_A_LOWERDIR], sizeof(m.lowerdir));
	if (tb[NFS_CACHEFS_A_CACHEDIR])
		nla_strlcpy(m.cachedir, tb[NFS_CACHEFS_A_CACHEDIR], sizeof(m.cachedir));
	if (tb[NFS_CACHEFS_A_VOLUME])
		nla_strlcpy(m.volume, tb[NFS_CACHEFS_A_VOLUME], sizeof(m.volume));
	ret = nla_parse_nested(st, NFS_CACHEFS_STAT_MAX, tb[NFS_CACHEFS_A_STATS], NULL);
	if (ret < 0) {
		ctx->error = -EPROTO;
		return NL_STOP;
	}
	for (i = NFS_CACHEFS_STAT_HITS; i <= NFS_CACHEFS_STAT_MAX; i++)
		if (st[i])
			m.stat[i] = nla_get_u64(st[i]);
	ctx->fn(&m, ctx->arg);
	return NL_OK;
}

int nfsc_nl_dump_stats(nfsc_mount_stats_fn fn, void *arg)
{
	struct dump_ctx ctx = { .fn = fn, .arg = arg };
	struct nl_sock *sk = NULL;
	int family = 0, ret;

	ret = open_family(&sk, &family);
	if (ret < 0)
		return ret;
	ret = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM,
				  parse_mount_stats, &ctx);
	if (ret >= 0)
		ret = genl_send_simple(sk, family, NFS_CACHEFS_CMD_GET_STATS,
				       NFS_CACHEFS_GENL_VERSION, NLM_F_DUMP);
	if (ret >= 0)
		ret = nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	if (ret < 0) {
		fprintf(stderr, "nfscache-helper: GET_STATS: %s\n",
			nl_geterror(ret));
		return nlerr_to_errno(ret);
	}
	return ctx.error;
}

static bool parse_genl(struct nl_msg *msg, struct nlattr **tb, uint8_t *cmd);

struct monitor_ctx {
	nfsc_event_fn fn;
	void *arg;
};

static void nla_copy_str(char *dst, size_t len, struct nlattr *a)
{
	if (a)
		nla_strlcpy(dst, a, len);
	else
		dst[0] = '\0';
}

static uint64_t nla_u64_or_0(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

/* An EVENT's attributes, in a struct nfsc_event to free(); NULL if none. */
static struct nfsc_event *event_from_attrs(struct nlattr **tb)
{
	struct nfsc_event *ev;

	if (!tb[NFS_CACHEFS_A_EVENT])
		return NULL;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return NULL;
	ev->type = nla_get_u32(tb[NFS_CACHEFS_A_EVENT]);
	ev->mount_id = tb[NFS_CACHEFS_A_MOUNT_ID] ?
		       nla_get_u32(tb[NFS_CACHEFS_A_MOUNT_ID]) : 0;
	ev->request_id = nla_u64_or_0(tb[NFS_CACHEFS_A_REQUEST_ID]);
	ev->size = nla_u64_or_0(tb[NFS_CACHEFS_A_SIZE]);
	ev->bytes = nla_u64_or_0(tb[NFS_CACHEFS_A_BYTES]);
	ev->duration_ns = nla_u64_or_0(tb[NFS_CACHEFS_A_DURATION_NS]);
	ev->status = tb[NFS_CACHEFS_A_STATUS] ?
		     (int32_t)nla_get_u32(tb[NFS_CACHEFS_A_STATUS]) : 0;
	nla_copy_str(ev->path, sizeof(ev->path), tb[NFS_CACHEFS_A_PATH]);
	nla_copy_str(ev->object, sizeof(ev->object), tb[NFS_CACHEFS_A_OBJECT]);
	nla_copy_str(ev->reason, sizeof(ev->reason), tb[NFS_CACHEFS_A_REASON]);
	return ev;
}

static int parse_event(struct nl_msg *msg, void *data)
{
	struct nlattr *tb[NFS_CACHEFS_A_MAX + 1];
	struct monitor_ctx *ctx = data;
	struct nfsc_event *ev;
	uint8_t cmd;

	if (!parse_genl(msg, tb, &cmd) || cmd != NFS_CACHEFS_CMD_EVENT)
		return NL_SKIP;
	ev = event_from_attrs(tb);
	if (!ev)
		return NL_SKIP;
	ctx->fn(ev, ctx->arg);
	free(ev);
	return NL_OK;
}

int nfsc_nl_monitor(nfsc_event_fn fn, void (*joined)(void *arg), void *arg)
{
	struct monitor_ctx ctx = { .fn = fn, .arg = arg };
	struct nl_sock *sk = NULL;
	int family, grp, ret;

	ret = open_family(&sk, &family);
	if (ret < 0)
		return ret;
	ret = genl_ctrl_resolve_grp(sk, NFS_CACHEFS_GENL_NAME,
				    NFS_CACHEFS_GENL_MCGRP_MONITOR);
	if (ret < 0)
		goto out;
	grp = ret;
	nl_socket_disable_seq_check(sk);
	ret = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, parse_event, &ctx);
	if (ret >= 0)
		ret = nl_socket_add_membership(sk, grp);
	if (ret < 0)
		goto out;
	/* Bursts (a tree filled at once) need room; an overrun is said. */
	set_rcvbuf(sk, "monitor", "a burst may overrun it, losing events");
	joined(arg);
	for (;;) {
		ret = nl_recvmsgs_default(sk);
		if (ret == -NLE_NOMEM) {
			fprintf(stderr, "nfscache-helper: monitor: events lost (receive buffer overrun)\n");
			continue;
		}
		if (ret < 0 && ret != -NLE_INTR)
			break;
	}
out:
	nl_socket_free(sk);
	return nlerr_to_errno(ret);
}

int nfsc_nl_family_info(struct nfsc_family_info *info)
{
	struct nl_cache *cache = NULL;
	struct genl_family *family;
	struct nl_sock *sk;
	int ret;

	sk = genl_socket(&ret);
	if (!sk)
		return ret;

	ret = genl_ctrl_alloc_cache(sk, &cache);
	if (ret < 0) {
		fprintf(stderr, "nfscache-helper: reading netlink families: %s\n",
			nl_geterror(ret));
		ret = nlerr_to_errno(ret);
		goto out;
	}

	family = genl_ctrl_search_by_name(cache, NFS_CACHEFS_GENL_NAME);
	if (!family) {
		ret = -ENOENT;
		goto out;
	}
	info->id = genl_family_get_id(family);
	info->version = genl_family_get_version(family);
	genl_family_put(family);
	ret = 0;
out:
	nl_cache_free(cache);
	nl_socket_free(sk);
	return ret;
}

/* The fill daemon's channel. */
struct nfsc_chan {
	struct nl_sock *sk;
	int family;
	nfsc_fill_request_fn fn;
	void *arg;
	/* The one command in flight: its sequence number and outcome. */
	unsigned int seq;
	bool done;
	int error;
	char why[256];
	struct nfsc_fill_claim *claim;
	uint64_t *cull_bytes;
	char *value;			/* GET's reply goes here */
	size_t value_len;
	int *prefetch_status;		/* PREFETCH's reply */
	uint64_t *prefetch_id;
	nfsc_event_fn event_fn;		/* monitor group events */
	void *event_arg;
	int proto_error;
	bool events_lost;		/* a receive buffer overrun */
};

/* Attributes by type; false if the message is not ours or malformed. */
static bool parse_genl(struct nl_msg *msg, struct nlattr **tb, uint8_t *cmd)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *ghdr;

	if (!genlmsg_valid_hdr(nlh, 0))
		return false;
	ghdr = nlmsg_data(nlh);
	*cmd = ghdr->cmd;
	return genlmsg_parse(nlh, 0, tb, NFS_CACHEFS_A_MAX, NULL) == 0;
}

static int chan_valid(struct nl_msg *msg, void *data)
{
	struct nlattr *tb[NFS_CACHEFS_A_MAX + 1];
	struct nfsc_chan *ch = data;
	struct nfsc_fill_request req;
	uint8_t cmd;

	if (!parse_genl(msg, tb, &cmd)) {
		ch->proto_error = -EPROTO;
		return NL_SKIP;
	}
	if (cmd == NFS_CACHEFS_CMD_FILL_REQUEST) {
		if (!tb[NFS_CACHEFS_A_REQUEST_ID] || !tb[NFS_CACHEFS_A_SIZE] ||
		    !tb[NFS_CACHEFS_A_MOUNT_ID]) {
			ch->proto_error = -EPROTO;
			return NL_SKIP;
		}
		memset(&req, 0, sizeof(req));
		req.id = nla_get_u64(tb[NFS_CACHEFS_A_REQUEST_ID]);
		req.size = nla_get_u64(tb[NFS_CACHEFS_A_SIZE]);
		req.mount_id = nla_get_u32(tb[NFS_CACHEFS_A_MOUNT_ID]);
		if (tb[NFS_CACHEFS_A_PATH])
			nla_strlcpy(req.path, tb[NFS_CACHEFS_A_PATH],
				    sizeof(req.path));
		if (ch->fn)
			ch->fn(&req, ch->arg);
		return NL_OK;
	}
	if (cmd == NFS_CACHEFS_CMD_FILL_CLAIM && ch->claim &&
	    nlmsg_hdr(msg)->nlmsg_seq == ch->seq) {
		struct nfsc_fill_claim *c = ch->claim;

		if (!tb[NFS_CACHEFS_A_SRC_FD] || !tb[NFS_CACHEFS_A_DST_FD] ||
		    !tb[NFS_CACHEFS_A_SIZE]) {
			ch->proto_error = -EPROTO;
			return NL_SKIP;
		}
		c->src_fd = nla_get_u32(tb[NFS_CACHEFS_A_SRC_FD]);
		c->dst_fd = nla_get_u32(tb[NFS_CACHEFS_A_DST_FD]);
		c->size = nla_get_u64(tb[NFS_CACHEFS_A_SIZE]);
		if (tb[NFS_CACHEFS_A_MOUNT_ID])
			c->mount_id = nla_get_u32(tb[NFS_CACHEFS_A_MOUNT_ID]);
		if (tb[NFS_CACHEFS_A_PATH])
			nla_strlcpy(c->path, tb[NFS_CACHEFS_A_PATH],
				    sizeof(c->path));
		if (tb[NFS_CACHEFS_A_OBJECT])
			nla_strlcpy(c->object, tb[NFS_CACHEFS_A_OBJECT],
				    sizeof(c->object));
		ch->claim = NULL;	/* filled */
	}
	if (cmd == NFS_CACHEFS_CMD_EVENT && ch->event_fn) {
		struct nfsc_event *ev = event_from_attrs(tb);

		if (ev)
			ch->event_fn(ev, ch->event_arg);
		free(ev);
		return NL_OK;
	}
	if (cmd == NFS_CACHEFS_CMD_PREFETCH && ch->prefetch_status &&
	    nlmsg_hdr(msg)->nlmsg_seq == ch->seq && tb[NFS_CACHEFS_A_STATUS]) {
		*ch->prefetch_status = (int32_t)nla_get_u32(tb[NFS_CACHEFS_A_STATUS]);
		if (tb[NFS_CACHEFS_A_REQUEST_ID])
			*ch->prefetch_id = nla_get_u64(tb[NFS_CACHEFS_A_REQUEST_ID]);
		ch->prefetch_status = NULL;
	}
	if (cmd == NFS_CACHEFS_CMD_GET && ch->value &&
	    nlmsg_hdr(msg)->nlmsg_seq == ch->seq && tb[NFS_CACHEFS_A_VALUE]) {
		nla_strlcpy(ch->value, tb[NFS_CACHEFS_A_VALUE], ch->value_len);
		ch->value = NULL;
	}
	if (cmd == NFS_CACHEFS_CMD_CULL && ch->cull_bytes &&
	    nlmsg_hdr(msg)->nlmsg_seq == ch->seq && tb[NFS_CACHEFS_A_BYTES]) {
		*ch->cull_bytes = nla_get_u64(tb[NFS_CACHEFS_A_BYTES]);
		ch->cull_bytes = NULL;
	}
	return NL_OK;
}

static int chan_ack(struct nl_msg *msg, void *data)
{
	struct nfsc_chan *ch = data;

	if (nlmsg_hdr(msg)->nlmsg_seq == ch->seq) {
		ch->done = true;
		ch->error = 0;
	}
	return NL_OK;
}

/* The extended ack's message, when the kernel sent one. */
static void extack_msg(const struct nlmsgerr *e, char *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);
	const struct nlattr *a;
	size_t off;
	int rem;

	buf[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	if (off >= nlh->nlmsg_len)
		return;
	rem = nlh->nlmsg_len - off;
	for (a = (const void *)((const char *)nlh + off); nla_ok(a, rem);
	     a = nla_next(a, &rem)) {
		if (nla_type(a) == NLMSGERR_ATTR_MSG) {
			snprintf(buf, len, "%.*s", nla_len(a),
				 (const char *)nla_data(a));
			return;
		}
	}
}

static int chan_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *data)
{
	struct nfsc_chan *ch = data;

	(void)nla;
	if (e->msg.nlmsg_seq == ch->seq) {
		ch->done = true;
		ch->error = e->error;
		extack_msg(e, ch->why, sizeof(ch->why));
	}
	return NL_SKIP;
}

struct nfsc_chan *nfsc_chan_open(nfsc_fill_request_fn fn, void *arg, int *err)
{
	int one = 1, fd;
	struct nfsc_chan *ch;

	ch = calloc(1, sizeof(*ch));
	if (!ch) {
		*err = -ENOMEM;
		return NULL;
	}
	ch->fn = fn;
	ch->arg = arg;
	*err = open_family(&ch->sk, &ch->family);
	if (*err) {
		free(ch);
		return NULL;
	}
	fd = nl_socket_get_fd(ch->sk);
	/* Errors carry the kernel's message; requests need room to queue. */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	set_rcvbuf(ch->sk, "netlink",
		   "a burst of fill requests waits in the kernel longer");
	nl_socket_disable_seq_check(ch->sk);
	nl_socket_modify_cb(ch->sk, NL_CB_VALID, NL_CB_CUSTOM, chan_valid, ch);
	nl_socket_modify_cb(ch->sk, NL_CB_ACK, NL_CB_CUSTOM, chan_ack, ch);
	nl_socket_modify_err_cb(ch->sk, NL_CB_CUSTOM, chan_error, ch);
	nl_socket_set_nonblocking(ch->sk);
	return ch;
}

void nfsc_chan_close(struct nfsc_chan *ch)
{
	if (!ch)
		return;
	nl_socket_free(ch->sk);
	free(ch);
}

int nfsc_chan_fd(const struct nfsc_chan *ch)
{
	return nl_socket_get_fd(ch->sk);
}

const char *nfsc_chan_why(const struct nfsc_chan *ch)
{
	return ch->why;
}

/*
 * Take what the socket holds; a malformed message stays in proto_error.
 * An overrun (ENOBUFS, which libnl calls NLE_NOMEM) is told once, and the
 * messages after it are still there: it is noted in events_lost and the
 * read goes on. A second one in a row is memory libnl lacks.
 */
static int chan_read(struct nfsc_chan *ch)
{
	bool overrun = false;
	int ret;

	for (;;) {
		ret = nl_recvmsgs_default(ch->sk);
		if (ret == -NLE_AGAIN)
			return 0;
		if (ret == -NLE_NOMEM && !overrun) {
			overrun = true;
			ch->events_lost = true;
			continue;
		}
		if (ret < 0)
			return nlerr_to_errno(ret);
		overrun = false;
	}
}

bool nfsc_chan_events_lost(struct nfsc_chan *ch)
{
	bool lost = ch->events_lost;

	ch->events_lost = false;
	return lost;
}

int nfsc_chan_receive(struct nfsc_chan *ch)
{
	int ret = chan_read(ch);

	if (!ret) {
		ret = ch->proto_error;
		ch->proto_error = 0;
	}
	return ret;
}

bool nfsc_chan_has_error(const struct nfsc_chan *ch)
{
	return ch->proto_error;
}

/*
 * Send @msg and wait for its ack or error, taking requests meanwhile. A
 * malformed message read on the way is not this command's answer: it
 * waits for nfsc_chan_receive(), and the command still gets its own (a
 * claim's descriptors are only installed by the time of its ack).
 */
static int chan_transact(struct nfsc_chan *ch, struct nl_msg *msg)
{
	struct pollfd pfd = { .fd = nfsc_chan_fd(ch), .events = POLLIN };
	int ret;

	ch->done = false;
	ch->error = 0;
	ch->why[0] = '\0';
	ret = nl_send_auto(ch->sk, msg);
	ch->seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (ret < 0)
		return nlerr_to_errno(ret);
	while (!ch->done) {
		ret = poll(&pfd, 1, 30000);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			return ret ? -errno : -ETIMEDOUT;
		ret = chan_read(ch);
		if (ret < 0)
			return ret;
	}
	return ch->error;
}

static struct nl_msg *chan_msg(struct nfsc_chan *ch, uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ch->family, 0,
				NLM_F_ACK, cmd, NFS_CACHEFS_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

int nfsc_chan_register(struct nfsc_chan *ch)
{
	struct nl_msg *msg = chan_msg(ch, NFS_CACHEFS_CMD_DAEMON_REGISTER);
	int one = 1;

	/*
	 * A request that finds the daemon's buffer full waits in the kernel
	 * and is sent again, so an overrun loses nothing the daemon must
	 * hear of (and the kernel leaves half of the buffer to replies). An
	 * event channel (prefetch's) keeps ENOBUFS: a lost event is an error.
	 */
	setsockopt(nfsc_chan_fd(ch), SOL_NETLINK, NETLINK_NO_ENOBUFS, &one,
		   sizeof(one));
	return msg ? chan_transact(ch, msg) : -ENOMEM;
}

int nfsc_chan_claim(struct nfsc_chan *ch, uint64_t id,
		    struct nfsc_fill_claim *claim)
{
	struct nl_msg *msg = chan_msg(ch, NFS_CACHEFS_CMD_FILL_CLAIM);
	int ret;

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, NFS_CACHEFS_A_REQUEST_ID, id) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	memset(claim, 0, sizeof(*claim));
	claim->src_fd = -1;
	claim->dst_fd = -1;
	ch->claim = claim;
	ret = chan_transact(ch, msg);
	/*
	 * The kernel replies only once the claim is made and its descriptors
	 * are ours: a reply that came is the answer even if its ack did not.
	 */
	if (!ch->claim)
		ret = 0;
	else if (!ret)
		ret = -EPROTO;	/* acked without a reply */
	ch->claim = NULL;
	return ret;
}

int nfsc_chan_done(struct nfsc_chan *ch, uint64_t id, int status,
		   uint64_t bytes, const void *csum, size_t csum_len)
{
	struct nl_msg *msg = chan_msg(ch, NFS_CACHEFS_CMD_FILL_DONE);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, NFS_CACHEFS_A_REQUEST_ID, id) < 0 ||
	    nla_put_u32(msg, NFS_CACHEFS_A_STATUS, (uint32_t)status) < 0 ||
	    nla_put_u64(msg, NFS_CACHEFS_A_BYTES, bytes) < 0 ||
	    (csum && nla_put(msg, NFS_CACHEFS_A_CHECKSUM, csum_len, csum) < 0)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return chan_transact(ch, msg);
}

int nfsc_chan_cull(struct nfsc_chan *ch, uint32_t mount_id,
		   const char *object, uint64_t *bytes)
{
	struct nl_msg *msg = chan_msg(ch, NFS_CACHEFS_CMD_CULL);
	int ret;

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, NFS_CACHEFS_A_MOUNT_ID, mount_id) < 0 ||
	    nla_put_string(msg, NFS_CACHEFS_A_OBJECT, object) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	*bytes = 0;
	ch->cull_bytes = bytes;
	ret = chan_transact(ch, msg);
	ch->cull_bytes = NULL;
	return ret;
}

int nfsc_chan_set(struct nfsc_chan *ch, uint32_t mount_id, const char *key,
		  const char *value)
{
	struct nl_msg *msg = chan_msg(ch, NFS_CACHEFS_CMD_SET);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, NFS_CACHEFS_A_MOUNT_ID, mount_id) < 0 ||
	    nla_put_string(msg, NFS_CACHEFS_A_KEY, key) < 0 ||
	    nla_put_string(msg, NFS_CACHEFS_A_VALUE, value) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return chan_transact(ch, msg);
}

int nfsc_chan_get(struct nfsc_chan *ch, uint32_t mount_id, const char *key,
		  char *value, size_t len)
{
	struct nl_msg *msg = chan_msg(ch, NFS_CACHEFS_CMD_GET);
	int ret;

	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, NFS_CACHEFS_A_MOUNT_ID, mount_id) < 0 ||
	    nla_put_string(msg, NFS_CACHEFS_A_KEY, key) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	value[0] = '\0';
	ch->value = value;
	ch->value_len = len;
	ret = chan_transact(ch, msg);
	if (!ret && ch->value)
		ret = -EPROTO;	/* acked without a reply */
	ch->value = NULL;
	return ret;
}

int nfsc_chan_monitor(struct nfsc_chan *ch, nfsc_event_fn fn, void *arg)
{
	int grp;

	grp = genl_ctrl_resolve_grp(ch->sk, NFS_CACHEFS_GENL_NAME,
				    NFS_CACHEFS_GENL_MCGRP_MONITOR);
	if (grp < 0)
		return nlerr_to_errno(grp);
	ch->event_fn = fn;
	ch->event_arg = arg;
	grp = nl_socket_add_membership(ch->sk, grp);
	return grp < 0 ? nlerr_to_errno(grp) : 0;
}

/* A command whose one attribute is the file descriptor @fd. */
static struct nl_msg *fd_msg(struct nfsc_chan *ch, uint8_t cmd, int fd)
{
	struct nl_msg *msg = chan_msg(ch, cmd);

	if (msg && nla_put_u32(msg, NFS_CACHEFS_A_FD, (uint32_t)fd) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

int nfsc_chan_invalidate(struct nfsc_chan *ch, int fd)
{
	struct nl_msg *msg = fd_msg(ch, NFS_CACHEFS_CMD_INVALIDATE, fd);

	return msg ? chan_transact(ch, msg) : -ENOMEM;
}

int nfsc_chan_prefetch(struct nfsc_chan *ch, int fd, int *status, uint64_t *id)
{
	struct nl_msg *msg = fd_msg(ch, NFS_CACHEFS_CMD_PREFETCH, fd);
	int ret;

	if (!msg)
		return -ENOMEM;
	*status = -1;
	*id = 0;
	ch->prefetch_status = status;
	ch->prefetch_id = id;
	ret = chan_transact(ch, msg);
	if (!ret && ch->prefetch_status)
		ret = -EPROTO;	/* acked without a reply */
	ch->prefetch_status = NULL;
	return ret;
}
