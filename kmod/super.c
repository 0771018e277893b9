// SPDX-License-Identifier: GPL-2.0
/*
 * nfs_cachefs: mount API, superblock and module init/exit.
 */
#include "internal.h"

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/magic.h>
#include <linux/namei.h>
#include <linux/seq_file.h>
#include <linux/statfs.h>
#include <linux/xattr.h>

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

static int nfsc_show_options(struct seq_file *m, struct dentry *root)
{
	struct nfsc_sb_info *sbi = NFSC_SB(root->d_sb);

	seq_show_option(m, "lowerdir", sbi->lowerdir);
	seq_show_option(m, "cachedir", sbi->cachedir);
	return 0;
}

static int nfsc_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	int err;

	err = vfs_statfs(&NFSC_SB(dentry->d_sb)->lower_root, buf);
	if (!err)
		buf->f_type = NFS_CACHEFS_SUPER_MAGIC;
	return err;
}

static const struct super_operations nfsc_super_ops = {
	.alloc_inode	= nfsc_alloc_inode,
	.free_inode	= nfsc_free_inode,
	.evict_inode	= nfsc_evict_inode,
	.statfs		= nfsc_statfs,
	.show_options	= nfsc_show_options,
};

static int nfsc_lookup_dir(struct fs_context *fc, const char *opt,
			   const char *name, struct path *path)
{
	int err;

	err = kern_path(name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, path);
	if (err)
		errorfc(fc, "%s=%s: cannot open directory (%d)", opt, name, err);
	return err;
}

static int nfsc_check_lower(struct fs_context *fc, struct nfsc_sb_info *sbi)
{
	struct super_block *lower_sb = sbi->lower_root.mnt->mnt_sb;

	if (lower_sb->s_type == &nfsc_fs_type)
		return invalfc(fc, "lowerdir=%s is itself nfs_cachefs",
			       sbi->lowerdir);
	if (lower_sb->s_magic != NFS_SUPER_MAGIC)
		return invalfc(fc, "lowerdir=%s is not on NFS (%s)",
			       sbi->lowerdir, lower_sb->s_type->name);
	if (lower_sb->s_stack_depth + 1 > FILESYSTEM_MAX_STACK_DEPTH)
		return invalfc(fc, "lowerdir=%s: maximum stacking depth exceeded",
			       sbi->lowerdir);
	return 0;
}

/*
 * The cache must be a local filesystem, apart from the lower one, that can
 * hold O_TMPFILE objects and trusted.* keys, and that we can write to.
 */
static int nfsc_check_cache(struct fs_context *fc, struct nfsc_sb_info *sbi)
{
	struct dentry *root = sbi->cache_root.dentry;
	struct super_block *sb = root->d_sb;
	ssize_t ret;

	if (sb->s_magic == NFS_SUPER_MAGIC || sb->s_type == &nfsc_fs_type)
		return invalfc(fc, "cachedir=%s must be on a local filesystem, not %s",
			       sbi->cachedir, sb->s_type->name);
	if (path_is_under(&sbi->cache_root, &sbi->lower_root))
		return invalfc(fc, "cachedir=%s is inside lowerdir=%s",
			       sbi->cachedir, sbi->lowerdir);
	if (!d_inode(root)->i_op->tmpfile)
		return invalfc(fc, "cachedir=%s: %s has no O_TMPFILE support",
			       sbi->cachedir, sb->s_type->name);
	if (sb_rdonly(sb) || __mnt_is_readonly(sbi->cache_root.mnt))
		return invalfc(fc, "cachedir=%s is read-only", sbi->cachedir);

	ret = vfs_getxattr(nfsc_mnt_idmap(sbi->cache_root.mnt), root,
			   NFS_CACHEFS_XATTR_PROBE, NULL, 0);
	if (ret == -EOPNOTSUPP)
		return invalfc(fc, "cachedir=%s: %s has no trusted.* xattrs",
			       sbi->cachedir, sb->s_type->name);
	return 0;
}

static int nfsc_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct nfsc_fs_context *ctx = fc->fs_private;
	struct nfsc_sb_info *sbi;
	struct super_block *lower_sb;
	struct inode *inode;
	int err;

	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi)
		return -ENOMEM;
	/* From here nfsc_kill_sb() frees sbi, whatever happens. */
	sb->s_fs_info = sbi;
	sbi->sb = sb;
	mutex_init(&sbi->cache_mutex);
	atomic_set(&sbi->nr_requests, 0);
	nfsc_tunables_default(&sbi->tun);
	swap(sbi->lowerdir, ctx->lowerdir);
	swap(sbi->cachedir, ctx->cachedir);

	err = nfsc_lookup_dir(fc, "lowerdir", sbi->lowerdir, &sbi->lower_root);
	if (err)
		return err;
	err = nfsc_check_lower(fc, sbi);
	if (err)
		return err;
	err = nfsc_lookup_dir(fc, "cachedir", sbi->cachedir, &sbi->cache_root);
	if (err)
		return err;
	err = nfsc_check_cache(fc, sbi);
	if (err)
		return err;
	sbi->mounter_cred = prepare_creds();
	if (!sbi->mounter_cred)
		return -ENOMEM;
	err = nfsc_cache_mount(sbi);
	if (err) {
		errorfc(fc, "cachedir=%s: cannot make the volume directory (%d)",
			sbi->cachedir, err);
		return err;
	}

	lower_sb = sbi->lower_root.mnt->mnt_sb;
	sb->s_stack_depth = lower_sb->s_stack_depth + 1;
	sb->s_magic = NFS_CACHEFS_SUPER_MAGIC;
	sb->s_op = &nfsc_super_ops;
	sb->s_d_op = &nfsc_dentry_ops;
	sb->s_xattr = nfsc_xattr_handlers;
	sb->s_maxbytes = lower_sb->s_maxbytes;
	sb->s_time_gran = lower_sb->s_time_gran;
	sb->s_blocksize = lower_sb->s_blocksize;
	sb->s_blocksize_bits = lower_sb->s_blocksize_bits;
	/* Same umask rules as the lower filesystem. */
	sb->s_flags |= lower_sb->s_flags & SB_POSIXACL;

	inode = nfsc_get_inode(sb, d_inode(sbi->lower_root.dentry));
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	sb->s_root = d_make_root(inode);
	if (!sb->s_root)
		return -ENOMEM;
	sb->s_root->d_fsdata = dget(sbi->lower_root.dentry);

	err = nfsc_sysfs_add(sbi);
	if (err)
		errorfc(fc, "cannot add the sysfs directory (%d)", err);
	return err;
}

static int nfsc_get_tree(struct fs_context *fc)
{
	struct nfsc_fs_context *ctx = fc->fs_private;

	if (!ctx->lowerdir)
		return invalfc(fc, "lowerdir= is required");
	if (!ctx->cachedir)
		return invalfc(fc, "cachedir= is required");
	return get_tree_nodev(fc, nfsc_fill_super);
}

/*
 * A remount changes none of our options (the tunables are in sysfs). The
 * directories may be given again, as mount(8) does from fstab, but a new
 * value is refused rather than ignored.
 */
static int nfsc_reconfigure(struct fs_context *fc)
{
	struct nfsc_sb_info *sbi = NFSC_SB(fc->root->d_sb);
	struct nfsc_fs_context *ctx = fc->fs_private;

	if (ctx->lowerdir && strcmp(ctx->lowerdir, sbi->lowerdir))
		return invalfc(fc, "lowerdir= cannot be changed by a remount");
	if (ctx->cachedir && strcmp(ctx->cachedir, sbi->cachedir))
		return invalfc(fc, "cachedir= cannot be changed by a remount");
	return 0;
}

static void nfsc_kill_sb(struct super_block *sb)
{
	struct nfsc_sb_info *sbi = NFSC_SB(sb);

	if (sbi) {
		/*
		 * Requests hold our inodes: gone before the VFS evicts them,
		 * and while the mount's id, which their messages carry, is.
		 */
		nfsc_fill_unmount(sbi);
		nfsc_sysfs_del(sbi);
	}
	kill_anon_super(sb);
	if (!sbi)
		return;
	nfsc_cache_unmount(sbi);
	path_put(&sbi->lower_root);
	path_put(&sbi->cache_root);
	if (sbi->mounter_cred)
		put_cred(sbi->mounter_cred);
	kfree(sbi->lowerdir);
	kfree(sbi->cachedir);
	kfree(sbi);
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
	.reconfigure	= nfsc_reconfigure,
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
struct file_system_type nfsc_fs_type = {
	.owner			= THIS_MODULE,
	.name			= NFS_CACHEFS_FS_NAME,
	.init_fs_context	= nfsc_init_fs_context,
	.parameters		= nfsc_fs_parameters,
	.kill_sb		= nfsc_kill_sb,
};
MODULE_ALIAS_FS(NFS_CACHEFS_FS_NAME);

static int __init nfsc_init(void)
{
	int err;

	err = nfsc_inode_cache_init();
	if (err)
		goto out;

	err = nfsc_sysfs_init();
	if (err)
		goto out_inode_cache;

	err = nfsc_genl_init();
	if (err)
		goto out_sysfs;

	err = register_filesystem(&nfsc_fs_type);
	if (err)
		goto out_genl;

	pr_info("version %s loaded (netlink protocol %d)\n", NFSC_VERSION,
		NFS_CACHEFS_GENL_VERSION);
	return 0;

out_genl:
	nfsc_genl_exit();
out_sysfs:
	nfsc_sysfs_exit();
out_inode_cache:
	nfsc_inode_cache_exit();
out:
	return err;
}

static void __exit nfsc_exit(void)
{
	unregister_filesystem(&nfsc_fs_type);
	nfsc_genl_exit();
	nfsc_sysfs_exit();
	nfsc_inode_cache_exit();
	pr_info("unloaded\n");
}

module_init(nfsc_init);
module_exit(nfsc_exit);

MODULE_DESCRIPTION("Local read cache stacked over NFS");
MODULE_AUTHOR("nfs_cachefs developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(NFSC_VERSION);
