// SPDX-License-Identifier: GPL-2.0
/*
 * nfs_cachefs: the generic netlink family.
 *
 * Init network namespace only; every attribute has a strict policy (no
 * resv_start_op), so unknown attributes and trailing data are refused.
 * struct genl_ops (not split ops) so that one table builds on 6.1 and 6.12.
 */
#include "internal.h"

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <net/genetlink.h>

static const struct nla_policy nfsc_genl_policy[NFS_CACHEFS_A_MAX + 1] = {
	[NFS_CACHEFS_A_REQUEST_ID]	= { .type = NLA_U64 },
	[NFS_CACHEFS_A_MOUNT_ID]	= { .type = NLA_U32 },
	[NFS_CACHEFS_A_SIZE]		= { .type = NLA_U64 },
	[NFS_CACHEFS_A_PATH]		= { .type = NLA_NUL_STRING,
					    .len = NFS_CACHEFS_PATH_MAX - 1 },
	[NFS_CACHEFS_A_SRC_FD]		= { .type = NLA_U32 },
	[NFS_CACHEFS_A_DST_FD]		= { .type = NLA_U32 },
	[NFS_CACHEFS_A_BYTES]		= { .type = NLA_U64 },
	[NFS_CACHEFS_A_STATUS]		= { .type = NLA_S32 },
	[NFS_CACHEFS_A_CHECKSUM]	= { .type = NLA_BINARY,
					    .len = NFS_CACHEFS_CHECKSUM_MAX },
	[NFS_CACHEFS_A_FD]		= { .type = NLA_U32 },
	[NFS_CACHEFS_A_KEY]		= { .type = NLA_NUL_STRING,
					    .len = NFS_CACHEFS_KEY_MAX - 1 },
	[NFS_CACHEFS_A_VALUE]		= { .type = NLA_NUL_STRING,
					    .len = NFS_CACHEFS_VALUE_MAX - 1 },
	[NFS_CACHEFS_A_LOWERDIR]	= { .type = NLA_NUL_STRING,
					    .len = NFS_CACHEFS_PATH_MAX - 1 },
	[NFS_CACHEFS_A_CACHEDIR]	= { .type = NLA_NUL_STRING,
					    .len = NFS_CACHEFS_PATH_MAX - 1 },
	[NFS_CACHEFS_A_EVENT]		= { .type = NLA_U32 },
	[NFS_CACHEFS_A_OBJECT]		= { .type = NLA_NUL_STRING,
					    .len = NFS_CACHEFS_OBJECT_MAX - 1 },
	/* Only ever sent by the kernel. */
	[NFS_CACHEFS_A_STATS]		= { .type = NLA_REJECT },
	[NFS_CACHEFS_A_VOLUME]		= { .type = NLA_REJECT },
	[NFS_CACHEFS_A_DURATION_NS]	= { .type = NLA_REJECT },
	[NFS_CACHEFS_A_REASON]		= { .type = NLA_REJECT },
};

static struct genl_family nfsc_genl_family;

/* Counters in the order of enum nfs_cachefs_stat. */
static const atomic64_t *nfsc_stat_ptr(struct nfsc_sb_info *sbi, int type)
{
	switch (type) {
	case NFS_CACHEFS_STAT_HITS:		return &sbi->stats.hits;
	case NFS_CACHEFS_STAT_MISSES:		return &sbi->stats.misses;
	case NFS_CACHEFS_STAT_FILLS_OK:		return &sbi->stats.fills_ok;
	case NFS_CACHEFS_STAT_FILLS_FAILED:	return &sbi->stats.fills_failed;
	case NFS_CACHEFS_STAT_STALE:		return &sbi->stats.stale;
	case NFS_CACHEFS_STAT_BYTES_CACHE:	return &sbi->stats.bytes_cache;
	case NFS_CACHEFS_STAT_BYTES_LOWER:	return &sbi->stats.bytes_lower;
	case NFS_CACHEFS_STAT_PENDING:		return &sbi->stats.pending;
	case NFS_CACHEFS_STAT_FILLING:		return &sbi->stats.filling;
	case NFS_CACHEFS_STAT_CULLED:		return &sbi->stats.culled;
	default:				return NULL;
	}
}

/* One mount: its id, directories and counters. */
static int nfsc_put_mount_stats(struct sk_buff *skb, struct nfsc_sb_info *sbi)
{
	struct nlattr *nest;
	int type;

	if (nla_put_u32(skb, NFS_CACHEFS_A_MOUNT_ID, sbi->id) ||
	    nla_put_string(skb, NFS_CACHEFS_A_LOWERDIR, sbi->lowerdir) ||
	    nla_put_string(skb, NFS_CACHEFS_A_CACHEDIR, sbi->cachedir) ||
	    nla_put_string(skb, NFS_CACHEFS_A_VOLUME, sbi->volume_name))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, NFS_CACHEFS_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (type = NFS_CACHEFS_STAT_HITS; type <= NFS_CACHEFS_STAT_MAX; type++) {
		if (nla_put_u64_64bit(skb, type,
				      atomic64_read(nfsc_stat_ptr(sbi, type)),
				      NFS_CACHEFS_STAT_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Every mount, one message each; cb->args[0] counts those already sent. */
static int nfsc_get_stats_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct nfsc_sb_info *sbi;
	long idx = 0;
	void *hdr;

	mutex_lock(&nfsc_mounts_lock);
	list_for_each_entry(sbi, &nfsc_mounts, mount_node) {
		if (idx++ < cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &nfsc_genl_family,
				  NLM_F_MULTI, NFS_CACHEFS_CMD_GET_STATS);
		if (!hdr || nfsc_put_mount_stats(skb, sbi)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			idx--;
			break;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&nfsc_mounts_lock);
	cb->args[0] = idx;
	return skb->len;
}

/* @why is one of fill.c's static strings, so it outlives the reply. */
static void nfsc_set_err(struct genl_info *info, const char *why)
{
	if (info->extack && why)
		info->extack->_msg = why;
}

/* Everything that changes state is the fill daemon's: CAP_SYS_ADMIN. */
static int nfsc_check_admin(struct sk_buff *skb, struct genl_info *info)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG(info->extack, "needs CAP_SYS_ADMIN");
	return -EPERM;
}

static int nfsc_daemon_register_doit(struct sk_buff *skb,
				     struct genl_info *info)
{
	int err;

	err = nfsc_check_admin(skb, info);
	if (err)
		return err;
	err = nfsc_fill_register(info->snd_portid, NETLINK_CB(skb).sk);
	if (err == -EBUSY)
		NL_SET_ERR_MSG(info->extack,
			       "another fill daemon is registered");
	return err;
}

static int nfsc_put_claim(struct sk_buff *skb, u64 id,
			  const struct nfsc_claim *claim, int src_fd,
			  int dst_fd)
{
	if (nla_put_u64_64bit(skb, NFS_CACHEFS_A_REQUEST_ID, id,
			      NFS_CACHEFS_A_PAD) ||
	    nla_put_u32(skb, NFS_CACHEFS_A_MOUNT_ID, claim->mount_id) ||
	    nla_put_u64_64bit(skb, NFS_CACHEFS_A_SIZE, claim->size,
			      NFS_CACHEFS_A_PAD) ||
	    nla_put_string(skb, NFS_CACHEFS_A_PATH, claim->path ?: "") ||
	    nla_put_u32(skb, NFS_CACHEFS_A_SRC_FD, src_fd) ||
	    nla_put_u32(skb, NFS_CACHEFS_A_DST_FD, dst_fd) ||
	    nla_put_string(skb, NFS_CACHEFS_A_OBJECT, claim->object))
		return -EMSGSIZE;
	return 0;
}

/*
 * The reply names two fds that exist only once it is sent: they are
 * reserved first and installed after, so that a failure leaks nothing.
 */
static int nfsc_fill_claim_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nfsc_claim claim = {};
	int src_fd, dst_fd, err;
	const char *why = NULL;
	struct sk_buff *reply;
	void *hdr;
	u64 id;

	err = nfsc_check_admin(skb, info);
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, NFS_CACHEFS_A_REQUEST_ID))
		return -EINVAL;
	id = nla_get_u64(info->attrs[NFS_CACHEFS_A_REQUEST_ID]);

	err = nfsc_fill_claim(info->snd_portid, id, &claim, &why);
	if (err) {
		nfsc_set_err(info, why);
		return err;
	}

	err = -ENOMEM;
	why = "cannot send the claim's reply";
	reply = genlmsg_new(NLMSG_DEFAULT_SIZE + strlen(claim.path ?: ""),
			    GFP_KERNEL);
	if (!reply)
		goto undo;
	why = "no free file descriptors in the daemon";
	src_fd = get_unused_fd_flags(O_CLOEXEC);
	if (src_fd < 0) {
		err = src_fd;
		goto free_reply;
	}
	dst_fd = get_unused_fd_flags(O_CLOEXEC);
	if (dst_fd < 0) {
		err = dst_fd;
		goto put_src_fd;
	}
	why = "cannot send the claim's reply";
	hdr = genlmsg_put_reply(reply, info, &nfsc_genl_family, 0,
				NFS_CACHEFS_CMD_FILL_CLAIM);
	err = -EMSGSIZE;
	if (!hdr || nfsc_put_claim(reply, id, &claim, src_fd, dst_fd))
		goto put_dst_fd;
	genlmsg_end(reply, hdr);
	err = genlmsg_reply(reply, info);
	reply = NULL;
	if (err)
		goto put_dst_fd;
	fd_install(src_fd, claim.src);
	fd_install(dst_fd, claim.dst);
	kfree(claim.path);
	return 0;

put_dst_fd:
	put_unused_fd(dst_fd);
put_src_fd:
	put_unused_fd(src_fd);
free_reply:
	nlmsg_free(reply);
undo:
	nfsc_set_err(info, why);
	nfsc_fill_claim_undo(info->snd_portid, id, &claim);
	return err;
}

static int nfsc_fill_done_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *csum = info->attrs[NFS_CACHEFS_A_CHECKSUM];
	const char *why = NULL;
	int status, err;
	u64 id, bytes;

	err = nfsc_check_admin(skb, info);
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, NFS_CACHEFS_A_REQUEST_ID) ||
	    GENL_REQ_ATTR_CHECK(info, NFS_CACHEFS_A_STATUS) ||
	    GENL_REQ_ATTR_CHECK(info, NFS_CACHEFS_A_BYTES))
		return -EINVAL;
	id = nla_get_u64(info->attrs[NFS_CACHEFS_A_REQUEST_ID]);
	status = nla_get_s32(info->attrs[NFS_CACHEFS_A_STATUS]);
	bytes = nla_get_u64(info->attrs[NFS_CACHEFS_A_BYTES]);
	if (status > 0 || status < -MAX_ERRNO) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[NFS_CACHEFS_A_STATUS],
				    "status must be 0 or a negative errno");
		return -EINVAL;
	}

	err = nfsc_fill_done(info->snd_portid, id, status, bytes,
			     csum ? nla_data(csum) : NULL,
			     csum ? nla_len(csum) : 0, &why);
	if (err)
		nfsc_set_err(info, why);
	return err;
}

/*
 * The mount @id, referenced (nfsc_mount_put()), or NULL. Its superblock
 * stays active, so its cache does too, until the reference goes.
 */
static struct nfsc_sb_info *nfsc_mount_get(u32 id)
{
	struct nfsc_sb_info *sbi, *found = NULL;

	mutex_lock(&nfsc_mounts_lock);
	list_for_each_entry(sbi, &nfsc_mounts, mount_node) {
		if (sbi->id == id && atomic_inc_not_zero(&sbi->sb->s_active)) {
			found = sbi;
			break;
		}
	}
	mutex_unlock(&nfsc_mounts_lock);
	return found;
}

static void nfsc_mount_put(struct nfsc_sb_info *sbi)
{
	deactivate_super(sbi->sb);
}

/* The mount a command's MOUNT_ID names, referenced; NULL: -ENODEV. */
static struct nfsc_sb_info *nfsc_mount_of(struct genl_info *info)
{
	struct nlattr *id = info->attrs[NFS_CACHEFS_A_MOUNT_ID];
	struct nfsc_sb_info *sbi = nfsc_mount_get(nla_get_u32(id));

	if (!sbi)
		NL_SET_ERR_MSG_ATTR(info->extack, id, "no such mount");
	return sbi;
}

/* CULL's state, the object's name copied: it may outlive the message. */
struct nfsc_cull_cmd {
	struct nfsc_bounded b;
	struct nfsc_sb_info *sbi;	/* referenced */
	u64 bytes;
	char object[NFS_CACHEFS_OBJECT_MAX];
};

static int nfsc_cull_run(struct nfsc_bounded *b, const char **why)
{
	struct nfsc_cull_cmd *cc = container_of(b, struct nfsc_cull_cmd, b);

	return nfsc_cache_cull(cc->sbi, cc->object, &cc->bytes, why);
}

static void nfsc_cull_release(struct nfsc_bounded *b)
{
	struct nfsc_cull_cmd *cc = container_of(b, struct nfsc_cull_cmd, b);

	nfsc_mount_put(cc->sbi);
	kfree(cc);
}

static int nfsc_cull_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nfsc_sb_info *sbi;
	struct nfsc_cull_cmd *cc;
	const char *why = NULL;
	struct sk_buff *reply;
	void *hdr;
	int err;

	err = nfsc_check_admin(skb, info);
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, NFS_CACHEFS_A_MOUNT_ID) ||
	    GENL_REQ_ATTR_CHECK(info, NFS_CACHEFS_A_OBJECT))
		return -EINVAL;
	sbi = nfsc_mount_of(info);
	if (!sbi)
		return -ENODEV;
	cc = kzalloc(sizeof(*cc), GFP_KERNEL);
	reply = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!cc || !reply) {
		kfree(cc);
		nlmsg_free(reply);
		nfsc_mount_put(sbi);
		return -ENOMEM;
	}
	nfsc_bounded_init(&cc->b, nfsc_cull_run, nfsc_cull_release);
	cc->sbi = sbi;
	nla_strscpy(cc->object, info->attrs[NFS_CACHEFS_A_OBJECT],
		    sizeof(cc->object));
	err = nfsc_bounded_wait(&cc->b, jiffies + NFSC_DOIT_WAIT, &why);
	if (err == -EINPROGRESS)
		why = "still being removed: a CULL event tells when it is gone";
	if (err) {
		nfsc_set_err(info, why);
		nlmsg_free(reply);
		goto out;
	}
	hdr = genlmsg_put_reply(reply, info, &nfsc_genl_family, 0,
				NFS_CACHEFS_CMD_CULL);
	if (!hdr || nla_put_u64_64bit(reply, NFS_CACHEFS_A_BYTES, cc->bytes,
				      NFS_CACHEFS_A_PAD)) {
		/* The object is gone all the same. */
		nlmsg_free(reply);
		goto out;
	}
	genlmsg_end(reply, hdr);
	err = genlmsg_reply(reply, info);
out:
	nfsc_bounded_put(&cc->b);
	return err;
}

/*
 * The file behind a command's FD, referenced: one of a stack's regular
 * files (@raw: O_PATH descriptors too). NULL and *@err otherwise.
 */
static struct file *nfsc_fd_file(struct genl_info *info, bool raw, int *err)
{
	struct nlattr *a = info->attrs[NFS_CACHEFS_A_FD];
	struct file *file;

	file = raw ? fget_raw(nla_get_u32(a)) : fget(nla_get_u32(a));
	if (!file) {
		if (raw)
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "not an open file descriptor");
		else
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "not a file descriptor open for reading");
		*err = -EBADF;
		return NULL;
	}
	if (file->f_path.dentry->d_sb->s_type != &nfsc_fs_type ||
	    !d_is_reg(file->f_path.dentry) ||
	    (!raw && file->f_op != &nfsc_file_fops)) {
		fput(file);
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "not a regular file on an nfs_cachefs mount");
		*err = -EINVAL;
		return NULL;
	}
	return file;
}

/* INVALIDATE's and PREFETCH's state: the file stays ours till the end. */
struct nfsc_file_cmd {
	struct nfsc_bounded b;
	struct file *file;		/* referenced */
	u64 id;				/* PREFETCH's answer when QUEUED */
};

static void nfsc_file_cmd_release(struct nfsc_bounded *b)
{
	struct nfsc_file_cmd *fc = container_of(b, struct nfsc_file_cmd, b);

	fput(fc->file);
	kfree(fc);
}

/* A command's state for @file, whose reference it takes. */
static struct nfsc_file_cmd *
nfsc_file_cmd_new(struct file *file,
		  int (*run)(struct nfsc_bounded *b, const char **why))
{
	struct nfsc_file_cmd *fc = kzalloc(sizeof(*fc), GFP_KERNEL);

	if (!fc)
		return NULL;
	nfsc_bounded_init(&fc->b, run, nfsc_file_cmd_release);
	fc->file = file;
	return fc;
}

static int nfsc_invalidate_run(struct nfsc_bounded *b, const char **why)
{
	struct nfsc_file_cmd *fc = container_of(b, struct nfsc_file_cmd, b);

	nfsc_invalidate(fc->file->f_path.dentry);
	return 0;
}

/* INVALIDATE: FD; the file's fill is cancelled and its object removed. */
static int nfsc_invalidate_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nfsc_file_cmd *fc;
	const char *why = NULL;
	struct file *file;
	int err;

	err = nfsc_check_admin(skb, info);
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, NFS_CACHEFS_A_FD))
		return -EINVAL;
	file = nfsc_fd_file(info, true, &err);
	if (!file)
		return err;
	fc = nfsc_file_cmd_new(file, nfsc_invalidate_run);
	if (!fc) {
		fput(file);
		return -ENOMEM;
	}
	/* At once: cancelling waits on neither NFS nor the cache disk. */
	nfsc_fill_cancel(file_inode(file));
	err = nfsc_bounded_wait(&fc->b, jiffies + NFSC_DOIT_WAIT, &why);
	if (err == -EINPROGRESS)
		nfsc_set_err(info, "the object is still being removed, in the background");
	nfsc_bounded_put(&fc->b);
	return err;
}

/*
 * One PREFETCH of a file at a time: a prefetch client asks again after a
 * file it holds, and those asks must not pile up behind a dead server.
 */
static int nfsc_prefetch_run(struct nfsc_bounded *b, const char **why)
{
	struct nfsc_file_cmd *fc = container_of(b, struct nfsc_file_cmd, b);
	struct nfsc_inode_info *ni = NFSC_I(file_inode(fc->file));
	const struct cred *old;
	int status;

	/* The opener asks NFS, as at its open (a kworker has no Kerberos). */
	old = override_creds(fc->file->f_cred);
	status = nfsc_prefetch(fc->file, &fc->id, why);
	revert_creds(old);
	clear_and_wake_up_bit(NFSC_I_PREFETCHING, &ni->flags);
	return status;
}

/*
 * PREFETCH: FD, open for reading. The reply's STATUS is an enum
 * nfs_cachefs_prefetch, with the REQUEST_ID of its fill when QUEUED.
 */
static int nfsc_prefetch_doit(struct sk_buff *skb, struct genl_info *info)
{
	unsigned long deadline = jiffies + NFSC_DOIT_WAIT;
	struct nfsc_inode_info *ni;
	struct nfsc_file_cmd *fc;
	const char *why = NULL;
	struct sk_buff *reply;
	struct file *file;
	int err, status;
	void *hdr;

	err = nfsc_check_admin(skb, info);
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, NFS_CACHEFS_A_FD))
		return -EINVAL;
	file = nfsc_fd_file(info, false, &err);
	if (!file)
		return err;
	ni = NFSC_I(file_inode(file));
	fc = nfsc_file_cmd_new(file, nfsc_prefetch_run);
	if (!fc) {
		fput(file);
		return -ENOMEM;
	}
	/* A fill queued by an earlier PREFETCH's background work is told at once. */
	if (nfsc_prefetch_known(file, &fc->id, &status, &why))
		goto out;
	if (test_and_set_bit_lock(NFSC_I_PREFETCHING, &ni->flags) &&
	    (wait_on_bit_timeout(&ni->flags, NFSC_I_PREFETCHING, TASK_KILLABLE,
				 NFSC_DOIT_WAIT) ||
	     test_and_set_bit_lock(NFSC_I_PREFETCHING, &ni->flags))) {
		status = -EINPROGRESS;
		why = "an earlier PREFETCH of this file is still running: ask again";
		goto out;
	}
	/* Its wait and the earlier one's together: NFSC_DOIT_WAIT. */
	status = nfsc_bounded_wait(&fc->b, deadline, &why);
	if (status == -EINPROGRESS)
		why = "still waiting on NFS or the cache, in the background: ask again";
out:
	if (status < 0) {
		nfsc_set_err(info, why);
		err = status;
		goto out_put;
	}
	err = -ENOMEM;
	reply = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!reply)
		goto out_put;
	hdr = genlmsg_put_reply(reply, info, &nfsc_genl_family, 0,
				NFS_CACHEFS_CMD_PREFETCH);
	if (!hdr || nla_put_s32(reply, NFS_CACHEFS_A_STATUS, status) ||
	    (status == NFS_CACHEFS_PREFETCH_QUEUED &&
	     nla_put_u64_64bit(reply, NFS_CACHEFS_A_REQUEST_ID, fc->id,
			       NFS_CACHEFS_A_PAD))) {
		nlmsg_free(reply);
		err = -EMSGSIZE;
		goto out_put;
	}
	genlmsg_end(reply, hdr);
	err = genlmsg_reply(reply, info);
out_put:
	nfsc_bounded_put(&fc->b);
	return err;
}

/* SET: MOUNT_ID, KEY, VALUE; as writing the sysfs file. CAP_SYS_ADMIN. */
static int nfsc_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nfsc_sb_info *sbi;
	const char *why = NULL;
	int err;

	err = nfsc_check_admin(skb, info);
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, NFS_CACHEFS_A_MOUNT_ID) ||
	    GENL_REQ_ATTR_CHECK(info, NFS_CACHEFS_A_KEY) ||
	    GENL_REQ_ATTR_CHECK(info, NFS_CACHEFS_A_VALUE))
		return -EINVAL;
	sbi = nfsc_mount_of(info);
	if (!sbi)
		return -ENODEV;
	err = nfsc_tunable_set(sbi, nla_data(info->attrs[NFS_CACHEFS_A_KEY]),
			       nla_data(info->attrs[NFS_CACHEFS_A_VALUE]), &why);
	nfsc_set_err(info, why);
	nfsc_mount_put(sbi);
	return err;
}

/* GET: MOUNT_ID, KEY; the reply's VALUE is what sysfs shows. */
static int nfsc_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nfsc_sb_info *sbi;
	const char *why = NULL;
	struct sk_buff *reply;
	char *page;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, NFS_CACHEFS_A_MOUNT_ID) ||
	    GENL_REQ_ATTR_CHECK(info, NFS_CACHEFS_A_KEY))
		return -EINVAL;
	sbi = nfsc_mount_of(info);
	if (!sbi)
		return -ENODEV;
	err = -ENOMEM;
	page = (char *)__get_free_page(GFP_KERNEL);
	if (!page)
		goto out;
	err = nfsc_tunable_get(sbi, nla_data(info->attrs[NFS_CACHEFS_A_KEY]),
			       page, &why);
	if (err) {
		nfsc_set_err(info, why);
		goto out_page;
	}
	err = -ENOMEM;
	reply = genlmsg_new(NLMSG_DEFAULT_SIZE + strlen(page), GFP_KERNEL);
	if (!reply)
		goto out_page;
	hdr = genlmsg_put_reply(reply, info, &nfsc_genl_family, 0,
				NFS_CACHEFS_CMD_GET);
	if (!hdr || nla_put_string(reply, NFS_CACHEFS_A_VALUE, page)) {
		nlmsg_free(reply);
		err = -EMSGSIZE;
		goto out_page;
	}
	genlmsg_end(reply, hdr);
	err = genlmsg_reply(reply, info);
out_page:
	free_page((unsigned long)page);
out:
	nfsc_mount_put(sbi);
	return err;
}

/*
 * Reading counters and tunables is open to everyone, as the sysfs files
 * are; the fill protocol, CULL and SET check CAP_SYS_ADMIN themselves
 * (GENL_ADMIN_PERM is CAP_NET_ADMIN). FILL_REQUEST and EVENT are only
 * ever sent by the kernel.
 */
static const struct genl_ops nfsc_genl_ops[] = {
	{
		.cmd	= NFS_CACHEFS_CMD_DAEMON_REGISTER,
		.doit	= nfsc_daemon_register_doit,
	},
	{
		.cmd	= NFS_CACHEFS_CMD_FILL_CLAIM,
		.doit	= nfsc_fill_claim_doit,
	},
	{
		.cmd	= NFS_CACHEFS_CMD_FILL_DONE,
		.doit	= nfsc_fill_done_doit,
	},
	{
		.cmd	= NFS_CACHEFS_CMD_INVALIDATE,
		.doit	= nfsc_invalidate_doit,
	},
	{
		.cmd	= NFS_CACHEFS_CMD_PREFETCH,
		.doit	= nfsc_prefetch_doit,
	},
	{
		.cmd	= NFS_CACHEFS_CMD_CULL,
		.doit	= nfsc_cull_doit,
	},
	{
		.cmd	= NFS_CACHEFS_CMD_SET,
		.doit	= nfsc_set_doit,
	},
	{
		.cmd	= NFS_CACHEFS_CMD_GET,
		.doit	= nfsc_get_doit,
	},
	{
		.cmd	= NFS_CACHEFS_CMD_GET_STATS,
		.dumpit	= nfsc_get_stats_dumpit,
	},
};

/* Events tell which files are filled and evicted: CAP_SYS_ADMIN to join. */
static const struct genl_multicast_group nfsc_genl_mcgrps[] = {
	{
		.name	= NFS_CACHEFS_GENL_MCGRP_MONITOR,
		.flags	= GENL_MCAST_CAP_SYS_ADMIN,
	},
};

/*
 * Parallel: claims, completions, invalidations, prefetches and culls wait
 * on NFS and the cache disk, which must not hold up every other family
 * behind genl_mutex (and each waits for it at most NFSC_DOIT_WAIT: fill.c,
 * bounded.c). Each op keeps its own state under its own locks
 * (nfsc_fill_lock for requests and the daemon, nfsc_mounts_lock for the
 * mounts, nfsc_tunables_lock for the tunables' cross-checks).
 */
static struct genl_family nfsc_genl_family __ro_after_init = {
	.name		= NFS_CACHEFS_GENL_NAME,
	.version	= NFS_CACHEFS_GENL_VERSION,
	.maxattr	= NFS_CACHEFS_A_MAX,
	.policy		= nfsc_genl_policy,
	.ops		= nfsc_genl_ops,
	.n_ops		= ARRAY_SIZE(nfsc_genl_ops),
	.mcgrps		= nfsc_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(nfsc_genl_mcgrps),
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
};

/* Unicast to the daemon; -EAGAIN when its socket buffer is full. */
int nfsc_genl_send_request(u32 portid, u64 id, u32 mount_id, u64 size,
			   const char *path)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_DEFAULT_SIZE + strlen(path), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put(skb, 0, 0, &nfsc_genl_family, 0,
			  NFS_CACHEFS_CMD_FILL_REQUEST);
	if (!hdr ||
	    nla_put_u64_64bit(skb, NFS_CACHEFS_A_REQUEST_ID, id,
			      NFS_CACHEFS_A_PAD) ||
	    nla_put_u32(skb, NFS_CACHEFS_A_MOUNT_ID, mount_id) ||
	    nla_put_u64_64bit(skb, NFS_CACHEFS_A_SIZE, size,
			      NFS_CACHEFS_A_PAD) ||
	    nla_put_string(skb, NFS_CACHEFS_A_PATH, path)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_unicast(&init_net, skb, portid);
}

static int nfsc_put_event(struct sk_buff *skb, const struct nfsc_event *ev)
{
	if (nla_put_u32(skb, NFS_CACHEFS_A_EVENT, ev->type) ||
	    nla_put_u32(skb, NFS_CACHEFS_A_MOUNT_ID, ev->mount_id) ||
	    nla_put_u64_64bit(skb, NFS_CACHEFS_A_REQUEST_ID, ev->request_id,
			      NFS_CACHEFS_A_PAD) ||
	    nla_put_u64_64bit(skb, NFS_CACHEFS_A_SIZE, ev->size,
			      NFS_CACHEFS_A_PAD) ||
	    nla_put_u64_64bit(skb, NFS_CACHEFS_A_BYTES, ev->bytes,
			      NFS_CACHEFS_A_PAD) ||
	    nla_put_u64_64bit(skb, NFS_CACHEFS_A_DURATION_NS, ev->duration_ns,
			      NFS_CACHEFS_A_PAD) ||
	    nla_put_s32(skb, NFS_CACHEFS_A_STATUS, ev->status) ||
	    (ev->path && nla_put_string(skb, NFS_CACHEFS_A_PATH, ev->path)) ||
	    (ev->object &&
	     nla_put_string(skb, NFS_CACHEFS_A_OBJECT, ev->object)) ||
	    (ev->reason &&
	     nla_put_string(skb, NFS_CACHEFS_A_REASON, ev->reason)))
		return -EMSGSIZE;
	return 0;
}

/*
 * Tell the monitor group, if anyone listens. Best effort: an event that
 * cannot be built or delivered is lost, the operation it reports is not.
 * Process context, no spinlock held.
 */
void nfsc_genl_event(const struct nfsc_event *ev)
{
	size_t len = NLMSG_DEFAULT_SIZE;
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&nfsc_genl_family, &init_net, 0))
		return;
	len += (ev->path ? strlen(ev->path) : 0) +
	       (ev->object ? strlen(ev->object) : 0) +
	       (ev->reason ? strlen(ev->reason) : 0);
	skb = genlmsg_new(len, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &nfsc_genl_family, 0,
			  NFS_CACHEFS_CMD_EVENT);
	if (!hdr || nfsc_put_event(skb, ev)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&nfsc_genl_family, skb, 0, 0, GFP_KERNEL);
}

/* The daemon's socket closing (or its process dying) ends its claims. */
static int nfsc_netlink_event(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC &&
	    net_eq(n->net, &init_net))
		nfsc_fill_daemon_gone(n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block nfsc_netlink_notifier = {
	.notifier_call = nfsc_netlink_event,
};

int __init nfsc_genl_init(void)
{
	int err;

	err = nfsc_fill_init();
	if (err)
		return err;
	err = nfsc_bounded_init_wq();
	if (err)
		goto out_fill;
	err = netlink_register_notifier(&nfsc_netlink_notifier);
	if (err)
		goto out_bounded;
	err = genl_register_family(&nfsc_genl_family);
	if (err) {
		pr_err("cannot register generic netlink family %s: %d\n",
		       NFS_CACHEFS_GENL_NAME, err);
		goto out_notifier;
	}
	return 0;

out_notifier:
	netlink_unregister_notifier(&nfsc_netlink_notifier);
out_bounded:
	nfsc_bounded_exit_wq();
out_fill:
	nfsc_fill_exit();
	return err;
}

void nfsc_genl_exit(void)
{
	genl_unregister_family(&nfsc_genl_family);
	netlink_unregister_notifier(&nfsc_netlink_notifier);
	nfsc_bounded_exit_wq();
	nfsc_fill_exit();
}
