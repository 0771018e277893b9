/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfs_cachefs: private declarations shared by the module's files.
 *
 * Include this first in every .c file: it sets pr_fmt.
 *
 * Objects: every stacked dentry holds a reference to its lower (NFS) dentry
 * in d_fsdata; every stacked inode holds a reference to its lower inode and
 * is found by it (iget5_locked), so hard links share one stacked inode.
 * All lower dentries live on the lower mount, sbi->lower_root.mnt. NFS
 * reads a lower dentry's count (a busy file is silly-renamed, not
 * removed): namespace changes take no reference of their own on it.
 *
 * Credentials: lower (NFS) operations run with the caller's credentials, so
 * the NFS server decides access exactly as it would without the stack.
 *
 * Mounts with an id are on nfsc_mounts under nfsc_mounts_lock, taken only
 * by sysfs.c (ids, add/remove) and genl.c (listing); nothing but the id
 * allocator's own lock nests inside it.
 *
 * The cache directory is only ever touched with the mounter's credentials
 * (cache.c). Fill requests (fill.c) live in one table under nfsc_fill_lock,
 * a spinlock under which nothing sleeps; each holds a reference to its
 * stacked inode, so kill_sb cancels them before the inodes go.
 *
 * Lock order:
 *   stacked inode i_rwsem (taken by the VFS; by us around writes)
 *     -> a pipe's mutex (a splice into our file; NFS's i_rwsem inside)
 *     -> lower inode i_rwsem (lock_rename() of the lower directories nests
 *        inside the VFS's lock_rename() of ours)
 *        -> sbi->cache_mutex (an unlink or rename drops the objects it
 *           changed with the NFS directories still locked)
 *     -> sbi->cache_mutex (invalidation and commit of objects)
 *        -> cache directory i_rwsem (also taken alone, by culling)
 *     -> cache object i_rwsem (a hit's atime, nothing else held; not from
 *        ->splice_read, under a pipe's mutex, which a splice into a file
 *        takes inside sb_start_write())
 *     -> nfsc_fill_lock (innermost)
 *   NFSC_I_PREFETCHING (a bit lock in the stacked inode's flags): taken
 *     by a PREFETCH's doit (under generic netlink's cb_lock, read), which
 *     waits for it NFSC_DOIT_WAIT at most, and released by the work it
 *     queued, once done: that work must never take cb_lock or genl_mutex.
 *     Lockdep does not see it.
 *   sbi->volume_lock: a leaf, held only to read or swap sbi->volume.dentry
 *   nfsc_tunables_lock: a leaf, held by writers of tunables
 */
#ifndef _NFS_CACHEFS_INTERNAL_H
#define _NFS_CACHEFS_INTERNAL_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/time64.h>
#include <linux/completion.h>
#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/kobject.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/mount.h>
#include <linux/workqueue.h>
#include <linux/nfs_cachefs.h>

#include "compat.h"

/* How an open checks that NFS's view of a file is current. */
enum nfsc_revalidate {
	NFSC_REVAL_CTO,		/* server attributes at every open (close-to-open) */
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
	u64 max_held;
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
	atomic64_t culled;		/* objects the daemon evicted */
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
	struct path volume;		/* <cachedir>/<volume key> */
	spinlock_t volume_lock;		/* its dentry, made again if removed */
	char volume_name[2 * 16 + 1];	/* that key */
	struct mutex cache_mutex;	/* orders invalidations and commits */
	atomic_t nr_requests;		/* fill requests alive (fill.c) */
	unsigned int nr_queued;		/* under nfsc_fill_lock */
	atomic_t nr_held;		/* NFS files requests hold (fill.c) */
};

struct nfsc_request;

struct nfsc_inode_info {
	struct inode *lower;		/* referenced */
	struct nfsc_request *req;	/* queued fill, under nfsc_fill_lock */
	u32 commit_gen;			/* bumped when a fill commits */
	u32 inval_gen;			/* bumped by invalidation, cache_mutex */
	unsigned long verified;		/* jiffies the server attributes were last had */
	unsigned long flags;		/* NFSC_I_* bits */
	struct inode vfs_inode;
};

/* A PREFETCH of the file is running (genl.c): the next one waits for it. */
#define NFSC_I_PREFETCHING	0

/* The private data of an open regular file. */
struct nfsc_file {
	struct file *real;		/* NFS file, or the object on a hit */
	struct file *cached;		/* object switched to after a miss */
	struct file *lock_file;		/* NFS file opened for locks on a hit */
	u32 seen_gen;			/* commit_gen last looked at */
	bool may_switch;		/* a read-only miss */
};

/* What identifies a version of an NFS file: compared with the record. */
struct nfsc_attrs {
	u64 size;
	struct timespec64 mtime;
	struct timespec64 ctime;
	u64 change;
};

/* An object's identity and name, from the NFS file handle. */
#define NFSC_OBJ_NAME_MAX	(NFS_CACHEFS_OBJECT_LEAF_MAX + 1)
struct nfsc_key {
	u8 fh_type;
	u8 fh_len;
	u8 fh[NFS_CACHEFS_FH_MAX];
	char fan[2][3];			/* two directory levels, "ab", "cd" */
	char name[NFSC_OBJ_NAME_MAX];
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

/*
 * Open for writing on this client: through the stack, or on NFS itself,
 * which also covers a shared writable mapping made through the stack
 * (its file is NFS's) after its open is closed. Its data may then sit in
 * NFS's page cache, newer than any object and than NFS's attributes.
 */
static inline bool nfsc_being_written(const struct inode *inode)
{
	return atomic_read(&inode->i_writecount) > 0 ||
	       atomic_read(&nfsc_lower_inode(inode)->i_writecount) > 0;
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
bool nfsc_prefetch_known(struct file *file, u64 *id, int *status,
			 const char **why);
int nfsc_prefetch(struct file *file, u64 *id, const char **why);

/* cache.c */
int nfsc_cache_mount(struct nfsc_sb_info *sbi);
void nfsc_cache_unmount(struct nfsc_sb_info *sbi);
int nfsc_object_key(struct dentry *lower, struct nfsc_key *key);
int nfsc_lower_attrs(struct inode *inode, const struct path *lower,
		     bool fresh, struct nfsc_attrs *a);
int nfsc_revalidate_attrs(struct inode *inode, const struct path *lower,
			  struct nfsc_attrs *a);
struct dentry *nfsc_cache_find(struct nfsc_sb_info *sbi,
			       const struct nfsc_key *key);
struct file *nfsc_cache_open(struct file *user_file, struct dentry *object,
			     const struct nfsc_key *key,
			     const struct nfsc_attrs *a);
void nfsc_cache_touch(struct nfsc_sb_info *sbi, struct file *object);
int nfsc_cache_write_data(struct file *tmpfile);
struct file *nfsc_cache_tmpfile(struct nfsc_sb_info *sbi,
				const struct nfsc_key *key);
int nfsc_cache_commit(struct nfsc_sb_info *sbi, const struct nfsc_key *key,
		      struct file *tmpfile, const struct nfsc_attrs *a,
		      const u8 *csum, size_t csum_len);
/* A file's object to drop once NFS has made a change to it. */
struct nfsc_inval {
	struct inode *inode;		/* NULL: not a regular file */
	struct nfsc_key key;
	bool have_key;
};

void nfsc_invalidate_prepare(struct dentry *dentry, struct nfsc_inval *inv);
void nfsc_invalidate_done(struct nfsc_inval *inv);
void nfsc_invalidate(struct dentry *dentry);
void nfsc_object_relname(const struct nfsc_key *key, char *buf, size_t len);
int nfsc_cache_cull(struct nfsc_sb_info *sbi, const char *rel, u64 *bytes,
		    const char **why);
bool nfsc_is_cache_file(const struct file *real);

/* fill.c */
struct nfsc_claim {
	struct file *src;
	struct file *dst;
	u64 size;
	u32 mount_id;
	char *path;
	char object[NFS_CACHEFS_OBJECT_MAX];	/* its name once committed */
};

struct sock;

void nfsc_fill_miss(struct file *file, const struct nfsc_key *key,
		    u32 commit_gen, u64 size);
void nfsc_fill_cancel(struct inode *inode);
void nfsc_fill_hold(struct inode *inode, const struct file *real);
bool nfsc_fill_request_id(struct inode *inode, u64 *id);
void nfsc_fill_unmount(struct nfsc_sb_info *sbi);
int nfsc_fill_register(u32 portid, struct sock *sk);
void nfsc_fill_daemon_gone(u32 portid);
int nfsc_fill_claim(u32 portid, u64 id, struct nfsc_claim *claim,
		    const char **why);
void nfsc_fill_claim_undo(u32 portid, u64 id, struct nfsc_claim *claim);
int nfsc_fill_done(u32 portid, u64 id, int status, u64 bytes,
		   const u8 *csum, size_t csum_len, const char **why);
int nfsc_fill_init(void);
void nfsc_fill_exit(void);

/* bounded.c: how long a doit waits for what it queued on a workqueue */
#define NFSC_DOIT_WAIT		(2 * HZ)

struct nfsc_bounded {
	struct kref ref;
	struct work_struct work;
	struct completion done;
	int (*run)(struct nfsc_bounded *b, const char **why);
	void (*release)(struct nfsc_bounded *b);
	int err;			/* run's result, once done */
	const char *why;
};

void nfsc_bounded_init(struct nfsc_bounded *b,
		       int (*run)(struct nfsc_bounded *b, const char **why),
		       void (*release)(struct nfsc_bounded *b));
int nfsc_bounded_wait(struct nfsc_bounded *b, unsigned long deadline,
		      const char **why);
void nfsc_bounded_put(struct nfsc_bounded *b);
int nfsc_bounded_init_wq(void);
void nfsc_bounded_exit_wq(void);

/* sysfs.c */
extern struct mutex nfsc_mounts_lock;
extern struct list_head nfsc_mounts;
int nfsc_sysfs_init(void);
void nfsc_sysfs_exit(void);
int nfsc_sysfs_add(struct nfsc_sb_info *sbi);
void nfsc_sysfs_del(struct nfsc_sb_info *sbi);
void nfsc_tunables_default(struct nfsc_tunables *tun);
int nfsc_tunable_set(struct nfsc_sb_info *sbi, const char *key,
		     const char *value, const char **why);
int nfsc_tunable_get(struct nfsc_sb_info *sbi, const char *key, char *page,
		     const char **why);

/* genl.c */
int nfsc_genl_init(void);
void nfsc_genl_exit(void);
int nfsc_genl_send_request(u32 portid, u64 id, u32 mount_id, u64 size,
			   const char *path);

/* A monitor event (enum nfs_cachefs_event); fields it has no use for: 0. */
struct nfsc_event {
	u32 type;
	u32 mount_id;
	u64 request_id;
	u64 size;
	u64 bytes;
	u64 duration_ns;
	s32 status;
	const char *path;
	const char *object;
	const char *reason;
};

void nfsc_genl_event(const struct nfsc_event *ev);

#endif /* _NFS_CACHEFS_INTERNAL_H */
