// SPDX-License-Identifier: GPL-2.0
/*
 * nfs_cachefs: a generic netlink command's wait on NFS or the cache disk,
 * bounded.
 *
 * Generic netlink runs every doit under its cb_lock, which a family being
 * registered or removed (any module's) takes for writing, holding up every
 * other genetlink user behind it. A command that may wait on NFS (a dead
 * server) or the cache filesystem (frozen) therefore runs its body in
 * nfsc_cmd_wq and waits NFSC_DOIT_WAIT for it at most. Past that, it is
 * answered -EINPROGRESS and the body goes on in the background, holding
 * what it needs through its own reference. FILL_CLAIM and FILL_DONE do the
 * same on their requests (fill.c); INVALIDATE, PREFETCH and CULL use this.
 *
 * A workqueue of its own: bodies stuck on one cache disk must not hold up
 * the fills of other mounts in nfsc_fill_wq, and a body's last reference
 * to a superblock may unmount it, which waits for works in nfsc_fill_wq.
 */
#include "internal.h"

#include <linux/sched.h>
#include <linux/workqueue.h>

static struct workqueue_struct *nfsc_cmd_wq;

static void nfsc_bounded_release(struct kref *ref)
{
	struct nfsc_bounded *b = container_of(ref, struct nfsc_bounded, ref);

	b->release(b);
}

void nfsc_bounded_put(struct nfsc_bounded *b)
{
	kref_put(&b->ref, nfsc_bounded_release);
}

static void nfsc_bounded_work(struct work_struct *work)
{
	struct nfsc_bounded *b = container_of(work, struct nfsc_bounded, work);

	b->err = b->run(b, &b->why);
	complete(&b->done);
	nfsc_bounded_put(b);
}

/* @b, embedded in a command's state, runs @run and is freed by @release. */
void nfsc_bounded_init(struct nfsc_bounded *b,
		       int (*run)(struct nfsc_bounded *b, const char **why),
		       void (*release)(struct nfsc_bounded *b))
{
	kref_init(&b->ref);
	INIT_WORK(&b->work, nfsc_bounded_work);
	init_completion(&b->done);
	b->run = run;
	b->release = release;
	b->err = 0;
	b->why = NULL;
}

/*
 * Run @b's body and wait for it until @deadline (jiffies) at most: what it
 * returned (its outputs are then set), or -EINPROGRESS when it goes on.
 * @why as the body set it. The caller still holds its reference.
 */
int nfsc_bounded_wait(struct nfsc_bounded *b, unsigned long deadline,
		      const char **why)
{
	long left = (long)(deadline - jiffies);

	kref_get(&b->ref);	/* the work's */
	queue_work(nfsc_cmd_wq, &b->work);
	if (left <= 0 ||
	    wait_for_completion_killable_timeout(&b->done, left) <= 0)
		return -EINPROGRESS;
	*why = b->why;
	return b->err;
}

int __init nfsc_bounded_init_wq(void)
{
	nfsc_cmd_wq = alloc_workqueue("nfs_cachefs_cmd", WQ_UNBOUND, 0);
	return nfsc_cmd_wq ? 0 : -ENOMEM;
}

/* Module exit, the family gone: the bodies still running end first. */
void nfsc_bounded_exit_wq(void)
{
	destroy_workqueue(nfsc_cmd_wq);
}
