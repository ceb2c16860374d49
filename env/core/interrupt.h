/* interrupt.h: one process-wide "stop waiting" flag for the backends' long waits. */
#ifndef KISIM_INTERRUPT_H
#define KISIM_INTERRUPT_H

/* Asks long waits inside env calls (the local backend's wall-time intervals) to stop: the call
 * in progress returns KISIM_ESTATE "interrupted by a signal". Async-signal-safe, for the CLI's
 * SIGINT/SIGTERM handlers; env_interrupt_clear() undoes it. */
void env_interrupt(void);
int env_interrupted(void);
void env_interrupt_clear(void);

#endif
