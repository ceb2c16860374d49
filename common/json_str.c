/* json_str.c: JSON string literals (json_str.h). */
#include "common/json_str.h"

#include <string.h>

size_t json_str_cap(const char *s)
{
    return 2 + 6 * strlen(s);
}

size_t json_str_put(char *dst, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    char *p = dst;
    *p++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20) {
            memcpy(p, "\\u00", 4);
            p[4] = hex[c >> 4], p[5] = hex[c & 15];
            p += 6;
        } else {
            *p++ = (char)c;
        }
    }
    *p++ = '"';
    return (size_t)(p - dst);
}
