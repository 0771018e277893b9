// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: the fill protocol's rules. Only CAP_SYS_ADMIN may register,
 * claim or complete; one daemon at a time; malformed messages, unknown or
 * stale ids, double claims and completions of unclaimed requests are
 * refused with an error and an extended-ack message; ids are never
 * reused; a daemon lying about its copy (another file at the tmpfile's
 * fd, a copy cut behind its report, an object cut after its commit) is
 * caught; fill_timeout_ms, max_pending, min_size, max_size and enabled
 * bound what is queued and served; a reader's NFS file stays open for its
 * fill's claim, up to max_held; requests leave room in the daemon's socket
 * for the replies to its claims; a claim or a completion that waits holds
 * up no other command, nor generic netlink past the kernel's wait (it is
 * answered -EINPROGRESS and ends in the background), nor does a cull, an
 * invalidation or a prefetch (one prefetch of a file at a time); a
 * malformed message spoils no claim it arrives during.
 */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "../lib/nfsc_fill.h"
#include "kselftest_harness.h"

FIXTURE(proto) {
	char dir[PATH_MAX];
	int family;
};

FIXTURE_SETUP(proto)
{
	int version;

	ASSERT_EQ(0, nfsc_module_load());
	ASSERT_EQ(0, nfsc_mount_stack(NFSC_STACK));
	ASSERT_EQ(0, nfsc_sysfs_dir(NFSC_STACK, self->dir, sizeof(self->dir)));
	ASSERT_EQ(0, nfsc_genl_family(NFS_CACHEFS_GENL_NAME, &self->family,
				      &version));
}

/*
 * The loopback's packets held @ms each way from now; those held already
 * keep their time, so that none is lost (TCP would wait long to resend).
 * 0 or -1.
 */
static int loopback_delay(int ms)
{
	return nfsc_sh("modprobe sch_netem && "
		       "{ tc qdisc change dev lo root netem delay %dms 2>/dev/null || "
		       "tc qdisc add dev lo root netem delay %dms; }", ms, ms);
}

FIXTURE_TEARDOWN(proto)
{
	cache_thaw();	/* after a test stopped while the cache was frozen */
	nfsc_sh("tc qdisc del dev lo root 2>/dev/null");
	nfsc_umount(NFSC_STACK);
	nfsc_sh("echo 1 > /proc/sys/fs/leases-enable");
}

/* A raw FILL_CLAIM or FILL_DONE with the given attributes. */
static int raw_cmd(FIXTURE_DATA(proto) *self, int cmd, const void *attrs,
		   size_t len, char *why)
{
	return nfsc_genl_raw(self->family, cmd, attrs, len, why, 256);
}

TEST_F(proto, unprivileged_callers_are_refused)
{
	char why[256], attrs[64];
	size_t off = 0;
	uint64_t id = 1;
	int st;
	pid_t pid;

	nfsc_nla_put(attrs, &off, NFS_CACHEFS_A_REQUEST_ID, &id, sizeof(id));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (!nfsc_become_nobody())
			_exit(10);
		if (raw_cmd(self, NFS_CACHEFS_CMD_DAEMON_REGISTER, NULL, 0, why) != -EPERM ||
		    strcmp(why, "needs CAP_SYS_ADMIN"))
			_exit(11);
		if (raw_cmd(self, NFS_CACHEFS_CMD_FILL_CLAIM, attrs, off, why) != -EPERM)
			_exit(12);
		if (raw_cmd(self, NFS_CACHEFS_CMD_FILL_DONE, attrs, off, why) != -EPERM)
			_exit(13);
		if (raw_cmd(self, NFS_CACHEFS_CMD_CULL, attrs, off, why) != -EPERM)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_F(proto, one_daemon_at_a_time)
{
	struct fake_daemon a, b;

	ASSERT_EQ(0, fake_open(&a));
	EXPECT_EQ(-EBUSY, fake_open(&b));
	EXPECT_STREQ("another fill daemon is registered", nfsc_chan_why(b.ch));
	/* Registering again from the daemon's own socket is harmless. */
	EXPECT_EQ(0, nfsc_chan_register(a.ch));
	nfsc_chan_close(a.ch);
	/* Its socket gone, the next one may register. */
	EXPECT_EQ(0, nfsc_chan_register(b.ch));
	nfsc_chan_close(b.ch);
}

TEST_F(proto, malformed_messages_are_refused)
{
	char why[256], attrs[256];
	uint32_t small = 1;
	uint64_t id = 1;
	size_t off;
	struct fake_daemon d;

	ASSERT_EQ(0, fake_open(&d));
	/* The request id is required. */
	EXPECT_EQ(-EINVAL, raw_cmd(self, NFS_CACHEFS_CMD_FILL_CLAIM, NULL, 0, why));
	/* Wrong length for a u64. */
	off = 0;
	nfsc_nla_put(attrs, &off, NFS_CACHEFS_A_REQUEST_ID, &small, sizeof(small));
	EXPECT_EQ(-EINVAL, raw_cmd(self, NFS_CACHEFS_CMD_FILL_CLAIM, attrs, off, why));
	EXPECT_NE(0, why[0]);
	/* Unknown attribute type. */
	off = 0;
	nfsc_nla_put(attrs, &off, NFS_CACHEFS_A_REQUEST_ID, &id, sizeof(id));
	nfsc_nla_put(attrs, &off, NFS_CACHEFS_A_MAX + 5, &id, sizeof(id));
	EXPECT_EQ(-EINVAL, raw_cmd(self, NFS_CACHEFS_CMD_FILL_CLAIM, attrs, off, why));
	/* Attributes only the kernel sends. */
	off = 0;
	nfsc_nla_put(attrs, &off, NFS_CACHEFS_A_REQUEST_ID, &id, sizeof(id));
	nfsc_nla_put(attrs, &off, NFS_CACHEFS_A_STATS, &id, sizeof(id));
	EXPECT_EQ(-EINVAL, raw_cmd(self, NFS_CACHEFS_CMD_FILL_CLAIM, attrs, off, why));
	/* DONE needs id, status and bytes. */
	off = 0;
	nfsc_nla_put(attrs, &off, NFS_CACHEFS_A_REQUEST_ID, &id, sizeof(id));
	EXPECT_EQ(-EINVAL, raw_cmd(self, NFS_CACHEFS_CMD_FILL_DONE, attrs, off, why));
	/* Commands only the kernel sends. */
	EXPECT_EQ(-EOPNOTSUPP, raw_cmd(self, NFS_CACHEFS_CMD_FILL_REQUEST, NULL, 0, why));
	EXPECT_EQ(-EOPNOTSUPP, raw_cmd(self, NFS_CACHEFS_CMD_EVENT, NULL, 0, why));
	/* Reserved: GET_STATS's dump lists the mounts. */
	EXPECT_EQ(-EOPNOTSUPP, raw_cmd(self, NFS_CACHEFS_CMD_GET_MOUNTS, NULL, 0, why));
	nfsc_chan_close(d.ch);
}

TEST_F(proto, ids_claims_and_completions)
{
	struct nfsc_fill_claim claim, again;
	struct fake_daemon d, other;
	char attrs[64], why[256];
	int32_t status = 5;
	uint64_t id, bytes = 0;
	long long failed;
	size_t off = 0;
	int err;

	ASSERT_EQ(0, make_file("ids-a", 1000, 1));
	ASSERT_EQ(0, make_file("ids-b", 2000, 2));
	ASSERT_EQ(0, fake_open(&d));
	ASSERT_EQ(1000, read_through("ids-a"));
	ASSERT_EQ(2000, read_through("ids-b"));
	ASSERT_EQ(0, fake_wait_requests(&d, 2, 10));
	EXPECT_LT(d.req[0].id, d.req[1].id);
	EXPECT_EQ(1000, d.req[0].size);
	EXPECT_NE(NULL, strstr(d.req[0].path, "/ids-a"));
	EXPECT_EQ(2, nfsc_stat(self->dir, "pending"));

	/* Unknown id. */
	EXPECT_EQ(-ENOENT, nfsc_chan_claim(d.ch, d.req[1].id + 1000, &claim));
	EXPECT_STREQ("no such request (done, cancelled or timed out)",
		     nfsc_chan_why(d.ch));
	/* DONE before the claim. */
	EXPECT_EQ(-EBUSY, nfsc_chan_done(d.ch, d.req[0].id, 0, 1000, NULL, 0));
	EXPECT_STREQ("request not claimed", nfsc_chan_why(d.ch));

	ASSERT_EQ(0, nfsc_chan_claim(d.ch, d.req[0].id, &claim));
	EXPECT_EQ(1000, claim.size);
	EXPECT_EQ(1, nfsc_stat(self->dir, "filling"));
	/* The fds are ours, close-on-exec, read-only and read-write. */
	EXPECT_EQ(FD_CLOEXEC, fcntl(claim.src_fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDONLY, fcntl(claim.src_fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(O_RDWR, fcntl(claim.dst_fd, F_GETFL) & O_ACCMODE);
	/* Twice. */
	EXPECT_EQ(-EBUSY, nfsc_chan_claim(d.ch, d.req[0].id, &again));
	EXPECT_STREQ("request already claimed", nfsc_chan_why(d.ch));

	/* Another socket is not the daemon. */
	other.ch = nfsc_chan_open(fake_on_request, &other, &err);
	ASSERT_NE(NULL, other.ch);
	EXPECT_EQ(-EPERM, nfsc_chan_done(other.ch, d.req[0].id, 0, 1000, NULL, 0));
	EXPECT_STREQ("not the registered fill daemon", nfsc_chan_why(other.ch));
	nfsc_chan_close(other.ch);

	/* A positive status is malformed, whoever sends it. */
	id = d.req[0].id;
	off = 0;
	nfsc_nla_put(attrs, &off, NFS_CACHEFS_A_REQUEST_ID, &id, sizeof(id));
	nfsc_nla_put(attrs, &off, NFS_CACHEFS_A_STATUS, &status, sizeof(status));
	nfsc_nla_put(attrs, &off, NFS_CACHEFS_A_BYTES, &bytes, sizeof(bytes));
	EXPECT_EQ(-EINVAL, raw_cmd(self, NFS_CACHEFS_CMD_FILL_DONE, attrs, off, why));
	EXPECT_STREQ("status must be 0 or a negative errno", why);

	/* The daemon's own failure: acknowledged, counted, nothing kept. */
	failed = nfsc_stat(self->dir, "fills_failed");
	EXPECT_EQ(0, nfsc_chan_done(d.ch, d.req[0].id, -EIO, 0, NULL, 0));
	EXPECT_EQ(failed + 1, nfsc_stat(self->dir, "fills_failed"));
	EXPECT_EQ(0, nfsc_stat(self->dir, "filling"));
	/* The id is spent, even for a failure the daemon says is ENOENT. */
	EXPECT_EQ(-ENOENT, nfsc_chan_claim(d.ch, d.req[0].id, &again));
	EXPECT_EQ(-ENOENT, nfsc_chan_done(d.ch, d.req[0].id, -ENOENT, 0, NULL, 0));
	EXPECT_STREQ("no such request (done, cancelled or timed out)",
		     nfsc_chan_why(d.ch));
	close(claim.src_fd);
	close(claim.dst_fd);

	/* The next miss of the same file gets a new id. */
	d.n = 0;
	ASSERT_EQ(1000, read_through("ids-a"));
	ASSERT_EQ(0, fake_wait_request(&d, 10));
	EXPECT_GT(d.req[0].id, id);

	/* A short copy is discarded. */
	ASSERT_EQ(0, nfsc_chan_claim(d.ch, d.req[0].id, &claim));
	EXPECT_EQ(-EIO, nfsc_chan_done(d.ch, d.req[0].id, 0, 999, NULL, 0));
	EXPECT_STREQ("copy size differs from the NFS file's", nfsc_chan_why(d.ch));
	close(claim.src_fd);
	close(claim.dst_fd);
	nfsc_chan_close(d.ch);
}

/*
 * A daemon that lies about its copy is caught: the kernel judges the
 * tmpfile it made itself, not the fd the daemon holds nor the byte count
 * it reports, and every open checks the object's size again.
 */
/* Open @name (a miss of @size bytes) and claim the request it makes. */
static int miss_and_claim(struct fake_daemon *d, const char *name,
			  long long size, struct nfsc_fill_claim *claim)
{
	d->n = 0;
	if (read_through(name) != size || fake_wait_request(d, 10))
		return -1;
	return nfsc_chan_claim(d->ch, d->req[0].id, claim);
}

/* A copy reported whole (@size) is refused for its size; nothing kept. */
static void expect_copy_refused(struct __test_metadata *_metadata,
				struct fake_daemon *d, struct nfsc_fill_claim *claim,
				const char *name, uint64_t size)
{
	char obj[PATH_MAX];

	EXPECT_EQ(-EIO, nfsc_chan_done(d->ch, d->req[0].id, 0, size, NULL, 0));
	EXPECT_STREQ("copy size differs from the NFS file's", nfsc_chan_why(d->ch));
	EXPECT_EQ(-ENOENT, object_of(name, obj, sizeof(obj)));
	close(claim->src_fd);
	close(claim->dst_fd);
}

TEST_F(proto, a_lying_daemon_is_caught)
{
	struct nfsc_fill_claim claim;
	struct fake_daemon d;
	long long misses, hits;
	char obj[PATH_MAX];
	int other;

	ASSERT_EQ(0, make_file("liar", 1000, 40));
	ASSERT_EQ(0, fake_open(&d));

	/* A full copy in another file, swapped in at the tmpfile's fd. */
	ASSERT_EQ(0, miss_and_claim(&d, "liar", 1000, &claim));
	other = open(nfsc_env("NFSC_CACHEDIR"), O_TMPFILE | O_RDWR, 0600);
	ASSERT_LE(0, other);
	EXPECT_EQ(1000, plain_copy(claim.src_fd, other, 1000));
	ASSERT_EQ(claim.dst_fd, dup2(other, claim.dst_fd));
	close(other);
	expect_copy_refused(_metadata, &d, &claim, "liar", 1000);

	/* The copy written whole, then cut, reported whole. */
	ASSERT_EQ(0, miss_and_claim(&d, "liar", 1000, &claim));
	EXPECT_EQ(1000, plain_copy(claim.src_fd, claim.dst_fd, 1000));
	ASSERT_EQ(0, ftruncate(claim.dst_fd, 500));
	expect_copy_refused(_metadata, &d, &claim, "liar", 1000);

	/* A good commit, then the daemon cuts the object through its fd. */
	ASSERT_EQ(0, miss_and_claim(&d, "liar", 1000, &claim));
	EXPECT_EQ(1000, plain_copy(claim.src_fd, claim.dst_fd, 1000));
	ASSERT_EQ(0, nfsc_chan_done(d.ch, d.req[0].id, 0, 1000, NULL, 0));
	ASSERT_EQ(0, object_of("liar", obj, sizeof(obj)));
	ASSERT_EQ(0, ftruncate(claim.dst_fd, 10));
	close(claim.src_fd);
	close(claim.dst_fd);
	misses = nfsc_stat(self->dir, "misses");
	hits = nfsc_stat(self->dir, "hits");
	EXPECT_EQ(0, stack_matches_export("liar"));
	EXPECT_EQ(misses + 1, nfsc_stat(self->dir, "misses"));
	EXPECT_EQ(hits, nfsc_stat(self->dir, "hits"));
	nfsc_chan_close(d.ch);
}

TEST_F(proto, requests_time_out)
{
	struct nfsc_fill_claim claim;
	struct fake_daemon d;

	ASSERT_EQ(0, nfsc_attr_write(self->dir, "fill_timeout_ms", "300"));
	ASSERT_EQ(0, make_file("slow-a", 100, 3));
	ASSERT_EQ(0, make_file("slow-b", 100, 4));
	ASSERT_EQ(0, fake_open(&d));

	/* Never claimed: the reader's NFS file it held is closed too. */
	ASSERT_EQ(100, read_through("slow-a"));
	ASSERT_EQ(0, fake_wait_request(&d, 10));
	sleep(3);
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending"));
	EXPECT_EQ(1, nfsc_stat(self->dir, "fills_failed"));
	EXPECT_EQ(-ENOENT, nfsc_chan_claim(d.ch, d.req[0].id, &claim));
	EXPECT_EQ(0, nfs_server_states("slow-a", "open"));

	/* Claimed, never done. */
	d.n = 0;
	ASSERT_EQ(100, read_through("slow-b"));
	ASSERT_EQ(0, fake_wait_request(&d, 10));
	ASSERT_EQ(0, nfsc_chan_claim(d.ch, d.req[0].id, &claim));
	EXPECT_EQ(100, plain_copy(claim.src_fd, claim.dst_fd, 100));
	/* Progress moves the deadline once; then it stalls. */
	sleep(4);
	EXPECT_EQ(0, nfsc_stat(self->dir, "filling"));
	EXPECT_EQ(2, nfsc_stat(self->dir, "fills_failed"));
	EXPECT_EQ(-ENOENT, nfsc_chan_done(d.ch, d.req[0].id, 0, 100, NULL, 0));
	close(claim.src_fd);
	close(claim.dst_fd);
	nfsc_chan_close(d.ch);
}

/* Claim, copy and complete request @i of @d (a file of @size bytes). */
static int claim_id_copy_done(struct fake_daemon *d, uint64_t id,
			      long long size)
{
	struct nfsc_fill_claim claim;
	int err;

	err = nfsc_chan_claim(d->ch, id, &claim);
	if (err)
		return err;
	err = plain_copy(claim.src_fd, claim.dst_fd, size) == size ? 0 : -EIO;
	close(claim.src_fd);
	close(claim.dst_fd);
	return err ? err : nfsc_chan_done(d->ch, id, 0, size, NULL, 0);
}

static int claim_copy_done(struct fake_daemon *d, int i, long long size)
{
	return claim_id_copy_done(d, d->req[i].id, size);
}

/* Copy 4 KiB block @k of a claim's NFS file into its tmpfile. */
static int copy_block(struct nfsc_fill_claim *claim, int k)
{
	char buf[4096];

	if (pread(claim->src_fd, buf, sizeof(buf), k * 4096L) != sizeof(buf) ||
	    pwrite(claim->dst_fd, buf, sizeof(buf), k * 4096L) != sizeof(buf))
		return -1;
	return 0;
}

/*
 * A line longer than fill_timeout_ms is kept while the daemon works
 * through it: claims, or a claimed copy written, show it at work.
 */
TEST_F(proto, requests_wait_while_the_daemon_works)
{
	const int n = 6;
	struct nfsc_fill_claim claim;
	long long ok0, failed0;
	struct fake_daemon d;
	char name[32];
	int i, k;

	ASSERT_EQ(0, nfsc_attr_write(self->dir, "fill_timeout_ms", "1000"));
	ok0 = nfsc_stat(self->dir, "fills_ok");
	failed0 = nfsc_stat(self->dir, "fills_failed");
	ASSERT_EQ(0, fake_open(&d));
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "line-%d", i);
		ASSERT_EQ(0, make_file(name, 100, 40 + i));
		ASSERT_EQ(100, read_through(name));
	}
	ASSERT_EQ(0, fake_wait_requests(&d, n, 10));
	/* One claim every 400 ms: the last waits well past its 1 s. */
	for (i = 0; i < n; i++) {
		usleep(400000);
		ASSERT_EQ(0, claim_copy_done(&d, i, 100))
			TH_LOG("request %d of the line was dropped", i);
	}
	EXPECT_EQ(ok0 + n, nfsc_stat(self->dir, "fills_ok"));

	/* No claim for 3 s, but a copy grows all along. */
	d.n = 0;
	ASSERT_EQ(0, make_file("grow-big", 65536, 50));
	ASSERT_EQ(0, make_file("grow-next", 100, 51));
	ASSERT_EQ(65536, read_through("grow-big"));
	ASSERT_EQ(100, read_through("grow-next"));
	ASSERT_EQ(0, fake_wait_requests(&d, 2, 10));
	ASSERT_EQ(0, nfsc_chan_claim(d.ch, d.req[0].id, &claim));
	for (k = 1; k <= 12; k++) {
		usleep(250000);
		ASSERT_EQ(k * 4096, plain_copy(claim.src_fd, claim.dst_fd, k * 4096));
	}
	ASSERT_EQ(0, claim_copy_done(&d, 1, 100))
		TH_LOG("the request behind a growing copy was dropped");
	ASSERT_EQ(65536, plain_copy(claim.src_fd, claim.dst_fd, 65536));
	close(claim.src_fd);
	close(claim.dst_fd);
	ASSERT_EQ(0, nfsc_chan_done(d.ch, d.req[0].id, 0, 65536, NULL, 0));
	EXPECT_EQ(ok0 + n + 2, nfsc_stat(self->dir, "fills_ok"));

	/*
	 * A copy that writes its last block first, then the rest below its
	 * end for 3 s, as a big file's last range may end first: its size no
	 * longer moves, but it is at work.
	 */
	d.n = 0;
	ASSERT_EQ(0, make_file("below-big", 65536, 52));
	ASSERT_EQ(0, make_file("below-next", 100, 53));
	ASSERT_EQ(65536, read_through("below-big"));
	ASSERT_EQ(100, read_through("below-next"));
	ASSERT_EQ(0, fake_wait_requests(&d, 2, 10));
	ASSERT_EQ(0, nfsc_chan_claim(d.ch, d.req[0].id, &claim));
	ASSERT_EQ(0, copy_block(&claim, 15));
	for (k = 0; k < 15; k++) {
		usleep(200000);
		ASSERT_EQ(0, copy_block(&claim, k))
			TH_LOG("block %d: %s", k, strerror(errno));
	}
	ASSERT_EQ(0, claim_copy_done(&d, 1, 100))
		TH_LOG("the request behind a copy writing below its end was dropped");
	close(claim.src_fd);
	close(claim.dst_fd);
	ASSERT_EQ(0, nfsc_chan_done(d.ch, d.req[0].id, 0, 65536, NULL, 0))
		TH_LOG("%s", nfsc_chan_why(d.ch));
	EXPECT_EQ(ok0 + n + 4, nfsc_stat(self->dir, "fills_ok"));
	EXPECT_EQ(failed0, nfsc_stat(self->dir, "fills_failed"));
	nfsc_chan_close(d.ch);
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "fill_timeout_ms", "60000"));
}

TEST_F(proto, bounds_on_what_is_queued)
{
	struct fake_daemon d;
	char name[32];
	int i;

	ASSERT_EQ(0, nfsc_attr_write(self->dir, "max_pending", "2"));
	ASSERT_EQ(0, fake_open(&d));
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "bound-%d", i);
		ASSERT_EQ(0, make_file(name, 100, 10 + i));
		ASSERT_EQ(100, read_through(name));
	}
	EXPECT_EQ(2, nfsc_stat(self->dir, "pending"));
	EXPECT_EQ(5, nfsc_stat(self->dir, "misses"));

	/* Sizes outside min_size..max_size are not queued. */
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "max_pending", "100"));
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "min_size", "1000"));
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "max_size", "5000"));
	ASSERT_EQ(0, make_file("size-small", 999, 20));
	ASSERT_EQ(0, make_file("size-mid", 3000, 21));
	ASSERT_EQ(0, make_file("size-large", 5001, 22));
	ASSERT_EQ(999, read_through("size-small"));
	ASSERT_EQ(3000, read_through("size-mid"));
	ASSERT_EQ(5001, read_through("size-large"));
	EXPECT_EQ(3, nfsc_stat(self->dir, "pending"));
	nfsc_chan_close(d.ch);
}

/* NFS's OPEN calls so far (OPEN_NOATTR: NFSv4.1's open of a known file). */
static long long nfs_opens(void)
{
	return nfs_calls("OPEN|OPEN_NOATTR");
}

/* Wait up to 5 s for the server to hold @want states of @type of @name. */
static int wait_server_states(const char *name, const char *type, int want)
{
	int i, n = -1;

	for (i = 0; i < 50; i++) {
		n = nfs_server_states(name, type);
		if (n == want)
			break;
		usleep(100000);
	}
	return n;
}

/* flock()s on NFS's inode of @name, as /proc/locks lists them; -1 on error. */
static int nfs_flocks(const char *name)
{
	char path[PATH_MAX], out[32];
	struct stat st;

	path_in(path, sizeof(path), nfsc_env("NFSC_NFS"), name);
	if (stat(path, &st) ||
	    nfsc_sh_out(out, sizeof(out),
			"grep -c 'FLOCK .* %02x:%02x:%lu ' /proc/locks; true",
			major(st.st_dev), minor(st.st_dev),
			(unsigned long)st.st_ino) || !*out)
		return -1;
	return (int)strtol(out, NULL, 10);
}

/* Read the fresh file @name through the stack: a miss; its request's id. */
static int miss(struct fake_daemon *d, const char *name, uint64_t *id)
{
	d->n = 0;
	if (make_file(name, 1000, name[strlen(name) - 1]) ||
	    read_through(name) != 1000 || fake_wait_request(d, 10))
		return -EIO;
	*id = d->req[0].id;
	return 0;
}

/*
 * A miss of a fresh file @base-<i> whose OPEN, the reader's, brought a
 * read delegation. nfsd grants one unless its callback channel to the
 * client is not up yet (after a restart of nfsd: fault_test) or it
 * recalled a file with a similar handle in the last minute: then another
 * file, for about 60 s. The name in @name; 0, or -1.
 */
static int miss_delegated(struct fake_daemon *d, const char *base,
			  char *name, size_t len, uint64_t *id)
{
	int i;

	for (i = 0; i < 30; i++) {
		snprintf(name, len, "%s-%d", base, i);
		if (miss(d, name, id))
			return -1;
		if (nfs_server_delegations(name) == 1)
			return 0;
		sleep(2);
	}
	return -1;
}

/*
 * A reader's close leaves the NFS file open, under the read delegation
 * nfsd granted its OPEN, until the fill is claimed, at most max_held
 * files a mount: the server keeps the open, the claim opens under the
 * delegation, and the fill's last close sends the CLOSE. The reader's
 * locks go at its close all the same. Without a delegation (every open of
 * NFS would send an OPEN) nothing is held. A request cancelled by a change
 * through the stack, and the unmount, close the file at once.
 */
TEST_F_TIMEOUT(proto, a_closed_miss_stays_open_for_its_claim, 600)
{
	char a[32], b[32], c[32], e[32], path[PATH_MAX];
	uint64_t id_a, id_b, id;
	struct fake_daemon d;
	long long opens;
	int fd;

	EXPECT_EQ(1024, nfsc_attr_num(self->dir, "max_held"));
	ASSERT_EQ(0, fake_open(&d));

	/* Held; then, past max_held, closed at once. */
	ASSERT_EQ(0, miss_delegated(&d, "held-a", a, sizeof(a), &id_a));
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "max_held", "1"));
	ASSERT_EQ(0, miss_delegated(&d, "held-b", b, sizeof(b), &id_b));
	EXPECT_EQ(0, wait_server_states(b, "open", 0));
	EXPECT_EQ(1, nfs_server_states(a, "open"));

	/* A reader's flock goes with its close; the open stays held. */
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "max_held", "1024"));
	ASSERT_EQ(0, miss_delegated(&d, "held-c", c, sizeof(c), &id));
	path_in(path, sizeof(path), NFSC_STACK, c);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, flock(fd, LOCK_SH));
	EXPECT_EQ(1, nfs_flocks(c));
	close(fd);
	EXPECT_EQ(0, nfs_flocks(c));
	EXPECT_EQ(1, nfs_server_states(c, "open"));

	/* The claim opens under the delegation, and its close ends the open. */
	opens = nfs_opens();
	ASSERT_EQ(0, claim_id_copy_done(&d, id_a, 1000));
	EXPECT_EQ(opens, nfs_opens());
	EXPECT_EQ(0, wait_server_states(a, "open", 0));
	ASSERT_EQ(0, claim_id_copy_done(&d, id_b, 1000));
	EXPECT_EQ(0, stack_matches_export(a));
	EXPECT_EQ(0, stack_matches_export(b));

	/* An unlink through the stack cancels the request: closed by its end. */
	ASSERT_EQ(0, miss_delegated(&d, "held-d", e, sizeof(e), &id));
	EXPECT_EQ(1, nfs_server_states(e, "open"));
	path_in(path, sizeof(path), NFSC_STACK, e);
	ASSERT_EQ(0, unlink(path));
	EXPECT_EQ(0, nfs_server_states(e, "open"));
	EXPECT_EQ(0, nfsc_sh("! ls -a '%s' | grep -q '^\\.nfs'", nfsc_env("NFSC_EXPORT")));

	/* No delegation (leases off on the server): nothing held. */
	ASSERT_EQ(0, nfsc_sh("echo 0 > /proc/sys/fs/leases-enable"));
	ASSERT_EQ(0, miss(&d, "held-e", &id));
	EXPECT_EQ(0, nfs_server_delegations("held-e"));
	EXPECT_EQ(0, wait_server_states("held-e", "open", 0));
	ASSERT_EQ(0, nfsc_sh("echo 1 > /proc/sys/fs/leases-enable"));

	/* The unmount closes what is still held. */
	ASSERT_EQ(0, miss_delegated(&d, "held-f", e, sizeof(e), &id));
	EXPECT_EQ(1, nfs_server_states(e, "open"));
	nfsc_chan_close(d.ch);
	ASSERT_EQ(0, nfsc_umount(NFSC_STACK));
	EXPECT_EQ(0, wait_server_states(e, "open", 0));
	ASSERT_EQ(0, nfsc_mount_stack(NFSC_STACK));
}

/* Every request told to a daemon, in order, however many. */
struct request_log {
	uint64_t id[64];
	int n, dups;
};

static void log_request(const struct nfsc_fill_request *req, void *arg)
{
	struct request_log *log = arg;
	int i;

	for (i = 0; i < log->n; i++)
		if (log->id[i] == req->id)
			log->dups++;
	if (log->n < 64)
		log->id[log->n++] = req->id;
}

/*
 * Requests take at most half of the daemon's receive buffer, so a claim's
 * reply and the acks always find room however many requests wait; the
 * others are told as the daemon works through the first.
 */
TEST_F_TIMEOUT(proto, a_full_socket_still_gets_its_replies, 300)
{
	const int n = 48;
	struct nfsc_fill_claim claim;
	struct request_log log = { 0 };
	int rcvbuf = 4096, i, err;
	struct nfsc_chan *ch;
	long long failed;
	char name[32];

	ch = nfsc_chan_open(log_request, &log, &err);
	ASSERT_NE(NULL, ch) TH_LOG("nfsc_chan_open: %s", strerror(-err));
	/* 8 KiB (the kernel doubles what is asked): a few requests fill it. */
	ASSERT_EQ(0, setsockopt(nfsc_chan_fd(ch), SOL_SOCKET, SO_RCVBUF,
				&rcvbuf, sizeof(rcvbuf)));
	ASSERT_EQ(0, nfsc_chan_register(ch));
	failed = nfsc_stat(self->dir, "fills_failed");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "crowd-%d", i);
		ASSERT_EQ(0, make_file(name, 100, 60 + i));
		ASSERT_EQ(100, read_through(name));
	}
	EXPECT_EQ(n, nfsc_stat(self->dir, "pending"));

	/* Claim each request as it is told, and give it back. */
	for (i = 0; i < n; i++) {
		struct pollfd pfd = { .fd = nfsc_chan_fd(ch), .events = POLLIN };
		int tries;

		for (tries = 0; log.n <= i && tries < 50; tries++) {
			poll(&pfd, 1, 100);
			ASSERT_EQ(0, nfsc_chan_receive(ch));
		}
		ASSERT_LT(i, log.n) TH_LOG("%d of %d requests told", log.n, n);
		err = nfsc_chan_claim(ch, log.id[i], &claim);
		ASSERT_EQ(0, err) TH_LOG("claim %d of %d: %s: %s", i, n,
					 strerror(-err), nfsc_chan_why(ch));
		close(claim.src_fd);
		close(claim.dst_fd);
		err = nfsc_chan_done(ch, log.id[i], -ECANCELED, 0, NULL, 0);
		ASSERT_EQ(0, err) TH_LOG("done %d of %d: %s", i, n,
					 strerror(-err));
	}
	EXPECT_EQ(n, log.n);
	EXPECT_EQ(0, log.dups);
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending"));
	EXPECT_EQ(failed + n, nfsc_stat(self->dir, "fills_failed"));
	nfsc_chan_close(ch);
}

/*
 * @d, a fake daemon told of a new 100-byte file @name, and the cache
 * frozen (for 30 s at most), so that claiming it waits: 0 or -1.
 */
static int frozen_request(struct fake_daemon *d, const char *name,
			  uint64_t seed)
{
	if (fake_open(d) || make_file(name, 100, seed) ||
	    read_through(name) != 100 || fake_wait_request(d, 10))
		return -1;
	return cache_freeze(30);
}

/* Is module @name loadable and not loaded? For a writer of cb_lock. */
static bool module_loadable(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) &&
	       !nfsc_sh("modprobe -n %s 2>/dev/null", name);
}

/*
 * A claim waiting on the cache disk (frozen here, as a dead NFS server
 * would leave it waiting on NFS) holds up no other command: the family's
 * ops do not run one at a time under generic netlink's lock. Nor does it
 * hold generic netlink's cb_lock, under which every doit runs, longer
 * than the kernel's wait (2 s): a module registering a family (team's),
 * which takes it for writing and holds up every genetlink user behind
 * it, loads meanwhile. The claim is answered -EINPROGRESS; after the thaw
 * its request is told again, and a claim of it takes its files at once.
 */
TEST_F_TIMEOUT(proto, a_stuck_claim_holds_up_no_other_command, 120)
{
	int st = -1, other_st = -1, loader_st = -1, thaw;
	bool claim_quick, other_quick, loader_quick = true, team;
	pid_t claimer, other, loader = 0;
	struct nfsc_fill_claim claim;
	struct fake_daemon d;
	char why[256];

	team = module_loadable("team");
	if (!team)
		TH_LOG("no team module to load: its part is left out");
	ASSERT_EQ(0, frozen_request(&d, "frozen", 70));
	claimer = fork();
	ASSERT_LE(0, claimer);
	if (!claimer) {
		/* Its tmpfile waits for the thaw; the claim does not. */
		if (nfsc_chan_claim(d.ch, d.req[0].id, &claim) != -EINPROGRESS)
			_exit(1);
		_exit(strstr(nfsc_chan_why(d.ch), "still being opened") ? 0 : 2);
	}
	ASSERT_EQ(0, wait_task_blocked(claimer, 10))
		TH_LOG("the claim did not wait for the frozen cache");

	if (team) {
		loader = fork();
		ASSERT_LE(0, loader);
		if (!loader)
			_exit(nfsc_sh("modprobe team") ? 1 : 0);
	}
	other = fork();
	ASSERT_LE(0, other);
	if (!other)
		_exit(raw_cmd(self, NFS_CACHEFS_CMD_DAEMON_REGISTER, NULL, 0,
			      why) == -EBUSY ? 0 : 1);
	other_quick = !wait_child(other, &other_st, 5);
	if (team)
		loader_quick = !wait_child(loader, &loader_st, 10);
	claim_quick = !wait_child(claimer, &st, 10);
	thaw = cache_thaw();
	if (!other_quick)
		waitpid(other, &other_st, 0);
	if (!loader_quick)
		waitpid(loader, &loader_st, 0);
	if (!claim_quick)
		waitpid(claimer, &st, 0);
	if (team)
		nfsc_sh("rmmod team");
	ASSERT_EQ(0, thaw);
	EXPECT_TRUE(other_quick) TH_LOG("another command waited for the stuck claim");
	EXPECT_TRUE(WIFEXITED(other_st) && WEXITSTATUS(other_st) == 0);
	EXPECT_TRUE(loader_quick)
		TH_LOG("a module registering a family waited for the stuck claim");
	if (team)
		EXPECT_TRUE(WIFEXITED(loader_st) && WEXITSTATUS(loader_st) == 0);
	EXPECT_TRUE(claim_quick) TH_LOG("the claim waited for the thaw");
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("the claim's answer (%d)",
					     WEXITSTATUS(st));

	/* Told again once its files are open; not the daemon's till claimed. */
	ASSERT_EQ(0, fake_wait_requests(&d, 2, 30));
	EXPECT_EQ(d.req[0].id, d.req[1].id);
	EXPECT_EQ(-EBUSY, nfsc_chan_done(d.ch, d.req[1].id, 0, 100, NULL, 0));
	EXPECT_STREQ("request not claimed", nfsc_chan_why(d.ch));
	ASSERT_EQ(0, nfsc_chan_claim(d.ch, d.req[1].id, &claim));
	EXPECT_EQ(100u, claim.size);
	EXPECT_EQ(100, plain_copy(claim.src_fd, claim.dst_fd, 100));
	close(claim.src_fd);
	close(claim.dst_fd);
	EXPECT_EQ(0, nfsc_chan_done(d.ch, d.req[1].id, 0, 100, NULL, 0));
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending"));
	EXPECT_EQ(0, nfsc_stat(self->dir, "filling"));
	EXPECT_EQ(100, read_through("frozen"));
	nfsc_chan_close(d.ch);
}

/*
 * A completion whose commit waits on the cache disk (frozen) is answered
 * -EINPROGRESS within the kernel's wait; the commit ends after the thaw,
 * counted and told as every end is.
 */
TEST_F_TIMEOUT(proto, a_stuck_completion_ends_in_the_background, 120)
{
	struct nfsc_fill_claim claim;
	struct fake_daemon d;
	long long ok, hits;
	pid_t completer;
	int st = -1;
	bool quick;

	ASSERT_EQ(0, fake_open(&d));
	ASSERT_EQ(0, make_file("frozen-done", 100, 72));
	ASSERT_EQ(100, read_through("frozen-done"));
	ASSERT_EQ(0, fake_wait_request(&d, 10));
	ASSERT_EQ(0, nfsc_chan_claim(d.ch, d.req[0].id, &claim));
	ASSERT_EQ(100, plain_copy(claim.src_fd, claim.dst_fd, 100));
	close(claim.src_fd);
	close(claim.dst_fd);
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(0, cache_freeze(30));
	completer = fork();
	ASSERT_LE(0, completer);
	if (!completer) {
		if (nfsc_chan_done(d.ch, d.req[0].id, 0, 100, NULL, 0) !=
		    -EINPROGRESS)
			_exit(1);
		_exit(strstr(nfsc_chan_why(d.ch), "still being checked") ? 0 : 2);
	}
	quick = !wait_child(completer, &st, 10);
	EXPECT_EQ(ok, nfsc_stat(self->dir, "fills_ok"));
	ASSERT_EQ(0, cache_thaw());
	EXPECT_TRUE(quick) TH_LOG("the completion waited for the thaw");
	if (!quick)
		ASSERT_EQ(completer, waitpid(completer, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("the completion's answer (%d)",
					     WEXITSTATUS(st));
	EXPECT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 30));
	hits = nfsc_stat(self->dir, "hits");
	EXPECT_EQ(100, read_through("frozen-done"));
	EXPECT_EQ(hits + 1, nfsc_stat(self->dir, "hits"));
	nfsc_chan_close(d.ch);
}

/* @name (100 bytes) missed, then filled and committed by fake daemon @d. */
static int fake_fill(struct fake_daemon *d, const char *name, uint64_t seed,
		     struct nfsc_fill_claim *claim)
{
	int want = d->n + 1, err;
	uint64_t id;

	if (make_file(name, 100, seed) || read_through(name) != 100 ||
	    fake_wait_requests(d, want, 10))
		return -1;
	id = d->req[want - 1].id;
	err = nfsc_chan_claim(d->ch, id, claim);
	if (err)
		return err;
	err = plain_copy(claim->src_fd, claim->dst_fd, 100) == 100 ? 0 : -EIO;
	close(claim->src_fd);
	close(claim->dst_fd);
	return err ? err : nfsc_chan_done(d->ch, id, 0, 100, NULL, 0);
}

/* @check(a channel of its own, @arg) run in a child: its pid, or -1. */
static pid_t in_child(int (*check)(struct nfsc_chan *ch, void *arg), void *arg)
{
	struct nfsc_chan *ch;
	pid_t pid = fork();
	int err;

	if (pid)
		return pid;
	ch = nfsc_chan_open(NULL, NULL, &err);
	_exit(ch ? check(ch, arg) : 1);
}

/* 0 when a command answered @ret -EINPROGRESS, its reason saying @why. */
static int in_progress(struct nfsc_chan *ch, int ret, const char *why)
{
	return ret == -EINPROGRESS && strstr(nfsc_chan_why(ch), why) ? 0 : 1;
}

struct stuck_cull {
	const struct nfsc_fill_claim *claim;	/* of the object to cull */
	int fd;					/* of the file to invalidate */
};

static int cull_and_invalidate(struct nfsc_chan *ch, void *arg)
{
	const struct stuck_cull *sc = arg;
	uint64_t bytes;

	if (in_progress(ch, nfsc_chan_cull(ch, sc->claim->mount_id,
					   sc->claim->object, &bytes),
			"still being removed"))
		return 2;
	return in_progress(ch, nfsc_chan_invalidate(ch, sc->fd),
			   "still being removed") ? 3 : 0;
}

/*
 * A CULL and an INVALIDATE whose unlinks wait on the cache disk (frozen)
 * are answered -EINPROGRESS within the kernel's wait, not after the thaw
 * with generic netlink held all along; both removals end after the thaw.
 */
TEST_F_TIMEOUT(proto, a_stuck_cull_or_invalidation_ends_in_the_background, 120)
{
	struct nfsc_fill_claim culled_claim, claim;
	struct stuck_cull cull;
	char path[PATH_MAX];
	struct fake_daemon d;
	long long culled;
	int st = -1, fd;
	pid_t child;
	bool quick;

	ASSERT_EQ(0, fake_open(&d));
	ASSERT_EQ(0, fake_fill(&d, "slow-cull", 73, &culled_claim));
	ASSERT_EQ(0, fake_fill(&d, "slow-inval", 74, &claim));
	nfsc_chan_close(d.ch);
	path_in(path, sizeof(path), NFSC_STACK, "slow-inval");
	fd = open(path, O_PATH | O_CLOEXEC);
	ASSERT_LE(0, fd);
	culled = nfsc_stat(self->dir, "culled");
	ASSERT_EQ(0, cache_freeze(30));
	cull = (struct stuck_cull){ &culled_claim, fd };
	child = in_child(cull_and_invalidate, &cull);
	ASSERT_LE(0, child);
	quick = !wait_child(child, &st, 15);
	EXPECT_EQ(culled, nfsc_stat(self->dir, "culled"));
	ASSERT_EQ(0, cache_thaw());
	EXPECT_TRUE(quick) TH_LOG("a CULL or an INVALIDATE waited for the thaw");
	if (!quick)
		ASSERT_EQ(child, waitpid(child, &st, 0));
	close(fd);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("the answers (%d)", WEXITSTATUS(st));
	EXPECT_EQ(culled + 1, nfsc_wait_stat(self->dir, "culled", culled + 1, 30));
	EXPECT_EQ(0, wait_object_gone("slow-cull", 30));
	EXPECT_EQ(0, wait_object_gone("slow-inval", 30));
}

/* Two PREFETCHes of *@arg: the second waits for the first, then gives up. */
static int prefetch_twice(struct nfsc_chan *ch, void *arg)
{
	int fd = *(int *)arg, status;
	uint64_t id;

	if (in_progress(ch, nfsc_chan_prefetch(ch, fd, &status, &id),
			"in the background"))
		return 2;
	return in_progress(ch, nfsc_chan_prefetch(ch, fd, &status, &id),
			   "earlier PREFETCH") ? 3 : 0;
}

/*
 * A PREFETCH that must ask a slow server (10 s each way on the loopback)
 * for the file's attributes, its open having queued no fill (no daemon),
 * is answered -EINPROGRESS within the kernel's wait. Generic netlink is
 * not held meanwhile: a module registering a family loads. A second
 * PREFETCH of the file waits for the first rather than asking NFS too.
 * Asked again once the server answers, it gives its answer.
 */
TEST_F_TIMEOUT(proto, a_prefetch_on_a_slow_server_is_answered_in_progress, 180)
{
	int st = -1, loader_st = -1, writer, fd, status, err, ret, i;
	bool quick, loader_quick = true, team;
	char path[PATH_MAX], why[256];
	struct nfsc_chan *ch;
	pid_t child, loader;
	uint64_t id;

	team = module_loadable("team");
	if (!team)
		TH_LOG("no team module to load: its part is left out");
	ASSERT_EQ(0, make_file("slow-prefetch", 100, 76));
	/* Open for writing on the server: nfsd hands the client no delegation. */
	path_in(path, sizeof(path), nfsc_env("NFSC_EXPORT"), "slow-prefetch");
	writer = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, writer);
	path_in(path, sizeof(path), NFSC_STACK, "slow-prefetch");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, loopback_delay(10000));
	child = in_child(prefetch_twice, &fd);
	ASSERT_LE(0, child);
	if (team) {
		loader = fork();
		ASSERT_LE(0, loader);
		if (!loader)
			_exit(nfsc_sh("modprobe team") ? 1 : 0);
		loader_quick = !wait_child(loader, &loader_st, 10);
	}
	quick = !wait_child(child, &st, 15);
	if (!loader_quick)
		waitpid(loader, &loader_st, 0);
	if (!quick)
		waitpid(child, &st, 0);
	if (team)
		nfsc_sh("rmmod team");
	EXPECT_TRUE(loader_quick)
		TH_LOG("a module registering a family waited for the PREFETCH");
	if (team)
		EXPECT_TRUE(WIFEXITED(loader_st) && WEXITSTATUS(loader_st) == 0);
	EXPECT_TRUE(quick) TH_LOG("the PREFETCH waited for the server");
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("the answers (%d)", WEXITSTATUS(st));

	/* The first one's GETATTR ends; then no fill, as no daemon is there. */
	ASSERT_EQ(0, loopback_delay(0));
	ch = nfsc_chan_open(NULL, NULL, &err);
	ASSERT_NE(NULL, ch);
	for (i = 0; i < 60; i++) {
		ret = nfsc_chan_prefetch(ch, fd, &status, &id);
		if (ret != -EINPROGRESS)
			break;
	}
	EXPECT_EQ(-EAGAIN, ret);
	snprintf(why, sizeof(why), "%s", nfsc_chan_why(ch));
	EXPECT_NE(NULL, strstr(why, "no fill queued")) TH_LOG("why: %s", why);
	nfsc_chan_close(ch);
	close(fd);
	close(writer);
}

/* A FILL_REQUEST without attributes, sent to @fd's socket as if by us. */
static int send_stray_request(int family, int fd)
{
	struct {
		struct nlmsghdr nlh;
		struct genlmsghdr genl;
	} msg = {
		.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN),
		.nlh.nlmsg_type = family,
		.genl.cmd = NFS_CACHEFS_CMD_FILL_REQUEST,
		.genl.version = NFS_CACHEFS_GENL_VERSION,
	};
	struct sockaddr_nl to;
	socklen_t len = sizeof(to);
	int raw, ret = 0;

	if (getsockname(fd, (struct sockaddr *)&to, &len))
		return -errno;
	raw = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (raw < 0)
		return -errno;
	to.nl_groups = 0;
	if (sendto(raw, &msg, msg.nlh.nlmsg_len, 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0)
		ret = -errno;
	close(raw);
	return ret;
}

/*
 * A malformed message that reaches the daemon ahead of its claim's reply
 * is not the claim's answer: the claim still gets its descriptors (else
 * they would leak and the request wait for its timeout), and the channel
 * reports the fault afterwards.
 */
TEST_F_TIMEOUT(proto, a_stray_message_spoils_no_claim, 120)
{
	struct nfsc_fill_claim claim;
	struct fake_daemon d;

	ASSERT_EQ(0, fake_open(&d));
	ASSERT_EQ(0, make_file("stray", 100, 71));
	ASSERT_EQ(100, read_through("stray"));
	ASSERT_EQ(0, fake_wait_request(&d, 10));
	/* On the socket before the claim is sent: read before its reply. */
	ASSERT_EQ(0, send_stray_request(self->family, nfsc_chan_fd(d.ch)));
	ASSERT_EQ(0, nfsc_chan_claim(d.ch, d.req[0].id, &claim))
		TH_LOG("the claim failed: %s", nfsc_chan_why(d.ch));
	EXPECT_LE(0, fcntl(claim.src_fd, F_GETFD))
		TH_LOG("the claim's descriptors are not open");
	EXPECT_LE(0, fcntl(claim.dst_fd, F_GETFD));
	close(claim.src_fd);
	close(claim.dst_fd);
	EXPECT_EQ(0, nfsc_chan_done(d.ch, d.req[0].id, -ECANCELED, 0, NULL, 0));
	EXPECT_EQ(-EPROTO, nfsc_chan_receive(d.ch))
		TH_LOG("the stray message went unreported");
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending"));
	nfsc_chan_close(d.ch);
}

TEST_F(proto, disabled_mount_neither_serves_nor_queues)
{
	struct nfsc_fill_claim claim;
	struct fake_daemon d;
	long long hits;

	ASSERT_EQ(0, make_file("toggle", 4096, 30));
	ASSERT_EQ(0, fake_open(&d));
	ASSERT_EQ(4096, read_through("toggle"));
	ASSERT_EQ(0, fake_wait_request(&d, 10));
	ASSERT_EQ(0, nfsc_chan_claim(d.ch, d.req[0].id, &claim));
	ASSERT_EQ(4096, plain_copy(claim.src_fd, claim.dst_fd, 4096));
	close(claim.src_fd);
	close(claim.dst_fd);
	ASSERT_EQ(0, nfsc_chan_done(d.ch, d.req[0].id, 0, 4096, NULL, 0));
	EXPECT_EQ(1, nfsc_stat(self->dir, "fills_ok"));

	ASSERT_EQ(0, nfsc_attr_write(self->dir, "enabled", "0"));
	hits = nfsc_stat(self->dir, "hits");
	ASSERT_EQ(4096, read_through("toggle"));
	EXPECT_EQ(hits, nfsc_stat(self->dir, "hits"));
	EXPECT_EQ(0, nfsc_stat(self->dir, "pending"));

	ASSERT_EQ(0, nfsc_attr_write(self->dir, "enabled", "1"));
	ASSERT_EQ(4096, read_through("toggle"));
	EXPECT_EQ(hits + 1, nfsc_stat(self->dir, "hits"));
	nfsc_chan_close(d.ch);
}

TEST_HARNESS_MAIN
