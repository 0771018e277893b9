// SPDX-License-Identifier: GPL-2.0
/*
 * nfs_cachefs: mount API and module init/exit.
 *
 * The stacking filesystem itself is not there yet: the type is registered
 * and its options are parsed and checked, then mounting is refused.
 */
#include "internal.h"

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>

enum nfsc_param {
	NFSC_OPT_LOWERDIR,
	NFSC_OPT_CACHEDIR,
};

static const struct fs_parameter_spec nfsc_fs_parameters[] = {
	fsparam_string("lowerdir", NFSC_OPT_LOWERDIR),
	fsparam_string("cachedir", NFSC_OPT_CACHEDIR),
	{}
};

struct nfsc_fs_context {
	char *lowerdir;
	char *cachedir;
};

static int nfsc_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct nfsc_fs_context *ctx = fc->fs_private;
	struct fs_parse_result result;
	char **slot;
	int opt;

	opt = fs_parse(fc, nfsc_fs_parameters, param, &result);
	if (opt < 0)
		return opt;

	switch (opt) {
	case NFSC_OPT_LOWERDIR:
		slot = &ctx->lowerdir;
		break;
	case NFSC_OPT_CACHEDIR:
		slot = &ctx->cachedir;
		break;
	default:
		return -EINVAL;
	}

	if (*slot)
		return invalfc(fc, "%s= given more than once", param->key);
	if (!*param->string)
		return invalfc(fc, "%s= must not be empty", param->key);

	*slot = param->string;
	param->string = NULL;
	return 0;
}

static int nfsc_get_tree(struct fs_context *fc)
{
	struct nfsc_fs_context *ctx = fc->fs_private;

	if (!ctx->lowerdir)
		return invalfc(fc, "lowerdir= is required");
	if (!ctx->cachedir)
		return invalfc(fc, "cachedir= is required");

	errorfc(fc, "mounting is not implemented in this version");
	return -EOPNOTSUPP;
}

static void nfsc_free_fc(struct fs_context *fc)
{
	struct nfsc_fs_context *ctx = fc->fs_private;

	if (!ctx)
		return;
	kfree(ctx->lowerdir);
	kfree(ctx->cachedir);
	kfree(ctx);
}

static const struct fs_context_operations nfsc_context_ops = {
	.parse_param	= nfsc_parse_param,
	.get_tree	= nfsc_get_tree,
	.free		= nfsc_free_fc,
};

static int nfsc_init_fs_context(struct fs_context *fc)
{
	struct nfsc_fs_context *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;

	fc->fs_private = ctx;
	fc->ops = &nfsc_context_ops;
	return 0;
}

/* No FS_USERNS_MOUNT: mounting redirects reads to a root-owned cache. */
static struct file_system_type nfsc_fs_type = {
	.owner			= THIS_MODULE,
	.name			= NFS_CACHEFS_FS_NAME,
	.init_fs_context	= nfsc_init_fs_context,
	.parameters		= nfsc_fs_parameters,
	.kill_sb		= kill_anon_super,
};
MODULE_ALIAS_FS(NFS_CACHEFS_FS_NAME);

static int __init nfsc_init(void)
{
	int err;

	err = nfsc_genl_init();
	if (err)
		goto out;

	err = register_filesystem(&nfsc_fs_type);
	if (err)
		goto out_genl;

	pr_info("version %s loaded (netlink protocol %d)\n", NFSC_VERSION,
		NFS_CACHEFS_GENL_VERSION);
	return 0;

out_genl:
	nfsc_genl_exit();
out:
	return err;
}

static void __exit nfsc_exit(void)
{
	unregister_filesystem(&nfsc_fs_type);
	nfsc_genl_exit();
	pr_info("unloaded\n");
}

module_init(nfsc_init);
module_exit(nfsc_exit);

MODULE_DESCRIPTION("Local read cache stacked over NFS");
MODULE_AUTHOR("nfs_cachefs developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(NFSC_VERSION);
