// SPDX-License-Identifier: GPL-2.0
/* nfscache-helper: generic netlink client (libnl-genl-3). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
