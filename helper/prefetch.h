/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_PREFETCH_H
#define NFSC_HELPER_PREFETCH_H

/* nfscache-helper prefetch|invalidate PATH...: argv[0] is the command. */
int cmd_prefetch(int argc, char **argv);
int cmd_invalidate(int argc, char **argv);

#endif
