// SPDX-License-Identifier: GPL-2.0
/*
 * nfs_cachefs: directory files. Each open directory has an open lower
 * directory; readdir, seek positions (NFS cookies) and fsync are its.
 */
#include "internal.h"

#include <linux/file.h>
#include <linux/fs_stack.h>
#include <linux/slab.h>

static int nfsc_dir_open(struct inode *inode, struct file *file)
{
	struct path lower;
	struct file *real;

	nfsc_lower_path(file->f_path.dentry, &lower);
	real = dentry_open(&lower, file->f_flags, current_cred());
	if (IS_ERR(real))
		return PTR_ERR(real);
	file->private_data = real;
	return 0;
}

static int nfsc_dir_release(struct inode *inode, struct file *file)
{
	fput(file->private_data);
	return 0;
}

struct nfsc_readdir {
	struct dir_context ctx;
	struct dir_context *caller;
};

static bool nfsc_filldir(struct dir_context *ctx, const char *name,
			 int namelen, loff_t offset, u64 ino,
			 unsigned int d_type)
{
	struct nfsc_readdir *rd = container_of(ctx, struct nfsc_readdir, ctx);

	/* The caller records the lower's position (an NFS cookie). */
	rd->caller->pos = rd->ctx.pos;
	return dir_emit(rd->caller, name, namelen, ino, d_type);
}

static int nfsc_iterate_shared(struct file *file, struct dir_context *ctx)
{
	struct file *real = file->private_data;
	struct nfsc_readdir rd = {
		.ctx.actor	= nfsc_filldir,
		.caller		= ctx,
	};
	int err;

	err = iterate_dir(real, &rd.ctx);
	ctx->pos = rd.ctx.pos;
	fsstack_copy_attr_atime(file_inode(file), file_inode(real));
	return err;
}

/* Positions are the lower file's: seek it, then mirror its position. */
static loff_t nfsc_dir_llseek(struct file *file, loff_t offset, int whence)
{
	struct file *real = file->private_data;
	loff_t ret;

	ret = vfs_llseek(real, offset, whence);
	if (ret >= 0)
		file->f_pos = real->f_pos;
	return ret;
}

static int nfsc_dir_fsync(struct file *file, loff_t start, loff_t end,
			  int datasync)
{
	return vfs_fsync_range(file->private_data, start, end, datasync);
}

const struct file_operations nfsc_dir_fops = {
	.open		= nfsc_dir_open,
	.release	= nfsc_dir_release,
	.read		= generic_read_dir,
	.iterate_shared	= nfsc_iterate_shared,
	.llseek		= nfsc_dir_llseek,
	.fsync		= nfsc_dir_fsync,
};
