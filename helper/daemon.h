/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_DAEMON_H
#define NFSC_HELPER_DAEMON_H

#define EXIT_USAGE 2

/* nfscache-helper run [OPTION]...: argv[0] is "run". Exit status. */
int cmd_run(int argc, char **argv);

/* nfscache-helper cull [OPTION]...: one culling pass now. Exit status. */
int cmd_cull(int argc, char **argv);

#endif
