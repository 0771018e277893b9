/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_VERIFY_H
#define NFSC_HELPER_VERIFY_H

/* nfscache-helper verify [--json]: exit status. */
int cmd_verify(int argc, char **argv);

#endif
