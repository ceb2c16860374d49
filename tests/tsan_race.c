/* tsan_race: the ThreadSanitizer live-check (built only with -DKISIM_TSAN=ON). Two threads
 * increment a plain int with no synchronisation: a data race TSan must report. The test passes
 * only if the output holds "WARNING: ThreadSanitizer: data race" (tests/CMakeLists.txt), so a
 * TSan pass that silently stopped instrumenting fails here. Never fix this race. */
#include <pthread.h>
#include <stdio.h>

static int counter; /* deliberately not atomic */

static void *bump(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100000; i++)
        counter++;
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    if (pthread_create(&a, NULL, bump, NULL) || pthread_create(&b, NULL, bump, NULL)) return 1;
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("counter %d (a race: TSan must have reported it)\n", counter);
    return 0;
}
