// SPDX-License-Identifier: GPL-2.0
/*
 * nfs_cachefs: the generic netlink family.
 *
 * Init network namespace only; every attribute has a strict policy (no
 * resv_start_op), so unknown attributes and trailing data are refused.
 * struct genl_ops (not split ops) so that one table builds on 6.1 and 6.12.
 */
#include "internal.h"

#include <net/genetlink.h>

static const struct nla_policy nfsc_genl_policy[NFS_CACHEFS_A_MAX + 1] = {
	[NFS_CACHEFS_A_REQUEST_ID]	= { .type = NLA_U64 },
	[NFS_CACHEFS_A_MOUNT_ID]	= { .type = NLA_U32 },
	[NFS_CACHEFS_A_SIZE]		= { .type = NLA_U64 },
	[NFS_CACHEFS_A_PATH]		= { .type = NLA_NUL_STRING,
					    .len = NFS_CACHEFS_PATH_MAX - 1 },
	[NFS_CACHEFS_A_SRC_FD]		= { .type = NLA_U32 },
	[NFS_CACHEFS_A_DST_FD]		= { .type = NLA_U32 },
	[NFS_CACHEFS_A_BYTES]		= { .type = NLA_U64 },
	[NFS_CACHEFS_A_STATUS]		= { .type = NLA_S32 },
	[NFS_CACHEFS_A_CHECKSUM]	= { .type = NLA_BINARY,
					    .len = NFS_CACHEFS_CHECKSUM_MAX },
	[NFS_CACHEFS_A_FD]		= { .type = NLA_U32 },
	[NFS_CACHEFS_A_KEY]		= { .type = NLA_NUL_STRING,
					    .len = NFS_CACHEFS_KEY_MAX - 1 },
	[NFS_CACHEFS_A_VALUE]		= { .type = NLA_NUL_STRING,
					    .len = NFS_CACHEFS_VALUE_MAX - 1 },
	[NFS_CACHEFS_A_LOWERDIR]	= { .type = NLA_NUL_STRING,
					    .len = NFS_CACHEFS_PATH_MAX - 1 },
	[NFS_CACHEFS_A_CACHEDIR]	= { .type = NLA_NUL_STRING,
					    .len = NFS_CACHEFS_PATH_MAX - 1 },
	[NFS_CACHEFS_A_EVENT]		= { .type = NLA_U32 },
	/* Only ever sent by the kernel. */
	[NFS_CACHEFS_A_STATS]		= { .type = NLA_REJECT },
};

static struct genl_family nfsc_genl_family;

/* Counters in the order of enum nfs_cachefs_stat. */
static const atomic64_t *nfsc_stat_ptr(struct nfsc_sb_info *sbi, int type)
{
	switch (type) {
	case NFS_CACHEFS_STAT_HITS:		return &sbi->stats.hits;
	case NFS_CACHEFS_STAT_MISSES:		return &sbi->stats.misses;
	case NFS_CACHEFS_STAT_FILLS_OK:		return &sbi->stats.fills_ok;
	case NFS_CACHEFS_STAT_FILLS_FAILED:	return &sbi->stats.fills_failed;
	case NFS_CACHEFS_STAT_STALE:		return &sbi->stats.stale;
	case NFS_CACHEFS_STAT_BYTES_CACHE:	return &sbi->stats.bytes_cache;
	case NFS_CACHEFS_STAT_BYTES_LOWER:	return &sbi->stats.bytes_lower;
	case NFS_CACHEFS_STAT_PENDING:		return &sbi->stats.pending;
	case NFS_CACHEFS_STAT_FILLING:		return &sbi->stats.filling;
	default:				return NULL;
	}
}

/* One mount: its id, directories and counters. */
static int nfsc_put_mount_stats(struct sk_buff *skb, struct nfsc_sb_info *sbi)
{
	struct nlattr *nest;
	int type;

	if (nla_put_u32(skb, NFS_CACHEFS_A_MOUNT_ID, sbi->id) ||
	    nla_put_string(skb, NFS_CACHEFS_A_LOWERDIR, sbi->lowerdir) ||
	    nla_put_string(skb, NFS_CACHEFS_A_CACHEDIR, sbi->cachedir))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, NFS_CACHEFS_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (type = NFS_CACHEFS_STAT_HITS; type <= NFS_CACHEFS_STAT_MAX; type++) {
		if (nla_put_u64_64bit(skb, type,
				      atomic64_read(nfsc_stat_ptr(sbi, type)),
				      NFS_CACHEFS_STAT_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Every mount, one message each; cb->args[0] counts those already sent. */
static int nfsc_get_stats_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct nfsc_sb_info *sbi;
	long idx = 0;
	void *hdr;

	mutex_lock(&nfsc_mounts_lock);
	list_for_each_entry(sbi, &nfsc_mounts, mount_node) {
		if (idx++ < cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &nfsc_genl_family,
				  NLM_F_MULTI, NFS_CACHEFS_CMD_GET_STATS);
		if (!hdr || nfsc_put_mount_stats(skb, sbi)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			idx--;
			break;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&nfsc_mounts_lock);
	cb->args[0] = idx;
	return skb->len;
}

/* Reading counters is open to everyone, as the sysfs files are. */
static const struct genl_ops nfsc_genl_ops[] = {
	{
		.cmd	= NFS_CACHEFS_CMD_GET_STATS,
		.dumpit	= nfsc_get_stats_dumpit,
	},
};

static struct genl_family nfsc_genl_family __ro_after_init = {
	.name		= NFS_CACHEFS_GENL_NAME,
	.version	= NFS_CACHEFS_GENL_VERSION,
	.maxattr	= NFS_CACHEFS_A_MAX,
	.policy		= nfsc_genl_policy,
	.ops		= nfsc_genl_ops,
	.n_ops		= ARRAY_SIZE(nfsc_genl_ops),
	.netnsok	= false,
	.module		= THIS_MODULE,
};

int __init nfsc_genl_init(void)
{
	int err;

	err = genl_register_family(&nfsc_genl_family);
	if (err)
		pr_err("cannot register generic netlink family %s: %d\n",
		       NFS_CACHEFS_GENL_NAME, err);
	return err;
}

void nfsc_genl_exit(void)
{
	genl_unregister_family(&nfsc_genl_family);
}
