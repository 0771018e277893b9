// SPDX-License-Identifier: GPL-2.0
/*
 * nfs_cachefs: fill requests and the fill daemon.
 *
 * A read-only open that misses queues one request for its file; further
 * misses on the file join it (NFSC_I()->req). The registered daemon is
 * told (FILL_REQUEST), claims it (FILL_CLAIM: the kernel opens the NFS
 * file and a tmpfile for it) and reports the end (FILL_DONE: the kernel
 * verifies and commits). A request leaves the table when it is done,
 * cancelled by an invalidation, timed out, or its mount goes away; ids are
 * never reused, so a late message for it finds nothing.
 *
 * Generic netlink runs a doit under its cb_lock, which a family being
 * registered or removed (any module's) takes for writing, holding up
 * every other genetlink user behind it. So what a claim or a completion
 * must wait for on NFS or the cache disk runs in nfsc_fill_wq, and the
 * doit waits for it NFSC_DOIT_WAIT at most. A claim that outlasts it is
 * answered -EINPROGRESS and its request told to the daemon again once
 * its files are open, for a claim that takes them at once; a completion
 * that outlasts it is answered -EINPROGRESS and ends in the background,
 * told as every end is, by a DONE or FAIL event. (bounded.c does the same
 * for INVALIDATE, PREFETCH and CULL, in a workqueue of its own.)
 *
 * When a reader closes before the claim, the request may open the NFS file
 * itself and keep it open to the claim (nfsc_fill_hold()), so that the
 * claim opens it under the reader's delegation.
 *
 * All state is under nfsc_fill_lock; every sleeping step (opening files,
 * GETATTR, commit, sending) runs outside it on a referenced request.
 */
#include "internal.h"

#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/kref.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <net/sock.h>

/* Sent at most this many FILL_REQUESTs per kick; the rest wait. */
#define NFSC_KICK_BATCH		64

/*
 * A FILLING request is first being opened (open_work: no tmpfile yet),
 * then, if its claim stopped waiting, opened but not handed over (src
 * set: the daemon claims it again), then the daemon's to copy.
 */
enum nfsc_req_state {
	NFSC_REQ_PENDING,	/* waiting for a claim */
	NFSC_REQ_FILLING,	/* claimed */
};

struct nfsc_request {
	struct kref ref;
	u64 id;
	struct hlist_node hash;		/* on nfsc_requests while queued */
	struct list_head node;		/* on nfsc_unsent or nfsc_sent */
	enum nfsc_req_state state;
	u32 portid;			/* the daemon that claimed it */
	unsigned long deadline;		/* jiffies */
	struct nfsc_sb_info *sbi;
	struct inode *inode;		/* stacked, referenced */
	struct path lower;		/* referenced */
	const struct cred *cred;	/* the opener's: it may read NFS */
	struct file *held;		/* NFS file opened at a reader's close */
	u64 size;
	struct nfsc_key key;
	/* Set by the claim's open_work. */
	struct file *tmpfile;		/* our own reference to the object */
	struct file *src;		/* the NFS file, until handed over */
	/* The tmpfile's size and ctime when the reaper last looked. */
	loff_t progress;
	struct timespec64 progress_ctime;
	struct nfsc_attrs snap;		/* NFS file when the copy started */
	u64 claimed_ns;			/* ktime_get_ns() at the claim */
	u32 inval_gen;
	char *path;			/* for logs */

	/* The claim's wait for open_work: under nfsc_fill_lock. */
	struct work_struct open_work;
	struct completion opened;
	u32 claim_gen;			/* which claim open_work serves */
	bool opening;			/* open_work has not ended */
	bool claim_waits;		/* the claim's doit waits for it */
	int open_err;			/* how it ended */
	const char *open_why;

	/* The completion's check and commit, after FILL_DONE. */
	struct work_struct commit_work;
	struct completion committed;
	u64 bytes;
	u8 csum[NFS_CACHEFS_CHECKSUM_MAX];
	size_t csum_len;
	int commit_err;
	const char *commit_why;
};

static DEFINE_SPINLOCK(nfsc_fill_lock);
static DEFINE_HASHTABLE(nfsc_requests, 10);
static LIST_HEAD(nfsc_unsent);		/* queued, not yet told to the daemon */
static LIST_HEAD(nfsc_sent);		/* queued and told (or claimed) */
static u64 nfsc_next_id = 1;
static u32 nfsc_daemon;			/* portid of the daemon, 0 if none */
static struct sock *nfsc_daemon_sk;	/* its socket, referenced */
/* When the daemon last registered, claimed, or was seen writing a copy. */
static unsigned long nfsc_daemon_moved;	/* jiffies */

static void nfsc_reaper_fn(struct work_struct *work);
static void nfsc_open_work(struct work_struct *work);
static void nfsc_commit_work(struct work_struct *work);

static DECLARE_DELAYED_WORK(nfsc_reaper, nfsc_reaper_fn);
static struct workqueue_struct *nfsc_fill_wq;

/* fill_timeout_ms after @from (the tunable is at most a day: fits in u32). */
static unsigned long nfsc_deadline_after(struct nfsc_sb_info *sbi,
					 unsigned long from)
{
	return from + msecs_to_jiffies(READ_ONCE(sbi->tun.fill_timeout_ms));
}

static unsigned long nfsc_deadline(struct nfsc_sb_info *sbi)
{
	return nfsc_deadline_after(sbi, jiffies);
}

/* Close a held NFS file; the close may wait for the server's CLOSE. */
static void nfsc_held_put(struct nfsc_sb_info *sbi, struct file *held)
{
	atomic_dec(&sbi->nr_held);
	fput(held);
}

static void nfsc_request_free(struct kref *ref)
{
	struct nfsc_request *req = container_of(ref, struct nfsc_request, ref);
	struct nfsc_sb_info *sbi = req->sbi;

	if (req->held)
		nfsc_held_put(sbi, req->held);
	if (req->tmpfile)
		fput(req->tmpfile);
	if (req->src)
		fput(req->src);
	iput(req->inode);
	path_put(&req->lower);
	put_cred(req->cred);
	kfree(req->path);
	kfree(req);
	if (atomic_dec_and_test(&sbi->nr_requests))
		wake_up_var(&sbi->nr_requests);
}

static void nfsc_request_put(struct nfsc_request *req)
{
	kref_put(&req->ref, nfsc_request_free);
}

static struct nfsc_request *nfsc_request_find(u64 id)
{
	struct nfsc_request *req;

	lockdep_assert_held(&nfsc_fill_lock);
	hash_for_each_possible(nfsc_requests, req, hash, id)
		if (req->id == id)
			return req;
	return NULL;
}

static atomic64_t *nfsc_state_counter(struct nfsc_request *req)
{
	return req->state == NFSC_REQ_PENDING ? &req->sbi->stats.pending :
						&req->sbi->stats.filling;
}

/*
 * Take @req out of the table; the table's reference passes to the caller.
 * The inode forgets it unless a commit of it is under way.
 */
static void nfsc_request_unhash(struct nfsc_request *req)
{
	struct nfsc_inode_info *ni = NFSC_I(req->inode);

	lockdep_assert_held(&nfsc_fill_lock);
	hash_del(&req->hash);
	list_del_init(&req->node);
	atomic64_dec(nfsc_state_counter(req));
	req->sbi->nr_queued--;
	if (ni->req == req)
		ni->req = NULL;
}

/*
 * @req ended without a fill: every request's end is told (DONE or FAIL),
 * so a listener waiting for one (prefetch) never waits for ever.
 */
static void nfsc_request_failed(struct nfsc_request *req, int status,
				const char *reason)
{
	nfsc_genl_event(&(struct nfsc_event){
		.type = NFS_CACHEFS_EVENT_FAIL,
		.mount_id = req->sbi->id, .request_id = req->id,
		.size = req->size, .path = req->path,
		.status = status, .reason = reason,
	});
}

/* Once a second while requests exist; a pending run is not pushed back. */
static void nfsc_reaper_arm(void)
{
	queue_delayed_work(system_wq, &nfsc_reaper, HZ);
}

/*
 * Requests fill at most half of the daemon's receive buffer. Netlink drops
 * a message that finds the buffer full, a reply or an ack as readily as a
 * request, and a claim whose reply is dropped fails: the other half is
 * kept for the answers to its claims and completions.
 */
static bool nfsc_daemon_has_room(struct sock *sk)
{
	return atomic_read(&sk->sk_rmem_alloc) < READ_ONCE(sk->sk_rcvbuf) / 2;
}

/*
 * Tell the daemon about requests it has not heard of. Called whenever the
 * daemon shows it reads its socket (register, claim, done) and after a new
 * request, so a socket buffer without room only delays requests.
 */
static void nfsc_fill_kick(void)
{
	struct nfsc_request *batch[NFSC_KICK_BATCH];
	struct nfsc_request *req;
	struct sock *sk = NULL;
	int n = 0, i, k, err = 0;
	u32 portid;

	spin_lock(&nfsc_fill_lock);
	portid = nfsc_daemon;
	while (portid && n < NFSC_KICK_BATCH && !list_empty(&nfsc_unsent)) {
		req = list_first_entry(&nfsc_unsent, struct nfsc_request, node);
		list_move_tail(&req->node, &nfsc_sent);
		kref_get(&req->ref);
		batch[n++] = req;
	}
	if (n) {
		sk = nfsc_daemon_sk;
		sock_hold(sk);
	}
	spin_unlock(&nfsc_fill_lock);

	for (i = 0; i < n; i++) {
		req = batch[i];
		/*
		 * A socket being closed has lost its portid, which another
		 * socket may take before NETLINK_URELEASE tells us.
		 */
		err = sock_flag(sk, SOCK_DEAD) ? -ENOTCONN :
		      nfsc_daemon_has_room(sk) ?
		      nfsc_genl_send_request(portid, req->id, req->sbi->id,
					     req->size, req->path) : -EAGAIN;
		if (err)
			break;
		nfsc_request_put(req);
	}
	if (i < n) {
		/* Not delivered: back at the head of the line, in order. */
		spin_lock(&nfsc_fill_lock);
		for (k = n - 1; k >= i; k--) {
			req = batch[k];
			if (hash_hashed(&req->hash) &&
			    (req->state == NFSC_REQ_PENDING || req->src))
				list_move(&req->node, &nfsc_unsent);
		}
		spin_unlock(&nfsc_fill_lock);
		for (k = i; k < n; k++)
			nfsc_request_put(batch[k]);
	}
	if (sk)
		sock_put(sk);
	if (err && err != -EAGAIN && err != -ENOBUFS && err != -ENOTCONN)
		pr_warn_ratelimited("cannot send a fill request to the daemon: %d\n",
				    err);
}

/* A path for log lines: where the reader saw the file. */
static char *nfsc_log_path(struct file *file)
{
	char *buf, *p, *path;

	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return NULL;
	p = d_path(&file->f_path, buf, PATH_MAX);
	path = IS_ERR(p) ? kstrdup("(unknown)", GFP_KERNEL) :
		kstrdup(p, GFP_KERNEL);
	kfree(buf);
	return path;
}

/*
 * @file missed with the NFS file at @size; @commit_gen is the inode's
 * commit generation before the cache was looked at, so that a fill which
 * committed since does not queue a second one. Queues nothing without a
 * daemon, outside min_size..max_size, or over max_pending.
 */
void nfsc_fill_miss(struct file *file, const struct nfsc_key *key,
		    u32 commit_gen, u64 size)
{
	struct inode *inode = file_inode(file);
	struct nfsc_inode_info *ni = NFSC_I(inode);
	struct nfsc_sb_info *sbi = NFSC_SB(inode->i_sb);
	struct nfsc_request *req;

	if (!READ_ONCE(nfsc_daemon) || READ_ONCE(ni->req) ||
	    atomic_read(&inode->i_writecount) > 0 ||
	    size < READ_ONCE(sbi->tun.min_size) ||
	    size > READ_ONCE(sbi->tun.max_size))
		return;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return;
	kref_init(&req->ref);
	INIT_LIST_HEAD(&req->node);
	INIT_WORK(&req->open_work, nfsc_open_work);
	INIT_WORK(&req->commit_work, nfsc_commit_work);
	init_completion(&req->opened);
	init_completion(&req->committed);
	req->sbi = sbi;
	req->inode = igrab(inode);
	nfsc_lower_path(file->f_path.dentry, &req->lower);
	path_get(&req->lower);
	req->cred = get_cred(file->f_cred);
	req->size = size;
	req->key = *key;
	req->path = nfsc_log_path(file);
	atomic_inc(&sbi->nr_requests);
	if (!req->inode || !req->path) {
		nfsc_request_put(req);
		return;
	}

	spin_lock(&nfsc_fill_lock);
	if (!nfsc_daemon || ni->req || ni->commit_gen != commit_gen ||
	    sbi->nr_queued >= READ_ONCE(sbi->tun.max_pending)) {
		spin_unlock(&nfsc_fill_lock);
		nfsc_request_put(req);
		return;
	}
	req->id = nfsc_next_id++;
	req->state = NFSC_REQ_PENDING;
	req->deadline = nfsc_deadline(sbi);
	hash_add(nfsc_requests, &req->hash, req->id);
	list_add_tail(&req->node, &nfsc_unsent);
	ni->req = req;
	sbi->nr_queued++;
	atomic64_inc(&sbi->stats.pending);
	kref_get(&req->ref);	/* for the event: a fill may end it meanwhile */
	spin_unlock(&nfsc_fill_lock);

	nfsc_genl_event(&(struct nfsc_event){
		.type = NFS_CACHEFS_EVENT_MISS, .mount_id = sbi->id,
		.request_id = req->id, .size = size, .path = req->path,
	});
	nfsc_request_put(req);
	nfsc_reaper_arm();
	nfsc_fill_kick();
}

/* The id of @inode's queued fill, if it has one. */
bool nfsc_fill_request_id(struct inode *inode, u64 *id)
{
	struct nfsc_request *req;

	spin_lock(&nfsc_fill_lock);
	req = NFSC_I(inode)->req;
	if (req)
		*id = req->id;
	spin_unlock(&nfsc_fill_lock);
	return req;
}

static bool nfsc_may_hold(struct nfsc_request *req)
{
	lockdep_assert_held(&nfsc_fill_lock);
	return hash_hashed(&req->hash) && req->state == NFSC_REQ_PENDING &&
	       !req->held && atomic_read(&req->sbi->nr_held) <
			     READ_ONCE(req->sbi->tun.max_held);
}

/*
 * A reader that missed is closing @real, its NFS file, before the claim,
 * and NFS holds a read delegation of it: the request opens the NFS file
 * itself, while @real still has it open, and keeps it until the claim
 * has opened it again. Under the delegation neither open sends an OPEN;
 * the delegation stays in use, so the client keeps it when nfsd asks for
 * unused ones back (else the claim would OPEN again); and the reader's
 * close does not wait for the server's CLOSE, which the fill's last close
 * sends. Without a delegation NFS sends an OPEN for every open, so
 * nothing is held. Not @real itself: its path is the stack's, which it
 * would keep busy. At most max_held files a mount.
 */
void nfsc_fill_hold(struct inode *inode, const struct file *real)
{
	struct nfsc_sb_info *sbi = NFSC_SB(inode->i_sb);
	struct nfsc_request *req;
	struct file *held;

	if (!READ_ONCE(NFSC_I(inode)->req) ||
	    atomic_read(&sbi->nr_held) >= READ_ONCE(sbi->tun.max_held) ||
	    !nfsc_nfs_has_read_delegation(file_inode(real)))
		return;
	spin_lock(&nfsc_fill_lock);
	req = NFSC_I(inode)->req;
	if (!req || !nfsc_may_hold(req)) {
		spin_unlock(&nfsc_fill_lock);
		return;
	}
	kref_get(&req->ref);
	spin_unlock(&nfsc_fill_lock);

	/*
	 * The reader's credentials: its open state is the one kept open. An
	 * open that fails holds nothing; the claim opens and reports as ever.
	 */
	held = dentry_open(&req->lower, O_RDONLY | O_LARGEFILE, real->f_cred);
	if (!IS_ERR(held)) {
		spin_lock(&nfsc_fill_lock);
		if (nfsc_may_hold(req)) {
			atomic_inc(&sbi->nr_held);
			req->held = held;
			held = NULL;
		}
		spin_unlock(&nfsc_fill_lock);
		if (held)
			fput(held);
	}
	nfsc_request_put(req);
}

/*
 * Drop @inode's request, if any: its file is about to change. A file it
 * held closes on the caller's way back to user space (fput()), not here,
 * under the caller's locks, where a CLOSE to an unreachable server would
 * wait uninterruptibly.
 */
void nfsc_fill_cancel(struct inode *inode)
{
	struct nfsc_inode_info *ni = NFSC_I(inode);
	struct nfsc_request *req;

	if (!READ_ONCE(ni->req))
		return;
	spin_lock(&nfsc_fill_lock);
	req = ni->req;
	if (req && hash_hashed(&req->hash)) {
		nfsc_request_unhash(req);
	} else {
		/* Being committed: the commit sees inval_gen move. */
		ni->req = NULL;
		req = NULL;
	}
	spin_unlock(&nfsc_fill_lock);
	if (req) {
		nfsc_request_failed(req, -ECANCELED,
				    "cancelled: the file changes through the stack");
		nfsc_request_put(req);
	}
}

/*
 * Pull every request of @pred out of the table and drop them: @timed_out,
 * or their mount is going away.
 */
static void nfsc_fill_drop_if(bool (*pred)(struct nfsc_request *req,
					   void *arg),
			      void *arg, bool timed_out)
{
	struct nfsc_request *req;
	struct hlist_node *tmp;
	LIST_HEAD(dead);
	int bkt;

	spin_lock(&nfsc_fill_lock);
	hash_for_each_safe(nfsc_requests, bkt, tmp, req, hash) {
		if (!pred(req, arg))
			continue;
		nfsc_request_unhash(req);
		list_add(&req->node, &dead);
		if (timed_out)
			atomic64_inc(&req->sbi->stats.fills_failed);
	}
	spin_unlock(&nfsc_fill_lock);

	while (!list_empty(&dead)) {
		req = list_first_entry(&dead, struct nfsc_request, node);
		list_del_init(&req->node);
		if (timed_out) {
			pr_warn_ratelimited("fill %llu of %s timed out\n",
					    req->id, req->path);
			nfsc_request_failed(req, -ETIMEDOUT, "timed out");
		} else {
			nfsc_request_failed(req, -ECANCELED,
					    "cancelled: the mount is going away");
		}
		nfsc_request_put(req);
	}
}

static bool nfsc_req_of_sb(struct nfsc_request *req, void *sbi)
{
	return req->sbi == sbi;
}

/* The mount is going: no request may outlive it or hold its inodes. */
void nfsc_fill_unmount(struct nfsc_sb_info *sbi)
{
	nfsc_fill_drop_if(nfsc_req_of_sb, sbi, false);
	wait_var_event(&sbi->nr_requests, !atomic_read(&sbi->nr_requests));
	/* Files held by requests a kernel thread freed: not past the unmount. */
	flush_delayed_fput();
}

/*
 * A claimed copy lives fill_timeout_ms from the last time it was seen
 * written, so big files may take long; a copy written shows the daemon at
 * work. Its size alone would miss writes below the end: a big file's
 * ranges, the last of which may end first, and a sparse file's runs
 * after a hole at its end. Every write moves the ctime.
 */
static void nfsc_note_progress(void)
{
	struct nfsc_request *req;
	struct timespec64 ctime;
	struct inode *inode;
	loff_t size;

	lockdep_assert_held(&nfsc_fill_lock);
	list_for_each_entry(req, &nfsc_sent, node) {
		if (!req->tmpfile)
			continue;
		inode = file_inode(req->tmpfile);
		size = i_size_read(inode);
		ctime = nfsc_inode_ctime(inode);
		if (size != req->progress ||
		    !timespec64_equal(&ctime, &req->progress_ctime)) {
			req->progress = size;
			req->progress_ctime = ctime;
			req->deadline = nfsc_deadline(req->sbi);
			nfsc_daemon_moved = jiffies;
		}
	}
}

/*
 * Waiting for a claim (or to be claimed again, opened): fill_timeout_ms
 * from the queueing or from the last time the daemon moved, whichever is
 * later. A daemon working through a long line keeps it; one that stops
 * (or never answers) has it dropped.
 */
static bool nfsc_req_expired(struct nfsc_request *req, void *unused)
{
	unsigned long moved;

	if ((req->state == NFSC_REQ_PENDING || req->src) && nfsc_daemon) {
		moved = nfsc_deadline_after(req->sbi, nfsc_daemon_moved);
		if (time_after(moved, req->deadline))
			req->deadline = moved;
	}
	return time_after(jiffies, req->deadline);
}

static void nfsc_reaper_fn(struct work_struct *work)
{
	bool more, unsent;

	spin_lock(&nfsc_fill_lock);
	nfsc_note_progress();
	spin_unlock(&nfsc_fill_lock);
	nfsc_fill_drop_if(nfsc_req_expired, NULL, true);
	spin_lock(&nfsc_fill_lock);
	more = !hash_empty(nfsc_requests);
	unsent = !list_empty(&nfsc_unsent);
	spin_unlock(&nfsc_fill_lock);
	/* Requests a full socket held back, with nothing else to send them. */
	if (unsent)
		nfsc_fill_kick();
	if (more)
		nfsc_reaper_arm();
}

/* @sk: the socket of @portid, which sent the registration. */
int nfsc_fill_register(u32 portid, struct sock *sk)
{
	struct sock *old;

	spin_lock(&nfsc_fill_lock);
	if (nfsc_daemon && nfsc_daemon != portid) {
		spin_unlock(&nfsc_fill_lock);
		return -EBUSY;
	}
	/*
	 * The same portid may be a new socket: netlink frees a closed
	 * socket's portid before it tells us (NETLINK_URELEASE).
	 */
	old = nfsc_daemon_sk;
	sock_hold(sk);
	nfsc_daemon_sk = sk;
	WRITE_ONCE(nfsc_daemon, portid);
	nfsc_daemon_moved = jiffies;
	spin_unlock(&nfsc_fill_lock);
	if (old)
		sock_put(old);
	pr_info_ratelimited("fill daemon registered (port %u)\n", portid);
	nfsc_fill_kick();
	return 0;
}

/*
 * @req's claim is void (its daemon went away): pending again, the files
 * opened for it closed (deferred, never sleeps). An open_work still at it
 * serves an older claim_gen and discards what it opens.
 */
static void nfsc_request_unclaim(struct nfsc_request *req)
{
	lockdep_assert_held(&nfsc_fill_lock);
	/* A fresh wait for the next daemon. */
	req->deadline = nfsc_deadline(req->sbi);
	if (req->state != NFSC_REQ_FILLING)
		return;
	atomic64_dec(&req->sbi->stats.filling);
	atomic64_inc(&req->sbi->stats.pending);
	req->state = NFSC_REQ_PENDING;
	req->portid = 0;
	if (req->tmpfile)
		fput(req->tmpfile);
	req->tmpfile = NULL;
	if (req->src)
		fput(req->src);
	req->src = NULL;
}

/*
 * The daemon's socket is gone: claimed requests go back to pending, and
 * everything is told again to the next daemon. Its fds died with it; the
 * tmpfiles go with our references, so no partial object is left.
 */
void nfsc_fill_daemon_gone(u32 portid)
{
	struct nfsc_request *req;
	struct sock *sk;

	spin_lock(&nfsc_fill_lock);
	/*
	 * A live registered socket means the portid was another's, closed
	 * before: netlink orphans a socket (SOCK_DEAD) before telling us.
	 */
	if (!portid || nfsc_daemon != portid ||
	    !sock_flag(nfsc_daemon_sk, SOCK_DEAD)) {
		spin_unlock(&nfsc_fill_lock);
		return;
	}
	WRITE_ONCE(nfsc_daemon, 0);
	sk = nfsc_daemon_sk;
	nfsc_daemon_sk = NULL;
	/* Opened for a claim, waiting to be told again: on nfsc_unsent. */
	list_for_each_entry(req, &nfsc_unsent, node)
		if (req->state == NFSC_REQ_FILLING)
			nfsc_request_unclaim(req);
	while (!list_empty(&nfsc_sent)) {
		req = list_first_entry(&nfsc_sent, struct nfsc_request, node);
		nfsc_request_unclaim(req);
		list_move_tail(&req->node, &nfsc_unsent);
	}
	spin_unlock(&nfsc_fill_lock);
	sock_put(sk);
	pr_info_ratelimited("fill daemon gone (port %u); its requests wait for the next one\n",
			    portid);
}

/*
 * A failed claim by @portid (@err, @why): the request is dropped, and
 * counted, unless it went back to pending meanwhile (its daemon went
 * away). Requests a full socket held back may go now.
 */
static void nfsc_fill_fail(struct nfsc_request *req, u32 portid, int err,
			   const char *why)
{
	spin_lock(&nfsc_fill_lock);
	if (hash_hashed(&req->hash) && req->state == NFSC_REQ_FILLING &&
	    req->portid == portid) {
		nfsc_request_unhash(req);
		atomic64_inc(&req->sbi->stats.fills_failed);
		spin_unlock(&nfsc_fill_lock);
		nfsc_request_failed(req, err, why);
		nfsc_request_put(req);	/* the table's */
	} else {
		spin_unlock(&nfsc_fill_lock);
	}
	nfsc_fill_kick();
}

/* The request @id as the daemon @portid may use it, referenced. */
static struct nfsc_request *nfsc_daemon_request(u32 portid, u64 id,
						enum nfsc_req_state state,
						const char **why, int *err)
{
	struct nfsc_request *req;

	lockdep_assert_held(&nfsc_fill_lock);
	*err = -EPERM;
	*why = "not the registered fill daemon";
	if (!nfsc_daemon || nfsc_daemon != portid)
		return NULL;
	*err = -ENOENT;
	*why = "no such request (done, cancelled or timed out)";
	req = nfsc_request_find(id);
	if (!req)
		return NULL;
	*err = -EBUSY;
	*why = state == NFSC_REQ_PENDING ? "request already claimed" :
					   "request not claimed";
	if (req->state != state ||
	    (state == NFSC_REQ_FILLING && req->portid != portid))
		return NULL;
	*err = 0;
	*why = NULL;
	return req;
}

/*
 * open_work: open what a claim of @req hands over, the NFS file read-only
 * with the opener's credentials and an unnamed file in the object's
 * directory. Its claim takes them if it still waits; if not, the request
 * is told to the daemon again, for a claim that takes them at once.
 */
static void nfsc_open_work(struct work_struct *work)
{
	struct nfsc_request *req = container_of(work, struct nfsc_request,
						open_work);
	struct file *src = NULL, *dst = NULL, *held = NULL;
	const char *why = NULL;
	bool resend = false, cancelled = false;
	struct nfsc_attrs snap;
	const struct cred *old;
	u32 inval_gen, gen;
	u32 portid;
	int err;

	spin_lock(&nfsc_fill_lock);
	gen = req->claim_gen;
	portid = req->portid;
	spin_unlock(&nfsc_fill_lock);

	/* Invalidations from here on must stop the commit. */
	mutex_lock(&req->sbi->cache_mutex);
	inval_gen = NFSC_I(req->inode)->inval_gen;
	mutex_unlock(&req->sbi->cache_mutex);

	src = dentry_open(&req->lower, O_RDONLY | O_LARGEFILE, req->cred);
	if (IS_ERR(src)) {
		err = PTR_ERR(src);
		src = NULL;
		why = "cannot open the NFS file";
		goto out;
	}
	old = override_creds(req->cred);
	err = nfsc_lower_attrs(NULL, &req->lower, true, &snap);
	revert_creds(old);
	if (err) {
		why = "cannot read the NFS file's attributes";
		goto out;
	}
	dst = nfsc_cache_tmpfile(req->sbi, &req->key);
	if (IS_ERR(dst)) {
		err = PTR_ERR(dst);
		dst = NULL;
		why = "cannot create a file in the cache";
	}

out:
	spin_lock(&nfsc_fill_lock);
	if (req->claim_gen != gen) {
		/* Its daemon went away; a later claim has its own run. */
		spin_unlock(&nfsc_fill_lock);
		goto put;
	}
	req->opening = false;
	if (!err && (!hash_hashed(&req->hash) ||
		     req->state != NFSC_REQ_FILLING || req->portid != portid)) {
		err = -ESTALE;
		why = "request cancelled while being claimed";
		cancelled = true;
	}
	if (!err) {
		req->src = src;
		req->tmpfile = dst;
		src = NULL;
		dst = NULL;
		req->progress = i_size_read(file_inode(req->tmpfile));
		req->progress_ctime = nfsc_inode_ctime(file_inode(req->tmpfile));
		req->snap = snap;
		req->inval_gen = inval_gen;
		req->deadline = nfsc_deadline(req->sbi);
		/* src is open now: closing the held file sends nothing. */
		held = req->held;
		req->held = NULL;
		if (!req->claim_waits) {
			list_move_tail(&req->node, &nfsc_unsent);
			resend = true;
		}
	}
	req->open_err = err;
	req->open_why = why;
	spin_unlock(&nfsc_fill_lock);

	/* Dropped before its claim looks: the claim finds it gone. */
	if (err && !cancelled)
		nfsc_fill_fail(req, portid, err, why);
	complete(&req->opened);
	if (held)
		nfsc_held_put(req->sbi, held);
	if (resend)
		nfsc_fill_kick();
put:
	if (dst)
		fput(dst);
	if (src)
		fput(src);
	nfsc_request_put(req);
}

/*
 * Hand @req's opened files to its claim (under nfsc_fill_lock, which this
 * drops): the copy starts now.
 */
static void nfsc_claim_take(struct nfsc_request *req, struct nfsc_claim *claim)
	__releases(&nfsc_fill_lock)
{
	lockdep_assert_held(&nfsc_fill_lock);
	claim->src = req->src;
	req->src = NULL;
	claim->dst = get_file(req->tmpfile);
	claim->size = req->snap.size;
	req->deadline = nfsc_deadline(req->sbi);
	req->claimed_ns = ktime_get_ns();
	nfsc_daemon_moved = jiffies;
	list_move_tail(&req->node, &nfsc_sent);
	spin_unlock(&nfsc_fill_lock);

	nfsc_genl_event(&(struct nfsc_event){
		.type = NFS_CACHEFS_EVENT_CLAIM, .mount_id = req->sbi->id,
		.request_id = req->id, .size = claim->size, .path = req->path,
	});
	claim->mount_id = req->sbi->id;
	claim->path = kstrdup(req->path, GFP_KERNEL);
	nfsc_object_relname(&req->key, claim->object, sizeof(claim->object));
}

/* Opened for @portid's earlier claim, which stopped waiting. */
static bool nfsc_request_opened(struct nfsc_request *req, u32 portid)
{
	lockdep_assert_held(&nfsc_fill_lock);
	return req && hash_hashed(&req->hash) &&
	       req->state == NFSC_REQ_FILLING && req->portid == portid &&
	       req->src;
}

/*
 * The daemon takes request @id: its files are opened (open_work) and
 * handed over, within NFSC_DOIT_WAIT, else -EINPROGRESS and the request is
 * told again once they are open. A request told again is taken at once.
 */
int nfsc_fill_claim(u32 portid, u64 id, struct nfsc_claim *claim,
		    const char **why)
{
	struct nfsc_request *req;
	int err;

	spin_lock(&nfsc_fill_lock);
	req = nfsc_daemon_request(portid, id, NFSC_REQ_PENDING, why, &err);
	if (!req && err == -EBUSY) {
		req = nfsc_request_find(id);
		if (nfsc_request_opened(req, portid)) {
			err = 0;
			*why = NULL;
		} else {
			req = NULL;
		}
	}
	if (!req) {
		spin_unlock(&nfsc_fill_lock);
		return err;
	}
	kref_get(&req->ref);
	if (req->state == NFSC_REQ_FILLING) {
		nfsc_claim_take(req, claim);
		goto out;
	}

	atomic64_dec(&req->sbi->stats.pending);
	atomic64_inc(&req->sbi->stats.filling);
	req->state = NFSC_REQ_FILLING;
	req->portid = portid;
	req->deadline = nfsc_deadline(req->sbi);
	nfsc_daemon_moved = jiffies;
	list_move_tail(&req->node, &nfsc_sent);
	req->claim_gen++;
	req->opening = true;
	req->claim_waits = true;
	reinit_completion(&req->opened);
	kref_get(&req->ref);	/* open_work's */
	spin_unlock(&nfsc_fill_lock);

	queue_work(nfsc_fill_wq, &req->open_work);
	wait_for_completion_killable_timeout(&req->opened, NFSC_DOIT_WAIT);

	spin_lock(&nfsc_fill_lock);
	req->claim_waits = false;
	if (nfsc_request_opened(req, portid)) {
		nfsc_claim_take(req, claim);
	} else {
		err = req->opening ? -EINPROGRESS : req->open_err ?: -ESTALE;
		*why = req->opening ?
		       "the files are still being opened: the request is sent again once they are" :
		       req->open_why ?: "request cancelled while being claimed";
		spin_unlock(&nfsc_fill_lock);
	}
out:
	nfsc_request_put(req);
	nfsc_fill_kick();
	return err;
}

/* The claim's reply could not be delivered: the request fails. */
void nfsc_fill_claim_undo(u32 portid, u64 id, struct nfsc_claim *claim)
{
	struct nfsc_request *req;

	spin_lock(&nfsc_fill_lock);
	req = nfsc_request_find(id);
	if (req && req->portid == portid)
		kref_get(&req->ref);
	else
		req = NULL;
	spin_unlock(&nfsc_fill_lock);
	if (req) {
		nfsc_fill_fail(req, portid, -ENOBUFS,
			       "the claim's reply could not be delivered");
		nfsc_request_put(req);
	}
	fput(claim->src);
	fput(claim->dst);
	kfree(claim->path);
}

static bool nfsc_attrs_equal(const struct nfsc_attrs *a,
			     const struct nfsc_attrs *b)
{
	return a->size == b->size && a->change == b->change &&
	       timespec64_equal(&a->mtime, &b->mtime) &&
	       timespec64_equal(&a->ctime, &b->ctime);
}

/* Check a finished copy and publish it; why says what was wrong. */
static int nfsc_fill_commit(struct nfsc_request *req, const char **why)
{
	struct nfsc_sb_info *sbi = req->sbi;
	struct nfsc_attrs now;
	const struct cred *old;
	int err;

	if (req->bytes != req->snap.size ||
	    i_size_read(file_inode(req->tmpfile)) != req->snap.size) {
		*why = "copy size differs from the NFS file's";
		return -EIO;
	}
	err = nfsc_cache_write_data(req->tmpfile);
	if (err) {
		*why = "cannot write the copy to the cache disk";
		return err;
	}
	old = override_creds(req->cred);
	err = nfsc_lower_attrs(NULL, &req->lower, true, &now);
	revert_creds(old);
	if (err) {
		*why = "cannot read the NFS file's attributes";
		return err;
	}
	if (!nfsc_attrs_equal(&now, &req->snap)) {
		*why = "the NFS file changed during the fill";
		return -ESTALE;
	}

	mutex_lock(&sbi->cache_mutex);
	if (NFSC_I(req->inode)->inval_gen != req->inval_gen) {
		err = -ESTALE;
		*why = "the file was changed through the stack during the fill";
	} else if (nfsc_being_written(req->inode)) {
		err = -ETXTBSY;
		*why = "the file is open for writing on this client";
	} else {
		err = nfsc_cache_commit(sbi, &req->key, req->tmpfile,
					&req->snap, req->csum, req->csum_len);
		if (err)
			*why = "cannot publish the object in the cache";
	}
	mutex_unlock(&sbi->cache_mutex);
	return err;
}

/*
 * The end of @req, out of the table: @err 0 (committed) or why not. Open
 * files see the object before anyone is told it is there.
 */
static void nfsc_fill_end(struct nfsc_request *req, int err, const char *why)
{
	struct nfsc_inode_info *ni = NFSC_I(req->inode);

	spin_lock(&nfsc_fill_lock);
	if (ni->req == req)
		ni->req = NULL;
	if (!err)
		ni->commit_gen++;
	spin_unlock(&nfsc_fill_lock);

	atomic64_inc(err ? &req->sbi->stats.fills_failed :
		     &req->sbi->stats.fills_ok);
	nfsc_genl_event(&(struct nfsc_event){
		.type = err ? NFS_CACHEFS_EVENT_FAIL : NFS_CACHEFS_EVENT_DONE,
		.mount_id = req->sbi->id, .request_id = req->id,
		.size = req->snap.size, .bytes = req->bytes,
		.duration_ns = ktime_get_ns() - req->claimed_ns,
		.status = err, .path = req->path, .reason = err ? why : NULL,
	});
	nfsc_fill_kick();
}

/* commit_work: check the finished copy, publish it, tell its end. */
static void nfsc_commit_work(struct work_struct *work)
{
	struct nfsc_request *req = container_of(work, struct nfsc_request,
						commit_work);
	const char *why = NULL;
	int err;

	err = nfsc_fill_commit(req, &why);
	nfsc_fill_end(req, err, why);
	req->commit_err = err;
	req->commit_why = why;
	complete(&req->committed);
	nfsc_request_put(req);
}

/*
 * The daemon ends request @id with @status (0 or -errno) after copying
 * @bytes. 0 when the object is committed or the daemon's failure taken;
 * -EINPROGRESS when the check goes on past NFSC_DOIT_WAIT (its end is told
 * by an event); otherwise the copy is discarded and @why says why.
 */
int nfsc_fill_done(u32 portid, u64 id, int status, u64 bytes,
		   const u8 *csum, size_t csum_len, const char **why)
{
	struct nfsc_request *req;
	int err;

	spin_lock(&nfsc_fill_lock);
	req = nfsc_daemon_request(portid, id, NFSC_REQ_FILLING, why, &err);
	if (req && (!req->tmpfile || req->src)) {
		req = NULL;
		err = -EBUSY;
		*why = "request not claimed";
	}
	if (!req) {
		spin_unlock(&nfsc_fill_lock);
		return err;
	}
	/* Out of the table, still the inode's: misses join it meanwhile. */
	hash_del(&req->hash);
	list_del_init(&req->node);
	atomic64_dec(&req->sbi->stats.filling);
	req->sbi->nr_queued--;
	spin_unlock(&nfsc_fill_lock);

	req->bytes = bytes;
	if (status) {
		/* The daemon's own failure, taken as reported, is no error here. */
		nfsc_fill_end(req, status, "the daemon reported a failed copy");
		nfsc_request_put(req);
		return 0;
	}
	req->csum_len = min_t(size_t, csum_len, sizeof(req->csum));
	memcpy(req->csum, csum, req->csum_len);
	kref_get(&req->ref);	/* commit_work's */
	queue_work(nfsc_fill_wq, &req->commit_work);
	if (wait_for_completion_killable_timeout(&req->committed,
						 NFSC_DOIT_WAIT) > 0) {
		err = req->commit_err;
		*why = req->commit_why;
	} else {
		err = -EINPROGRESS;
		*why = "the copy is still being checked: its end is told by a DONE or FAIL event";
	}
	nfsc_request_put(req);
	return err;
}

int __init nfsc_fill_init(void)
{
	nfsc_fill_wq = alloc_workqueue("nfs_cachefs_fill", WQ_UNBOUND, 0);
	return nfsc_fill_wq ? 0 : -ENOMEM;
}

/*
 * Module exit: no mounts remain, so no requests; stop the reaper. The
 * family is gone, so a daemon still registered hears no more from us.
 */
void nfsc_fill_exit(void)
{
	cancel_delayed_work_sync(&nfsc_reaper);
	/* The tail of a work item that put the last request: its code. */
	destroy_workqueue(nfsc_fill_wq);
	if (nfsc_daemon_sk)
		sock_put(nfsc_daemon_sk);
}
