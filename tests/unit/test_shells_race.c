/* su_path_is_shell's cache of /etc/shells under stepupd's parallel event loops: threads ask
 * while the file is rewritten.  A shell listed in every version must always be found, and
 * the cache must never be read while another thread rebuilds it (ASan in tools/test sees a
 * freed entry; without ASan, a half-built list answers "not a shell"). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "policy.h"

#define THREADS 4
#define REWRITES 300

static char dir[] = "/tmp/test-shells-race.XXXXXX";
static char file[512];
static atomic_bool stop;
static atomic_long misses, asks;

static void *asker(void *arg)
{
        (void)arg;
        while (!atomic_load(&stop)) {
                if (!su_path_is_shell("/bin/always", file))
                        atomic_fetch_add(&misses, 1);
                atomic_fetch_add(&asks, 1);
        }
        return NULL;
}

/* Version i of the file: always the same first shell, then i % 7 others (so its size, and
 * with the rename its inode, change every time). */
static void rewrite(int i)
{
        char tmp[600];
        snprintf(tmp, sizeof(tmp), "%s.new", file);
        FILE *f = fopen(tmp, "w");
        if (!f)
                abort();
        fprintf(f, "# version %d\n/bin/always\n", i);
        for (int k = 0; k < i % 7; k++)
                fprintf(f, "/usr/bin/shell%d\n", k);
        if (fclose(f) != 0 || rename(tmp, file) != 0)
                abort();
}

int main(void)
{
        if (!mkdtemp(dir))
                return 1;
        snprintf(file, sizeof(file), "%s/shells", dir);
        rewrite(0);
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++)
                if (pthread_create(&t[i], NULL, asker, NULL) != 0)
                        return 1;
        for (int i = 1; i <= REWRITES; i++) {
                rewrite(i);
                usleep(500);
        }
        atomic_store(&stop, true);
        for (int i = 0; i < THREADS; i++)
                pthread_join(t[i], NULL);
        printf("%ld asks during %d rewrites, %ld misses\n", atomic_load(&asks), REWRITES,
               atomic_load(&misses));
        CHECK(atomic_load(&asks) > 1000);
        CHECK_INT(atomic_load(&misses), 0);
        /* and the cache follows the file: a shell added later is seen */
        CHECK(!su_path_is_shell("/usr/bin/late", file));
        FILE *f = fopen(file, "a");
        if (!f || fprintf(f, "/usr/bin/late\n") < 0 || fclose(f) != 0)
                return 1;
        CHECK(su_path_is_shell("/usr/bin/late", file));
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", dir);
        return check_done();
}
