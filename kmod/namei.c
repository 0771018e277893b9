// SPDX-License-Identifier: GPL-2.0
/*
 * nfs_cachefs: names. Lookup, dentry revalidation, and every namespace
 * change, each done on the lower (NFS) directory and mirrored here.
 */
#include "internal.h"

#include <linux/fs_stack.h>
#include <linux/namei.h>

static int nfsc_d_revalidate(struct dentry *dentry, unsigned int flags)
{
	struct dentry *lower = nfsc_lower_dentry(dentry);
	int ret = 1;

	/* NFS may talk to the server; not under RCU from here. */
	if (flags & LOOKUP_RCU)
		return -ECHILD;

	if (lower->d_flags & DCACHE_OP_REVALIDATE) {
		ret = lower->d_op->d_revalidate(lower, flags);
		if (ret <= 0)
			return ret;
	}
	if (d_unhashed(lower))
		return 0;

	if (d_really_is_positive(dentry)) {
		struct inode *inode = d_inode(dentry);

		/* Replaced on the server behind our back? Look up again. */
		if (d_inode(lower) != nfsc_lower_inode(inode))
			return 0;
		nfsc_copy_attr(inode);
	} else if (d_really_is_positive(lower)) {
		return 0;
	}
	return ret;
}

static int nfsc_d_weak_revalidate(struct dentry *dentry, unsigned int flags)
{
	struct dentry *lower = nfsc_lower_dentry(dentry);

	if (lower->d_flags & DCACHE_OP_WEAK_REVALIDATE)
		return lower->d_op->d_weak_revalidate(lower, flags);
	return 1;
}

static void nfsc_d_release(struct dentry *dentry)
{
	dput(dentry->d_fsdata);
}

/*
 * 6.1 only (see NFSC_D_REAL in compat.h): the real file of an open has our
 * path and the lower inode, and NFS asks for its own dentry.
 */
static __maybe_unused struct dentry *
nfsc_d_real(struct dentry *dentry, const struct inode *inode)
{
	struct dentry *lower;

	if (!inode || inode == d_inode(dentry) || !d_is_reg(dentry))
		return dentry;
	lower = nfsc_lower_dentry(dentry);
	if (inode == d_inode(lower))
		return lower;
	pr_warn_ratelimited("%s: no real dentry of %pd for inode %lu\n",
			    __func__, dentry, inode->i_ino);
	return dentry;
}

const struct dentry_operations nfsc_dentry_ops = {
	.d_revalidate		= nfsc_d_revalidate,
	.d_weak_revalidate	= nfsc_d_weak_revalidate,
	.d_release		= nfsc_d_release,
	NFSC_D_REAL(nfsc_d_real)
};

static struct dentry *nfsc_lookup(struct inode *dir, struct dentry *dentry,
				  unsigned int flags)
{
	struct dentry *lower_dir = nfsc_lower_dentry(dentry->d_parent);
	struct inode *inode = NULL;
	struct dentry *lower;

	lower = lookup_one_len_unlocked(dentry->d_name.name, lower_dir,
					dentry->d_name.len);
	if (IS_ERR(lower))
		return ERR_CAST(lower);
	/* From here d_release() drops the reference, whatever happens. */
	dentry->d_fsdata = lower;
	/*
	 * A submount on the server (another export, a referral): NFS mounts
	 * it on the way through, and the stack, over one NFS mount, does not
	 * follow (as overlayfs does not).
	 */
	if (lower->d_flags & DCACHE_NEED_AUTOMOUNT)
		return ERR_PTR(-EREMOTE);

	if (d_really_is_positive(lower)) {
		inode = nfsc_get_inode(dir->i_sb, d_inode(lower));
		if (IS_ERR(inode))
			return ERR_CAST(inode);
	}
	fsstack_copy_attr_atime(dir, d_inode(lower_dir));
	return d_splice_alias(inode, dentry);
}

/*
 * Lock the lower parent of @dentry for a namespace change and check that
 * the lower dentry still sits in it (a rename on the server may have moved
 * it): -ESTALE lets the VFS retry with a fresh lookup. Takes a write
 * reference on the lower mount so a read-only NFS mount stays read-only.
 */
static int nfsc_lock_parent(struct dentry *dentry, struct dentry **lower_dir)
{
	struct vfsmount *mnt = nfsc_lower_mnt(dentry->d_sb);
	struct dentry *ldir = nfsc_lower_dentry(dentry->d_parent);
	int err;

	err = mnt_want_write(mnt);
	if (err)
		return err;
	inode_lock_nested(d_inode(ldir), I_MUTEX_PARENT);
	if (nfsc_lower_dentry(dentry)->d_parent != ldir) {
		inode_unlock(d_inode(ldir));
		mnt_drop_write(mnt);
		return -ESTALE;
	}
	*lower_dir = ldir;
	return 0;
}

static void nfsc_unlock_parent(struct dentry *dentry, struct dentry *lower_dir)
{
	struct inode *dir = d_inode(dentry->d_parent);

	fsstack_copy_attr_times(dir, d_inode(lower_dir));
	fsstack_copy_inode_size(dir, d_inode(lower_dir));
	set_nlink(dir, d_inode(lower_dir)->i_nlink);
	inode_unlock(d_inode(lower_dir));
	mnt_drop_write(nfsc_lower_mnt(dentry->d_sb));
}

/*
 * After a successful create on the lower directory, give @dentry the
 * stacked inode. NFS instantiates the lower dentry it was given, except
 * for a directory that already has an alias; then leave ours unhashed and
 * let the next lookup find it.
 */
static int nfsc_instantiate(struct dentry *dentry)
{
	struct dentry *lower = nfsc_lower_dentry(dentry);
	struct inode *inode;

	if (d_really_is_negative(lower) || d_unhashed(lower)) {
		d_drop(dentry);
		return 0;
	}
	inode = nfsc_get_inode(dentry->d_sb, d_inode(lower));
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	d_instantiate(dentry, inode);
	return 0;
}

/* What to create: the type is in mode. */
struct nfsc_cattr {
	umode_t mode;
	dev_t rdev;
	const char *link;
	bool excl;
};

static int nfsc_create_object(struct dentry *dentry,
			      const struct nfsc_cattr *attr)
{
	struct nfsc_idmap *idmap = nfsc_lower_idmap(dentry->d_sb);
	struct dentry *lower = nfsc_lower_dentry(dentry);
	struct dentry *lower_dir;
	struct inode *ldir;
	int err;

	err = nfsc_lock_parent(dentry, &lower_dir);
	if (err)
		return err;
	ldir = d_inode(lower_dir);

	switch (attr->mode & S_IFMT) {
	case S_IFREG:
		err = vfs_create(idmap, ldir, lower, attr->mode, attr->excl);
		break;
	case S_IFDIR:
		err = vfs_mkdir(idmap, ldir, lower, attr->mode);
		break;
	case S_IFLNK:
		err = vfs_symlink(idmap, ldir, lower, attr->link);
		break;
	default:
		err = vfs_mknod(idmap, ldir, lower, attr->mode, attr->rdev);
		break;
	}
	if (!err)
		err = nfsc_instantiate(dentry);
	/* open() needs the file it just created; a directory can wait. */
	if (!err && d_really_is_negative(dentry) && S_ISREG(attr->mode))
		err = -ESTALE;
	nfsc_unlock_parent(dentry, lower_dir);
	return err;
}

static int nfsc_create(struct nfsc_idmap *idmap, struct inode *dir,
		       struct dentry *dentry, umode_t mode, bool excl)
{
	struct nfsc_cattr attr = {
		.mode = (mode & 07777) | S_IFREG,
		.excl = excl,
	};

	return nfsc_create_object(dentry, &attr);
}

static int nfsc_mkdir(struct nfsc_idmap *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode)
{
	struct nfsc_cattr attr = { .mode = (mode & 07777) | S_IFDIR };

	return nfsc_create_object(dentry, &attr);
}

static int nfsc_mknod(struct nfsc_idmap *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode, dev_t rdev)
{
	struct nfsc_cattr attr = { .mode = mode, .rdev = rdev };

	return nfsc_create_object(dentry, &attr);
}

static int nfsc_symlink(struct nfsc_idmap *idmap, struct inode *dir,
			struct dentry *dentry, const char *target)
{
	struct nfsc_cattr attr = { .mode = S_IFLNK | 0777, .link = target };

	return nfsc_create_object(dentry, &attr);
}

static int nfsc_link(struct dentry *old_dentry, struct inode *dir,
		     struct dentry *new_dentry)
{
	struct dentry *lower_old = nfsc_lower_dentry(old_dentry);
	struct nfsc_inval inval;
	struct dentry *lower_dir;
	int err;

	/* Each change is dropped only once NFS made it: it may refuse. */
	nfsc_invalidate_prepare(old_dentry, &inval);
	err = nfsc_lock_parent(new_dentry, &lower_dir);
	if (err)
		return err;
	err = vfs_link(lower_old, nfsc_lower_idmap(dir->i_sb),
		       d_inode(lower_dir), nfsc_lower_dentry(new_dentry), NULL);
	if (!err) {
		nfsc_invalidate_done(&inval);
		err = nfsc_instantiate(new_dentry);
		nfsc_copy_attr(d_inode(old_dentry));
	}
	nfsc_unlock_parent(new_dentry, lower_dir);
	return err;
}

/*
 * NFS silly-renames a file it unlinks or renames over when its dentry is
 * busy (has references beyond the caller's), keeping it for those users.
 * Ours pins the lower dentry once: pass on that ours is busy, which on 6.1
 * is all an open file through the stack leaves behind (its real file has
 * our path), with one more reference. @base: ours when not busy.
 */
static struct dentry *nfsc_pass_busy(struct dentry *dentry, unsigned int base)
{
	struct dentry *lower = nfsc_lower_dentry(dentry);
	bool busy;

	spin_lock(&dentry->d_lock);
	busy = d_count(dentry) > base;
	spin_unlock(&dentry->d_lock);
	return busy ? dget(lower) : NULL;
}

static int nfsc_unlink(struct inode *dir, struct dentry *dentry)
{
	/* Pinned by ours for the call: no reference of our own. */
	struct dentry *lower = nfsc_lower_dentry(dentry);
	struct inode *inode = d_inode(dentry);
	struct dentry *lower_dir, *busy;
	struct nfsc_inval inval;
	int err;

	nfsc_invalidate_prepare(dentry, &inval);
	err = nfsc_lock_parent(dentry, &lower_dir);
	if (err)
		return err;
	busy = nfsc_pass_busy(dentry, 1);	/* the caller's */
	err = vfs_unlink(nfsc_lower_idmap(dir->i_sb), d_inode(lower_dir),
			 lower, NULL);
	dput(busy);
	if (!err) {
		nfsc_invalidate_done(&inval);
		nfsc_copy_attr(inode);
		/* NFS may have silly-renamed the lower dentry: drop ours. */
		d_drop(dentry);
	}
	nfsc_unlock_parent(dentry, lower_dir);
	return err;
}

static int nfsc_rmdir(struct inode *dir, struct dentry *dentry)
{
	struct dentry *lower = dget(nfsc_lower_dentry(dentry));
	struct dentry *lower_dir;
	int err;

	err = nfsc_lock_parent(dentry, &lower_dir);
	if (err)
		goto out;
	err = vfs_rmdir(nfsc_lower_idmap(dir->i_sb), d_inode(lower_dir), lower);
	if (!err) {
		clear_nlink(d_inode(dentry));
		d_drop(dentry);
	}
	nfsc_unlock_parent(dentry, lower_dir);
out:
	dput(lower);
	return err;
}

static int nfsc_rename(struct nfsc_idmap *idmap, struct inode *old_dir,
		       struct dentry *old_dentry, struct inode *new_dir,
		       struct dentry *new_dentry, unsigned int flags)
{
	struct vfsmount *mnt = nfsc_lower_mnt(old_dir->i_sb);
	struct dentry *lower_old_dir = nfsc_lower_dentry(old_dentry->d_parent);
	struct dentry *lower_new_dir = nfsc_lower_dentry(new_dentry->d_parent);
	/* Pinned by ours for the call: no references of our own. */
	struct dentry *lower_old = nfsc_lower_dentry(old_dentry);
	struct dentry *lower_new = nfsc_lower_dentry(new_dentry);
	struct nfsc_inval inval_old, inval_new;
	struct dentry *trap, *busy = NULL;
	struct renamedata rd = {};
	int err;

	nfsc_invalidate_prepare(old_dentry, &inval_old);
	nfsc_invalidate_prepare(new_dentry, &inval_new);
	err = mnt_want_write(mnt);
	if (err)
		return err;

	trap = lock_rename(lower_old_dir, lower_new_dir);
	if (IS_ERR(trap)) {
		err = PTR_ERR(trap);
		goto out_drop_write;
	}
	err = -ESTALE;
	if (lower_old->d_parent != lower_old_dir ||
	    lower_new->d_parent != lower_new_dir)
		goto out_unlock;
	/* Source is an ancestor of the target, or the other way round. */
	err = -EINVAL;
	if (trap == lower_old)
		goto out_unlock;
	err = -ENOTEMPTY;
	if (trap == lower_new)
		goto out_unlock;

	rd.old_dir = d_inode(lower_old_dir);
	rd.old_dentry = lower_old;
	rd.new_dir = d_inode(lower_new_dir);
	rd.new_dentry = lower_new;
	rd.flags = flags;
	nfsc_renamedata_set_idmap(&rd, nfsc_mnt_idmap(mnt));
	/* The caller's reference and vfs_rename()'s on a target. */
	if (d_really_is_positive(new_dentry))
		busy = nfsc_pass_busy(new_dentry, 2);
	err = vfs_rename(&rd);
	dput(busy);
	if (!err) {
		nfsc_invalidate_done(&inval_old);
		nfsc_invalidate_done(&inval_new);
		fsstack_copy_attr_all(new_dir, d_inode(lower_new_dir));
		if (new_dir != old_dir)
			fsstack_copy_attr_all(old_dir, d_inode(lower_old_dir));
		nfsc_copy_attr(d_inode(old_dentry));
		if (d_really_is_positive(new_dentry))
			nfsc_copy_attr(d_inode(new_dentry));
	}
out_unlock:
	unlock_rename(lower_old_dir, lower_new_dir);
out_drop_write:
	mnt_drop_write(mnt);
	return err;
}

const struct inode_operations nfsc_dir_iops = {
	.lookup		= nfsc_lookup,
	.create		= nfsc_create,
	.mkdir		= nfsc_mkdir,
	.mknod		= nfsc_mknod,
	.symlink	= nfsc_symlink,
	.link		= nfsc_link,
	.unlink		= nfsc_unlink,
	.rmdir		= nfsc_rmdir,
	.rename		= nfsc_rename,
	.getattr	= nfsc_getattr,
	.setattr	= nfsc_setattr,
	.permission	= nfsc_permission,
	.listxattr	= nfsc_listxattr,
};
