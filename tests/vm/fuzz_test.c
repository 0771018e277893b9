// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: the generic netlink family under hostile input. A seeded,
 * time-bounded fuzzer (NFSC_FUZZ_SEED, NFSC_FUZZ_SECONDS: default a fresh
 * seed, printed, and 60 s) sends messages built from the family's own
 * commands and attributes, bent: unknown commands and attributes, missing
 * and extra ones, wrong types and lengths, strings without their NUL,
 * huge and negative numbers, unknown, stale and real request ids, claims
 * and completions from a socket that is not the daemon's, replays,
 * descriptors of every kind. A child keeps opening files on the stack, so
 * real requests exist to be claimed and completed wrongly; the fuzzing
 * socket registers, dies and registers again as the daemon.
 *
 * Every message must be answered (no hang). A refusal of a known command
 * must say why (an extended ack message or missing-attribute report);
 * only the genetlink core's "no such command" has none. Nothing may be
 * committed (the fuzzer never writes data), the counters must stay sane,
 * and afterwards the module must still work: a real fill, then a hit.
 */
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "../lib/nfsc_fill.h"
#include "kselftest_harness.h"

#define HELPER_LOG "/tmp/fuzz_test-helper.log"
#define NR_FILES 16

/* xorshift64*: reproducible from the printed seed. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned int below(unsigned int n)
{
	return n ? rnd() % n : 0;
}

/* --- one socket, kept: it may be the registered daemon ------------------ */

struct fz_sock {
	int fd;
	uint32_t seq;
};

static int fz_open(struct fz_sock *s)
{
	struct timeval tv = { .tv_sec = 10 };
	int one = 1;

	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0)
		return -errno;
	setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

/* Request ids the kernel sent (FILL_REQUEST): real ones to misuse. */
static uint64_t seen_ids[64];
static unsigned int nr_seen;
static unsigned long nr_requests;

static void harvest(const struct nlmsghdr *nlh, int family)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	const struct nlattr *a = (const void *)((const char *)g + GENL_HDRLEN);
	int rem = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	if (nlh->nlmsg_type != family || g->cmd != NFS_CACHEFS_CMD_FILL_REQUEST)
		return;
	for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem;
	     rem -= NLA_ALIGN(a->nla_len),
	     a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len)))
		if (a->nla_type == NFS_CACHEFS_A_REQUEST_ID &&
		    a->nla_len == NLA_HDRLEN + 8)
			memcpy(&seen_ids[nr_seen++ % 64],
			       (const char *)a + NLA_HDRLEN, 8);
	nr_requests++;
}

struct verdict {
	int error;		/* the ack's */
	bool explained;		/* a message or a missing attribute named */
	bool answered;
};

/* Send @len bytes of attributes as @cmd; read until our ack. */
static struct verdict fz_send(struct fz_sock *s, int family, int cmd,
			      int flags, const void *attrs, size_t len)
{
	struct {
		struct nlmsghdr nlh;
		struct genlmsghdr genl;
		char buf[2048];
	} req;
	static char resp[65536];
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct verdict v = { 0 };
	struct nlmsghdr *nlh;
	int n;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_type = family;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	req.nlh.nlmsg_seq = ++s->seq;
	req.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + len;
	req.genl.cmd = cmd;
	req.genl.version = below(4) ? NFS_CACHEFS_GENL_VERSION : below(256);
	memcpy(req.buf, attrs, len);
	if (sendto(s->fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		v.error = -errno;
		v.answered = true;	/* refused at the socket */
		v.explained = true;
		return v;
	}
	for (;;) {
		n = recv(s->fd, resp, sizeof(resp), 0);
		/* Requests the fuzzer left unread overflowed the socket. */
		if (n < 0 && (errno == ENOBUFS || errno == EINTR))
			continue;
		if (n <= 0) {
			v.error = n < 0 ? -errno : 0;
			break;
		}
		for (nlh = (struct nlmsghdr *)resp; NLMSG_OK(nlh, (unsigned int)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			struct nlmsgerr *e = NLMSG_DATA(nlh);
			struct nlattr *a;
			int rem;

			harvest(nlh, family);
			if (nlh->nlmsg_seq != s->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				/* A dump's end: its status, no ack after it. */
				v.answered = true;
				v.error = *(int *)NLMSG_DATA(nlh);
				v.explained = true;
				return v;
			}
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			v.answered = true;
			v.error = e->error;
			a = (struct nlattr *)((char *)e + sizeof(*e));
			rem = nlh->nlmsg_len - NLMSG_HDRLEN - sizeof(*e);
			while ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
			       rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
			       a->nla_len <= rem) {
				if (a->nla_type == NLMSGERR_ATTR_MSG ||
				    a->nla_type == NLMSGERR_ATTR_MISS_TYPE)
					v.explained = true;
				rem -= NLA_ALIGN(a->nla_len);
				a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
			}
			return v;
		}
	}
	return v;
}

/* --- messages ------------------------------------------------------------ */

struct pools {
	int fds[12];
	unsigned int nfds;
	uint32_t mount_id;
	uint64_t sizes[4];
};

static const char *const keys[] = {
	"enabled", "min_size", "max_size", "revalidate", "fill_timeout_ms",
	"max_pending", "max_held", "lowerdir", "cachedir", "dev", "stats", "",
	"../enabled", "enabled\n", "ENABLED",
};

static const char *const values[] = {
	"0", "1", "-1", "18446744073709551615", "18446744073709551616", "abc",
	"", " 1", "1 ", "0x10", "cto", "always", "never", "1e9", "99999999999",
};

static const char *const objects[] = {
	"ab/cd/0123", "../../etc/passwd", "/etc/passwd", "ab/cd/", "ab/cd/..",
	"00/00/00", "ab/cd/ef/01", "AB/CD/01", "ab/cd/h1234", "", ".", "ab//cd/01",
	"ab/cd/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
};

static uint64_t some_u64(const struct pools *p)
{
	static const uint64_t odd[] = { 0, 1, 2, 4095, 4096, UINT32_MAX,
					(uint64_t)UINT32_MAX + 1, INT64_MAX,
					(uint64_t)INT64_MAX + 1, UINT64_MAX };

	switch (below(4)) {
	case 0:
		return odd[below(sizeof(odd) / sizeof(*odd))];
	case 1:
		return nr_seen ? seen_ids[below(nr_seen < 64 ? nr_seen : 64)] +
				 below(3) - 1 : below(100);
	case 2:
		return p->sizes[below(4)] + below(3) - 1;
	default:
		return rnd();
	}
}

/* A string attribute's bytes: @nul false leaves the terminator out. */
static size_t some_string(char *out, size_t room, const char *const *set,
			  unsigned int n)
{
	size_t len;

	switch (below(5)) {
	case 0: /* long */
		len = below(room < 5000 ? room : 5000);
		memset(out, 'a' + below(26), len);
		break;
	case 1: /* random bytes */
		len = below(room < 300 ? room : 300);
		for (size_t i = 0; i < len; i++)
			out[i] = rnd();
		break;
	default:
		len = strlen(set[below(n)]);
		if (len > room)
			len = room;
		memcpy(out, set[below(n)], len);
		len = strnlen(out, len);
		break;
	}
	if (below(4) && len < room)
		out[len++] = '\0';
	return len;
}

/* Append one attribute of a random type and shape to @buf at *@off. */
static void some_attr(char *buf, size_t *off, size_t room, const struct pools *p)
{
	char data[1500];
	int type = below(10) ? 1 + below(NFS_CACHEFS_A_MAX + 2) : below(0x8000);
	size_t len = 0;
	uint64_t v64;
	uint32_t v32;

	if (below(8) == 0) {
		/* Wrong length for whatever type it is. */
		len = below(40);
		for (size_t i = 0; i < len; i++)
			data[i] = rnd();
	} else {
		switch (type) {
		case NFS_CACHEFS_A_REQUEST_ID:
		case NFS_CACHEFS_A_SIZE:
		case NFS_CACHEFS_A_BYTES:
		case NFS_CACHEFS_A_DURATION_NS:
			v64 = some_u64(p);
			memcpy(data, &v64, len = 8);
			break;
		case NFS_CACHEFS_A_MOUNT_ID:
		case NFS_CACHEFS_A_EVENT:
			v32 = below(3) ? p->mount_id + below(3) - 1 : rnd();
			memcpy(data, &v32, len = 4);
			break;
		case NFS_CACHEFS_A_SRC_FD:
		case NFS_CACHEFS_A_DST_FD:
		case NFS_CACHEFS_A_FD:
			v32 = below(6) ? (uint32_t)p->fds[below(p->nfds)] : rnd();
			memcpy(data, &v32, len = 4);
			break;
		case NFS_CACHEFS_A_STATUS:
			v32 = below(2) ? (uint32_t)-(int)below(200) : (uint32_t)rnd();
			memcpy(data, &v32, len = 4);
			break;
		case NFS_CACHEFS_A_KEY:
			len = some_string(data, sizeof(data), keys,
					  sizeof(keys) / sizeof(*keys));
			break;
		case NFS_CACHEFS_A_VALUE:
			len = some_string(data, sizeof(data), values,
					  sizeof(values) / sizeof(*values));
			break;
		case NFS_CACHEFS_A_OBJECT:
		case NFS_CACHEFS_A_PATH:
		case NFS_CACHEFS_A_LOWERDIR:
		case NFS_CACHEFS_A_CACHEDIR:
		case NFS_CACHEFS_A_VOLUME:
		case NFS_CACHEFS_A_REASON:
			len = some_string(data, sizeof(data), objects,
					  sizeof(objects) / sizeof(*objects));
			break;
		default: /* CHECKSUM, STATS, PAD, unknown: bytes */
			len = below(100);
			for (size_t i = 0; i < len; i++)
				data[i] = rnd();
			if (below(4) == 0)
				type |= NLA_F_NESTED;
			break;
		}
	}
	if (*off + NLA_HDRLEN + NLA_ALIGN(len) > room)
		return;
	nfsc_nla_put(buf, off, type, data, len);
}

struct tally {
	unsigned long sent, accepted, refused, unexplained, no_such_cmd, hung;
	unsigned long accepted_by_cmd[NFS_CACHEFS_CMD_MAX + 1];
	unsigned long claim_refused[200];	/* by errno */
	int last_unexplained_cmd, last_unexplained_err;
};

/* The commands the family implements, GET_STATS as the dump it is. */
static const int implemented[] = {
	NFS_CACHEFS_CMD_DAEMON_REGISTER, NFS_CACHEFS_CMD_FILL_CLAIM,
	NFS_CACHEFS_CMD_FILL_DONE, NFS_CACHEFS_CMD_INVALIDATE,
	NFS_CACHEFS_CMD_PREFETCH, NFS_CACHEFS_CMD_CULL, NFS_CACHEFS_CMD_SET,
	NFS_CACHEFS_CMD_GET, NFS_CACHEFS_CMD_GET_STATS,
};

/*
 * genetlink's own refusal, before any of ours: a command the family does
 * not have, a dump of one without a dumpit, or a request of the one that
 * only dumps (GET_STATS).
 */
static bool genl_refuses(int cmd, int flags)
{
	size_t i;

	for (i = 0; i < sizeof(implemented) / sizeof(*implemented); i++)
		if (implemented[i] == cmd)
			return (cmd == NFS_CACHEFS_CMD_GET_STATS) !=
			       ((flags & NLM_F_DUMP) == NLM_F_DUMP);
	return true;
}

/*
 * A claim or a completion of a request the kernel really sent, nearly
 * right: what a buggy or lying daemon would send. The attributes go to
 * @buf at *@off; the command is returned.
 */
static int almost_right(char *buf, size_t *off, const struct pools *p)
{
	uint64_t id = seen_ids[below(nr_seen < 64 ? nr_seen : 64)];
	uint64_t bytes = p->sizes[below(4)] + below(3) - 1;
	int32_t status = below(3) ? 0 : -(int)below(140);

	nfsc_nla_put(buf, off, NFS_CACHEFS_A_REQUEST_ID, &id, 8);
	if (below(2)) {
		if (below(8))
			nfsc_nla_put(buf, off, NFS_CACHEFS_A_STATUS, &status, 4);
		if (below(8))
			nfsc_nla_put(buf, off, NFS_CACHEFS_A_BYTES, &bytes, 8);
		return NFS_CACHEFS_CMD_FILL_DONE;
	}
	return NFS_CACHEFS_CMD_FILL_CLAIM;
}

/* One fuzzed message on @s. */
static void fuzz_one(struct fz_sock *s, int family, const struct pools *p,
		     struct tally *t)
{
	char attrs[2048];
	size_t off = 0;
	int cmd, n, flags = 0;
	struct verdict v;

	if (nr_seen && below(3) == 0) {
		cmd = almost_right(attrs, &off, p);
		n = below(4) ? 0 : 1;
	} else {
		cmd = below(10) ? implemented[below(sizeof(implemented) /
						   sizeof(*implemented))] :
				  (int)below(256);
		if (cmd == NFS_CACHEFS_CMD_GET_STATS ? below(10) : !below(20))
			flags = NLM_F_DUMP;
		n = below(7);
	}
	for (; n > 0; n--)
		some_attr(attrs, &off, sizeof(attrs), p);
	/* Trailing garbage, shorter than an attribute header. */
	if (below(16) == 0)
		off += below(NLA_HDRLEN);
	v = fz_send(s, family, cmd, flags, attrs, off);
	t->sent++;
	if (!v.answered) {
		t->hung++;
		fprintf(stderr, "# fuzz: command %d unanswered: %s\n", cmd,
			strerror(-v.error));
		return;
	}
	if (!v.error) {
		t->accepted++;
		if (cmd <= NFS_CACHEFS_CMD_MAX)
			t->accepted_by_cmd[cmd]++;
		return;
	}
	t->refused++;
	if (cmd == NFS_CACHEFS_CMD_FILL_CLAIM && v.error > -200)
		t->claim_refused[-v.error]++;
	if (v.explained)
		return;
	if (v.error == -EOPNOTSUPP && genl_refuses(cmd, flags)) {
		t->no_such_cmd++;
		return;
	}
	t->unexplained++;
	t->last_unexplained_cmd = cmd;
	t->last_unexplained_err = v.error;
}

/* --- the test ------------------------------------------------------------ */

FIXTURE(fuzz) {
	char dir[PATH_MAX];
	uint32_t id;
	pid_t opener, helper;
};

FIXTURE_SETUP(fuzz)
{
	char name[32];
	int i;

	self->opener = 0;
	self->helper = 0;
	ASSERT_EQ(0, nfsc_fresh_stack(self->dir, sizeof(self->dir), &self->id));
	ASSERT_EQ(0, nfsc_sh("mkdir -p %s/fz", nfsc_env("NFSC_EXPORT")));
	/* Never empty: an empty tmpfile is the one copy a fuzzer can get right. */
	for (i = 0; i < NR_FILES; i++) {
		snprintf(name, sizeof(name), "fz/f%d", i);
		ASSERT_EQ(0, make_file(name, 1 + i * 4099, 400 + i));
	}
}

FIXTURE_TEARDOWN(fuzz)
{
	if (self->opener > 0) {
		kill(self->opener, SIGKILL);
		waitpid(self->opener, NULL, 0);
	}
	if (self->helper > 0)
		stop_helper(self->helper);
	EXPECT_EQ(0, nfsc_umount(NFSC_STACK));
	nfsc_sh("rm -rf %s/fz", nfsc_env("NFSC_EXPORT"));
}

/* A child opening the stack's files, so that requests keep coming. */
static pid_t start_opener(void)
{
	char path[PATH_MAX], buf[64];
	pid_t pid = fork();
	int fd, i = 0;

	if (pid)
		return pid;
	for (;;) {
		snprintf(path, sizeof(path), NFSC_STACK "/fz/f%d", i++ % NR_FILES);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			if (read(fd, buf, sizeof(buf)) < 0)
				_exit(1);
			close(fd);
		}
		usleep(20000);
	}
}

static void make_pools(struct pools *p, uint32_t mount_id, int sock)
{
	int pipefd[2];

	p->nfds = 0;
	p->fds[p->nfds++] = -1;
	p->fds[p->nfds++] = 0;
	p->fds[p->nfds++] = 1000;
	p->fds[p->nfds++] = sock;
	p->fds[p->nfds++] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	p->fds[p->nfds++] = open(NFSC_STACK "/fz", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	p->fds[p->nfds++] = open(NFSC_STACK "/fz/f3", O_RDONLY | O_CLOEXEC);
	p->fds[p->nfds++] = open(NFSC_STACK "/fz/f4", O_PATH | O_CLOEXEC);
	p->fds[p->nfds++] = open(nfsc_env("NFSC_CACHEDIR"), O_RDONLY | O_CLOEXEC);
	if (!pipe2(pipefd, O_CLOEXEC)) {
		p->fds[p->nfds++] = pipefd[0];
		p->fds[p->nfds++] = pipefd[1];
	}
	p->mount_id = mount_id;
	p->sizes[0] = 1;
	p->sizes[1] = 4100;
	p->sizes[2] = 15 * 4099 + 1;
	p->sizes[3] = 0;
}

TEST_F_TIMEOUT(fuzz, hostile_messages_are_refused_and_change_nothing, 600)
{
	const char *env_seed = getenv("NFSC_FUZZ_SEED");
	const char *env_secs = getenv("NFSC_FUZZ_SECONDS");
	long long ok_before, objects;
	struct tally t = { 0 };
	struct fz_sock s, other;
	struct pools p;
	time_t end;
	int family = 0, version, base_fd, secs;
	unsigned long registered;
	int register_error = 0;
	struct verdict v;
	char out[64], obj[PATH_MAX];
	uint64_t seed;
	int i;

	seed = env_seed && *env_seed ? strtoull(env_seed, NULL, 0) :
	       (uint64_t)time(NULL) * 2654435761ULL ^ getpid();
	secs = env_secs && *env_secs ? atoi(env_secs) : 60;
	ASSERT_LT(0, secs);
	rng_state = seed ? seed : 1;
	fprintf(stderr, "# fuzz: seed %llu, %d s (replay: NFSC_FUZZ_SEED=%llu)\n",
		       (unsigned long long)seed, secs, (unsigned long long)seed);

	ASSERT_EQ(0, nfsc_genl_family(NFS_CACHEFS_GENL_NAME, &family, &version));
	/* Requests the fuzzer left behind come back quickly. */
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "fill_timeout_ms", "1000"));
	/* Forked first: a child holding our sockets would keep them alive. */
	self->opener = start_opener();
	ASSERT_LT(0, self->opener);
	ASSERT_EQ(0, fz_open(&s));
	ASSERT_EQ(0, fz_open(&other));
	make_pools(&p, self->id, s.fd);
	base_fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, base_fd);
	close(base_fd);		/* claims install fds from here up */
	ok_before = nfsc_stat(self->dir, "fills_ok");

	end = time(NULL) + secs;
	while (time(NULL) < end && !t.hung) {
		switch (below(50)) {
		case 0:	/* the fuzzer becomes the daemon */
			v = fz_send(&s, family, NFS_CACHEFS_CMD_DAEMON_REGISTER, 0, NULL, 0);
			if (v.error)
				register_error = v.error;
			else
				t.accepted_by_cmd[NFS_CACHEFS_CMD_DAEMON_REGISTER]++;
			break;
		case 1:	/* the daemon dies: URELEASE, requests go back */
			close(s.fd);
			ASSERT_EQ(0, fz_open(&s));
			break;
		default:
			/* Mostly the daemon's socket, some from a stranger. */
			if (below(4)) {
				fuzz_one(&s, family, &p, &t);
				break;
			}
			registered = t.accepted_by_cmd[NFS_CACHEFS_CMD_DAEMON_REGISTER];
			fuzz_one(&other, family, &p, &t);
			/* A stranger that got registered lets go at once. */
			if (registered != t.accepted_by_cmd[NFS_CACHEFS_CMD_DAEMON_REGISTER]) {
				close(other.fd);
				ASSERT_EQ(0, fz_open(&other));
			}
			break;
		}
		/* Descriptors a claim installed in us. */
		close_range(base_fd, ~0U, 0);
		p.fds[3] = s.fd;
	}
	EXPECT_EQ(0, waitpid(self->opener, NULL, WNOHANG)) TH_LOG("the opener died");
	kill(self->opener, SIGKILL);
	waitpid(self->opener, NULL, 0);
	self->opener = 0;
	fprintf(stderr, "# fuzz: the stack counted %lld misses, %lld fills failed, %lld pending\n",
		nfsc_stat(self->dir, "misses"), nfsc_stat(self->dir, "fills_failed"),
		nfsc_stat(self->dir, "pending"));
	close(s.fd);
	close(other.fd);
	/* The pool's files on the stack would keep it busy at umount. */
	for (i = 0; i < (int)p.nfds; i++)
		if (p.fds[i] > 2 && p.fds[i] != s.fd && p.fds[i] < 1000)
			close(p.fds[i]);

	fprintf(stderr, "# fuzz: %lu messages: %lu accepted, %lu refused (%lu by genetlink: no such command), %lu unexplained, %lu unanswered\n",
		       t.sent, t.accepted, t.refused, t.no_such_cmd, t.unexplained, t.hung);
	fprintf(stderr, "# fuzz: accepted: %lu registrations, %lu claims, %lu completions, %lu invalidations, %lu prefetches, %lu culls, %lu sets, %lu gets, %lu dumps\n",
		t.accepted_by_cmd[NFS_CACHEFS_CMD_DAEMON_REGISTER],
		t.accepted_by_cmd[NFS_CACHEFS_CMD_FILL_CLAIM],
		t.accepted_by_cmd[NFS_CACHEFS_CMD_FILL_DONE],
		t.accepted_by_cmd[NFS_CACHEFS_CMD_INVALIDATE],
		t.accepted_by_cmd[NFS_CACHEFS_CMD_PREFETCH],
		t.accepted_by_cmd[NFS_CACHEFS_CMD_CULL],
		t.accepted_by_cmd[NFS_CACHEFS_CMD_SET],
		t.accepted_by_cmd[NFS_CACHEFS_CMD_GET],
		t.accepted_by_cmd[NFS_CACHEFS_CMD_GET_STATS]);
	fprintf(stderr, "# fuzz: %lu requests seen; claims refused: %lu ENOENT, %lu EPERM, %lu EBUSY, %lu EINVAL, %lu EALREADY\n",
		nr_requests, t.claim_refused[ENOENT], t.claim_refused[EPERM],
		t.claim_refused[EBUSY], t.claim_refused[EINVAL], t.claim_refused[EALREADY]);
	if (register_error)
		fprintf(stderr, "# fuzz: a registration was refused: %s\n",
			strerror(-register_error));
	EXPECT_EQ(0, t.hung);
	/* It reached the deep paths: real requests claimed by the fuzzer. */
	EXPECT_LT(0, t.accepted_by_cmd[NFS_CACHEFS_CMD_FILL_CLAIM]);
	EXPECT_EQ(0, t.unexplained) TH_LOG("last: command %d refused with %d and no message",
					   t.last_unexplained_cmd, t.last_unexplained_err);
	EXPECT_LT(10 * secs, t.sent);
	EXPECT_LT(0, t.refused);

	/* Nothing committed: the fuzzer never wrote a byte of data. */
	EXPECT_EQ(ok_before, nfsc_stat(self->dir, "fills_ok"));
	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "find '%s' -type f | wc -l",
				 nfsc_env("NFSC_CACHEDIR")));
	objects = atoll(out);
	EXPECT_EQ(0, objects);

	/* Still works: the tunables as they were, a real fill, then a hit. */
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "enabled", "1"));
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "min_size", "0"));
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "max_size", "18446744073709551615"));
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "revalidate", "cto"));
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "fill_timeout_ms", "60000"));
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "max_pending", "1024"));
	ASSERT_EQ(0, nfsc_attr_write(self->dir, "max_held", "1024"));
	/* Requests the fuzzer left behind time out or go to the helper. */
	self->helper = nfsc_start_helper(HELPER_LOG, "");
	ASSERT_GT(self->helper, 0);
	ASSERT_EQ(0, make_file("fz/after", 3 * MiB + 7, 499));
	ASSERT_EQ(0, stack_matches_export("fz/after"));
	for (i = 0; i < 1200 && object_of("fz/after", obj, sizeof(obj)); i++)
		usleep(100000);
	ASSERT_EQ(0, object_of("fz/after", obj, sizeof(obj)));
	ok_before = nfsc_stat(self->dir, "hits");
	ASSERT_EQ(0, drop_caches());
	EXPECT_EQ(0, stack_matches_export("fz/after"));
	EXPECT_LT(ok_before, nfsc_stat(self->dir, "hits"));
}

/*
 * Every tunable, written garbage: printable junk with a '!' somewhere, which
 * no tunable's syntax allows. Each write is refused with EINVAL and the old
 * value stays.
 */
TEST_F_TIMEOUT(fuzz, sysfs_garbage_is_refused, 300)
{
	static const char *const tunables[] = {
		"enabled", "min_size", "max_size", "revalidate",
		"fill_timeout_ms", "max_pending", "max_held",
	};
	char path[PATH_MAX + 32], before[128], after[128], junk[300];
	unsigned int i, k, len, bad = 0;
	ssize_t n;
	int fd;

	rng_state = 0x5eed;
	for (k = 0; k < sizeof(tunables) / sizeof(*tunables); k++) {
		snprintf(path, sizeof(path), "%s/%s", self->dir, tunables[k]);
		ASSERT_EQ(0, nfsc_attr_read(self->dir, tunables[k], before, sizeof(before)));
		for (i = 0; i < 300; i++) {
			len = 1 + below(sizeof(junk) - 1);
			for (unsigned int j = 0; j < len; j++)
				junk[j] = below(3) ? '0' + below(10) : 0x21 + below(94);
			junk[below(len)] = '!';
			fd = open(path, O_WRONLY);
			ASSERT_LE(0, fd);
			n = write(fd, junk, len);
			if (n >= 0 || errno != EINVAL) {
				bad++;
				TH_LOG("%s: \"%.*s\" gave %zd (%s)", tunables[k], (int)len,
				       junk, n, n < 0 ? strerror(errno) : "taken");
			}
			close(fd);
		}
		ASSERT_EQ(0, nfsc_attr_read(self->dir, tunables[k], after, sizeof(after)));
		EXPECT_STREQ(before, after) TH_LOG("%s", tunables[k]);
	}
	EXPECT_EQ(0, bad);
}

TEST_HARNESS_MAIN
