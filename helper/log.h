/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NFSC_HELPER_LOG_H
#define NFSC_HELPER_LOG_H

#include <stdarg.h>
#include <stdio.h>

/* One line to stderr, "nfscache-helper: " first: the daemon's log. */
static inline void nfsc_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void nfsc_say(const char *fmt, ...)
{
	va_list ap;

	fputs("nfscache-helper: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#endif
