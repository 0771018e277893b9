// SPDX-License-Identifier: GPL-2.0
/*
 * nfs_cachefs: the generic netlink family.
 *
 * Init network namespace only; every attribute has a strict policy (no
 * resv_start_op), so unknown attributes and trailing data are refused.
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
};

static struct genl_family nfsc_genl_family __ro_after_init = {
	.name		= NFS_CACHEFS_GENL_NAME,
	.version	= NFS_CACHEFS_GENL_VERSION,
	.maxattr	= NFS_CACHEFS_A_MAX,
	.policy		= nfsc_genl_policy,
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
