// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: privilege boundaries. An unprivileged user can read counters and
 * tunables but cannot register, claim, complete, cull, invalidate, prefetch,
 * set tunables or listen to events (EPERM, with the reason). A file only
 * its owner may read stays unreadable to others through the stack after
 * its owner had it cached, and its object cannot be reached in the cache
 * directory either; a cached file without execute permission does not run. Object names come from the kernel alone: CULL refuses
 * names that are not an object's.
 */
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <sys/wait.h>

#include "../lib/nfsc_fill.h"
#include "kselftest_harness.h"

#define HELPER_LOG "/tmp/privilege_test-helper.log"
#define OWNER 1000

FIXTURE(priv) {
	char dir[PATH_MAX];
	uint32_t id;
	pid_t helper;
};

FIXTURE_SETUP(priv)
{
	self->helper = 0;
	ASSERT_EQ(0, nfsc_fresh_stack(self->dir, sizeof(self->dir), &self->id));
}

FIXTURE_TEARDOWN(priv)
{
	if (self->helper > 0)
		stop_helper(self->helper);
	EXPECT_EQ(0, nfsc_umount(NFSC_STACK));
	nfsc_sh("rm -f %s/pv-*", nfsc_env("NFSC_EXPORT"));
}

/* Run @fn as @uid in a child; its exit status (0: every check held). */
static int as_user(uid_t uid, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

struct nobody_ctx {
	uint32_t id;
};

static int nobody_refused(void *arg)
{
	struct nobody_ctx *c = arg;
	char value[64];
	struct nfsc_fill_claim claim;
	struct nfsc_chan *ch;
	uint64_t bytes, id;
	int err, cached, fd;

	ch = nfsc_chan_open(NULL, NULL, &err);
	if (!ch)
		return 1;
#define REFUSED(step, call) do {					\
		err = (call);						\
		if (err != -EPERM || strcmp(nfsc_chan_why(ch), "needs CAP_SYS_ADMIN")) { \
			/* The child's own line: the parent sees its status. */ \
			printf("# step %d: %s: '%s'\n", step,		\
			       strerror(-err), nfsc_chan_why(ch));	\
			return step;					\
		}							\
	} while (0)
	REFUSED(2, nfsc_chan_register(ch));
	REFUSED(3, nfsc_chan_claim(ch, 1, &claim));
	REFUSED(4, nfsc_chan_done(ch, 1, 0, 0, NULL, 0));
	REFUSED(5, nfsc_chan_cull(ch, c->id, "00/00/00", &bytes));
	fd = open(NFSC_STACK "/pv-open", O_RDONLY);
	if (fd < 0)
		return 6;
	REFUSED(7, nfsc_chan_invalidate(ch, fd));
	REFUSED(8, nfsc_chan_prefetch(ch, fd, &cached, &id));
	close(fd);
	REFUSED(9, nfsc_chan_set(ch, c->id, "enabled", "0"));
#undef REFUSED
	/* Joining the monitor group is refused by genetlink itself. */
	if (nfsc_chan_monitor(ch, NULL, NULL) != -EPERM)
		return 10;
	/* Reading is open, as in sysfs. */
	if (nfsc_chan_get(ch, c->id, "enabled", value, sizeof(value)) ||
	    strcmp(value, "1"))
		return 11;
	nfsc_chan_close(ch);
	return 0;
}

TEST_F(priv, unprivileged_callers_are_refused)
{
	struct nobody_ctx c = { .id = self->id };
	char out[4096];

	ASSERT_EQ(0, make_file("pv-open", 4096, 600));
	ASSERT_EQ(0, nfsc_sh("chmod 0644 %s/pv-open", nfsc_env("NFSC_EXPORT")));
	EXPECT_EQ(0, as_user(NFSC_NOBODY, nobody_refused, &c))
		TH_LOG("the failed step: its exit status (reason above)");
	/* The helper's commands say the same. */
	EXPECT_EQ(0, nfsc_sh_out(out, sizeof(out),
				 "setpriv --reuid=%d --regid=%d --clear-groups "
				 "%s/helper/nfscache-helper stats --json", NFSC_NOBODY, NFSC_NOBODY,
				 nfsc_env("NFSC_TOP")));
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out),
				 "setpriv --reuid=%d --regid=%d --clear-groups "
				 "%s/helper/nfscache-helper run 2>&1", NFSC_NOBODY, NFSC_NOBODY,
				 nfsc_env("NFSC_TOP")));
	EXPECT_NE(NULL, strstr(out, "needs CAP_SYS_ADMIN")) TH_LOG("%s", out);
}

static int read_denied(void *arg)
{
	const char *path = arg;
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno == EACCES ? 0 : 2;
}

static int read_allowed(void *arg)
{
	char buf[4096];
	int fd = open(arg, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n ? 2 : 0;
}

TEST_F_TIMEOUT(priv, a_cached_private_file_stays_private, 180)
{
	char obj[PATH_MAX], vol[PATH_MAX];
	long long ok, hits;

	ASSERT_EQ(0, make_file("pv-secret", 2 * MiB, 601));
	ASSERT_EQ(0, nfsc_sh("chown %d:%d %s/pv-secret && chmod 0600 %s/pv-secret",
			     OWNER, OWNER, nfsc_env("NFSC_EXPORT"), nfsc_env("NFSC_EXPORT")));
	self->helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(self->helper, 0);

	/* Its owner reads it: cached. */
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(0, as_user(OWNER, read_allowed, NFSC_STACK "/pv-secret"));
	ASSERT_EQ(ok + 1, nfsc_wait_stat(self->dir, "fills_ok", ok + 1, 60));
	ASSERT_EQ(0, object_of("pv-secret", obj, sizeof(obj)));
	hits = nfsc_stat(self->dir, "hits");
	ASSERT_EQ(0, as_user(OWNER, read_allowed, NFSC_STACK "/pv-secret"));
	EXPECT_LT(hits, nfsc_stat(self->dir, "hits"));

	/* Anyone else: refused through the stack, as by NFS itself. */
	EXPECT_EQ(0, as_user(NFSC_NOBODY, read_denied, NFSC_STACK "/pv-secret"));
	/* And in the cache directory: the object, and its volume. */
	EXPECT_EQ(0, as_user(NFSC_NOBODY, read_denied, obj));
	snprintf(vol, sizeof(vol), "%s", obj);
	*strrchr(vol, '/') = '\0';	/* ab/cd */
	*strrchr(vol, '/') = '\0';	/* ab */
	*strrchr(vol, '/') = '\0';	/* the volume */
	EXPECT_EQ(0, as_user(NFSC_NOBODY, read_denied, vol));
	EXPECT_EQ(0, nfsc_sh("test \"$(stat -c %%a '%s')\" = 700", vol));
	EXPECT_EQ(0, nfsc_sh("test \"$(stat -c %%a:%%u '%s')\" = 600:0", obj));
}

/* execve() @path in a child: its exit status, or 100 + errno. */
static int exec_status(const char *path)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid) {
		execl(path, path, (char *)NULL);
		_exit(100 + errno);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * execve() asks NFS for MAY_EXEC at the server's OPEN too: a cached file
 * nobody may execute does not run from its object; one that may, does.
 */
TEST_F_TIMEOUT(priv, exec_permission_holds_for_cached_files, 180)
{
	char obj[PATH_MAX];
	long long ok, hits;

	ASSERT_EQ(0, nfsc_sh("printf '#!/bin/sh\\nexit 42\\n' >%s/pv-run && "
			     "cp %s/pv-run %s/pv-norun && chmod 0755 %s/pv-run && "
			     "chmod 0644 %s/pv-norun", nfsc_env("NFSC_EXPORT"),
			     nfsc_env("NFSC_EXPORT"), nfsc_env("NFSC_EXPORT"),
			     nfsc_env("NFSC_EXPORT"), nfsc_env("NFSC_EXPORT")));
	self->helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(self->helper, 0);
	ok = nfsc_stat(self->dir, "fills_ok");
	ASSERT_EQ(0, stack_matches_export("pv-run"));
	ASSERT_EQ(0, stack_matches_export("pv-norun"));
	ASSERT_EQ(ok + 2, nfsc_wait_stat(self->dir, "fills_ok", ok + 2, 60));
	ASSERT_EQ(0, object_of("pv-run", obj, sizeof(obj)));
	ASSERT_EQ(0, object_of("pv-norun", obj, sizeof(obj)));

	hits = nfsc_stat(self->dir, "hits");
	EXPECT_EQ(42, exec_status(NFSC_STACK "/pv-run"));
	EXPECT_LT(hits, nfsc_stat(self->dir, "hits"));
	/* Not even root: no execute bit at all. */
	EXPECT_EQ(100 + EACCES, exec_status(NFSC_STACK "/pv-norun"));
}

TEST_F(priv, only_kernel_made_names_are_culled)
{
	static const char *const names[] = {
		"../../etc/passwd", "/etc/passwd", "ab/cd/..", "ab/cd/.", "..",
		"ab/../cd/01", "AB/CD/01", "ab/cd/01/02", "ab/cd/", "", "abc/de/01",
		"ab/cd/0g", "ab/cd/h", "ab/cd/01\n",
	};
	struct nfsc_chan *ch;
	unsigned int i;
	uint64_t bytes;
	int err;

	ch = nfsc_chan_open(NULL, NULL, &err);
	ASSERT_NE(NULL, ch);
	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		EXPECT_EQ(-EINVAL, nfsc_chan_cull(ch, self->id, names[i], &bytes))
			TH_LOG("name %u was not refused", i);
	/* Well formed, but no such object. */
	EXPECT_EQ(-ENOENT, nfsc_chan_cull(ch, self->id, "ab/cd/0123", &bytes));
	nfsc_chan_close(ch);
	EXPECT_EQ(0, access("/etc/passwd", F_OK));
}

TEST_HARNESS_MAIN
