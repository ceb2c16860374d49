/* bigbuf.h: zeroed buffers for large activations, on transparent huge pages where the kernel
 * allows it. On this project's KVM guests a 4 KiB page fault costs 15-20 us, so the first touch
 * of a 1,000-node attention scorer's 15 MB of activations took 70 ms, four forward passes' worth;
 * with 2 MiB pages it is the cost of zeroing them. */
#ifndef KISIM_BIGBUF_H
#define KISIM_BIGBUF_H

#include <stddef.h>

/* Like calloc(n, size), freed with free(). At 2 MiB and more: 2 MiB-aligned, advised
 * MADV_HUGEPAGE (ignored where THP is off) and zeroed now, so its pages are in place before
 * the first forward pass rather than faulted in during it. NULL on overflow or OOM. */
void *bigbuf_calloc(size_t n, size_t size);

#endif
