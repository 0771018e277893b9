/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_NL_H
#define NFSC_HELPER_NL_H

struct nfsc_family_info {
	int id;
	unsigned int version;
};

/* 0, -ENOENT when the module is not loaded, or another negative errno. */
int nfsc_nl_family_info(struct nfsc_family_info *info);

#endif
