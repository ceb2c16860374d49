/* json_strict.c: see json_strict.h. The scan is a loop over the bytes with an explicit stack of
 * open containers (at most max_depth), so neither a deep nor a long document costs more than its
 * length in time and nothing in memory; cJSON runs only on text that passed. */
#include "common/json_strict.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const json_limits json_default_limits = {JSON_MAX_BYTES, JSON_MAX_VALUES, JSON_MAX_DEPTH};

/* cJSON copies at most 63 characters of a number before strtod (and fails on a longer one), so
 * longer numbers are refused here with a message that says so; %.17g needs 24. */
#define NUMBER_MAX_CHARS 63

typedef struct {
    const unsigned char *p, *start, *end;
    json_error *e;
    json_fault kind; /* of the next failure: JSON_SYNTAX unless a limit is hit */
} scan;

static void verror(json_error *e, json_fault kind, size_t at, const char *fmt, va_list ap)
{
    if (!e) return;
    e->kind = kind;
    e->at = at;
    e->pointer[0] = 0;
    vsnprintf(e->reason, sizeof e->reason, fmt, ap);
    if (at == JSON_NO_OFFSET)
        snprintf(e->text, sizeof e->text, "%s", e->reason);
    else
        snprintf(e->text, sizeof e->text, "at byte %zu: %s", at, e->reason);
}

static void set_error(json_error *e, json_fault kind, size_t at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(e, kind, at, fmt, ap);
    va_end(ap);
}

static int scan_fail(scan *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(s->e, s->kind, (size_t)(s->p - s->start), fmt, ap);
    va_end(ap);
    return -1;
}

static void skip_ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hex4(scan *s, unsigned *out)
{
    if (s->end - s->p < 4) return scan_fail(s, "a \\u escape needs four hex digits");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = s->p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return scan_fail(s, "a \\u escape needs four hex digits");
        v = v << 4 | d;
    }
    s->p += 4;
    *out = v;
    return 0;
}

/* After the backslash. A \u0000 would cut the name at the NUL in every C consumer. */
static int scan_escape(scan *s)
{
    if (s->p >= s->end) return scan_fail(s, "unterminated string");
    unsigned char c = *s->p++;
    if (strchr("\"\\/bfnrt", c) && c) return 0;
    if (c != 'u') return scan_fail(s, "invalid escape \\%c", c >= 0x20 && c < 0x7f ? c : '?');
    unsigned u;
    if (hex4(s, &u)) return -1;
    if (u == 0) return scan_fail(s, "\\u0000 in a string");
    if (u >= 0xDC00 && u <= 0xDFFF) return scan_fail(s, "a low surrogate without a high one");
    if (u >= 0xD800 && u <= 0xDBFF) {
        if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
            return scan_fail(s, "a high surrogate without a low one");
        s->p += 2;
        if (hex4(s, &u)) return -1;
        if (u < 0xDC00 || u > 0xDFFF) return scan_fail(s, "a high surrogate without a low one");
    }
    return 0;
}

/* One UTF-8 sequence starting at a byte >= 0x80: no overlong forms, no encoded surrogates,
 * nothing past U+10FFFF (RFC 3629). */
static int scan_utf8(scan *s)
{
    unsigned c = *s->p;
    int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 ? 1 : -1;
    if (n < 0 || c > 0xF4 || s->end - s->p <= n) return scan_fail(s, "invalid UTF-8");
    unsigned cp = c & (0x3F >> n);
    for (int i = 1; i <= n; i++) {
        if ((s->p[i] & 0xC0) != 0x80) return scan_fail(s, "invalid UTF-8");
        cp = cp << 6 | (s->p[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return scan_fail(s, "invalid UTF-8");
    s->p += n + 1;
    return 0;
}

/* At the opening quote. */
static int scan_string(scan *s)
{
    s->p++;
    while (s->p < s->end) {
        unsigned char c = *s->p;
        if (c == '"') {
            s->p++;
            return 0;
        }
        if (c < 0x20) return scan_fail(s, "control character 0x%02x in a string", c);
        if (c == '\\') {
            s->p++;
            if (scan_escape(s)) return -1;
        } else if (c >= 0x80) {
            if (scan_utf8(s)) return -1;
        } else {
            s->p++;
        }
    }
    return scan_fail(s, "unterminated string");
}

static int digits(scan *s)
{
    const unsigned char *b = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > b;
}

static int scan_number(scan *s)
{
    const unsigned char *b = s->p;
    if (*s->p == '-') s->p++;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (!digits(s))
        return scan_fail(s, "invalid number");
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!digits(s)) return scan_fail(s, "invalid number (no digit after '.')");
    }
    int exponent = s->p < s->end && (*s->p == 'e' || *s->p == 'E');
    if (exponent) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
        if (!digits(s)) return scan_fail(s, "invalid number (no digit in the exponent)");
    }
    size_t n = (size_t)(s->p - b);
    if (n > NUMBER_MAX_CHARS)
        return scan_fail(s, "number of %zu characters, more than %d", n, NUMBER_MAX_CHARS);
    if (!exponent) return 0; /* at most 63 digits: below 1e64, always finite */
    char tmp[NUMBER_MAX_CHARS + 1];
    memcpy(tmp, b, n);
    tmp[n] = 0;
    if (isinf(strtod(tmp, NULL))) return scan_fail(s, "number %s is out of range", tmp);
    return 0;
}

static int scan_literal(scan *s)
{
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(s->end - s->p) >= n && !memcmp(s->p, words[i], n)) {
            s->p += n;
            return 0;
        }
    }
    return scan_fail(s, "unexpected character '%c'", *s->p >= 0x20 && *s->p < 0x7f ? *s->p : '?');
}

/* At a key's opening quote: the key, the colon and the whitespace before the value. */
static int scan_key(scan *s)
{
    if (s->p >= s->end || *s->p != '"') return scan_fail(s, "expected a string key");
    if (scan_string(s)) return -1;
    skip_ws(s);
    if (s->p >= s->end || *s->p != ':') return scan_fail(s, "expected ':' after a key");
    s->p++;
    skip_ws(s);
    return 0;
}

static int scan_document(scan *s, const json_limits *lim)
{
    char open[JSON_MAX_DEPTH + 1]; /* '{' or '[' per open container */
    int depth = 0, max_depth = lim->max_depth < JSON_MAX_DEPTH ? lim->max_depth : JSON_MAX_DEPTH;
    size_t values = 0;
    skip_ws(s);
value:
    if (s->p >= s->end) return scan_fail(s, depth ? "unterminated document" : "no JSON value");
    if (++values > lim->max_values) {
        s->kind = JSON_LIMIT;
        return scan_fail(s, "more than %zu values in one document", lim->max_values);
    }
    if (*s->p == '{' || *s->p == '[') {
        if (depth == max_depth) {
            s->kind = JSON_LIMIT;
            return scan_fail(s, "nesting deeper than %d", max_depth);
        }
        char c = (char)*s->p++;
        open[depth++] = c;
        skip_ws(s);
        if (s->p < s->end && *s->p == (c == '{' ? '}' : ']')) {
            s->p++;
            depth--;
            goto after;
        }
        if (c == '{' && scan_key(s)) return -1;
        goto value;
    }
    if (*s->p == '"'                                       ? scan_string(s)
        : (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) ? scan_number(s)
                                                           : scan_literal(s))
        return -1;
after:
    skip_ws(s);
    if (depth == 0) {
        if (s->p != s->end) return scan_fail(s, "text after the JSON document");
        return 0;
    }
    if (s->p >= s->end) return scan_fail(s, "unterminated document");
    char close = open[depth - 1] == '{' ? '}' : ']';
    if (*s->p == close) {
        s->p++;
        depth--;
        goto after;
    }
    if (*s->p != ',') return scan_fail(s, "expected ',' or '%c'", close);
    s->p++;
    skip_ws(s);
    if (open[depth - 1] == '{' && scan_key(s)) return -1;
    goto value;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first repeated name among an object's keys, or NULL; O(n log n). Keys cannot hold a NUL
 * (refused by the scan), so strcmp compares the decoded names exactly. Objects of a few keys
 * (nearly all: the extender's node objects, the headers) sort on the stack, with no malloc. */
static const char *repeated_key(const cJSON *obj, int *oom)
{
    size_t n = 0, i = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        n++;
    if (n < 2) return NULL;
    if (n <= 8) { /* pairwise is cheaper than a sort for the few keys of most objects */
        for (const cJSON *a = obj->child; a; a = a->next)
            for (const cJSON *b = a->next; b; b = b->next)
                if (!strcmp(a->string, b->string)) return b->string;
        return NULL;
    }
    const char *small[32];
    const char **names = n <= 32 ? small : malloc(n * sizeof *names);
    if (!names) {
        *oom = 1;
        return NULL;
    }
    for (const cJSON *c = obj->child; c; c = c->next)
        names[i++] = c->string;
    qsort(names, n, sizeof *names, cmp_names);
    const char *dup = NULL;
    for (i = 1; i < n && !dup; i++)
        if (!strcmp(names[i - 1], names[i])) dup = names[i];
    if (names != small) free(names);
    return dup;
}

/* Appends "/" and a reference token (RFC 6901: '~' as ~0, '/' as ~1) to the pointer, cutting at
 * its capacity; returns the old length so the caller can cut back. */
static size_t pointer_push(char *ptr, size_t cap, const char *token)
{
    size_t old = strlen(ptr), n = old;
    if (n + 1 < cap) ptr[n++] = '/';
    for (; *token && n + 2 < cap; token++) {
        if (*token == '~' || *token == '/') {
            ptr[n++] = '~';
            ptr[n++] = *token == '~' ? '0' : '1';
        } else {
            ptr[n++] = *token;
        }
    }
    ptr[n] = 0;
    return old;
}

/* Depth-first: 1 with ptr naming the first repeated key, 0 if none, -1 out of memory. The
 * recursion is at most max_depth (64) deep: the scan refused anything deeper. */
static int find_duplicate(const cJSON *node, char *ptr, size_t cap)
{
    if (!cJSON_IsObject(node) && !cJSON_IsArray(node)) return 0;
    int oom = 0;
    const char *dup = cJSON_IsObject(node) ? repeated_key(node, &oom) : NULL;
    if (oom) return -1;
    if (dup) {
        pointer_push(ptr, cap, dup);
        return 1;
    }
    size_t index = 0;
    for (const cJSON *c = node->child; c; c = c->next, index++) {
        if (!cJSON_IsObject(c) && !cJSON_IsArray(c)) continue; /* no keys below a scalar */
        char num[24];
        snprintf(num, sizeof num, "%zu", index);
        size_t old = pointer_push(ptr, cap, cJSON_IsObject(node) ? c->string : num);
        int r = find_duplicate(c, ptr, cap);
        if (r) return r;
        ptr[old] = 0;
    }
    return 0;
}

cJSON *json_strict_parse(const char *buf, size_t len, const json_limits *lim, json_error *e)
{
    if (!lim) lim = &json_default_limits;
    if (len > lim->max_bytes) {
        set_error(e, JSON_LIMIT, JSON_NO_OFFSET, "%zu bytes, more than the limit of %zu", len,
                  lim->max_bytes);
        return NULL;
    }
    if (!buf) buf = "";
    scan s = {(const unsigned char *)buf, (const unsigned char *)buf,
              (const unsigned char *)buf + len, e, JSON_SYNTAX};
    if (scan_document(&s, lim)) return NULL;
    cJSON *root = cJSON_ParseWithLength(buf, len);
    if (!root) {
        set_error(e, JSON_NOMEM, JSON_NO_OFFSET, "out of memory building the JSON tree");
        return NULL;
    }
    char ptr[sizeof e->pointer] = "";
    int dup = find_duplicate(root, ptr, sizeof ptr);
    if (!dup) return root;
    cJSON_Delete(root);
    if (dup < 0) {
        set_error(e, JSON_NOMEM, JSON_NO_OFFSET, "out of memory checking for duplicate keys");
    } else {
        set_error(e, JSON_DUPLICATE, JSON_NO_OFFSET, "%s: duplicate key", ptr);
        if (e) memcpy(e->pointer, ptr, sizeof ptr);
    }
    return NULL;
}

cJSON *json_strict_parse_str(const char *str, const json_limits *lim, json_error *e)
{
    return json_strict_parse(str, str ? strlen(str) : 0, lim, e);
}
