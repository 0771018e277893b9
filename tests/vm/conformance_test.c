// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: the stack is a filesystem a user cannot tell from the NFS mount
 * beneath it. Every operation runs through the stack and directly on NFS
 * and the results (return values, errno, resulting state) must agree.
 *
 * Read-only checks compare the same files seen both ways. Changes run on
 * two identical directories, .../s through the stack and .../n on NFS.
 */
#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/sysmacros.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <utime.h>

#include "../lib/nfsc_vm.h"
#include "kselftest_harness.h"


/* A result: the return value (fds become 0) and errno when it failed. */
struct res {
	long ret;
	int err;
};

static struct res mkres(long ret)
{
	return (struct res){ ret, ret < 0 ? errno : 0 };
}

#define CALL(expr) ({ errno = 0; mkres((long)(expr)); })

/* open() that reports success as 0 and closes the fd. */
static long t_open(const char *path, int flags, mode_t mode)
{
	int fd = open(path, flags, mode);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

FIXTURE(conf) {
	char s[PATH_MAX];	/* stack side of this test's directory */
	char n[PATH_MAX];	/* NFS side */
	char e[PATH_MAX];	/* the export (server side) */
	char buf[8][PATH_MAX];
	int nbuf;
};

/* Path under a root; a small ring of buffers so calls can take several. */
static const char *P(FIXTURE_DATA(conf) *self, const char *root,
		     const char *rel)
{
	char *b = self->buf[self->nbuf++ % 8];
	size_t lr = strlen(root), ll = strlen(rel);

	if (lr + 1 + ll >= PATH_MAX)
		abort();
	memmove(b, root, lr);
	b[lr] = '/';
	memmove(b + lr + 1, rel, ll + 1);
	return b;
}

/*
 * Run EXPR with ROOT naming the stack side, then the NFS side, and expect
 * the same result. EXPR builds its paths with S(rel).
 */
#define BOTH(expr) do {							\
	const char *root;						\
	struct res _s, _n;						\
	root = self->s; _s = CALL(expr);				\
	root = self->n; _n = CALL(expr);				\
	(void)root;							\
	EXPECT_EQ(_n.ret, _s.ret) TH_LOG("%s: stack %ld (%s), nfs %ld (%s)", \
		#expr, _s.ret, strerror(_s.err), _n.ret, strerror(_n.err)); \
	EXPECT_EQ(_n.err, _s.err) TH_LOG("%s: stack %s, nfs %s", #expr, \
		strerror(_s.err), strerror(_n.err));			\
} while (0)
#define S(rel) P(self, root, rel)

FIXTURE_SETUP(conf)
{
	const char *nfs = nfsc_env("NFSC_NFS");
	const char *exp = nfsc_env("NFSC_EXPORT");
	const char *test = _metadata->name;

	ASSERT_EQ(0, nfsc_module_load());
	ASSERT_EQ(0, nfsc_mount_stack(NFSC_STACK));
	snprintf(self->e, sizeof(self->e), "%s/conf/%s", exp, test);
	snprintf(self->s, sizeof(self->s), "%s/conf/%s/s", NFSC_STACK, test);
	snprintf(self->n, sizeof(self->n), "%s/conf/%s/n", nfs, test);
	ASSERT_EQ(0, nfsc_sh("rm -rf %s && mkdir -p %s/s %s/n && chmod 777 %s/s %s/n",
			     self->e, self->e, self->e, self->e, self->e));
}

FIXTURE_TEARDOWN(conf)
{
	nfsc_umount(NFSC_STACK);
	nfsc_sh("rm -rf %s", self->e);
}

/* TCG is slow: every test gets minutes, not the harness's 30 s. */
#define CONF_TEST(name) TEST_F_TIMEOUT(conf, name, 300)

/* Run the same shell command in both sides' directories, on the server. */
static int seed(FIXTURE_DATA(conf) *self, const char *cmd)
{
	return nfsc_sh("cd %s/s && %s && cd %s/n && %s", self->e, cmd,
		       self->e, cmd);
}

/* --- the generated tree: stat, readdir, readlink, content ---------------- */

static int cmp_stat(struct __test_metadata *_metadata, const char *a,
		    const char *b, int same_file)
{
	struct stat sa, sb;

	if (lstat(a, &sa) || lstat(b, &sb)) {
		TH_LOG("lstat %s / %s: %s", a, b, strerror(errno));
		return -1;
	}
	if (sa.st_mode != sb.st_mode || sa.st_uid != sb.st_uid ||
	    sa.st_gid != sb.st_gid || sa.st_size != sb.st_size ||
	    sa.st_nlink != sb.st_nlink ||
	    (same_file && (sa.st_ino != sb.st_ino ||
			   sa.st_blocks != sb.st_blocks ||
			   sa.st_mtim.tv_sec != sb.st_mtim.tv_sec ||
			   sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec ||
			   sa.st_ctim.tv_sec != sb.st_ctim.tv_sec ||
			   sa.st_ctim.tv_nsec != sb.st_ctim.tv_nsec))) {
		TH_LOG("stat differs: %s vs %s (mode %o/%o size %ld/%ld nlink %lu/%lu ino %lu/%lu)",
		       a, b, sa.st_mode, sb.st_mode, (long)sa.st_size,
		       (long)sb.st_size, (unsigned long)sa.st_nlink,
		       (unsigned long)sb.st_nlink, (unsigned long)sa.st_ino,
		       (unsigned long)sb.st_ino);
		return -1;
	}
	return 0;
}

/* The tree as `find` sees it: names, types, inode numbers, link targets. */
static int listing(const char *root, const char *out)
{
	return nfsc_sh("cd %s && find . -printf '%%p %%y %%i %%m %%s %%n %%l\\n' | sort > %s",
		       root, out);
}

static struct __test_metadata *walk_meta;
static const char *walk_other;
static size_t walk_root_len;
static int walk_bad, walk_count;

static int walk_cmp(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	char other[PATH_MAX];

	(void)st;
	(void)type;
	(void)ftw;
	snprintf(other, sizeof(other), "%s%s", walk_other, path + walk_root_len);
	walk_count++;
	if (cmp_stat(walk_meta, path, other, 1))
		walk_bad++;
	return 0;
}

/* What make_dirs_of_files() could not make, and why. */
static char made_what[256];
static int made_errno;

static int made_fail(const char *what, int err)
{
	snprintf(made_what, sizeof(made_what), "%s", what);
	made_errno = err;
	return -1;
}

/*
 * Directory d of make_dirs_of_files(), in @dirfd, which is @rel below the
 * export (make_file() names files from there).
 */
static int make_dir_of_files(int dirfd, const char *rel, int d, uint64_t seed)
{
	char p[64], q[64], name[256];
	int f, fd, err;

	snprintf(p, sizeof(p), "d%d", d);
	if (mkdirat(dirfd, p, 0755))
		return made_fail(p, errno);
	snprintf(p, sizeof(p), "d%d/e%d", d, d % 5);
	if (mkdirat(dirfd, p, 0755))
		return made_fail(p, errno);
	for (f = 1; f <= 12; f++) {
		snprintf(name, sizeof(name), "%s/d%d/f%d", rel, d, f);
		err = make_file(name, (uint64_t)d * f * 37, seed + d * 100 + f);
		if (err)
			return made_fail(name, -err);
	}
	snprintf(p, sizeof(p), "d%d/link", d);
	if (symlinkat("f1", dirfd, p))
		return made_fail(p, errno);
	snprintf(p, sizeof(p), "d%d/dirlink", d);
	if (symlinkat("../d1", dirfd, p))
		return made_fail(p, errno);
	snprintf(p, sizeof(p), "d%d/f2", d);
	snprintf(q, sizeof(q), "d%d/hard", d);
	if (linkat(dirfd, p, dirfd, q, 0))
		return made_fail(q, errno);
	snprintf(p, sizeof(p), "d%d/e%d/empty", d, d % 5);
	fd = openat(dirfd, p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || close(fd))
		return made_fail(p, errno);
	return 0;
}

/*
 * 30 directories of 12 files (37 B to 13 KiB), a subdirectory with an
 * empty file, two symlinks and a hard link each, in the export's @rel.
 * Made here, not by a shell loop: its 500 forks took 85 s under
 * emulation. The content differs from run to run, as /dev/urandom's did.
 */
static int make_dirs_of_files(const char *rel)
{
	char root[PATH_MAX];
	uint64_t seed;
	int d, dirfd, ret = 0;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		return made_fail("getrandom", errno);
	path_in(root, sizeof(root), nfsc_env("NFSC_EXPORT"), rel);
	dirfd = open(root, O_RDONLY | O_DIRECTORY);
	if (dirfd < 0)
		return made_fail(".", errno);
	for (d = 1; d <= 30 && !ret; d++)
		ret = make_dir_of_files(dirfd, rel, d, seed);
	close(dirfd);
	return ret;
}

CONF_TEST(generated_tree)
{
	const char *exp = self->e;
	char a[PATH_MAX], b[PATH_MAX], tree[128];

	/* Hundreds of dirs and files, symlinks, hard links, 0 B to 100 MiB. */
	snprintf(tree, sizeof(tree), "conf/%s/s", _metadata->name);
	ASSERT_EQ(0, make_dirs_of_files(tree))
		TH_LOG("%s (%s): %s", made_what, tree, strerror(made_errno));
	ASSERT_EQ(0, nfsc_sh(
		"cd %s/s && truncate -s 0 zero && printf x > one && "
		"head -c 104857600 /dev/urandom > big100m && "
		"head -c 1048577 /dev/urandom > onemeg-plus1 && "
		"truncate -s 10M sparse && printf tail >> sparse && "
		"mkfifo fifo && ln -s nowhere dangling && chmod 0600 d3/f3 && chmod 4755 d4/f4",
		exp));

	snprintf(a, sizeof(a), "%s/conf/%s/s", NFSC_STACK, _metadata->name);
	snprintf(b, sizeof(b), "%s/conf/%s/s", nfsc_env("NFSC_NFS"),
		 _metadata->name);

	/* Same listing, same inode numbers, same link targets. */
	ASSERT_EQ(0, listing(a, "/tmp/stack.lst"));
	ASSERT_EQ(0, listing(b, "/tmp/nfs.lst"));
	EXPECT_EQ(0, nfsc_sh("diff -u /tmp/nfs.lst /tmp/stack.lst >&2"));
	{
		char out[32];

		ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "wc -l < /tmp/stack.lst"));
		EXPECT_LT(400, atoi(out));
	}

	/* Every entry's full stat, through the stack and through NFS. */
	walk_meta = _metadata;
	walk_other = b;
	walk_root_len = strlen(a);
	walk_bad = 0;
	EXPECT_EQ(0, nftw(a, walk_cmp, 16, FTW_PHYS));
	EXPECT_EQ(0, walk_bad);
	EXPECT_LT(400, walk_count);

	/* Contents, read through the stack and through NFS. */
	EXPECT_EQ(0, nfsc_sh(
		"cd %s && find . -type f -print0 | sort -z | xargs -0 md5sum > /tmp/stack.md5 && "
		"cd %s && md5sum -c --quiet /tmp/stack.md5 >&2", a, b));
}

/* --- readdir: large directories, telldir/seekdir, concurrent readers ----- */

static int read_names(const char *dir, char ***names, long **offs)
{
	struct dirent *de;
	int n = 0, cap = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -1;
	*names = NULL;
	*offs = NULL;
	while ((de = readdir(d))) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			*names = realloc(*names, cap * sizeof(char *));
			*offs = realloc(*offs, cap * sizeof(long));
		}
		(*names)[n] = strdup(de->d_name);
		(*offs)[n] = telldir(d);
		n++;
	}
	closedir(d);
	return n;
}

static void free_names(char **names, long *offs, int n)
{
	while (n-- > 0)
		free(names[n]);
	free(names);
	free(offs);
}

struct reader_arg {
	const char *dir;
	int count;
};

static void *reader(void *p)
{
	struct reader_arg *a = p;
	char **names;
	long *offs;
	int i;

	for (i = 0; i < 5; i++) {
		a->count = read_names(a->dir, &names, &offs);
		if (a->count >= 0)
			free_names(names, offs, a->count);
	}
	return NULL;
}

CONF_TEST(readdir_large_seek_concurrent)
{
	struct reader_arg args[4];
	pthread_t th[4];
	char **sn, **nn;
	long *so, *no;
	int ns, nnn, i;
	const char *big_s = P(self, self->s, "big");
	const char *big_n = P(self, self->n, "../s/big");
	struct dirent *de;
	DIR *d;

	ASSERT_EQ(0, nfsc_sh("cd %s/s && mkdir big && cd big && "
			     "seq -f 'entry-with-a-longish-name-%%05g' 1 5000 | xargs touch",
			     self->e));
	ns = read_names(big_s, &sn, &so);
	nnn = read_names(big_n, &nn, &no);
	ASSERT_EQ(5002, ns);
	ASSERT_EQ(nnn, ns);
	/* Same order and the same cookies: NFS's own. */
	for (i = 0; i < ns; i++) {
		ASSERT_STREQ(nn[i], sn[i]);
		ASSERT_EQ(no[i], so[i]);
	}

	/* seekdir to a cookie from the middle resumes at the next entry. */
	d = opendir(big_s);
	ASSERT_NE(NULL, d);
	for (i = 0; i < 2500; i++)
		ASSERT_NE(NULL, readdir(d));
	seekdir(d, so[1234]);
	de = readdir(d);
	ASSERT_NE(NULL, de);
	EXPECT_STREQ(sn[1235], de->d_name);
	rewinddir(d);
	de = readdir(d);
	ASSERT_NE(NULL, de);
	EXPECT_STREQ(sn[0], de->d_name);
	closedir(d);

	for (i = 0; i < 4; i++) {
		args[i].dir = big_s;
		args[i].count = -1;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, reader, &args[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(5002, args[i].count);
	}
	free_names(sn, so, ns);
	free_names(nn, no, nnn);
}

/* --- names ---------------------------------------------------------------- */

CONF_TEST(lookup_and_open_errors)
{
	ASSERT_EQ(0, seed(self, "echo data > f && mkdir dir && ln -s loop1 loop2 && ln -s loop2 loop1"));
	BOTH(t_open(S("missing"), O_RDONLY, 0));
	BOTH(t_open(S("f/below"), O_RDONLY, 0));
	BOTH(t_open(S("dir"), O_WRONLY, 0));
	BOTH(t_open(S("dir"), O_RDONLY | O_DIRECTORY, 0));
	BOTH(t_open(S("f"), O_RDONLY | O_DIRECTORY, 0));
	BOTH(t_open(S("loop1"), O_RDONLY, 0));
	BOTH(t_open(S("f"), O_RDONLY | O_NOFOLLOW, 0));
	BOTH(t_open(S("loop1"), O_RDONLY | O_NOFOLLOW, 0));
	BOTH(access(S("f"), R_OK | W_OK));
	BOTH(access(S("f"), X_OK));
}

CONF_TEST(create_excl_trunc)
{
	struct stat a, b;

	ASSERT_EQ(0, seed(self, "echo content > f"));
	BOTH(t_open(S("new"), O_CREAT | O_EXCL | O_WRONLY, 0640));
	BOTH(t_open(S("new"), O_CREAT | O_EXCL | O_WRONLY, 0640));
	BOTH(t_open(S("f"), O_CREAT | O_EXCL | O_RDWR, 0600));
	BOTH(t_open(S("f"), O_TRUNC | O_WRONLY, 0));
	BOTH(t_open(S("nodir/new"), O_CREAT | O_WRONLY, 0644));
	BOTH(mknod(S("fifo"), S_IFIFO | 0644, 0));
	BOTH(mknod(S("fifo"), S_IFIFO | 0644, 0));
	ASSERT_EQ(0, stat(P(self, self->s, "new"), &a));
	ASSERT_EQ(0, stat(P(self, self->n, "new"), &b));
	EXPECT_EQ(b.st_mode, a.st_mode);
	ASSERT_EQ(0, stat(P(self, self->s, "f"), &a));
	EXPECT_EQ(0, a.st_size);
	/* The server sees what the stack created. */
	EXPECT_EQ(0, nfsc_sh("test -f %s/s/new && test -p %s/s/fifo && test ! -s %s/s/f",
			     self->e, self->e, self->e));
}

CONF_TEST(mkdir_rmdir_unlink)
{
	ASSERT_EQ(0, seed(self, "mkdir full && touch full/x f"));
	BOTH(mkdir(S("d"), 0750));
	BOTH(mkdir(S("d"), 0750));
	BOTH(mkdir(S("f"), 0750));
	BOTH(mkdir(S("nodir/d"), 0750));
	BOTH(rmdir(S("full")));
	BOTH(rmdir(S("f")));
	BOTH(rmdir(S("missing")));
	BOTH(rmdir(S("d")));
	BOTH(unlink(S("full")));
	BOTH(unlink(S("missing")));
	BOTH(unlink(S("full/x")));
	BOTH(rmdir(S("full")));
	BOTH(unlink(S("f")));
	EXPECT_EQ(0, nfsc_sh("test -z \"$(ls -A %s/s)\"", self->e));
}

/*
 * NFS keeps a file unlinked or renamed over while it is in use (a silly
 * rename to .nfsXXXX, removed at its last close), and only then. The
 * stack must look to NFS exactly as busy as it is: busier, and every rm
 * would cost a RENAME and leave a .nfs file behind; less, and an open
 * file would go stale.
 */
CONF_TEST(silly_renames_only_for_files_in_use)
{
	long long before, idle[2], busy[2];
	const char *root;
	char buf[8];
	int fd1, fd2, i;

	ASSERT_EQ(0, seed(self, "for f in a b c d e f; do echo $f > $f; done"));
	for (i = 0; i < 2; i++) {
		root = i ? self->n : self->s;
		before = nfs_calls("RENAME");
		ASSERT_LE(0, before);
		ASSERT_EQ(0, unlink(S("a")));
		ASSERT_EQ(0, rename(S("c"), S("b")));
		idle[i] = nfs_calls("RENAME") - before;

		before = nfs_calls("RENAME");
		fd1 = open(S("d"), O_RDONLY);
		ASSERT_LE(0, fd1);
		fd2 = open(S("e"), O_RDONLY);
		ASSERT_LE(0, fd2);
		ASSERT_EQ(0, unlink(S("d")));
		ASSERT_EQ(0, rename(S("f"), S("e")));
		busy[i] = nfs_calls("RENAME") - before;
		/* Both still read what they opened. */
		EXPECT_EQ(2, pread(fd1, buf, sizeof(buf), 0));
		EXPECT_EQ(0, memcmp(buf, "d\n", 2));
		EXPECT_EQ(2, pread(fd2, buf, sizeof(buf), 0));
		EXPECT_EQ(0, memcmp(buf, "e\n", 2));
		close(fd1);
		close(fd2);
	}
	/* NFS: the rename alone, then a silly rename for each open file. */
	EXPECT_EQ(1, idle[1]);
	EXPECT_EQ(3, busy[1]);
	EXPECT_EQ(idle[1], idle[0]) TH_LOG("files nobody used: RENAMEs");
	EXPECT_EQ(busy[1], busy[0]) TH_LOG("open files: RENAMEs");
	/* Their last close takes the .nfs files away. */
	EXPECT_EQ(0, nfsc_sh("for i in $(seq 100); do ls -A %s/s %s/n | grep -q '^[.]nfs' || exit 0; sleep 0.1; done; ls -A %s/s %s/n >&2; exit 1",
			     self->e, self->e, self->e, self->e));
	EXPECT_EQ(0, nfsc_sh("cd %s && diff -r s n >&2", self->e));
}

CONF_TEST(rename_variants)
{
	ASSERT_EQ(0, seed(self, "echo a > a && echo b > b && mkdir d e && touch e/x && mkdir d/sub"));
	BOTH(rename(S("a"), S("a2")));
	BOTH(rename(S("missing"), S("z")));
	/*
	 * The one known difference: NFS skips the lookup of a rename target,
	 * so RENAME_NOREPLACE onto an existing name reaches nfs_rename(),
	 * which takes no flags (EINVAL). The stack has looked the name up and
	 * the VFS answers EEXIST, as renameat2(2) documents.
	 */
	EXPECT_EQ(-1, syscall(SYS_renameat2, AT_FDCWD, P(self, self->s, "a2"),
			      AT_FDCWD, P(self, self->s, "b"), RENAME_NOREPLACE));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, syscall(SYS_renameat2, AT_FDCWD, P(self, self->n, "a2"),
			      AT_FDCWD, P(self, self->n, "b"), RENAME_NOREPLACE));
	EXPECT_EQ(EINVAL, errno);
	BOTH(syscall(SYS_renameat2, AT_FDCWD, S("a2"), AT_FDCWD, S("c"),
		     RENAME_NOREPLACE));
	BOTH(syscall(SYS_renameat2, AT_FDCWD, S("c"), AT_FDCWD, S("b"),
		     RENAME_EXCHANGE));
	BOTH(rename(S("d"), S("e")));
	BOTH(rename(S("d"), S("d/sub/inside")));
	BOTH(rename(S("b"), S("d")));
	BOTH(rename(S("d"), S("b")));
	BOTH(rename(S("c"), S("d/sub/c")));
	BOTH(rename(S("d/sub"), S("moved")));
	BOTH(rename(S("b"), S("b")));
	BOTH(t_open(S("moved/c"), O_RDONLY, 0));
	/* Across mounts. */
	BOTH(rename(S("moved/c"), "/tmp/xdev"));
	BOTH(link(S("moved/c"), "/tmp/xdev"));
	EXPECT_EQ(0, nfsc_sh("cd %s && diff -r s n >&2", self->e));
}

CONF_TEST(links_and_symlinks)
{
	char t1[64] = "", t2[64] = "";
	struct stat a, b;

	ASSERT_EQ(0, seed(self, "echo data > f && mkdir d"));
	BOTH(link(S("f"), S("hard")));
	BOTH(link(S("f"), S("hard")));
	BOTH(link(S("d"), S("dlink")));
	BOTH(link(S("missing"), S("x")));
	BOTH(symlink("f", S("sym")));
	BOTH(symlink("f", S("sym")));
	BOTH(symlink("a/b/../c", S("odd")));
	ASSERT_EQ(0, lstat(P(self, self->s, "f"), &a));
	ASSERT_EQ(0, lstat(P(self, self->n, "f"), &b));
	EXPECT_EQ(2, a.st_nlink);
	EXPECT_EQ(b.st_nlink, a.st_nlink);
	EXPECT_EQ(8, readlink(P(self, self->s, "odd"), t1, sizeof(t1)));
	EXPECT_EQ(8, readlink(P(self, self->n, "odd"), t2, sizeof(t2)));
	EXPECT_STREQ(t2, t1);
	BOTH(readlink(S("f"), t1, sizeof(t1)));
	BOTH(readlink(S("missing"), t1, sizeof(t1)));
	/* A hard link and its original are one inode through the stack too. */
	ASSERT_EQ(0, stat(P(self, self->s, "hard"), &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	BOTH(unlink(S("f")));
	BOTH(t_open(S("hard"), O_RDONLY, 0));
	BOTH(t_open(S("sym"), O_RDONLY, 0));
}

CONF_TEST(setattr)
{
	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1200000000, 0 } };
	struct stat a, b;
	int i;
	const char *f[] = { "f", "g" };

	ASSERT_EQ(0, seed(self, "echo 0123456789 > f && echo x > g"));
	BOTH(chmod(S("f"), 0604));
	BOTH(chmod(S("missing"), 0604));
	BOTH(chown(S("f"), 123, 456));
	BOTH(lchown(S("g"), 7, 8));
	BOTH(truncate(S("f"), 4));
	BOTH(truncate(S("g"), 1 << 20));
	BOTH(truncate(S("f"), -1));
	BOTH(utimensat(AT_FDCWD, S("f"), ts, 0));
	BOTH(chmod(S("g"), 04755));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, stat(P(self, self->s, f[i]), &a));
		ASSERT_EQ(0, stat(P(self, self->n, f[i]), &b));
		EXPECT_EQ(b.st_mode, a.st_mode);
		EXPECT_EQ(b.st_uid, a.st_uid);
		EXPECT_EQ(b.st_gid, a.st_gid);
		EXPECT_EQ(b.st_size, a.st_size);
	}
	ASSERT_EQ(0, stat(P(self, self->s, "f"), &a));
	EXPECT_EQ(1200000000, a.st_mtim.tv_sec);
	EXPECT_EQ(1000000000, a.st_atim.tv_sec);
	EXPECT_EQ(4, a.st_size);
	EXPECT_EQ(123, a.st_uid);
	/* What the server has, not just what the stack shows. */
	EXPECT_EQ(0, nfsc_sh("test \"$(stat -c '%%a %%u %%g %%s %%Y' %s/s/f)\" = '604 123 456 4 1200000000'",
			     self->e));
}

CONF_TEST(xattrs)
{
	char v1[64] = "", v2[64] = "";
	ssize_t n1, n2;

	ASSERT_EQ(0, seed(self, "touch f"));
	BOTH(setxattr(S("f"), "user.color", "blue", 4, 0));
	BOTH(setxattr(S("f"), "user.color", "red", 3, XATTR_CREATE));
	BOTH(getxattr(S("f"), "user.color", v1, sizeof(v1)));
	BOTH(getxattr(S("f"), "user.none", v1, sizeof(v1)));
	BOTH(listxattr(S("f"), v1, sizeof(v1)));
	/*
	 * The values themselves, where NFS carries user xattrs (6.12's nfsd
	 * here; 6.1's refuses them, and BOTH compared the refusals).
	 */
	memset(v2, 0, sizeof(v2));
	n2 = getxattr(P(self, self->n, "f"), "user.color", v2, sizeof(v2));
	if (n2 >= 0 || errno != EOPNOTSUPP) {
		EXPECT_EQ(4, n2);
		EXPECT_STREQ("blue", v2);
		memset(v1, 0, sizeof(v1));
		EXPECT_EQ(4, getxattr(P(self, self->s, "f"), "user.color", v1, sizeof(v1)));
		EXPECT_STREQ("blue", v1);
		memset(v1, 0, sizeof(v1));
		memset(v2, 0, sizeof(v2));
		n1 = listxattr(P(self, self->s, "f"), v1, sizeof(v1));
		n2 = listxattr(P(self, self->n, "f"), v2, sizeof(v2));
		ASSERT_LT(0, n1);
		ASSERT_EQ(n2, n1);
		EXPECT_EQ(0, memcmp(v1, v2, n1));
		/* NUL-separated names; NFS lists system.nfs4_acl too. */
		EXPECT_NE(NULL, memmem(v1, n1, "user.color", sizeof("user.color")));
	}
	BOTH(setxattr(S("f"), "trusted.x", "1", 1, 0));
	BOTH(removexattr(S("f"), "user.color"));
	BOTH(removexattr(S("f"), "user.color"));
	BOTH(getxattr(S("missing"), "user.color", v1, sizeof(v1)));
	BOTH(getxattr(S("f"), "user.color", v1, sizeof(v1)));
}

/* A non-root user meets NFS's permission checks through the stack. */
CONF_TEST(permissions_as_nobody)
{
	int st;
	pid_t pid;

	ASSERT_EQ(0, seed(self, "echo secret > secret && chmod 0600 secret && "
			  "echo open > open && chmod 0666 open && mkdir locked && chmod 0700 locked && "
			  "touch locked/x"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (!nfsc_become_nobody())
			_exit(100);
		BOTH(t_open(S("secret"), O_RDONLY, 0));
		BOTH(t_open(S("secret"), O_WRONLY, 0));
		BOTH(access(S("secret"), R_OK));
		BOTH(t_open(S("open"), O_RDWR, 0));
		BOTH(chmod(S("open"), 0777));
		BOTH(chown(S("open"), NFSC_NOBODY, NFSC_NOBODY));
		BOTH(unlink(S("open")));
		BOTH(t_open(S("locked/x"), O_RDONLY, 0));
		BOTH(mkdir(S("locked/y"), 0755));
		BOTH(truncate(S("secret"), 0));
		_exit(_metadata->passed ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Root still reads it: no_root_squash on the export. */
	EXPECT_EQ(0, t_open(P(self, self->s, "secret"), O_RDONLY, 0));
}

/*
 * A write by a user without CAP_FSETID drops the file's setuid bit,
 * through the stack's inode, which the write must hold locked (6.12
 * warned of an unlocked notify_change()), by write() and by splice().
 */
CONF_TEST(a_write_as_nobody_drops_setuid)
{
	struct stat a, b;
	int st, i, fd, p[2];
	loff_t off;
	pid_t pid;

	ASSERT_EQ(0, seed(self, "echo x > w && echo x > sp && chown 65534:65534 w sp && "
			  "chmod 4755 w sp"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (!nfsc_become_nobody())
			_exit(100);
		for (i = 0; i < 2; i++) {
			fd = open(P(self, i ? self->n : self->s, "w"), O_WRONLY | O_APPEND);
			if (fd < 0 || write(fd, "y", 1) != 1)
				_exit(101);
			close(fd);
			/* splice() refuses O_APPEND: past "x\n" by offset. */
			off = 2;
			fd = open(P(self, i ? self->n : self->s, "sp"), O_WRONLY);
			if (fd < 0 || pipe(p) || write(p[1], "z", 1) != 1 ||
			    splice(p[0], NULL, fd, &off, 1, 0) != 1)
				_exit(102);
			close(p[0]);
			close(p[1]);
			close(fd);
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status %d", st);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, stat(P(self, self->s, i ? "sp" : "w"), &a));
		ASSERT_EQ(0, stat(P(self, self->n, i ? "sp" : "w"), &b));
		EXPECT_EQ(b.st_mode, a.st_mode);
		EXPECT_EQ(0, a.st_mode & S_ISUID);
		EXPECT_EQ(b.st_size, a.st_size);
	}
}

/* --- data ----------------------------------------------------------------- */

static int side_fd(FIXTURE_DATA(conf) *self, const char *root,
		   const char *rel, int flags)
{
	return open(P(self, root, rel), flags, 0644);
}

CONF_TEST(read_write_variants)
{
	char sb[64], nb[64];
	struct iovec iov[2];
	int fs, fn, i;

	ASSERT_EQ(0, seed(self, "printf 0123456789abcdef > f"));
	fs = side_fd(self, self->s, "f", O_RDWR);
	fn = side_fd(self, self->n, "f", O_RDWR);
	ASSERT_LE(0, fs);
	ASSERT_LE(0, fn);
	EXPECT_EQ(4, pwrite(fs, "WXYZ", 4, 2));
	EXPECT_EQ(4, pwrite(fn, "WXYZ", 4, 2));
	EXPECT_EQ(3, pwrite(fs, "end", 3, 30));
	EXPECT_EQ(3, pwrite(fn, "end", 3, 30));
	for (i = 0; i < 2; i++) {
		int fd = i ? fn : fs;
		char *b = i ? nb : sb;

		memset(b, 0, 64);
		iov[0] = (struct iovec){ b, 5 };
		iov[1] = (struct iovec){ b + 5, 40 };
		EXPECT_EQ(33, preadv2(fd, iov, 2, 0, 0));
		EXPECT_EQ(33, lseek(fd, 0, SEEK_END));
		EXPECT_EQ(0, lseek(fd, 0, SEEK_SET));
		EXPECT_EQ(10, read(fd, b + 40, 10));
		EXPECT_EQ(3, write(fd, "RW!", 3));
		EXPECT_EQ(-1, preadv2(fd, iov, 2, 0, RWF_NOWAIT | 0x100000));
	}
	EXPECT_EQ(0, memcmp(sb, nb, 64));
	EXPECT_EQ(0, fsync(fs));
	EXPECT_EQ(0, fdatasync(fs));
	EXPECT_EQ(0, posix_fadvise(fs, 0, 0, POSIX_FADV_DONTNEED));
	EXPECT_EQ(0, posix_fadvise(fs, 0, 0, POSIX_FADV_SEQUENTIAL));
	close(fs);
	close(fn);
	EXPECT_EQ(0, nfsc_sh("cmp %s/s/f %s/n/f >&2", self->e, self->e));
}

CONF_TEST(append_and_setfl)
{
	int fs, fn, fl;

	ASSERT_EQ(0, seed(self, "printf start > f"));
	fs = side_fd(self, self->s, "f", O_WRONLY | O_APPEND);
	fn = side_fd(self, self->n, "f", O_WRONLY | O_APPEND);
	ASSERT_LE(0, fs);
	EXPECT_EQ(1, pwrite(fs, "A", 1, 0));
	EXPECT_EQ(1, pwrite(fn, "A", 1, 0));
	close(fs);
	close(fn);

	/* O_APPEND switched on later with F_SETFL reaches the real file. */
	fs = side_fd(self, self->s, "f", O_WRONLY);
	fn = side_fd(self, self->n, "f", O_WRONLY);
	EXPECT_EQ(1, write(fs, "B", 1));
	EXPECT_EQ(1, write(fn, "B", 1));
	fl = fcntl(fs, F_GETFL);
	EXPECT_EQ(0, fcntl(fs, F_SETFL, fl | O_APPEND));
	EXPECT_EQ(0, fcntl(fn, F_SETFL, fl | O_APPEND));
	EXPECT_EQ(O_APPEND, fcntl(fs, F_GETFL) & O_APPEND);
	EXPECT_EQ(3, write(fs, "END", 3));
	EXPECT_EQ(3, write(fn, "END", 3));
	close(fs);
	close(fn);

	/* One write appended (RWF_APPEND) on a file opened without O_APPEND. */
	fs = side_fd(self, self->s, "f", O_WRONLY);
	fn = side_fd(self, self->n, "f", O_WRONLY);
	EXPECT_EQ(1, pwritev2(fs, &(struct iovec){ "C", 1 }, 1, 0, RWF_APPEND));
	EXPECT_EQ(1, pwritev2(fn, &(struct iovec){ "C", 1 }, 1, 0, RWF_APPEND));
	close(fs);
	close(fn);
	EXPECT_EQ(0, nfsc_sh("test \"$(cat %s/s/f)\" = BtartAENDC && cmp %s/s/f %s/n/f >&2",
			     self->e, self->e, self->e));
}

CONF_TEST(direct_io)
{
	void *w, *r1, *r2;
	int fs, fn;

	ASSERT_EQ(0, posix_memalign(&w, 4096, 1 << 20));
	ASSERT_EQ(0, posix_memalign(&r1, 4096, 1 << 20));
	ASSERT_EQ(0, posix_memalign(&r2, 4096, 1 << 20));
	memset(w, 0x5a, 1 << 20);
	fs = side_fd(self, self->s, "d", O_RDWR | O_CREAT | O_DIRECT);
	fn = side_fd(self, self->n, "d", O_RDWR | O_CREAT | O_DIRECT);
	ASSERT_LE(0, fs) TH_LOG("O_DIRECT open: %s", strerror(errno));
	ASSERT_LE(0, fn);
	EXPECT_EQ(1 << 20, pwrite(fs, w, 1 << 20, 0));
	EXPECT_EQ(1 << 20, pwrite(fn, w, 1 << 20, 0));
	EXPECT_EQ(1 << 20, pread(fs, r1, 1 << 20, 0));
	EXPECT_EQ(1 << 20, pread(fn, r2, 1 << 20, 0));
	EXPECT_EQ(0, memcmp(r1, w, 1 << 20));
	EXPECT_EQ(0, memcmp(r2, w, 1 << 20));
	/* F_SETFL can drop O_DIRECT, as on NFS. */
	EXPECT_EQ(0, fcntl(fs, F_SETFL, fcntl(fs, F_GETFL) & ~O_DIRECT));
	EXPECT_EQ(5, pwrite(fs, "plain", 5, 3));
	close(fs);
	close(fn);
	free(w);
	free(r1);
	free(r2);
}

CONF_TEST(splice_and_sendfile)
{
	char buf[4096];
	int fs, out, p[2];
	off_t off = 0;
	loff_t loff = 0;

	ASSERT_EQ(0, seed(self, "head -c 3000000 /dev/urandom > f"));
	fs = side_fd(self, self->s, "f", O_RDONLY);
	ASSERT_LE(0, fs);
	out = open("/tmp/sendfile.out", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, out);
	EXPECT_EQ(3000000, sendfile(out, fs, &off, 3000000 + 10));
	close(out);
	EXPECT_EQ(0, nfsc_sh("cmp /tmp/sendfile.out %s/s/f >&2", self->e));

	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(4096, splice(fs, &loff, p[1], NULL, 4096, 0));
	EXPECT_EQ(4096, read(p[0], buf, sizeof(buf)));
	close(fs);

	/* Splice into the stack: the data reaches NFS. */
	fs = side_fd(self, self->s, "spliced", O_WRONLY | O_CREAT);
	ASSERT_LE(0, fs);
	EXPECT_EQ(4096, write(p[1], buf, 4096));
	EXPECT_EQ(4096, splice(p[0], NULL, fs, NULL, 4096, 0));
	close(fs);
	close(p[0]);
	close(p[1]);
	EXPECT_EQ(0, nfsc_sh("cmp -n 4096 %s/s/spliced %s/s/f >&2", self->e, self->e));
}

CONF_TEST(mmap_private_shared_coherent)
{
	char *m, *ro;
	int fs, fr;

	ASSERT_EQ(0, seed(self, "head -c 65536 /dev/zero > f"));
	fs = side_fd(self, self->s, "f", O_RDWR);
	fr = side_fd(self, self->s, "f", O_RDONLY);
	ASSERT_LE(0, fs);
	ASSERT_LE(0, fr);

	/* A reader's shared mapping sees a writer's write() through the stack. */
	ro = mmap(NULL, 65536, PROT_READ, MAP_SHARED, fr, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(0, ro[100]);
	EXPECT_EQ(5, pwrite(fs, "hello", 5, 100));
	EXPECT_EQ(0, memcmp(ro + 100, "hello", 5));

	/* Shared writable mapping: the server gets the data after msync. */
	m = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fs, 0);
	ASSERT_NE(MAP_FAILED, m);
	memcpy(m + 4096, "mapped-write", 12);
	EXPECT_EQ(0, msync(m, 65536, MS_SYNC));
	EXPECT_EQ(0, memcmp(ro + 4096, "mapped-write", 12));
	EXPECT_EQ(0, nfsc_sh("dd if=%s/s/f bs=1 skip=4096 count=12 status=none | grep -q mapped-write",
			     self->e));
	munmap(m, 65536);

	/* Private mapping: changes stay private. */
	m = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE, fr, 0);
	ASSERT_NE(MAP_FAILED, m);
	memcpy(m + 200, "private", 7);
	EXPECT_NE(0, memcmp(ro + 200, "private", 7));
	munmap(m, 65536);
	munmap(ro, 65536);
	close(fs);
	close(fr);
}

CONF_TEST(seek_data_hole_fallocate)
{
	off_t rs, rn;
	int fs, fn, i;
	const int whence[] = { SEEK_DATA, SEEK_HOLE, SEEK_END, SEEK_DATA };
	const off_t where[] = { 0, 0, -3, 20 << 20 };

	ASSERT_EQ(0, seed(self, "truncate -s 8M f && printf data | dd of=f bs=1 seek=4194304 conv=notrunc status=none"));
	fs = side_fd(self, self->s, "f", O_RDWR);
	fn = side_fd(self, self->n, "f", O_RDWR);
	ASSERT_LE(0, fs);
	for (i = 0; i < 4; i++) {
		errno = 0;
		rs = lseek(fs, where[i], whence[i]);
		int es = errno;

		errno = 0;
		rn = lseek(fn, where[i], whence[i]);
		EXPECT_EQ(rn, rs) TH_LOG("whence %d", whence[i]);
		EXPECT_EQ(errno, es);
	}
	errno = 0;
	rs = fallocate(fs, 0, 0, 1 << 20);
	i = errno;
	errno = 0;
	rn = fallocate(fn, 0, 0, 1 << 20);
	EXPECT_EQ(rn, rs);
	EXPECT_EQ(errno, i);
	errno = 0;
	rs = fallocate(fs, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4194304, 2);
	i = errno;
	errno = 0;
	rn = fallocate(fn, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4194304, 2);
	EXPECT_EQ(rn, rs);
	EXPECT_EQ(errno, i);
	close(fs);
	close(fn);
	EXPECT_EQ(0, nfsc_sh("cmp %s/s/f %s/n/f >&2", self->e, self->e));
}

CONF_TEST(statfs_matches)
{
	struct statfs a, b;

	ASSERT_EQ(0, statfs(NFSC_STACK, &a));
	ASSERT_EQ(0, statfs(nfsc_env("NFSC_NFS"), &b));
	EXPECT_EQ(NFS_CACHEFS_SUPER_MAGIC, a.f_type);
	EXPECT_EQ(b.f_bsize, a.f_bsize);
	EXPECT_EQ(b.f_blocks, a.f_blocks);
	EXPECT_EQ(b.f_files, a.f_files);
	EXPECT_EQ(b.f_namelen, a.f_namelen);
	EXPECT_EQ(0, memcmp(&a.f_fsid, &b.f_fsid, sizeof(a.f_fsid)));
}

/* --- locks: they must reach NFS ------------------------------------------- */

/* Does another process, going straight to NFS, find the file locked? */
static int child_lock_result(const char *path, int use_flock)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int st, fd;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		fd = open(path, O_RDWR);
		if (fd < 0)
			_exit(100);
		if (use_flock)
			_exit(flock(fd, LOCK_EX | LOCK_NB) ? errno : 0);
		_exit(fcntl(fd, F_SETLK, &fl) ? errno : 0);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * A file grown on the server since the client last looked: the open's
 * revalidation makes the new size NFS's, and the stack's inode follows at
 * once, for what trusts the open file's inode (copy_file_range(),
 * FIONREAD) rather than asking with stat.
 */
CONF_TEST(size_grown_on_the_server_is_seen_at_open)
{
	long copied[2], avail[2];
	struct stat st;
	int fd, out, i, n;

	ASSERT_EQ(0, seed(self, "printf 1234 > g"));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, stat(P(self, i ? self->n : self->s, "g"), &st));
	ASSERT_EQ(0, nfsc_sh("printf 56789 >> %s/s/g && printf 56789 >> %s/n/g",
			     self->e, self->e));
	for (i = 0; i < 2; i++) {
		fd = open(P(self, i ? self->n : self->s, "g"), O_RDONLY);
		ASSERT_LE(0, fd);
		/* On the same side: a copy across filesystems is EXDEV. */
		out = open(P(self, i ? self->n : self->s, "g.out"),
			   O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ASSERT_LE(0, out);
		n = -1;
		EXPECT_EQ(0, ioctl(fd, FIONREAD, &n));
		avail[i] = n;
		copied[i] = copy_file_range(fd, NULL, out, NULL, 100, 0);
		close(out);
		close(fd);
	}
	EXPECT_EQ(9, avail[1]);
	EXPECT_EQ(9, copied[1]);
	EXPECT_EQ(avail[1], avail[0]);
	EXPECT_EQ(copied[1], copied[0]);
}

/*
 * A refusal of the stack's own: a lease (F_SETLEASE) on it would
 * be broken by opens through the stack alone, never by another client's
 * writes, so none is granted.
 */
CONF_TEST(leases_are_refused)
{
	int fd;

	ASSERT_EQ(0, seed(self, "echo l > l"));
	fd = open(P(self, self->s, "l"), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, fcntl(fd, F_SETLEASE, F_RDLCK));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(F_UNLCK, fcntl(fd, F_GETLEASE));
	close(fd);
}

CONF_TEST(posix_and_flock_locks_reach_nfs)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	const char *direct;
	struct stat st, est;
	int fs, fs2;

	ASSERT_EQ(0, seed(self, "echo lockme > f"));
	direct = P(self, self->n, "../s/f");
	fs = side_fd(self, self->s, "f", O_RDWR);
	ASSERT_LE(0, fs);
	ASSERT_EQ(0, fstat(fs, &st));

	EXPECT_EQ(0, child_lock_result(direct, 0));
	EXPECT_EQ(0, fcntl(fs, F_SETLK, &fl));
	EXPECT_EQ(EAGAIN, child_lock_result(direct, 0));
	/* The server holds it: nfsd's lock on the exported file's own inode. */
	ASSERT_EQ(0, stat(P(self, self->e, "s/f"), &est));
	EXPECT_EQ(0, nfsc_sh("grep -q ' %02x:%02x:%lu ' /proc/locks",
			     major(est.st_dev), minor(est.st_dev),
			     (unsigned long)est.st_ino))
		nfsc_sh("cat /proc/locks >&2");
	fl.l_type = F_UNLCK;
	EXPECT_EQ(0, fcntl(fs, F_SETLK, &fl));
	EXPECT_EQ(0, child_lock_result(direct, 0));

	/* Closing any fd of the file drops the process's POSIX locks. */
	fl.l_type = F_WRLCK;
	EXPECT_EQ(0, fcntl(fs, F_SETLK, &fl));
	fs2 = side_fd(self, self->s, "f", O_RDONLY);
	close(fs2);
	EXPECT_EQ(0, child_lock_result(direct, 0));

	/* F_GETLK through the stack reports no conflict for its own lock. */
	fl.l_type = F_WRLCK;
	EXPECT_EQ(0, fcntl(fs, F_SETLK, &fl));
	EXPECT_EQ(EAGAIN, child_lock_result(direct, 0));
	EXPECT_EQ(0, fcntl(fs, F_GETLK, &fl));
	EXPECT_EQ(F_UNLCK, fl.l_type);
	fl.l_type = F_UNLCK;
	EXPECT_EQ(0, fcntl(fs, F_SETLK, &fl));
	EXPECT_EQ(0, child_lock_result(direct, 0));

	/* flock() locks reach NFS too. */
	EXPECT_EQ(0, flock(fs, LOCK_EX | LOCK_NB));
	EXPECT_EQ(EWOULDBLOCK, child_lock_result(direct, 1));
	EXPECT_EQ(0, flock(fs, LOCK_UN));
	EXPECT_EQ(0, child_lock_result(direct, 1));
	EXPECT_EQ(0, flock(fs, LOCK_EX));
	close(fs);
	/* A flock dies with the last close of its file. */
	EXPECT_EQ(0, child_lock_result(direct, 1));
}

TEST_HARNESS_MAIN
