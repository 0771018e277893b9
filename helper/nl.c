// SPDX-License-Identifier: GPL-2.0
/* nfscache-helper: generic netlink client (libnl-genl-3). */
#include <errno.h>
#include <stdio.h>

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>

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

int nfsc_nl_family_info(struct nfsc_family_info *info)
{
	struct nl_cache *cache = NULL;
	struct genl_family *family;
	struct nl_sock *sk;
	int ret;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;

	ret = genl_connect(sk);
	if (ret < 0) {
		fprintf(stderr, "nfscache-helper: generic netlink connect: %s\n",
			nl_geterror(ret));
		ret = nlerr_to_errno(ret);
		goto out;
	}

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
