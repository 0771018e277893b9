/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_PREFETCH_H
#define NFSC_HELPER_PREFETCH_H

/*
 * Files prefetch has open at once, each from its open to the end of its
 * fill. A file waiting closed for its fill can lose its NFS delegation
 * (6.1 hands back those of closed files on CB_RECALL_ANY), and the fill
 * then sends OPEN for it again; held open, it keeps it. This bounds how
 * far the walk gets ahead of the fills.
 */
#define PREFETCH_HELD 64

/* nfscache-helper prefetch|invalidate PATH...: argv[0] is the command. */
int cmd_prefetch(int argc, char **argv);
int cmd_invalidate(int argc, char **argv);

#endif
