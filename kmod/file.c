// SPDX-License-Identifier: GPL-2.0
/*
 * nfs_cachefs: regular files. Every open has one real file, chosen in
 * nfsc_open_real_file(): the cache object on a hit, the NFS file
 * otherwise. A read-only open that missed switches to the object at its
 * next read once a fill has committed it (nfsc_read_file()); mmaps made
 * before keep their NFS pages. Locks always go to NFS.
 */
#include "internal.h"

#include <linux/file.h>
#include <linux/fs_stack.h>
#include <linux/slab.h>

/* Flags fcntl(F_SETFL) may change after open: mirrored onto the real file. */
#define NFSC_SETFL_MASK (O_APPEND | O_NONBLOCK | O_NDELAY | O_DIRECT)

/* Only opens that cannot change the file may ever be served by the cache. */
static bool nfsc_open_is_read_only(const struct file *file)
{
	return (file->f_mode & (FMODE_READ | FMODE_WRITE)) == FMODE_READ;
}

static void nfsc_account_read(struct file *file, struct file *real,
			      ssize_t ret)
{
	struct nfsc_stats *stats = &NFSC_SB(file_inode(file)->i_sb)->stats;

	if (ret > 0)
		atomic64_add(ret, nfsc_is_cache_file(real) ? &stats->bytes_cache :
			     &stats->bytes_lower);
}

/*
 * Objects serve only while nobody on this client writes the file: a
 * writer's data reaches NFS's page cache before the object goes stale.
 */
static bool nfsc_cache_usable(struct inode *inode)
{
	return READ_ONCE(NFSC_SB(inode->i_sb)->tun.enabled) &&
	       !nfsc_being_written(inode);
}

/*
 * NFSv4 leaves an open's permission check to the server's OPEN
 * (nfs_permission() passes MAY_OPEN on regular files), which a hit never
 * sends. So before serving an object, NFS is asked with ACCESS, cached
 * per credential; when that refuses, the open goes to NFS, whose OPEN
 * decides. Only with an object in hand: a miss's OPEN decides anyway, and
 * an ACCESS before it would cost the miss a round trip.
 */
static bool nfsc_lower_may_read(struct file *file, const struct path *lower)
{
	/* An execve()'s open: __FMODE_EXEC is in f_flags, never in f_mode. */
	int mask = MAY_READ | ((file->f_flags & __FMODE_EXEC) ? MAY_EXEC : 0);

	return !inode_permission(nfsc_lower_idmap(file_inode(file)->i_sb),
				 d_inode(lower->dentry), mask);
}

/*
 * The object of @key opened for @file if it is current for the NFS file's
 * attributes, NULL, or an error. Those are asked only when there is an
 * object to compare them with: a miss's own OPEN brings them anyway.
 * @revalidate: per the revalidate policy (an open), or as NFS has them.
 */
static struct file *nfsc_object_open(struct file *file,
				     const struct nfsc_key *key,
				     const struct path *lower, bool revalidate)
{
	struct inode *inode = file_inode(file);
	struct nfsc_attrs attrs;
	struct dentry *object;
	struct file *real;
	int err;

	object = nfsc_cache_find(NFSC_SB(inode->i_sb), key);
	if (IS_ERR_OR_NULL(object))
		return ERR_CAST(object);
	err = revalidate ? nfsc_revalidate_attrs(inode, lower, &attrs) :
			   nfsc_lower_attrs(inode, lower, false, &attrs);
	real = err ? ERR_PTR(err) : nfsc_cache_open(file, object, key, &attrs);
	dput(object);
	return real;
}

/*
 * The one place where the real file of an open is chosen. A read-only
 * open takes the object if there is one and its record matches the NFS
 * file, revalidated per the revalidate policy; otherwise it reads NFS and
 * asks for a fill. Any other open drops the object once NFS's OPEN let it
 * in; a read-only O_TRUNC open reads NFS, and its truncate drops it.
 */
static struct file *nfsc_open_real_file(struct file *file, u32 *commit_gen)
{
	struct inode *inode = file_inode(file);
	struct nfsc_inval inval = {};
	struct nfsc_attrs attrs;
	struct nfsc_key key;
	struct file *real;
	struct path lower;
	bool fill = false;
	u32 gen = 0;

	nfsc_lower_path(file->f_path.dentry, &lower);
	if (!nfsc_open_is_read_only(file)) {
		/* Dropped once NFS's OPEN let this writer in (below). */
		nfsc_invalidate_prepare(file->f_path.dentry, &inval);
	} else if (!(file->f_flags & O_TRUNC) && nfsc_cache_usable(inode) &&
		   !nfsc_object_key(lower.dentry, &key)) {
		gen = READ_ONCE(NFSC_I(inode)->commit_gen);
		*commit_gen = gen;
		real = nfsc_object_open(file, &key, &lower, true);
		if (!IS_ERR_OR_NULL(real)) {
			if (nfsc_lower_may_read(file, &lower)) {
				nfsc_cache_touch(NFSC_SB(inode->i_sb), real);
				return real;
			}
			fput(real);
		}
		fill = true;
	}

	/* The VFS creates and truncates through our inode operations. */
	real = nfsc_open_real(file, file->f_flags &
			      ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC),
			      &lower, current_cred());
	if (IS_ERR(real))
		return real;
	nfsc_invalidate_done(&inval);
	/* The size to fill, as NFS's open just revalidated it. */
	if (fill && !nfsc_lower_attrs(inode, &lower, false, &attrs))
		nfsc_fill_miss(file, &key, gen, attrs.size);
	return real;
}

static int nfsc_open(struct inode *inode, struct file *file)
{
	struct nfsc_stats *stats = &NFSC_SB(inode->i_sb)->stats;
	struct nfsc_file *nf;
	struct file *real;
	u32 gen = 0;

	nf = kzalloc(sizeof(*nf), GFP_KERNEL);
	if (!nf)
		return -ENOMEM;

	real = nfsc_open_real_file(file, &gen);
	if (IS_ERR(real)) {
		kfree(nf);
		return PTR_ERR(real);
	}
	nf->real = real;
	file->private_data = nf;
	/*
	 * The open revalidated NFS's inode (its OPEN or GETATTR), after our
	 * d_revalidate() copied the cached attributes: take the new ones, for
	 * what trusts our i_size (copy_file_range(), FIONREAD).
	 */
	nfsc_copy_attr(inode);
	if (nfsc_is_cache_file(real)) {
		atomic64_inc(&stats->hits);
	} else if (nfsc_open_is_read_only(file)) {
		atomic64_inc(&stats->misses);
		/* A fill that committed since the lookup switches us. */
		nf->may_switch = true;
		nf->seen_gen = gen;
	}
	/*
	 * O_DIRECT is allowed when NFS takes it: an open served by the cache
	 * reads NFS when the object's filesystem refuses (nfsc_read_iter()).
	 */
	if (nfsc_is_cache_file(real))
		file->f_mode |= FMODE_CAN_ODIRECT;
	else
		file->f_mode |= real->f_mode & FMODE_CAN_ODIRECT;
	return 0;
}

static int nfsc_release(struct inode *inode, struct file *file)
{
	struct nfsc_file *nf = file->private_data;

	if (nf->cached)
		fput(nf->cached);
	if (nf->lock_file)
		fput(nf->lock_file);
	if (nf->may_switch && !nf->cached)
		nfsc_fill_hold(inode, nf->real);
	fput(nf->real);
	kfree(nf);
	return 0;
}

/*
 * How a read may switch an open that missed to its committed object.
 * ->splice_read runs under the pipe's mutex (splice(2)), or under the
 * output file's sb_start_write() (sendfile(2) and copy_file_range(2) on
 * 6.1), both of which nest outside sb_start_write() elsewhere (a splice
 * into a file takes the pipe's mutex under it): such a switch leaves the
 * object's atime, which its fill set just before, to its next open.
 */
enum nfsc_switch {
	NFSC_SWITCH_TOUCH,	/* switch, and move the object's atime */
	NFSC_SWITCH_ONLY,	/* switch, leave the atime: ->splice_read */
	NFSC_SWITCH_NONE,	/* no lookups or opens: IOCB_NOWAIT */
};

/*
 * The file reads go to: the object this open switched to, once a fill of
 * its file committed after it missed; else its real file. The switch
 * trusts NFS's cached attributes: the commit has just checked them. It
 * looks up and opens files, so not for NFSC_SWITCH_NONE callers.
 */
static struct file *nfsc_read_file(struct file *file, enum nfsc_switch how)
{
	struct nfsc_file *nf = file->private_data;
	struct inode *inode = file_inode(file);
	struct file *cached;
	struct nfsc_key key;
	struct path lower;
	u32 gen;

	cached = READ_ONCE(nf->cached);
	if (cached)
		return cached;
	gen = READ_ONCE(NFSC_I(inode)->commit_gen);
	if (!nf->may_switch || how == NFSC_SWITCH_NONE ||
	    gen == READ_ONCE(nf->seen_gen) ||
	    !nfsc_cache_usable(inode))
		return nf->real;
	WRITE_ONCE(nf->seen_gen, gen);

	nfsc_lower_path(file->f_path.dentry, &lower);
	if (nfsc_object_key(lower.dentry, &key))
		return nf->real;
	cached = nfsc_object_open(file, &key, &lower, false);
	if (IS_ERR_OR_NULL(cached))
		return nf->real;
	if (cmpxchg(&nf->cached, NULL, cached)) {
		fput(cached);	/* another reader switched first */
		return nf->cached;
	}
	if (how == NFSC_SWITCH_TOUCH)
		nfsc_cache_touch(NFSC_SB(inode->i_sb), cached);
	atomic64_inc(&NFSC_SB(inode->i_sb)->stats.hits);
	return cached;
}

/*
 * PREFETCH's answer when it needs neither NFS nor the cache disk: true and
 * *@status (CACHED, FILLED, QUEUED with *@id, or -EINVAL and @why), else
 * false.
 */
bool nfsc_prefetch_known(struct file *file, u64 *id, int *status,
			 const char **why)
{
	struct nfsc_file *nf = file->private_data;

	if (!nfsc_open_is_read_only(file)) {
		*why = "the file must be open read-only";
		*status = -EINVAL;
	} else if (nfsc_is_cache_file(nf->real)) {
		*status = NFS_CACHEFS_PREFETCH_CACHED;
	} else if (READ_ONCE(nf->cached)) {
		*status = NFS_CACHEFS_PREFETCH_FILLED;	/* switched already */
	} else if (nfsc_fill_request_id(file_inode(file), id)) {
		*status = NFS_CACHEFS_PREFETCH_QUEUED;
	} else {
		return false;
	}
	return true;
}

/*
 * PREFETCH of @file, an open of ours for reading: an enum
 * nfs_cachefs_prefetch, with the request's id in *@id when a fill is
 * queued (its open queued it, or this asks again), or -errno and @why.
 * FILLED tells a fill that committed between the open and now, which a
 * fast daemon makes common, from a file that was cached before.
 */
int nfsc_prefetch(struct file *file, u64 *id, const char **why)
{
	struct inode *inode = file_inode(file);
	struct nfsc_attrs attrs;
	struct nfsc_key key;
	struct path lower;
	int err, status;
	u32 gen;

	if (nfsc_prefetch_known(file, id, &status, why))
		return status;
	if (nfsc_is_cache_file(nfsc_read_file(file, NFSC_SWITCH_TOUCH)))
		return NFS_CACHEFS_PREFETCH_FILLED;
	/* The open queued none (a full queue, no daemon then): once more. */
	gen = READ_ONCE(NFSC_I(inode)->commit_gen);
	nfsc_lower_path(file->f_path.dentry, &lower);
	err = nfsc_object_key(lower.dentry, &key);
	if (!err)
		err = nfsc_revalidate_attrs(inode, &lower, &attrs);
	if (err) {
		*why = "cannot name or revalidate the NFS file";
		return err;
	}
	if (nfsc_cache_usable(inode))
		nfsc_fill_miss(file, &key, gen, attrs.size);
	if (nfsc_fill_request_id(inode, id))
		return NFS_CACHEFS_PREFETCH_QUEUED;
	if (nfsc_is_cache_file(nfsc_read_file(file, NFSC_SWITCH_TOUCH)))
		return NFS_CACHEFS_PREFETCH_FILLED;
	*why = "no fill queued (no daemon, disabled, size range, a writer, full queue)";
	return -EAGAIN;
}

/* The file reads go to now, without trying to switch. */
static struct file *nfsc_current_file(struct file *file)
{
	struct nfsc_file *nf = file->private_data;

	return READ_ONCE(nf->cached) ?: nf->real;
}

/*
 * The NFS file of an open. Locks belong to NFS, where other clients see
 * them, and so do the O_DIRECT reads the cache filesystem refuses (NFS
 * takes any alignment, a local filesystem does not); an open served by
 * the cache opens the NFS file for them on first use.
 */
static struct file *nfsc_nfs_file(struct file *file)
{
	struct nfsc_file *nf = file->private_data;
	struct file *real = nf->real, *lock_file;
	struct path lower;

	if (!nfsc_is_cache_file(real))
		return real;
	lock_file = READ_ONCE(nf->lock_file);
	if (lock_file)
		return lock_file;
	nfsc_lower_path(file->f_path.dentry, &lower);
	lock_file = nfsc_open_real(file, O_RDONLY | O_LARGEFILE, &lower,
				   file->f_cred);
	/* NFS's "look the name up again" means nothing past an open. */
	if (PTR_ERR(lock_file) == -EOPENSTALE)
		return ERR_PTR(-ESTALE);
	if (IS_ERR(lock_file))
		return lock_file;
	if (cmpxchg(&nf->lock_file, NULL, lock_file)) {
		fput(lock_file);
		return nf->lock_file;
	}
	return lock_file;
}

/*
 * @real (the real or switched file of @file) with the F_SETFL flags
 * brought up to date, as overlayfs does: fcntl() only sees our file.
 */
static struct file *nfsc_sync_flags(struct file *file, struct file *real,
				    int *err)
{
	unsigned int flags = file->f_flags & NFSC_SETFL_MASK;

	*err = 0;
	if (likely(!((flags ^ real->f_flags) & NFSC_SETFL_MASK)))
		return real;

	if ((flags & O_DIRECT) && !(real->f_mode & FMODE_CAN_ODIRECT)) {
		*err = -EINVAL;
		return real;
	}
	if (real->f_op->check_flags) {
		*err = real->f_op->check_flags(flags);
		if (*err)
			return real;
	}
	spin_lock(&real->f_lock);
	real->f_flags = (real->f_flags & ~NFSC_SETFL_MASK) | flags;
	real->f_iocb_flags = iocb_flags(real);
	spin_unlock(&real->f_lock);
	return real;
}

static void nfsc_file_accessed(struct file *file)
{
	fsstack_copy_attr_atime(file_inode(file),
				file_inode(nfsc_real_file(file)));
}

static void nfsc_file_end_write(struct file *file, loff_t pos, ssize_t ret)
{
	nfsc_copy_attr(file_inode(file));
}

#define NFSC_IO_CTX(f) {				\
	.user_file	= (f),				\
	.accessed	= nfsc_file_accessed,		\
	.end_write	= nfsc_file_end_write,		\
}

/*
 * An O_DIRECT read the cache filesystem refused (no O_DIRECT at all, or
 * not at this alignment, which NFS takes): NFS's then. A refusal comes
 * before any I/O, so the read starts anew.
 */
static bool nfsc_direct_refused(bool direct, struct file *real, ssize_t ret)
{
	return ret == -EINVAL && direct && nfsc_is_cache_file(real);
}

/* The file a read the cache filesystem refused goes to: NFS's. */
static struct file *nfsc_refused_read_file(struct file *file, int *err)
{
	struct file *nfs = nfsc_nfs_file(file);

	if (IS_ERR(nfs)) {
		*err = PTR_ERR(nfs);
		return nfs;
	}
	return nfsc_sync_flags(file, nfs, err);
}

static ssize_t nfsc_read_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct nfsc_io_ctx ctx = NFSC_IO_CTX(iocb->ki_filp);
	size_t count = iov_iter_count(iter);
	struct file *real;
	ssize_t ret;
	int err;

	if (!count)
		return 0;
	real = nfsc_read_file(iocb->ki_filp, iocb->ki_flags & IOCB_NOWAIT ?
			      NFSC_SWITCH_NONE : NFSC_SWITCH_TOUCH);
	real = nfsc_sync_flags(iocb->ki_filp, real, &err);
	ret = err ?: nfsc_real_read_iter(real, iocb, iter, &ctx);
	/* Not with IOCB_NOWAIT: opening the NFS file may sleep. */
	if (nfsc_direct_refused((iocb->ki_flags & (IOCB_DIRECT | IOCB_NOWAIT)) ==
				IOCB_DIRECT, real, ret)) {
		iov_iter_revert(iter, count - iov_iter_count(iter));
		real = nfsc_refused_read_file(iocb->ki_filp, &err);
		ret = err ?: nfsc_real_read_iter(real, iocb, iter, &ctx);
	}
	nfsc_account_read(iocb->ki_filp, real, ret);
	return ret;
}

/*
 * Writes hold our inode's lock, as overlayfs's do: a write that kills
 * setuid bits does so through our inode (6.12's backing file removes the
 * privileges of our file), and notify_change() wants it locked. It also
 * orders the attributes copied at the end of each write.
 */
static ssize_t nfsc_write_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct nfsc_io_ctx ctx = NFSC_IO_CTX(iocb->ki_filp);
	struct inode *inode = file_inode(iocb->ki_filp);
	struct file *real;
	ssize_t ret;
	int err;

	if (!iov_iter_count(iter))
		return 0;
	if (iocb->ki_flags & IOCB_NOWAIT) {
		if (!inode_trylock(inode))
			return -EAGAIN;
	} else {
		inode_lock(inode);
	}
	real = nfsc_sync_flags(iocb->ki_filp, nfsc_real_file(iocb->ki_filp),
			       &err);
	ret = err ?: nfsc_real_write_iter(real, iocb, iter, &ctx);
	inode_unlock(inode);
	return ret;
}

static ssize_t nfsc_splice_read(struct file *in, loff_t *ppos,
				struct pipe_inode_info *pipe, size_t len,
				unsigned int flags)
{
	struct nfsc_io_ctx ctx = NFSC_IO_CTX(in);
	struct file *real;
	ssize_t ret;
	int err;

	real = nfsc_sync_flags(in, nfsc_read_file(in, NFSC_SWITCH_ONLY), &err);
	ret = err ?: nfsc_real_splice_read(real, ppos, pipe, len, flags, &ctx);
	/* 6.1 splices O_DIRECT files straight from ->splice_read. */
	if (nfsc_direct_refused(in->f_flags & O_DIRECT, real, ret)) {
		real = nfsc_refused_read_file(in, &err);
		ret = err ?: nfsc_real_splice_read(real, ppos, pipe, len, flags,
						   &ctx);
	}
	nfsc_account_read(in, real, ret);
	return ret;
}

static ssize_t nfsc_splice_write(struct pipe_inode_info *pipe,
				 struct file *out, loff_t *ppos, size_t len,
				 unsigned int flags)
{
	struct nfsc_io_ctx ctx = NFSC_IO_CTX(out);
	struct inode *inode = file_inode(out);
	struct file *real;
	ssize_t ret;
	int err;

	/* As nfsc_write_iter(); the pipe's mutex nests inside. */
	inode_lock(inode);
	real = nfsc_sync_flags(out, nfsc_real_file(out), &err);
	ret = err ?: nfsc_real_splice_write(pipe, real, ppos, len, flags, &ctx);
	inode_unlock(inode);
	return ret;
}

static int nfsc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct nfsc_io_ctx ctx = NFSC_IO_CTX(file);

	/* ->mmap runs under mmap_lock: no lookups, so no switch here. */
	return nfsc_real_mmap(nfsc_current_file(file), vma, &ctx);
}

static loff_t nfsc_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	struct file *real;
	loff_t ret;

	/* The common "where am I" costs nothing, as on any filesystem. */
	if (offset == 0 && whence == SEEK_CUR)
		return file->f_pos;

	real = nfsc_read_file(file, NFSC_SWITCH_TOUCH);
	/* SEEK_END, SEEK_DATA and SEEK_HOLE need NFS's view of the file. */
	inode_lock(inode);
	real->f_pos = file->f_pos;
	ret = vfs_llseek(real, offset, whence);
	file->f_pos = real->f_pos;
	inode_unlock(inode);
	return ret;
}

static int nfsc_fsync(struct file *file, loff_t start, loff_t end,
		      int datasync)
{
	int err;

	err = vfs_fsync_range(nfsc_real_file(file), start, end, datasync);
	nfsc_copy_attr(file_inode(file));
	return err;
}

static long nfsc_fallocate(struct file *file, int mode, loff_t offset,
			   loff_t len)
{
	long err;

	err = vfs_fallocate(nfsc_real_file(file), mode, offset, len);
	nfsc_copy_attr(file_inode(file));
	return err;
}

static int nfsc_fadvise(struct file *file, loff_t offset, loff_t len,
			int advice)
{
	return vfs_fadvise(nfsc_current_file(file), offset, len, advice);
}

static bool nfsc_has_posix_locks(struct inode *inode)
{
	struct file_lock_context *ctx = locks_inode_context(inode);

	return ctx && !list_empty_careful(&ctx->flc_posix);
}

/*
 * close(): what filp_close() would do for the real file, which is only
 * ever fput(). NFS flushes dirty data here and reports write errors, and
 * the caller's POSIX locks, which NFS keeps on its inode, go now: also
 * those taken through another open of the file, as POSIX has it, which a
 * hit that never locked must open the NFS file to reach.
 */
static int nfsc_flush(struct file *file, fl_owner_t id)
{
	struct nfsc_file *nf = file->private_data;
	struct file *real = nf->real;
	struct file *lock_file = READ_ONCE(nf->lock_file);
	int err = 0;

	if (real->f_op->flush)
		err = real->f_op->flush(real, id);
	locks_remove_posix(real, id);
	if (!lock_file && nfsc_is_cache_file(real) &&
	    nfsc_has_posix_locks(nfsc_lower_inode(file_inode(file))))
		lock_file = nfsc_nfs_file(file);
	/* Without the NFS file, the locks go when the open that took them closes. */
	if (IS_ERR(lock_file))
		pr_warn_ratelimited("cannot open NFS file %pD to drop its POSIX locks: %ld\n",
				    file, PTR_ERR(lock_file));
	else if (lock_file)
		locks_remove_posix(lock_file, id);
	return err;
}

/*
 * Locks go to NFS on the real file. Locks owned by the open file itself
 * (flock, OFD) are handed to the real file so that they die with it.
 */
static void nfsc_lock_to_real(struct file_lock *fl, struct file *file,
			      struct file *real)
{
	nfsc_fl_file(fl) = real;
	if (nfsc_fl_owner(fl) == (fl_owner_t)file)
		nfsc_fl_owner(fl) = real;
}

static void nfsc_lock_from_real(struct file_lock *fl, struct file *file,
				struct file *real)
{
	nfsc_fl_file(fl) = file;
	if (nfsc_fl_owner(fl) == (fl_owner_t)real)
		nfsc_fl_owner(fl) = file;
}

static int nfsc_lock(struct file *file, int cmd, struct file_lock *fl)
{
	struct file *real = nfsc_nfs_file(file);
	int err;

	if (IS_ERR(real))
		return PTR_ERR(real);
	nfsc_lock_to_real(fl, file, real);
	if (IS_GETLK(cmd))
		err = vfs_test_lock(real, fl);
	else
		err = vfs_lock_file(real, cmd, fl, NULL);
	nfsc_lock_from_real(fl, file, real);
	return err;
}

static int nfsc_flock(struct file *file, int cmd, struct file_lock *fl)
{
	struct file *real = nfsc_nfs_file(file);
	int err;

	if (IS_ERR(real))
		return PTR_ERR(real);
	nfsc_lock_to_real(fl, file, real);
	if (real->f_op->flock)
		err = real->f_op->flock(real, cmd, fl);
	else
		err = locks_lock_file_wait(real, fl);
	nfsc_lock_from_real(fl, file, real);
	return err;
}

const struct file_operations nfsc_file_fops = {
	.open		= nfsc_open,
	.release	= nfsc_release,
	.flush		= nfsc_flush,
	.read_iter	= nfsc_read_iter,
	.write_iter	= nfsc_write_iter,
	.splice_read	= nfsc_splice_read,
	.splice_write	= nfsc_splice_write,
	.mmap		= nfsc_mmap,
	.llseek		= nfsc_llseek,
	.fsync		= nfsc_fsync,
	.fallocate	= nfsc_fallocate,
	.fadvise	= nfsc_fadvise,
	.lock		= nfsc_lock,
	.flock		= nfsc_flock,
	/*
	 * A lease on our inode would be broken by opens through the stack
	 * alone, never by another client's (NFS ties its own to delegations
	 * the server recalls): none rather than one that cannot keep its word.
	 */
	.setlease	= simple_nosetlease,
};
