/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfs_cachefs: private declarations shared by the module's files.
 *
 * Include this first in every .c file: it sets pr_fmt.
 *
 * Objects: every stacked dentry holds a reference to its lower (NFS) dentry
 * in d_fsdata; every stacked inode holds a reference to its lower inode and
 * is found by it (iget5_locked), so hard links share one stacked inode.
 * All lower dentries live on the lower mount, sbi->lower_root.mnt.
 *
 * Credentials: lower (NFS) operations run with the caller's credentials, so
 * the NFS server decides access exactly as it would without the stack.
 *
 * Mounts with an id are on nfsc_mounts under nfsc_mounts_lock, taken only
 * by sysfs.c (add/remove) and genl.c (listing); nothing nests inside it.
 *
 * Lock order: a stacked inode's i_rwsem before its lower inode's i_rwsem
 * (the VFS locks ours, we lock the lower one); lock_rename() of the lower
 * directories nests inside the VFS's lock_rename() of ours.
 */
#ifndef _NFS_CACHEFS_INTERNAL_H
#define _NFS_CACHEFS_INTERNAL_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/mount.h>
#include <linux/nfs_cachefs.h>

#include "compat.h"

/* How an open checks that NFS's view of a file is current. */
enum nfsc_revalidate {
	NFSC_REVAL_CTO,		/* GETATTR on every open (close-to-open) */
	NFSC_REVAL_TTL,		/* trust NFS's attribute cache for ttl ms */
	NFSC_REVAL_NEVER,	/* immutable data sets */
};

/*
 * Per-mount tunables (sysfs). Each is one word, read with READ_ONCE and
 * written whole, so readers need no lock. revalidate packs the policy in
 * the high 32 bits and the ttl in ms in the low 32.
 */
struct nfsc_tunables {
	u64 enabled;
	u64 min_size;
	u64 max_size;
	u64 revalidate;
	u64 fill_timeout_ms;
	u64 max_pending;
};

struct nfsc_stats {
	atomic64_t hits;		/* opens served by a cache object */
	atomic64_t misses;		/* read opens served by NFS */
	atomic64_t fills_ok;
	atomic64_t fills_failed;
	atomic64_t stale;		/* objects found out of date */
	atomic64_t bytes_cache;		/* read from cache objects */
	atomic64_t bytes_lower;		/* read from NFS */
	atomic64_t pending;		/* requests waiting for the daemon */
	atomic64_t filling;		/* requests claimed by the daemon */
};

struct nfsc_sb_info {
	struct super_block *sb;
	struct path lower_root;		/* the NFS directory stacked over */
	struct path cache_root;		/* the local cache directory */
	const struct cred *mounter_cred; /* for all access to the cache */
	char *lowerdir;			/* options as given, for /proc/mounts */
	char *cachedir;
	struct nfsc_tunables tun;
	struct nfsc_stats stats;
	int id;				/* /sys/fs/nfs_cachefs/<id>, 0 if none */
	struct list_head mount_node;	/* on nfsc_mounts */
	struct kobject kobj;
	struct completion kobj_gone;
};

struct nfsc_inode_info {
	struct inode *lower;		/* referenced */
	struct inode vfs_inode;
};

/* The private data of an open regular file. */
struct nfsc_file {
	struct file *real;		/* NFS file, or (later) the cache object */
};

static inline struct nfsc_sb_info *NFSC_SB(const struct super_block *sb)
{
	return sb->s_fs_info;
}

static inline struct nfsc_inode_info *NFSC_I(const struct inode *inode)
{
	return container_of(inode, struct nfsc_inode_info, vfs_inode);
}

static inline struct inode *nfsc_lower_inode(const struct inode *inode)
{
	return NFSC_I(inode)->lower;
}

static inline struct dentry *nfsc_lower_dentry(const struct dentry *dentry)
{
	return dentry->d_fsdata;
}

static inline struct vfsmount *nfsc_lower_mnt(const struct super_block *sb)
{
	return NFSC_SB(sb)->lower_root.mnt;
}

static inline void nfsc_lower_path(const struct dentry *dentry,
				   struct path *path)
{
	path->mnt = nfsc_lower_mnt(dentry->d_sb);
	path->dentry = nfsc_lower_dentry(dentry);
}

static inline struct nfsc_idmap *nfsc_lower_idmap(const struct super_block *sb)
{
	return nfsc_mnt_idmap(nfsc_lower_mnt(sb));
}

static inline struct file *nfsc_real_file(const struct file *file)
{
	return ((struct nfsc_file *)file->private_data)->real;
}

/* super.c */
extern struct file_system_type nfsc_fs_type;

/* inode.c */
int nfsc_inode_cache_init(void);
void nfsc_inode_cache_exit(void);
struct inode *nfsc_alloc_inode(struct super_block *sb);
void nfsc_free_inode(struct inode *inode);
void nfsc_evict_inode(struct inode *inode);
struct inode *nfsc_get_inode(struct super_block *sb, struct inode *lower);
void nfsc_copy_attr(struct inode *inode);
int nfsc_getattr(struct nfsc_idmap *idmap, const struct path *path,
		 struct kstat *stat, u32 request_mask, unsigned int flags);
int nfsc_setattr(struct nfsc_idmap *idmap, struct dentry *dentry,
		 struct iattr *ia);
int nfsc_permission(struct nfsc_idmap *idmap, struct inode *inode, int mask);
ssize_t nfsc_listxattr(struct dentry *dentry, char *list, size_t size);
extern const struct inode_operations nfsc_file_iops;
extern const struct inode_operations nfsc_symlink_iops;
extern const struct inode_operations nfsc_special_iops;
extern const struct xattr_handler *nfsc_xattr_handlers[];

/* namei.c */
extern const struct inode_operations nfsc_dir_iops;
extern const struct dentry_operations nfsc_dentry_ops;

/* dir.c */
extern const struct file_operations nfsc_dir_fops;

/* file.c */
extern const struct file_operations nfsc_file_fops;

/* sysfs.c */
extern struct mutex nfsc_mounts_lock;
extern struct list_head nfsc_mounts;
int nfsc_sysfs_init(void);
void nfsc_sysfs_exit(void);
int nfsc_sysfs_add(struct nfsc_sb_info *sbi);
void nfsc_sysfs_del(struct nfsc_sb_info *sbi);
void nfsc_tunables_default(struct nfsc_tunables *tun);

/* genl.c */
int nfsc_genl_init(void);
void nfsc_genl_exit(void);

#endif /* _NFS_CACHEFS_INTERNAL_H */
