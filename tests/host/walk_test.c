// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: the tree walk of prefetch and invalidate. It names every
 * regular file once and nothing else, follows no symbolic link below its
 * root but follows the root, stops when told to, and reports the names it
 * cannot read (here: directories past the open file limit) while still
 * naming the rest. Built with ASan/UBSan; every test ends with a check that
 * no fd was left open.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "../lib/nfsc_test.h"
#include "../../helper/walk.h"
#include "kselftest_harness.h"

#define MAX_SEEN 64

struct seen {
	char *path[MAX_SEEN];
	int n;
	int stop_after;		/* > 0: fail with EIO on that call */
	int bad_rel;		/* calls whose @rel did not open as @path */
};

/* Whether @rel below @root_fd is the file @path names. */
static bool same_file(int root_fd, const char *rel, const char *path)
{
	struct stat a, b;
	int fd = nfsc_walk_open(root_fd, rel, O_RDONLY | O_CLOEXEC);
	bool same = fd >= 0 && !fstat(fd, &a) && !stat(path, &b) &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino;

	if (fd >= 0)
		close(fd);
	return same;
}

static int record(int root_fd, const char *rel, const char *path, void *arg)
{
	struct seen *s = arg;

	if (s->stop_after && s->n + 1 == s->stop_after) {
		errno = EIO;
		return -1;
	}
	if (!same_file(root_fd, rel, path))
		s->bad_rel++;
	if (s->n < MAX_SEEN)
		s->path[s->n] = strdup(path);
	s->n++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names seen, sorted and joined by spaces; frees them. */
static char *seen_list(struct seen *s)
{
	static char buf[4096];
	int i;

	qsort(s->path, s->n < MAX_SEEN ? s->n : MAX_SEEN, sizeof(char *), by_name);
	buf[0] = '\0';
	for (i = 0; i < s->n && i < MAX_SEEN; i++) {
		if (i)
			strcat(buf, " ");
		strncat(buf, s->path[i], sizeof(buf) - strlen(buf) - 2);
		free(s->path[i]);
	}
	s->n = 0;
	return buf;
}

FIXTURE(walk) {
	char dir[64];
	int fds_before;
	struct seen seen;
};

/*
 * t/a, t/sub/b, t/sub/deep/c are the regular files; t/la (to a) and t/ls
 * (to sub) are symbolic links, t/p a FIFO, t/empty an empty directory.
 */
FIXTURE_SETUP(walk)
{
	strcpy(self->dir, "/tmp/nfsc-walk-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, chdir(self->dir));
	ASSERT_EQ(0, nfsc_sh("mkdir -p t/sub/deep t/empty && echo a > t/a && "
			     "echo b > t/sub/b && echo c > t/sub/deep/c && "
			     "ln -s a t/la && ln -s sub t/ls && mkfifo t/p && "
			     "ln -s t lt"));
	memset(&self->seen, 0, sizeof(self->seen));
	self->fds_before = nfsc_count_fds();
}

FIXTURE_TEARDOWN(walk)
{
	EXPECT_EQ(0, self->seen.bad_rel);
	EXPECT_EQ(self->fds_before, nfsc_count_fds());
	if (chdir("/") == 0)
		nfsc_sh("rm -rf %s", self->dir);
}

TEST_F(walk, names_each_regular_file_once)
{
	EXPECT_EQ(0, nfsc_walk("t", "test", record, &self->seen));
	EXPECT_STREQ("t/a t/sub/b t/sub/deep/c", seen_list(&self->seen));
}

TEST_F(walk, trailing_slashes_and_absolute_roots)
{
	char root[128], want[512];

	EXPECT_EQ(0, nfsc_walk("t///", "test", record, &self->seen));
	EXPECT_STREQ("t/a t/sub/b t/sub/deep/c", seen_list(&self->seen));
	snprintf(root, sizeof(root), "%s/t/sub/", self->dir);
	snprintf(want, sizeof(want), "%s/t/sub/b %s/t/sub/deep/c", self->dir, self->dir);
	EXPECT_EQ(0, nfsc_walk(root, "test", record, &self->seen));
	EXPECT_STREQ(want, seen_list(&self->seen));
}

/* A root link is followed and named by its target, which opens O_NOFOLLOW. */
TEST_F(walk, a_root_file_is_named_and_a_root_link_followed)
{
	char want[512];

	EXPECT_EQ(0, nfsc_walk("t/sub/b", "test", record, &self->seen));
	EXPECT_STREQ("t/sub/b", seen_list(&self->seen));
	snprintf(want, sizeof(want), "%1$s/t/a %1$s/t/sub/b %1$s/t/sub/deep/c", self->dir);
	EXPECT_EQ(0, nfsc_walk("lt", "test", record, &self->seen));
	EXPECT_STREQ(want, seen_list(&self->seen));
	snprintf(want, sizeof(want), "%s/t/a", self->dir);
	EXPECT_EQ(0, nfsc_walk("t/la", "test", record, &self->seen));
	EXPECT_STREQ(want, seen_list(&self->seen));
	EXPECT_EQ(0, nfsc_sh("ln -s missing dangling"));
	EXPECT_EQ(1, nfsc_walk("dangling", "test", record, &self->seen));
	EXPECT_EQ(0, self->seen.n);
}

/*
 * What the callers open below the root: nothing through a symbolic link
 * (a directory swapped for one after the walk read it), nothing outside.
 */
TEST_F(walk, files_open_below_the_root_only)
{
	int root = open("t", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd;

	ASSERT_LE(0, root);
	fd = nfsc_walk_open(root, "sub/deep/c", O_RDONLY | O_CLOEXEC);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-ELOOP, nfsc_walk_open(root, "ls/b", O_RDONLY | O_CLOEXEC));
	EXPECT_EQ(-ELOOP, nfsc_walk_open(root, "la", O_PATH | O_CLOEXEC));
	EXPECT_EQ(-EXDEV, nfsc_walk_open(root, "../t/a", O_RDONLY | O_CLOEXEC));
	EXPECT_EQ(-EXDEV, nfsc_walk_open(root, "/etc/passwd", O_RDONLY | O_CLOEXEC));
	/* A FIFO in a file's place does not hold the open up. */
	fd = nfsc_walk_open(root, "p", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	close(root);
}

TEST_F(walk, bad_roots_fail_and_name_nothing)
{
	EXPECT_EQ(1, nfsc_walk("missing", "test", record, &self->seen));
	EXPECT_EQ(1, nfsc_walk("t/p", "test", record, &self->seen));
	EXPECT_EQ(1, nfsc_walk("", "test", record, &self->seen));
	EXPECT_EQ(0, self->seen.n);
}

TEST_F(walk, the_callback_stops_the_walk)
{
	self->seen.stop_after = 2;
	errno = 0;
	EXPECT_EQ(-1, nfsc_walk("t", "test", record, &self->seen));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(1, self->seen.n);
	seen_list(&self->seen);
}

/* Past the open file limit the deepest directories fail; the rest is named. */
TEST_F(walk, unreadable_directories_are_reported_and_skipped)
{
	struct rlimit rl, was;
	int fd;

	ASSERT_EQ(0, nfsc_sh("mkdir -p d/1/2/3/4/5/6/7/8/9 && echo x > d/top && "
			     "echo y > d/1/2/3/4/5/6/7/8/9/bottom"));
	/* Four fds from the lowest free one: d, d/1, d/1/2, d/1/2/3. */
	fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &was));
	rl = was;
	rl.rlim_cur = fd + 4;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	EXPECT_EQ(1, nfsc_walk("d", "test", record, &self->seen));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &was));
	EXPECT_STREQ("d/top", seen_list(&self->seen));
}

TEST_HARNESS_MAIN
