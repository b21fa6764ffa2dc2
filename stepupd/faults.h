/* Fault-injection points for the crash-safety tests (tests/adversarial/test_crash.c).
 *
 * In stepupd every su_fault_point() is an empty inline function.  The test-only twin
 * stepupd-faults is built from the same sources with -DSTEPUP_FAULTS and links faults.c,
 * which ends the process with _exit(99) at the point named by STEPUPD_FAULT. */
#pragma once

#ifdef STEPUP_FAULTS
void su_fault_point(const char *name);
#else
static inline void su_fault_point(const char *name)
{
        (void)name;
}
#endif
