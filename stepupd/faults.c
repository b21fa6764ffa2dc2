/* Test-only (stepupd-faults): STEPUPD_FAULT=NAME[:N] ends the process with _exit(99) the
 * N-th time (default: the first) execution reaches su_fault_point("NAME").  _exit skips
 * every destructor and flush, as close to a power cut as a process can get by itself. */
#include "faults.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void su_fault_point(const char *name)
{
        /* The test twin's one counter (never in the installed stepupd); atomic: threads. */
        static unsigned long hits;
        const char *want = getenv("STEPUPD_FAULT");
        if (!want || !name)
                return;
        size_t n = strcspn(want, ":");
        if (strlen(name) != n || strncmp(want, name, n) != 0)
                return;
        unsigned long nth = want[n] == ':' ? strtoul(want + n + 1, NULL, 10) : 1;
        if (__atomic_add_fetch(&hits, 1, __ATOMIC_SEQ_CST) >= (nth ? nth : 1))
                _exit(99);
}
