/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfs_cachefs: private declarations shared by the module's files.
 *
 * Include this first in every .c file: it sets pr_fmt.
 */
#ifndef _NFS_CACHEFS_INTERNAL_H
#define _NFS_CACHEFS_INTERNAL_H

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/nfs_cachefs.h>

#include "compat.h"

/* genl.c */
int nfsc_genl_init(void);
void nfsc_genl_exit(void);

#endif /* _NFS_CACHEFS_INTERNAL_H */
