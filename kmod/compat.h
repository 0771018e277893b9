/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference the module depends on, in one place.
 *
 * The NFSC_* symbols come from header probes in kmod/Kbuild, not from
 * LINUX_VERSION_CODE: stable updates backport API changes (Debian's 6.12
 * has the const struct file * variant of backing_file_open()).
 *
 * Tested on Debian's 6.1 (open_with_fake_path, user_namespace idmaps) and
 * 6.12 (backing files, mnt_idmap, file_lock_core).
 */
#ifndef _NFS_CACHEFS_COMPAT_H
#define _NFS_CACHEFS_COMPAT_H

#include <linux/fs.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/nfs_fs.h>
#include <linux/path.h>
#include <linux/fcntl.h>
#include <linux/splice.h>
#include <linux/uio.h>
#include <linux/xattr.h>
#include <net/genetlink.h>

#ifdef NFSC_HAVE_BACKING_FILE
#include <linux/backing-file.h>
#endif
#ifdef NFSC_HAVE_FILE_LOCK_CORE
#include <linux/filelock.h>
#endif

/*
 * Inode operations take the mount's idmapping: struct mnt_idmap from 6.3,
 * struct user_namespace before. The stack never maps ids itself; it passes
 * the lower mount's idmapping down. Code names the type struct nfsc_idmap.
 */
#ifdef NFSC_HAVE_MNT_IDMAP
#define nfsc_idmap		mnt_idmap
#define nfsc_mnt_idmap(mnt)	mnt_idmap(mnt)
#else
#define nfsc_idmap		user_namespace
#define nfsc_mnt_idmap(mnt)	mnt_user_ns(mnt)
#endif

static inline void nfsc_renamedata_set_idmap(struct renamedata *rd,
					     struct nfsc_idmap *idmap)
{
#ifdef NFSC_HAVE_MNT_IDMAP
	rd->old_mnt_idmap = idmap;
	rd->new_mnt_idmap = idmap;
#else
	rd->old_mnt_userns = idmap;
	rd->new_mnt_userns = idmap;
#endif
}

/*
 * Since 6.7 the VFS tells a stacked getattr when the caller already passed
 * security checks (AT_GETATTR_NOSEC); vfs_getattr() refuses that flag.
 */
static inline int nfsc_vfs_getattr(const struct path *path, struct kstat *stat,
				   u32 request_mask, unsigned int flags)
{
#ifdef AT_GETATTR_NOSEC
	if (flags & AT_GETATTR_NOSEC)
		return vfs_getattr_nosec(path, stat, request_mask, flags);
#endif
	return vfs_getattr(path, stat, request_mask, flags);
}

/*
 * Does NFS hold a read delegation for @inode? Then its cached attributes
 * are the server's, as NFS itself trusts them. The check marks the
 * delegation referenced, so the client keeps it while opens use it. A
 * flags argument (for delegated timestamps) came in 6.11.
 */
static inline bool nfsc_nfs_has_read_delegation(struct inode *inode)
{
#ifdef NFSC_HAVE_DELEGATION_FLAGS
	return NFS_PROTO(inode)->have_delegation(inode, FMODE_READ, 0);
#else
	return NFS_PROTO(inode)->have_delegation(inode, FMODE_READ);
#endif
}

/* Inode timestamps are read through accessors since 6.7 (ctime's: 6.6). */
static inline struct timespec64 nfsc_inode_atime(const struct inode *inode)
{
#ifdef NFSC_HAVE_INODE_TIME_ACCESSORS
	return inode_get_atime(inode);
#else
	return inode->i_atime;
#endif
}

static inline struct timespec64 nfsc_inode_ctime(const struct inode *inode)
{
#ifdef NFSC_HAVE_INODE_TIME_ACCESSORS
	return inode_get_ctime(inode);
#else
	return inode->i_ctime;
#endif
}

/* File lock fields moved into struct file_lock_core in 6.9. */
#ifdef NFSC_HAVE_FILE_LOCK_CORE
#define nfsc_fl_file(fl)	((fl)->c.flc_file)
#define nfsc_fl_owner(fl)	((fl)->c.flc_owner)
#else
#define nfsc_fl_file(fl)	((fl)->fl_file)
#define nfsc_fl_owner(fl)	((fl)->fl_owner)
#endif

/*
 * Before backing files (6.8), a stacked file's real file is opened with the
 * stacked path (open_with_fake_path) and the lower filesystem finds its own
 * dentry through d_op->d_real. Backing files carry the real path instead.
 */
#ifdef NFSC_HAVE_BACKING_FILE
#define NFSC_D_REAL(fn)
#else
#define NFSC_D_REAL(fn)		.d_real = (fn),
#endif

/**
 * nfsc_open_real - open the real file behind a file of the stack
 * @user_file: the nfs_cachefs file being opened
 * @flags: open flags for the real file
 * @real_path: path of the real file (NFS or cache object)
 * @cred: credentials to open with
 */
static inline struct file *nfsc_open_real(const struct file *user_file,
					  int flags,
					  const struct path *real_path,
					  const struct cred *cred)
{
#if defined(NFSC_BACKING_FILE_OPEN_TAKES_FILE)
	return backing_file_open(user_file, flags, real_path, cred);
#elif defined(NFSC_HAVE_BACKING_FILE)
	return backing_file_open(&user_file->f_path, flags, real_path, cred);
#else
	return open_with_fake_path(&user_file->f_path, flags,
				   d_inode(real_path->dentry), cred);
#endif
}

/**
 * nfsc_open_cache_file - open a cache object as the real file of an open
 * @user_file: the nfs_cachefs file being opened
 * @flags: open flags for the object
 * @path: the object
 * @cred: credentials to open with (the mounter's)
 *
 * With backing files the object hides behind the stacked path as the NFS
 * file does. On 6.1 it is a plain file: open_with_fake_path() would need
 * d_real to map our dentry to the object's, whose lifetime we do not hold.
 */
static inline struct file *nfsc_open_cache_file(const struct file *user_file,
						int flags,
						const struct path *path,
						const struct cred *cred)
{
#ifdef NFSC_HAVE_BACKING_FILE
	return nfsc_open_real(user_file, flags, path, cred);
#else
	return dentry_open(path, flags, cred);
#endif
}

/* An unnamed file in @parent, linkable later (renamed in 6.10). */
static inline struct file *nfsc_tmpfile_open(struct nfsc_idmap *idmap,
					     const struct path *parent,
					     umode_t mode, int flags,
					     const struct cred *cred)
{
#ifdef NFSC_HAVE_KERNEL_TMPFILE_OPEN
	return kernel_tmpfile_open(idmap, parent, mode, flags, cred);
#else
	return vfs_tmpfile_open(idmap, parent, mode, flags, cred);
#endif
}

/*
 * I/O on the real file. On 6.12 the backing_file_* helpers do it (async
 * I/O included); on 6.1 the stack does what they do, synchronously, which
 * is always allowed for a kiocb.
 */
struct nfsc_io_ctx {
	struct file *user_file;
	void (*accessed)(struct file *user_file);
	void (*end_write)(struct file *user_file, loff_t pos, ssize_t ret);
};

#ifdef NFSC_HAVE_BACKING_FILE
static inline struct backing_file_ctx
nfsc_backing_ctx(const struct file *real, const struct nfsc_io_ctx *c)
{
	return (struct backing_file_ctx) {
		.cred		= real->f_cred,
		.user_file	= c->user_file,
		.accessed	= c->accessed,
		.end_write	= c->end_write,
	};
}

static inline ssize_t nfsc_real_read_iter(struct file *real,
					  struct kiocb *iocb,
					  struct iov_iter *iter,
					  const struct nfsc_io_ctx *c)
{
	struct backing_file_ctx ctx = nfsc_backing_ctx(real, c);

	return backing_file_read_iter(real, iter, iocb, iocb->ki_flags, &ctx);
}

static inline ssize_t nfsc_real_write_iter(struct file *real,
					   struct kiocb *iocb,
					   struct iov_iter *iter,
					   const struct nfsc_io_ctx *c)
{
	struct backing_file_ctx ctx = nfsc_backing_ctx(real, c);

	/* The stack cannot complete on the caller's behalf. */
	return backing_file_write_iter(real, iter, iocb,
				       iocb->ki_flags & ~IOCB_DIO_CALLER_COMP,
				       &ctx);
}

static inline ssize_t nfsc_real_splice_read(struct file *real, loff_t *ppos,
					    struct pipe_inode_info *pipe,
					    size_t len, unsigned int flags,
					    const struct nfsc_io_ctx *c)
{
	struct backing_file_ctx ctx = nfsc_backing_ctx(real, c);

	return backing_file_splice_read(real, ppos, pipe, len, flags, &ctx);
}

static inline ssize_t nfsc_real_splice_write(struct pipe_inode_info *pipe,
					     struct file *real, loff_t *ppos,
					     size_t len, unsigned int flags,
					     const struct nfsc_io_ctx *c)
{
	struct backing_file_ctx ctx = nfsc_backing_ctx(real, c);

	return backing_file_splice_write(pipe, real, ppos, len, flags, &ctx);
}

static inline int nfsc_real_mmap(struct file *real, struct vm_area_struct *vma,
				 const struct nfsc_io_ctx *c)
{
	struct backing_file_ctx ctx = nfsc_backing_ctx(real, c);

	return backing_file_mmap(real, vma, &ctx);
}
#else /* !NFSC_HAVE_BACKING_FILE */
static inline rwf_t nfsc_iocb_to_rwf(int ifl)
{
	rwf_t flags = 0;

	if (ifl & IOCB_NOWAIT)
		flags |= RWF_NOWAIT;
	if (ifl & IOCB_HIPRI)
		flags |= RWF_HIPRI;
	if (ifl & IOCB_DSYNC)
		flags |= RWF_DSYNC;
	if (ifl & IOCB_SYNC)
		flags |= RWF_SYNC;
	/* pwritev2(RWF_APPEND) on a file opened without O_APPEND. */
	if (ifl & IOCB_APPEND)
		flags |= RWF_APPEND;
	return flags;
}

static inline ssize_t nfsc_real_read_iter(struct file *real,
					  struct kiocb *iocb,
					  struct iov_iter *iter,
					  const struct nfsc_io_ctx *c)
{
	ssize_t ret;

	ret = vfs_iter_read(real, iter, &iocb->ki_pos,
			    nfsc_iocb_to_rwf(iocb->ki_flags));
	c->accessed(c->user_file);
	return ret;
}

static inline ssize_t nfsc_real_write_iter(struct file *real,
					   struct kiocb *iocb,
					   struct iov_iter *iter,
					   const struct nfsc_io_ctx *c)
{
	ssize_t ret;

	file_start_write(real);
	ret = vfs_iter_write(real, iter, &iocb->ki_pos,
			     nfsc_iocb_to_rwf(iocb->ki_flags));
	file_end_write(real);
	c->end_write(c->user_file, iocb->ki_pos, ret);
	return ret;
}

static inline ssize_t nfsc_real_splice_read(struct file *real, loff_t *ppos,
					    struct pipe_inode_info *pipe,
					    size_t len, unsigned int flags,
					    const struct nfsc_io_ctx *c)
{
	ssize_t ret;

	if (!real->f_op->splice_read)
		return -EINVAL;
	ret = real->f_op->splice_read(real, ppos, pipe, len, flags);
	c->accessed(c->user_file);
	return ret;
}

static inline ssize_t nfsc_real_splice_write(struct pipe_inode_info *pipe,
					     struct file *real, loff_t *ppos,
					     size_t len, unsigned int flags,
					     const struct nfsc_io_ctx *c)
{
	ssize_t ret;

	file_start_write(real);
	ret = iter_file_splice_write(pipe, real, ppos, len, flags);
	file_end_write(real);
	c->end_write(c->user_file, ppos ? *ppos : 0, ret);
	return ret;
}

static inline int nfsc_real_mmap(struct file *real, struct vm_area_struct *vma,
				 const struct nfsc_io_ctx *c)
{
	int ret;

	if (!real->f_op->mmap)
		return -ENODEV;
	vma_set_file(vma, real);
	ret = call_mmap(vma->vm_file, vma);
	c->accessed(c->user_file);
	return ret;
}
#endif /* NFSC_HAVE_BACKING_FILE */

/*
 * Write access to @mnt for an update that may be skipped (an atime):
 * false rather than a wait for a frozen filesystem, as touch_atime()
 * does. 6.8 exported mnt_get_write_access(), mnt_want_write() past its
 * sb_start_write(); before it, a freeze that begins after the check
 * below still makes this wait for the thaw.
 */
static inline bool nfsc_mnt_try_write(struct vfsmount *mnt)
{
#ifdef NFSC_HAVE_MNT_GET_WRITE_ACCESS
	if (!sb_start_write_trylock(mnt->mnt_sb))
		return false;
	if (mnt_get_write_access(mnt)) {
		sb_end_write(mnt->mnt_sb);
		return false;
	}
	return true;
#else
	if (READ_ONCE(mnt->mnt_sb->s_writers.frozen) != SB_UNFROZEN)
		return false;
	return !mnt_want_write(mnt);
#endif
}

static inline void nfsc_mnt_end_try_write(struct vfsmount *mnt)
{
#ifdef NFSC_HAVE_MNT_GET_WRITE_ACCESS
	mnt_put_write_access(mnt);
	sb_end_write(mnt->mnt_sb);
#else
	mnt_drop_write(mnt);
#endif
}

/*
 * Joining the event group needs CAP_SYS_ADMIN: the mcgrp flag came with
 * 6.7 and stable updates (Debian's 6.1 has it). Without it any user could
 * watch which files are read, so the module does not build.
 */
#ifndef GENL_MCAST_CAP_SYS_ADMIN
#error "nfs_cachefs needs GENL_MCAST_CAP_SYS_ADMIN (Linux 6.7, or a stable backport)"
#endif

#endif /* _NFS_CACHEFS_COMPAT_H */
