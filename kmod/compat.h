/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference the module depends on, in one place.
 *
 * The NFSC_* symbols come from header probes in kmod/Kbuild, not from
 * LINUX_VERSION_CODE: stable updates backport API changes (Debian's 6.12
 * has the const struct file * variant of backing_file_open()).
 */
#ifndef _NFS_CACHEFS_COMPAT_H
#define _NFS_CACHEFS_COMPAT_H

#include <linux/fs.h>
#include <linux/cred.h>
#include <linux/path.h>

#ifdef NFSC_HAVE_BACKING_FILE
#include <linux/backing-file.h>
#endif

/*
 * Inode operations take the mount's idmapping: struct mnt_idmap from 6.3,
 * struct user_namespace before. The stack never maps ids itself, so it
 * only passes the "no mapping" value down to the lower inode. Code names
 * the type as struct nfsc_idmap.
 */
#ifdef NFSC_HAVE_MNT_IDMAP
#define nfsc_idmap	mnt_idmap
#define NFSC_NOP_IDMAP	(&nop_mnt_idmap)
#else
#define nfsc_idmap	user_namespace
#define NFSC_NOP_IDMAP	(&init_user_ns)
#endif

/**
 * nfsc_open_real - open the real file behind a file of the stack
 * @user_file: the nfs_cachefs file being opened
 * @flags: open flags for the real file
 * @real_path: path of the real file (NFS or cache object)
 * @cred: credentials to open with
 *
 * 6.12 has backing files (FMODE_BACKING, user path kept for /proc); 6.1
 * opens with a fake path and finds the real dentry through d_real.
 */
static inline struct file *nfsc_open_real(const struct file *user_file,
					  int flags,
					  const struct path *real_path,
					  const struct cred *cred)
{
#if defined(NFSC_BACKING_FILE_OPEN_TAKES_FILE)
	return backing_file_open(user_file, flags, real_path, cred);
#elif defined(NFSC_HAVE_BACKING_FILE)
	return backing_file_open(&user_file->f_path, flags, real_path, cred);
#else
	return open_with_fake_path(&user_file->f_path, flags,
				   d_inode(real_path->dentry), cred);
#endif
}

#endif /* _NFS_CACHEFS_COMPAT_H */
