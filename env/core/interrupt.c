/* interrupt.c: the flag of interrupt.h. A lock-free atomic is async-signal-safe and also safe to
 * read from the env server's threads. */
#include "env/core/interrupt.h"

#include <stdatomic.h>

static atomic_int interrupted;

void env_interrupt(void)
{
    atomic_store(&interrupted, 1);
}

int env_interrupted(void)
{
    return atomic_load(&interrupted);
}

void env_interrupt_clear(void)
{
    atomic_store(&interrupted, 0);
}
