/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_STATUS_H
#define NFSC_HELPER_STATUS_H

/* nfscache-helper status [--json] [--state FILE]: exit status. */
int cmd_status(int argc, char **argv);

#endif
