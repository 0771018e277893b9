// SPDX-License-Identifier: GPL-2.0
/*
 * nfs_cachefs: stacked inodes and the operations every inode type shares:
 * getattr, setattr, permission and extended attributes, all decided by the
 * lower (NFS) inode.
 */
#include "internal.h"

#include <linux/fs_stack.h>
#include <linux/slab.h>
#include <linux/xattr.h>

static struct kmem_cache *nfsc_inode_cachep;

static void nfsc_inode_init_once(void *obj)
{
	struct nfsc_inode_info *ni = obj;

	inode_init_once(&ni->vfs_inode);
}

int __init nfsc_inode_cache_init(void)
{
	nfsc_inode_cachep = kmem_cache_create("nfs_cachefs_inode",
					      sizeof(struct nfsc_inode_info), 0,
					      SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
					      nfsc_inode_init_once);
	return nfsc_inode_cachep ? 0 : -ENOMEM;
}

void nfsc_inode_cache_exit(void)
{
	/* Inodes are freed after an RCU grace period: wait for them. */
	rcu_barrier();
	kmem_cache_destroy(nfsc_inode_cachep);
}

struct inode *nfsc_alloc_inode(struct super_block *sb)
{
	struct nfsc_inode_info *ni;

	ni = alloc_inode_sb(sb, nfsc_inode_cachep, GFP_KERNEL);
	if (!ni)
		return NULL;
	/* The slab constructor only sets up the VFS inode: the rest is ours. */
	ni->lower = NULL;
	ni->req = NULL;
	ni->commit_gen = 0;
	ni->inval_gen = 0;
	ni->verified = jiffies - MAX_JIFFY_OFFSET;	/* long ago */
	ni->flags = 0;
	return &ni->vfs_inode;
}

void nfsc_free_inode(struct inode *inode)
{
	kmem_cache_free(nfsc_inode_cachep, NFSC_I(inode));
}

void nfsc_evict_inode(struct inode *inode)
{
	struct inode *lower = nfsc_lower_inode(inode);

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	/* An RCU path walk may still look (nfsc_permission()). */
	WRITE_ONCE(NFSC_I(inode)->lower, NULL);
	iput(lower);
}

/* Of the lower inode's flags, those that say how it may be written. */
#define NFSC_LOWER_FLAGS	(S_SYNC | S_APPEND | S_IMMUTABLE)

/*
 * Refresh the stacked inode's attributes from the lower inode. The flags
 * stay ours but for NFSC_LOWER_FLAGS: our times are never updated, and an
 * NFS S_AUTOMOUNT (a submount on the server) would ask for a d_automount
 * we have not (nfsc_lookup() refuses those).
 */
void nfsc_copy_attr(struct inode *inode)
{
	struct inode *lower = nfsc_lower_inode(inode);

	fsstack_copy_attr_all(inode, lower);
	/* Only ours, atomically: the VFS sets S_DEAD and S_NOSEC meanwhile. */
	inode_set_flags(inode, lower->i_flags & NFSC_LOWER_FLAGS,
			NFSC_LOWER_FLAGS);
	fsstack_copy_inode_size(inode, lower);
}

static int nfsc_inode_test(struct inode *inode, void *lower)
{
	return nfsc_lower_inode(inode) == lower;
}

static int nfsc_inode_set(struct inode *inode, void *lower)
{
	/* The reference taken by nfsc_get_inode() passes to the inode. */
	NFSC_I(inode)->lower = lower;
	return 0;
}

static void nfsc_init_inode(struct inode *inode, struct inode *lower)
{
	/* st_ino is the lower's, so tools that compare inodes still work. */
	inode->i_ino = lower->i_ino;
	/* Times come from the lower inode; never update our own. */
	inode->i_flags |= S_NOATIME | S_NOCMTIME;

	switch (lower->i_mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &nfsc_file_iops;
		inode->i_fop = &nfsc_file_fops;
		break;
	case S_IFDIR:
		inode->i_op = &nfsc_dir_iops;
		inode->i_fop = &nfsc_dir_fops;
		break;
	case S_IFLNK:
		inode->i_op = &nfsc_symlink_iops;
		break;
	default:
		inode->i_op = &nfsc_special_iops;
		init_special_inode(inode, lower->i_mode, lower->i_rdev);
		break;
	}
	nfsc_copy_attr(inode);
}

/**
 * nfsc_get_inode - find or make the stacked inode of a lower inode
 * @sb: the nfs_cachefs superblock
 * @lower: the lower inode
 *
 * Return: a referenced inode or an ERR_PTR.
 */
struct inode *nfsc_get_inode(struct super_block *sb, struct inode *lower)
{
	struct inode *inode;

	if (lower->i_sb != nfsc_lower_mnt(sb)->mnt_sb)
		return ERR_PTR(-EXDEV);
	if (!igrab(lower))
		return ERR_PTR(-ESTALE);

	inode = iget5_locked(sb, (unsigned long)lower, nfsc_inode_test,
			     nfsc_inode_set, lower);
	if (!inode) {
		iput(lower);
		return ERR_PTR(-ENOMEM);
	}
	if (!(inode->i_state & I_NEW)) {
		iput(lower);
		return inode;
	}
	nfsc_init_inode(inode, lower);
	unlock_new_inode(inode);
	return inode;
}

int nfsc_getattr(struct nfsc_idmap *idmap, const struct path *path,
		 struct kstat *stat, u32 request_mask, unsigned int flags)
{
	struct path lower;
	int err;

	nfsc_lower_path(path->dentry, &lower);
	err = nfsc_vfs_getattr(&lower, stat, request_mask, flags);
	if (err)
		return err;
	nfsc_copy_attr(d_inode(path->dentry));
	/* Everything is the lower's but the device: this is its own mount. */
	stat->dev = path->dentry->d_sb->s_dev;
	return 0;
}

int nfsc_setattr(struct nfsc_idmap *idmap, struct dentry *dentry,
		 struct iattr *ia)
{
	struct dentry *lower = nfsc_lower_dentry(dentry);
	struct vfsmount *mnt = nfsc_lower_mnt(dentry->d_sb);
	struct nfsc_inval inval = {};
	struct iattr lower_ia = *ia;
	int err;

	if (ia->ia_valid & ATTR_FILE)
		lower_ia.ia_file = nfsc_real_file(ia->ia_file);
	/* Let the lower notify_change() work out the mode from the kill bits. */
	if (ia->ia_valid & (ATTR_KILL_SUID | ATTR_KILL_SGID))
		lower_ia.ia_valid &= ~ATTR_MODE;
	if (ia->ia_valid & ATTR_SIZE)
		nfsc_invalidate_prepare(dentry, &inval);

	err = mnt_want_write(mnt);
	if (err)
		return err;
	inode_lock(d_inode(lower));
	err = notify_change(nfsc_mnt_idmap(mnt), lower, &lower_ia, NULL);
	inode_unlock(d_inode(lower));
	mnt_drop_write(mnt);
	if (!err)
		nfsc_invalidate_done(&inval);

	nfsc_copy_attr(d_inode(dentry));
	return err;
}

int nfsc_permission(struct nfsc_idmap *idmap, struct inode *inode, int mask)
{
	struct inode *lower = READ_ONCE(NFSC_I(inode)->lower);

	/* Met in an RCU walk while being evicted: walk again, with references. */
	if (!lower)
		return -ECHILD;
	return inode_permission(nfsc_lower_idmap(inode->i_sb), lower, mask);
}

ssize_t nfsc_listxattr(struct dentry *dentry, char *list, size_t size)
{
	return vfs_listxattr(nfsc_lower_dentry(dentry), list, size);
}

static int nfsc_xattr_get(const struct xattr_handler *handler,
			  struct dentry *dentry, struct inode *inode,
			  const char *name, void *value, size_t size)
{
	return vfs_getxattr(nfsc_lower_idmap(dentry->d_sb),
			    nfsc_lower_dentry(dentry),
			    xattr_full_name(handler, name), value, size);
}

static int nfsc_xattr_set(const struct xattr_handler *handler,
			  struct nfsc_idmap *idmap, struct dentry *dentry,
			  struct inode *inode, const char *name,
			  const void *value, size_t size, int flags)
{
	struct vfsmount *mnt = nfsc_lower_mnt(dentry->d_sb);
	struct dentry *lower = nfsc_lower_dentry(dentry);
	int err;

	name = xattr_full_name(handler, name);
	err = mnt_want_write(mnt);
	if (err)
		return err;
	if (value)
		err = vfs_setxattr(nfsc_mnt_idmap(mnt), lower, name, value,
				   size, flags);
	else
		err = vfs_removexattr(nfsc_mnt_idmap(mnt), lower, name);
	mnt_drop_write(mnt);

	nfsc_copy_attr(inode);
	return err;
}

/* Every name goes to the lower inode, which decides what it supports. */
static const struct xattr_handler nfsc_xattr_handler = {
	.prefix	= "",
	.get	= nfsc_xattr_get,
	.set	= nfsc_xattr_set,
};

const struct xattr_handler *nfsc_xattr_handlers[] = {
	&nfsc_xattr_handler,
	NULL
};

const struct inode_operations nfsc_file_iops = {
	.getattr	= nfsc_getattr,
	.setattr	= nfsc_setattr,
	.permission	= nfsc_permission,
	.listxattr	= nfsc_listxattr,
};

static const char *nfsc_get_link(struct dentry *dentry, struct inode *inode,
				 struct delayed_call *done)
{
	/* NFS may need to read the link from the server: no RCU walk. */
	if (!dentry)
		return ERR_PTR(-ECHILD);
	return vfs_get_link(nfsc_lower_dentry(dentry), done);
}

const struct inode_operations nfsc_symlink_iops = {
	.get_link	= nfsc_get_link,
	.getattr	= nfsc_getattr,
	.setattr	= nfsc_setattr,
	.permission	= nfsc_permission,
	.listxattr	= nfsc_listxattr,
};

/* Devices, fifos and sockets: opened locally, as on NFS itself. */
const struct inode_operations nfsc_special_iops = {
	.getattr	= nfsc_getattr,
	.setattr	= nfsc_setattr,
	.permission	= nfsc_permission,
	.listxattr	= nfsc_listxattr,
};
