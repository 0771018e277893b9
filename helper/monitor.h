/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_MONITOR_H
#define NFSC_HELPER_MONITOR_H

/* nfscache-helper monitor [--json]: argv[0] is "monitor". Exit status. */
int cmd_monitor(int argc, char **argv);

#endif
