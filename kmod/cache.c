// SPDX-License-Identifier: GPL-2.0
/*
 * nfs_cachefs: cache objects.
 *
 * An object is a regular file named after the NFS file handle, so renames
 * on the server do not break it:
 *
 *	<cachedir>/<volume>/<ab>/<cd>/<name>
 *
 * <volume> is a hash of the NFS server's name and the root file handle of
 * the export, stable across remounts and reboots; <ab>/<cd> come from a
 * hash of the file handle; <name> is the handle in hex (a hash of it when
 * too long). Names are made here alone, never from a path given by anyone.
 *
 * An object is served only while its trusted.nfs_cachefs record matches
 * the NFS file as just revalidated. Everything here runs with the
 * mounter's credentials.
 */
#include "internal.h"

#include <crypto/sha2.h>
#include <linux/ctype.h>
#include <linux/exportfs.h>
#include <linux/file.h>
#include <linux/iversion.h>
#include <linux/namei.h>
#include <linux/nfs_fs.h>
#include <linux/nfs_fs_sb.h>

/* Longer handles are named by their hash, to fit NAME_MAX. */
#define NFSC_FH_NAMED_MAX	((NFSC_OBJ_NAME_MAX - 1) / 2 - 1)

/* How far behind a hit lets its object's atime be (nfsc_cache_touch()). */
#define NFSC_ATIME_SLACK_SEC	60

static struct nfsc_idmap *nfsc_cache_idmap(struct nfsc_sb_info *sbi)
{
	return nfsc_mnt_idmap(sbi->cache_root.mnt);
}

/* Write access to the cache, as the mounter; undone by nfsc_cache_end(). */
static int nfsc_cache_begin(struct nfsc_sb_info *sbi, const struct cred **old)
{
	int err = mnt_want_write(sbi->cache_root.mnt);

	if (!err)
		*old = override_creds(sbi->mounter_cred);
	return err;
}

static void nfsc_cache_end(struct nfsc_sb_info *sbi, const struct cred *old)
{
	revert_creds(old);
	mnt_drop_write(sbi->cache_root.mnt);
}

bool nfsc_is_cache_file(const struct file *real)
{
	struct super_block *sb = file_inode(real)->i_sb;

	return sb->s_magic != NFS_SUPER_MAGIC;
}

static void nfsc_fh_hash(u8 type, const u8 *fh, size_t len,
			 u8 out[SHA256_DIGEST_SIZE])
{
	u8 buf[1 + NFS_CACHEFS_FH_MAX];

	buf[0] = type;
	memcpy(buf + 1, fh, len);
	sha256(buf, len + 1, out);
}

/* The handle of @lower as exportfs encodes it; -EOPNOTSUPP if it cannot. */
static int nfsc_encode_fh(struct dentry *lower, u8 *type, u8 *fh, u8 *len)
{
	u32 buf[NFS_CACHEFS_FH_MAX / 4];
	int words = ARRAY_SIZE(buf);
	int ret;

	ret = exportfs_encode_fh(lower, (struct fid *)buf, &words, 0);
	if (ret <= 0 || ret == FILEID_INVALID || words <= 0 ||
	    words > ARRAY_SIZE(buf))
		return -EOPNOTSUPP;
	*type = ret;
	*len = words * 4;
	memcpy(fh, buf, *len);
	return 0;
}

int nfsc_object_key(struct dentry *lower, struct nfsc_key *key)
{
	u8 hash[SHA256_DIGEST_SIZE];
	char *p;
	int err, i;

	err = nfsc_encode_fh(lower, &key->fh_type, key->fh, &key->fh_len);
	if (err)
		return err;
	nfsc_fh_hash(key->fh_type, key->fh, key->fh_len, hash);
	/* Every open's path: bin2hex, not a printf per byte. */
	for (i = 0; i < ARRAY_SIZE(key->fan); i++)
		*bin2hex(key->fan[i], &hash[i], 1) = '\0';
	if (key->fh_len > NFSC_FH_NAMED_MAX) {
		p = key->name;
		*p++ = 'h';
		p = bin2hex(p, hash, sizeof(hash));
	} else {
		p = key->name;
		p = bin2hex(p, &key->fh_type, 1);
		p = bin2hex(p, key->fh, key->fh_len);
	}
	*p = '\0';
	return 0;
}

/* "ab/cd/<name>": the object's name in its volume, as the daemon sees it. */
void nfsc_object_relname(const struct nfsc_key *key, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s", key->fan[0], key->fan[1], key->name);
}

static bool nfsc_is_name_hex(const char *s, size_t len)
{
	while (len--) {
		if (!isdigit(*s) && !(*s >= 'a' && *s <= 'f'))
			return false;
		s++;
	}
	return true;
}

/*
 * The directories and name of the object nfsc_object_relname() called
 * @rel. Only such names: nothing else in the cache is reachable by them.
 */
static int nfsc_parse_relname(const char *rel, struct nfsc_key *key)
{
	const char *name = rel + 6;
	size_t len = strlen(rel);
	int i;

	if (len <= 6 || len - 6 >= sizeof(key->name))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(key->fan); i++) {
		if (!nfsc_is_name_hex(rel + 3 * i, 2) || rel[3 * i + 2] != '/')
			return -EINVAL;
		memcpy(key->fan[i], rel + 3 * i, 2);
		key->fan[i][2] = '\0';
	}
	/* The handle in hex, or 'h' and its hash when it was too long. */
	if ((*name == 'h' && len == 7) ||
	    !nfsc_is_name_hex(name + (*name == 'h'), len - 6 - (*name == 'h')))
		return -EINVAL;
	strscpy(key->name, name, sizeof(key->name));
	return 0;
}

/* Caller holds the mounter's credentials and write access to the mount. */
static struct dentry *nfsc_cache_mkdir(struct nfsc_sb_info *sbi,
				       struct dentry *parent, const char *name)
{
	struct inode *dir = d_inode(parent);
	struct dentry *child;
	int err;

	inode_lock_nested(dir, I_MUTEX_PARENT);
	child = lookup_one_len(name, parent, strlen(name));
	if (IS_ERR(child))
		goto out;
	if (d_is_negative(child)) {
		err = vfs_mkdir(nfsc_cache_idmap(sbi), dir, child, 0700);
		if (!err && d_unhashed(child))
			err = -EIO;	/* not instantiated: do not trust it */
		if (err) {
			dput(child);
			child = ERR_PTR(err);
		}
	} else if (!d_can_lookup(child)) {
		dput(child);
		child = ERR_PTR(-ENOTDIR);
	}
out:
	inode_unlock(dir);
	return child;
}

/*
 * The volume directory: where this export's objects live. Made at mount so
 * that a cache that cannot take it fails the mount, not every fill.
 */
int nfsc_cache_mount(struct nfsc_sb_info *sbi)
{
	struct dentry *lower_root = sbi->lower_root.dentry;
	const char *server = NFS_SB(lower_root->d_sb)->nfs_client->cl_hostname;
	u8 buf[255 + 2 + NFS_CACHEFS_FH_MAX], hash[SHA256_DIGEST_SIZE];
	char *name = sbi->volume_name;
	const struct cred *old;
	size_t slen = strnlen(server ?: "", 255);
	u8 type, len;
	struct dentry *vol;
	int err;

	err = nfsc_encode_fh(lower_root, &type, buf + slen + 2, &len);
	if (err)
		return err;
	memcpy(buf, server ?: "", slen);
	buf[slen] = '\0';
	buf[slen + 1] = type;
	sha256(buf, slen + 2 + len, hash);
	BUILD_BUG_ON(sizeof(sbi->volume_name) != 2 * 16 + 1);
	*bin2hex(name, hash, 16) = '\0';

	err = nfsc_cache_begin(sbi, &old);
	if (err)
		return err;
	vol = nfsc_cache_mkdir(sbi, sbi->cache_root.dentry, name);
	nfsc_cache_end(sbi, old);
	if (IS_ERR(vol))
		return PTR_ERR(vol);
	spin_lock_init(&sbi->volume_lock);
	sbi->volume.mnt = mntget(sbi->cache_root.mnt);
	sbi->volume.dentry = vol;
	return 0;
}

void nfsc_cache_unmount(struct nfsc_sb_info *sbi)
{
	path_put(&sbi->volume);
}

/*
 * Lower attributes, in the caller's creds. @fresh asks for the server's
 * attributes now: a GETATTR, unless NFS holds a read delegation, under
 * which its cached attributes are the server's (NFS's own open trusts them
 * the same way). Only what the record compares is asked for: NFS then
 * revalidates nothing else (atime above all).
 */
int nfsc_lower_attrs(struct inode *inode, const struct path *lower,
		     bool fresh, struct nfsc_attrs *a)
{
	struct inode *nfs_inode = d_inode(lower->dentry);
	unsigned int sync = AT_STATX_DONT_SYNC;
	struct kstat st;
	int err;

	if (fresh)
		sync = nfsc_nfs_has_read_delegation(nfs_inode) ?
		       AT_STATX_SYNC_AS_STAT : AT_STATX_FORCE_SYNC;
	err = vfs_getattr(lower, &st, STATX_SIZE | STATX_MTIME | STATX_CTIME,
			  sync);
	if (err)
		return err;
	if (fresh && inode)
		WRITE_ONCE(NFSC_I(inode)->verified, jiffies);
	a->size = st.size;
	a->mtime = st.mtime;
	a->ctime = st.ctime;
	/* NFS keeps the change attribute in i_version. */
	a->change = inode_peek_iversion_raw(nfs_inode);
	return 0;
}

/* The lower attributes an open must compare with: the revalidate policy. */
int nfsc_revalidate_attrs(struct inode *inode, const struct path *lower,
			  struct nfsc_attrs *a)
{
	u64 policy = READ_ONCE(NFSC_SB(inode->i_sb)->tun.revalidate);
	unsigned long ttl;
	bool fresh;

	switch (policy >> 32) {
	case NFSC_REVAL_NEVER:
		fresh = false;
		break;
	case NFSC_REVAL_TTL:
		ttl = msecs_to_jiffies(lower_32_bits(policy));
		fresh = time_after(jiffies, READ_ONCE(NFSC_I(inode)->verified) + ttl);
		break;
	default:
		fresh = true;
		break;
	}
	return nfsc_lower_attrs(inode, lower, fresh, a);
}

static void nfsc_record_fill(struct nfs_cachefs_record *rec,
			     const struct nfsc_key *key,
			     const struct nfsc_attrs *a,
			     const u8 *csum, size_t csum_len)
{
	memset(rec, 0, sizeof(*rec));
	rec->version = NFS_CACHEFS_RECORD_VERSION;
	rec->fh_type = key->fh_type;
	rec->fh_len = key->fh_len;
	memcpy(rec->fh, key->fh, key->fh_len);
	rec->size = cpu_to_le64(a->size);
	rec->mtime_sec = cpu_to_le64(a->mtime.tv_sec);
	rec->mtime_nsec = cpu_to_le32(a->mtime.tv_nsec);
	rec->ctime_sec = cpu_to_le64(a->ctime.tv_sec);
	rec->ctime_nsec = cpu_to_le32(a->ctime.tv_nsec);
	rec->change = cpu_to_le64(a->change);
	rec->csum_len = min_t(size_t, csum_len, sizeof(rec->csum));
	memcpy(rec->csum, csum, rec->csum_len);
}

static bool nfsc_record_matches(const struct nfs_cachefs_record *rec,
				const struct nfsc_key *key,
				const struct nfsc_attrs *a)
{
	return rec->version == NFS_CACHEFS_RECORD_VERSION &&
	       rec->fh_type == key->fh_type && rec->fh_len == key->fh_len &&
	       !memcmp(rec->fh, key->fh, key->fh_len) &&
	       le64_to_cpu(rec->size) == a->size &&
	       le64_to_cpu(rec->mtime_sec) == a->mtime.tv_sec &&
	       le32_to_cpu(rec->mtime_nsec) == a->mtime.tv_nsec &&
	       le64_to_cpu(rec->ctime_sec) == a->ctime.tv_sec &&
	       le32_to_cpu(rec->ctime_nsec) == a->ctime.tv_nsec &&
	       le64_to_cpu(rec->change) == a->change;
}

/*
 * The volume directory. Someone may have emptied the cache by hand (rm -rf
 * <cachedir>/<*>): a removed directory takes no new entries, so with
 * @create it is made again, else lookups in it just find nothing.
 */
static struct dentry *nfsc_volume_dir(struct nfsc_sb_info *sbi, bool create)
{
	struct dentry *vol, *old;

	spin_lock(&sbi->volume_lock);
	vol = dget(sbi->volume.dentry);
	spin_unlock(&sbi->volume_lock);
	if (!create || !d_unlinked(vol))
		return vol;
	dput(vol);
	vol = nfsc_cache_mkdir(sbi, sbi->cache_root.dentry, sbi->volume_name);
	if (IS_ERR(vol))
		return vol;
	pr_notice_ratelimited("%s: volume directory %s was removed, made it again\n",
			      sbi->cachedir, sbi->volume_name);
	spin_lock(&sbi->volume_lock);
	old = sbi->volume.dentry;
	sbi->volume.dentry = dget(vol);
	spin_unlock(&sbi->volume_lock);
	dput(old);
	return vol;
}

/* The directory <volume>/<ab>/<cd>, made when @create. Mounter's creds. */
static struct dentry *nfsc_object_dir(struct nfsc_sb_info *sbi,
				      const struct nfsc_key *key, bool create)
{
	struct dentry *dir = nfsc_volume_dir(sbi, create), *next;
	int i;

	if (IS_ERR(dir))
		return dir;
	for (i = 0; i < ARRAY_SIZE(key->fan); i++) {
		next = lookup_positive_unlocked(key->fan[i], dir, 2);
		if (next == ERR_PTR(-ENOENT) && create)
			next = nfsc_cache_mkdir(sbi, dir, key->fan[i]);
		dput(dir);
		if (IS_ERR(next))
			return next;
		if (!d_can_lookup(next)) {
			dput(next);
			return ERR_PTR(-ENOTDIR);
		}
		dir = next;
	}
	return dir;
}

/* The object of @key if it exists, a positive regular file. */
static struct dentry *nfsc_object_lookup(struct nfsc_sb_info *sbi,
					 const struct nfsc_key *key)
{
	struct dentry *dir, *obj;

	dir = nfsc_object_dir(sbi, key, false);
	if (IS_ERR(dir))
		return dir;
	obj = lookup_positive_unlocked(key->name, dir, strlen(key->name));
	dput(dir);
	if (!IS_ERR(obj) && !d_is_reg(obj)) {
		dput(obj);
		obj = ERR_PTR(-EUCLEAN);
	}
	return obj;
}

/*
 * Recency for the daemon's culling: a hit moves its object's atime to now
 * when the object has not been opened since it was filled (atime not after
 * ctime, relatime's rule) or its atime is NFSC_ATIME_SLACK_SEC or more
 * behind, whatever the cache filesystem's relatime would do. Culling
 * needs no finer order than that, and a hot object costs at most one
 * inode update (and journal write) a minute, not one a second. Best
 * effort: a failure costs only accuracy, and a frozen cache (fsfreeze, a
 * snapshot) is left alone rather than waited for. Mounter's credentials.
 * @object is an open of nfsc_cache_open(), about to serve: its f_path is
 * the object's (a backing file's f_path is its real path).
 */
void nfsc_cache_touch(struct nfsc_sb_info *sbi, struct file *object)
{
	struct inode *inode = file_inode(object);
	struct timespec64 atime = nfsc_inode_atime(inode);
	struct timespec64 ctime = nfsc_inode_ctime(inode);
	struct iattr ia = { .ia_valid = ATTR_ATIME };
	const struct path *path = &object->f_path;
	const struct cred *old;

	if (timespec64_compare(&atime, &ctime) > 0 &&
	    atime.tv_sec + NFSC_ATIME_SLACK_SEC > ktime_get_real_seconds())
		return;
	if (!nfsc_mnt_try_write(path->mnt))
		return;
	old = override_creds(sbi->mounter_cred);
	inode_lock(inode);
	notify_change(nfsc_cache_idmap(sbi), path->dentry, &ia, NULL);
	inode_unlock(inode);
	revert_creds(old);
	nfsc_mnt_end_try_write(path->mnt);
}

/* Out of line: the name's buffer is on the open path's stack only here. */
static noinline void nfsc_report_stale(struct nfsc_sb_info *sbi,
				       const struct nfsc_key *key)
{
	char rel[NFS_CACHEFS_OBJECT_MAX];

	atomic64_inc(&sbi->stats.stale);
	nfsc_object_relname(key, rel, sizeof(rel));
	nfsc_genl_event(&(struct nfsc_event){
		.type = NFS_CACHEFS_EVENT_STALE, .mount_id = sbi->id,
		.object = rel,
	});
}

/* The object of @key, NULL when there is none, or an error. */
struct dentry *nfsc_cache_find(struct nfsc_sb_info *sbi,
			       const struct nfsc_key *key)
{
	const struct cred *old;
	struct dentry *obj;

	old = override_creds(sbi->mounter_cred);
	obj = nfsc_object_lookup(sbi, key);
	revert_creds(old);
	return obj == ERR_PTR(-ENOENT) ? NULL : obj;
}

/*
 * Open @object, the object of @key found by nfsc_cache_find(), for
 * @user_file if it is current for @a: the object file, NULL when it is
 * stale, or an error. The caller that serves it marks the use with
 * nfsc_cache_touch().
 */
struct file *nfsc_cache_open(struct file *user_file, struct dentry *object,
			     const struct nfsc_key *key,
			     const struct nfsc_attrs *a)
{
	struct nfsc_sb_info *sbi = NFSC_SB(file_inode(user_file)->i_sb);
	/*
	 * O_DIRECT is added at the first read, where a cache filesystem that
	 * cannot do it (or not at the read's alignment) passes it to NFS.
	 */
	int flags = user_file->f_flags &
		    ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_DIRECT);
	struct path path = { .mnt = sbi->volume.mnt, .dentry = object };
	struct nfs_cachefs_record rec;
	const struct cred *old;
	struct file *file;
	ssize_t len;

	old = override_creds(sbi->mounter_cred);
	len = vfs_getxattr(nfsc_cache_idmap(sbi), object, NFS_CACHEFS_XATTR,
			   &rec, sizeof(rec));
	if (len != sizeof(rec) || !nfsc_record_matches(&rec, key, a) ||
	    i_size_read(d_inode(object)) != a->size) {
		/* Replaced by the next fill, or culled. */
		nfsc_report_stale(sbi, key);
		file = NULL;
	} else {
		file = nfsc_open_cache_file(user_file, flags, &path,
					    sbi->mounter_cred);
	}
	revert_creds(old);
	return file;
}

/* An unnamed file in the object's directory, for the daemon to fill. */
struct file *nfsc_cache_tmpfile(struct nfsc_sb_info *sbi,
				const struct nfsc_key *key)
{
	const struct cred *old;
	struct path parent;
	struct file *file;
	int err;

	err = nfsc_cache_begin(sbi, &old);
	if (err)
		return ERR_PTR(err);
	parent.dentry = nfsc_object_dir(sbi, key, true);
	if (IS_ERR(parent.dentry)) {
		file = ERR_CAST(parent.dentry);
		goto out;
	}
	parent.mnt = sbi->volume.mnt;
	file = nfsc_tmpfile_open(nfsc_cache_idmap(sbi), &parent, S_IFREG | 0600,
				 O_RDWR | O_LARGEFILE, sbi->mounter_cred);
	dput(parent.dentry);
out:
	nfsc_cache_end(sbi, old);
	return file;
}

/* Remove the object called @name in @dir, if any. dir is locked. */
static int nfsc_unlink_locked(struct nfsc_sb_info *sbi, struct dentry *dir,
			      const char *name)
{
	struct dentry *victim;
	int err = 0;

	victim = lookup_one_len(name, dir, strlen(name));
	if (IS_ERR(victim))
		return PTR_ERR(victim);
	if (d_is_positive(victim))
		err = vfs_unlink(nfsc_cache_idmap(sbi), d_inode(dir), victim,
				 NULL);
	dput(victim);
	return err;
}

/*
 * The data of a filled tmpfile on disk, before nfsc_cache_commit() gives
 * it a record and a name. No fsync: on a journalling filesystem (ext4,
 * xfs) the transaction that links the object comes after the one that
 * allocated its blocks, so a crash leaves no object or a complete one,
 * without a journal commit per fill. Every open checks the object's size
 * against its record as well. No locks held: this waits for the disk.
 */
int nfsc_cache_write_data(struct file *tmpfile)
{
	return file_write_and_wait_range(tmpfile, 0, LLONG_MAX);
}

/*
 * Publish a filled tmpfile, its data written (nfsc_cache_write_data()),
 * as the object of @key for the NFS file in the state @a: the record,
 * then the name. Caller holds sbi->cache_mutex.
 */
int nfsc_cache_commit(struct nfsc_sb_info *sbi, const struct nfsc_key *key,
		      struct file *tmpfile, const struct nfsc_attrs *a,
		      const u8 *csum, size_t csum_len)
{
	struct dentry *tmp = tmpfile->f_path.dentry, *dir, *obj;
	struct nfs_cachefs_record rec;
	const struct cred *old;
	int err;

	lockdep_assert_held(&sbi->cache_mutex);
	nfsc_record_fill(&rec, key, a, csum, csum_len);

	err = nfsc_cache_begin(sbi, &old);
	if (err)
		return err;
	err = vfs_setxattr(nfsc_cache_idmap(sbi), tmp, NFS_CACHEFS_XATTR,
			   &rec, sizeof(rec), 0);
	if (err)
		goto out;

	dir = dget_parent(tmp);
	inode_lock_nested(d_inode(dir), I_MUTEX_PARENT);
	err = nfsc_unlink_locked(sbi, dir, key->name);
	if (err)
		goto out_unlock;
	obj = lookup_one_len(key->name, dir, strlen(key->name));
	if (IS_ERR(obj)) {
		err = PTR_ERR(obj);
		goto out_unlock;
	}
	err = vfs_link(tmp, nfsc_cache_idmap(sbi), d_inode(dir), obj, NULL);
	dput(obj);
out_unlock:
	inode_unlock(d_inode(dir));
	dput(dir);
out:
	nfsc_cache_end(sbi, old);
	return err;
}

/* Remove the object of @key. Caller holds sbi->cache_mutex. */
static int nfsc_cache_drop(struct nfsc_sb_info *sbi, const struct nfsc_key *key)
{
	const struct cred *old;
	struct dentry *dir;
	int err;

	err = nfsc_cache_begin(sbi, &old);
	if (err)
		return err;
	dir = nfsc_object_dir(sbi, key, false);
	if (IS_ERR(dir)) {
		err = PTR_ERR(dir) == -ENOENT ? 0 : PTR_ERR(dir);
		goto out;
	}
	inode_lock_nested(d_inode(dir), I_MUTEX_PARENT);
	err = nfsc_unlink_locked(sbi, dir, key->name);
	inode_unlock(d_inode(dir));
	dput(dir);
out:
	nfsc_cache_end(sbi, old);
	return err;
}

/*
 * Evict the object @rel (nfsc_object_relname()) the daemon chose, unless
 * it is in use: an open file or mmap of it holds a reference to its
 * dentry, as does a lookup about to open it, so any reference but our
 * own means -EBUSY. An open racing the unlink still reads a complete
 * file, freed at its close. *@bytes: the space its blocks took.
 */
int nfsc_cache_cull(struct nfsc_sb_info *sbi, const char *rel, u64 *bytes,
		    const char **why)
{
	struct dentry *dir, *victim;
	const struct cred *old;
	struct nfsc_key key;
	int err;

	*why = "not an object's name (ab/cd/<hex>)";
	if (nfsc_parse_relname(rel, &key))
		return -EINVAL;
	*why = NULL;
	err = nfsc_cache_begin(sbi, &old);
	if (err)
		return err;
	dir = nfsc_object_dir(sbi, &key, false);
	if (IS_ERR(dir)) {
		err = PTR_ERR(dir);
		goto out;
	}
	inode_lock_nested(d_inode(dir), I_MUTEX_PARENT);
	victim = lookup_one_len(key.name, dir, strlen(key.name));
	if (IS_ERR(victim)) {
		err = PTR_ERR(victim);
		goto out_unlock;
	}
	if (d_is_negative(victim)) {
		err = -ENOENT;
	} else if (!d_is_reg(victim)) {
		*why = "not a regular file";
		err = -EINVAL;
	} else if (d_count(victim) > 1) {
		*why = "the object is open";
		err = -EBUSY;
	} else {
		*bytes = (u64)d_inode(victim)->i_blocks << 9;
		err = vfs_unlink(nfsc_cache_idmap(sbi), d_inode(dir), victim,
				 NULL);
	}
	dput(victim);
out_unlock:
	inode_unlock(d_inode(dir));
	dput(dir);
out:
	nfsc_cache_end(sbi, old);
	if (err == -ENOENT)
		*why = "no such object";
	if (err)
		return err;
	atomic64_inc(&sbi->stats.culled);
	nfsc_genl_event(&(struct nfsc_event){
		.type = NFS_CACHEFS_EVENT_CULL, .mount_id = sbi->id,
		.object = rel, .bytes = *bytes,
	});
	return 0;
}

/*
 * A regular file is about to change through the stack (open for write,
 * truncate, unlink, rename, link): name its object now, while its NFS
 * dentry still has the inode. Nothing is dropped yet: NFS may refuse the
 * change, and it checks permissions at the server, after our VFS checks
 * have let anyone through.
 */
void nfsc_invalidate_prepare(struct dentry *dentry, struct nfsc_inval *inv)
{
	struct inode *inode = d_inode(dentry);

	inv->inode = inode && S_ISREG(inode->i_mode) ? inode : NULL;
	inv->have_key = inv->inode &&
			!nfsc_object_key(nfsc_lower_dentry(dentry), &inv->key);
}

/*
 * NFS made the change: cancel the file's fill and remove its object. In
 * between, opens found our inode written (i_writecount) or compared the
 * object's record with the changed NFS file. An object that cannot be
 * removed is still never served once stale, for the same reason.
 */
void nfsc_invalidate_done(struct nfsc_inval *inv)
{
	struct nfsc_sb_info *sbi;
	struct nfsc_key *key = &inv->key;
	int err;

	if (!inv->inode)
		return;
	sbi = NFSC_SB(inv->inode->i_sb);
	nfsc_fill_cancel(inv->inode);
	if (!inv->have_key)
		return;

	mutex_lock(&sbi->cache_mutex);
	NFSC_I(inv->inode)->inval_gen++;
	err = nfsc_cache_drop(sbi, key);
	mutex_unlock(&sbi->cache_mutex);
	if (err)
		pr_warn_ratelimited("cannot remove object %s/%s/%s: %d\n",
				    key->fan[0], key->fan[1], key->name, err);
}

/* Drop @dentry's object and fill now (INVALIDATE: the file is unchanged). */
void nfsc_invalidate(struct dentry *dentry)
{
	struct nfsc_inval inv;

	nfsc_invalidate_prepare(dentry, &inv);
	nfsc_invalidate_done(&inv);
}
