/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_CONFIG_H
#define NFSC_HELPER_CONFIG_H

#include <getopt.h>
#include <stdbool.h>

#define NFSC_CONFIG_DEFAULT "/etc/nfscache-helper.conf"

/* A configuration file's lines as "--key=value" arguments. */
struct nfsc_config {
	char **args;
	int n;
};

/*
 * Read @path (a missing one is fine unless @must_exist), checking each key
 * against @opts. 0; 1 when a line is wrong (said on stderr); or -errno.
 */
int nfsc_config_load(struct nfsc_config *cfg, const char *path, bool must_exist,
		     const struct option *opts);
void nfsc_config_free(struct nfsc_config *cfg);

#endif
