// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: kernel version resolution and `make install`/`uninstall` into a
 * DESTDIR (nothing touches this machine's own module tree). Needs the 6.1
 * module built by scripts/build-kmod (make check does that first).
 */
#include <sys/stat.h>

#include "../lib/nfsc_test.h"
#include "kselftest_harness.h"

TEST(kver_resolves_series)
{
	char out[256];

	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "scripts/kver 6.1"));
	EXPECT_EQ(0, strncmp(out, "6.1.", 4)) TH_LOG("6.1 -> %s", out);
	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "scripts/kver 6.12"));
	EXPECT_EQ(0, strncmp(out, "6.12.", 5)) TH_LOG("6.12 -> %s", out);
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out), "scripts/kver 9.9"));
	EXPECT_NE(NULL, strstr(out, "no installed headers for kernel '9.9'"));
}

FIXTURE(destdir) {
	char dir[64];
	char kver[128];
	char ko[512];
};

FIXTURE_SETUP(destdir)
{
	char out[256];

	strcpy(self->dir, "/tmp/nfsc-install-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "scripts/kver 6.1"));
	out[strcspn(out, "\n")] = '\0';
	strcpy(self->kver, out);
	snprintf(self->ko, sizeof(self->ko), "build/%s/kmod/nfs_cachefs.ko",
		 self->kver);
	ASSERT_EQ(0, access(self->ko, R_OK)) TH_LOG("%s not built", self->ko);
}

FIXTURE_TEARDOWN(destdir)
{
	nfsc_sh("rm -rf %s", self->dir);
}

TEST_F(destdir, install_uninstall)
{
	char path[512], out[4096];
	struct stat st;

	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out),
				 "make -s install DESTDIR=%s KVER=6.1 MODULE=%s",
				 self->dir, self->ko)) TH_LOG("%s", out);

	snprintf(path, sizeof(path), "%s/lib/modules/%s/updates/nfs_cachefs.ko",
		 self->dir, self->kver);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0644, st.st_mode & 07777);
	snprintf(path, sizeof(path), "%s/usr/local/sbin/nfscache-helper",
		 self->dir);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0755, st.st_mode & 07777);
	EXPECT_EQ(0, nfsc_sh("grep -q '^updates/nfs_cachefs.ko:' %s/lib/modules/%s/modules.dep",
			     self->dir, self->kver));
	/* The unit runs the helper where it was installed. */
	EXPECT_EQ(0, nfsc_sh("grep -qx 'ExecStart=/usr/local/sbin/nfscache-helper run' "
			     "%s/usr/local/lib/systemd/system/nfscache-helper.service",
			     self->dir));
	EXPECT_EQ(0, nfsc_sh("grep -qx nfs_cachefs "
			     "%s/usr/local/share/doc/nfs_cachefs/modules-load.d-nfs_cachefs.conf",
			     self->dir));
	EXPECT_EQ(0, nfsc_sh("test -s %s/usr/local/share/man/man8/nfscache-helper.8 && "
			     "test -s %s/usr/local/share/man/man5/nfs_cachefs.5",
			     self->dir, self->dir));
	/*
	 * The example configuration is one the helper accepts: it reads it
	 * and gets as far as the module, which is not loaded here.
	 */
	EXPECT_EQ(1, nfsc_sh_out(out, sizeof(out),
				 "helper/nfscache-helper run --config "
				 "%s/usr/local/share/doc/nfs_cachefs/nfscache-helper.conf.example",
				 self->dir));
	EXPECT_NE(NULL, strstr(out, "module is not loaded")) TH_LOG("%s", out);

	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out),
				 "make -s uninstall DESTDIR=%s KVER=6.1",
				 self->dir)) TH_LOG("%s", out);
	EXPECT_NE(0, access(path, F_OK));
	EXPECT_NE(0, nfsc_sh("test -e %s/usr/local/lib/systemd/system/nfscache-helper.service",
			     self->dir));
	EXPECT_NE(0, nfsc_sh("grep -q nfs_cachefs %s/lib/modules/%s/modules.dep",
			     self->dir, self->kver));
}

/* A module built for another kernel is refused, not installed. */
TEST_F(destdir, install_refuses_wrong_kernel)
{
	char out[4096];

	EXPECT_NE(0, nfsc_sh_out(out, sizeof(out),
				 "make -s install DESTDIR=%s KVER=6.12 MODULE=%s",
				 self->dir, self->ko));
	EXPECT_NE(NULL, strstr(out, "not KVER=6.12"));
	EXPECT_NE(0, nfsc_sh("find %s -name nfs_cachefs.ko | grep -q .",
			     self->dir));
}

TEST_HARNESS_MAIN
