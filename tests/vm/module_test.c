// SPDX-License-Identifier: GPL-2.0
/*
 * VM test: the module loads and unloads, registers its filesystem type and
 * generic netlink family, installs with `make install` and loads through
 * modprobe. Needs NFSC_KO and NFSC_KVER from scripts/vm-guest.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/nfs_cachefs.h>

#include "../lib/nfsc_test.h"
#include "kselftest_harness.h"

#define MODNAME "nfs_cachefs"

static int module_loaded(void)
{
	return access("/sys/module/" MODNAME, F_OK) == 0;
}

static int load_module(void)
{
	const char *ko = getenv("NFSC_KO");
	int fd, ret;

	if (!ko)
		return -EINVAL;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int unload_module(void)
{
	return syscall(SYS_delete_module, MODNAME, O_NONBLOCK) ? -errno : 0;
}

FIXTURE(mod) {
	int dummy;
};

FIXTURE_SETUP(mod)
{
	ASSERT_NE(NULL, getenv("NFSC_KO"));
	if (module_loaded())
		ASSERT_EQ(0, unload_module());
}

FIXTURE_TEARDOWN(mod)
{
	if (module_loaded())
		unload_module();
}

TEST_F(mod, load_unload)
{
	int version = -1;

	ASSERT_FALSE(nfsc_fs_registered(NFS_CACHEFS_FS_NAME));
	ASSERT_EQ(-ENOENT, nfsc_genl_family_version(NFS_CACHEFS_GENL_NAME,
						    &version));

	ASSERT_EQ(0, load_module());
	ASSERT_TRUE(module_loaded());
	EXPECT_TRUE(nfsc_fs_registered(NFS_CACHEFS_FS_NAME));
	EXPECT_EQ(0, nfsc_genl_family_version(NFS_CACHEFS_GENL_NAME, &version));
	EXPECT_EQ(NFS_CACHEFS_GENL_VERSION, version);

	ASSERT_EQ(0, unload_module());
	EXPECT_FALSE(module_loaded());
	EXPECT_FALSE(nfsc_fs_registered(NFS_CACHEFS_FS_NAME));
	EXPECT_EQ(-ENOENT, nfsc_genl_family_version(NFS_CACHEFS_GENL_NAME,
						    &version));
}

TEST_F(mod, load_twice_is_eexist)
{
	ASSERT_EQ(0, load_module());
	EXPECT_EQ(-EEXIST, load_module());
	EXPECT_EQ(0, unload_module());
}

TEST_F(mod, reload_cycles)
{
	int i, version;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, load_module());
		ASSERT_EQ(0, nfsc_genl_family_version(NFS_CACHEFS_GENL_NAME,
						      &version));
		ASSERT_EQ(0, unload_module());
	}
}

TEST_F(mod, helper_reports_module)
{
	char out[4096], want[32];

	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out),
				 "helper/nfscache-helper --version"));
	EXPECT_NE(NULL, strstr(out, "kernel module: not loaded"));

	ASSERT_EQ(0, load_module());
	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out),
				 "helper/nfscache-helper --version"));
	EXPECT_NE(NULL, strstr(out, "kernel module: loaded"));
	snprintf(want, sizeof(want), "protocol %d", NFS_CACHEFS_GENL_VERSION);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_EQ(0, unload_module());
}

/*
 * make install into the guest's module tree and /usr/local/sbin, then
 * modprobe. The unit, man pages and examples go where the variables say
 * (the guest's /usr/local is read-only).
 */
#define INSTALL_DIRS "UNITDIR=/tmp/nfsc-unit MANDIR=/tmp/nfsc-man DOCDIR=/tmp/nfsc-doc"

/*
 * make install's depmod -a reads every module of the tree: minutes under
 * TCG (6.12's 4 000 are xz). Over the guest's tree, in a mount namespace
 * of the test's own, goes a tmpfs with the kernel's lists of built-in
 * modules and its build link alone, so that the real install path takes
 * seconds and leaves the guest's tree as it was.
 */
static int own_module_tree(const char *kver)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	return nfsc_sh("set -e; t=$(mktemp -d); m=/lib/modules/%s; "
		       "cp -P $m/modules.builtin* $m/modules.order $m/build $t; "
		       "mount -t tmpfs -o mode=0755 nfsc-modules $m; "
		       "cp -P $t/* $m; rm -r $t", kver) ? -EIO : 0;
}

TEST_F_TIMEOUT(mod, install_modprobe_uninstall, 240)
{
	const char *kver = getenv("NFSC_KVER");
	const char *ko = getenv("NFSC_KO");
	char out[8192];
	int version;

	ASSERT_NE(NULL, kver);
	ASSERT_EQ(0, own_module_tree(kver));
	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out),
				 "make -s install KVER=%s MODULE=%s " INSTALL_DIRS, kver, ko))
		TH_LOG("%s", out);
	ASSERT_EQ(0, access("/usr/local/sbin/nfscache-helper", X_OK));
	EXPECT_EQ(0, nfsc_sh("grep -qx 'ExecStart=/usr/local/sbin/nfscache-helper run' "
			     "/tmp/nfsc-unit/nfscache-helper.service"));

	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "modprobe " MODNAME))
		TH_LOG("%s", out);
	EXPECT_TRUE(module_loaded());
	EXPECT_EQ(0, nfsc_genl_family_version(NFS_CACHEFS_GENL_NAME, &version));
	EXPECT_EQ(0, nfsc_sh_out(out, sizeof(out),
				 "nfscache-helper --version | grep -q 'kernel module: loaded'"));

	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out), "modprobe -r " MODNAME))
		TH_LOG("%s", out);
	EXPECT_FALSE(module_loaded());
	EXPECT_EQ(-ENOENT, nfsc_genl_family_version(NFS_CACHEFS_GENL_NAME,
						    &version));

	ASSERT_EQ(0, nfsc_sh_out(out, sizeof(out),
				 "make -s uninstall KVER=%s " INSTALL_DIRS, kver))
		TH_LOG("%s", out);
	EXPECT_NE(0, nfsc_sh_out(out, sizeof(out), "modprobe " MODNAME));
	EXPECT_NE(0, access("/usr/local/sbin/nfscache-helper", F_OK));
	EXPECT_NE(0, access("/tmp/nfsc-unit/nfscache-helper.service", F_OK));
}

TEST_HARNESS_MAIN
