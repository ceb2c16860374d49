/* json_str.h: a C string as a JSON string literal, for the writers that build JSON by hand on a
 * hot path (the BatchScore client's request header, the extender's answers). */
#ifndef KISIM_JSON_STR_H
#define KISIM_JSON_STR_H

#include <stddef.h>

/* Bytes json_str_put may write for s: the quotes, and 6 per byte at most ("\u00XX"). */
size_t json_str_cap(const char *s);
/* Writes s quoted at dst, escaping '"', '\' and control bytes (< 0x20, as \u00XX); other bytes
 * as they are. dst holds json_str_cap(s) bytes; no terminating NUL. Returns the bytes written. */
size_t json_str_put(char *dst, const char *s);

#endif
