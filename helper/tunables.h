/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_TUNABLES_H
#define NFSC_HELPER_TUNABLES_H

/* nfscache-helper set|get ...: argv[0] is the command. Exit status. */
int cmd_set(int argc, char **argv);
int cmd_get(int argc, char **argv);

/* The names of the writable per-mount tunables, NULL-terminated. */
extern const char *const nfsc_tunable_keys[];

#endif
