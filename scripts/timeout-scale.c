// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for scripts/check-debug: multiplies the seconds a VM test
 * program passes to alarm() by NFSC_TIMEOUT_SCALE. The kselftest harness
 * arms each test's timeout (TEST_F_TIMEOUT, compiled into the program) with
 * alarm(); under the debug kernel the same work takes several times longer,
 * and the tests stay as they are for Debian's kernels. Only programs named
 * *_test are scaled, so fio, stress-ng and the helper keep their own timers.
 *
 *   gcc -shared -fPIC -O2 -o timeout-scale.so scripts/timeout-scale.c -ldl
 *   LD_PRELOAD=./timeout-scale.so NFSC_TIMEOUT_SCALE=4 build/tests/vm/x_test
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned int scale = 1;

__attribute__((constructor)) static void timeout_scale_init(void)
{
	const char *name = program_invocation_short_name;
	const char *s = getenv("NFSC_TIMEOUT_SCALE");
	size_t len = strlen(name);
	long v;

	if (!s || len < 5 || strcmp(name + len - 5, "_test"))
		return;
	v = strtol(s, NULL, 10);
	if (v > 1 && v <= 100)
		scale = v;
}

unsigned int alarm(unsigned int seconds)
{
	static unsigned int (*real_alarm)(unsigned int);

	if (!real_alarm) {
		real_alarm = (unsigned int (*)(unsigned int))dlsym(RTLD_NEXT, "alarm");
		if (!real_alarm) {
			errno = ENOSYS;
			return 0;
		}
	}
	return real_alarm(seconds * scale);
}
