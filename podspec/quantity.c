/* quantity.c: exact parsing of Kubernetes resource quantities (see quantity.h).
 * The digits go into a small fixed-size multi-precision integer, which is shifted for binary
 * suffixes and multiplied or divided by ten for the decimal exponent, so no value is ever
 * rounded before the final ceiling. */
#include "podspec/quantity.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/err.h"

/* 256 digits < 2^851; a 2^60 shift and a 10^19 multiplication stay under 34 * 32 bits. */
#define LIMBS 34

typedef struct {
    uint32_t w[LIMBS]; /* little-endian base-2^32 digits */
} big;

static void big_muladd(big *a, uint32_t mul, uint32_t add)
{
    uint64_t carry = add;
    for (int i = 0; i < LIMBS; i++) {
        uint64_t v = (uint64_t)a->w[i] * mul + carry;
        a->w[i] = (uint32_t)v;
        carry = v >> 32;
    }
}

/* a /= div; returns the remainder. */
static uint32_t big_divmod(big *a, uint32_t div)
{
    uint64_t rem = 0;
    for (int i = LIMBS - 1; i >= 0; i--) {
        uint64_t v = (rem << 32) | a->w[i];
        a->w[i] = (uint32_t)(v / div);
        rem = v % div;
    }
    return (uint32_t)rem;
}

static void big_shl(big *a, int bits)
{
    int limbs = bits / 32, b = bits % 32;
    for (int i = LIMBS - 1; i >= 0; i--) {
        uint32_t hi = i - limbs >= 0 ? a->w[i - limbs] : 0;
        uint32_t lo = i - limbs - 1 >= 0 ? a->w[i - limbs - 1] : 0;
        a->w[i] = b ? (hi << b) | (lo >> (32 - b)) : hi;
    }
}

static int big_is_zero(const big *a)
{
    for (int i = 0; i < LIMBS; i++)
        if (a->w[i]) return 0;
    return 1;
}

/* The value if it fits in [0, INT64_MAX], else INT64_MAX. */
static int64_t big_to_i64_sat(const big *a)
{
    for (int i = 2; i < LIMBS; i++)
        if (a->w[i]) return INT64_MAX;
    uint64_t v = ((uint64_t)a->w[1] << 32) | a->w[0];
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* The suffix's power of ten (*e10) or of two (*e2); 0 if s is not a suffix. */
static int suffix_exponent(const char *s, long *e10, int *e2)
{
    static const struct {
        const char *s;
        int e10, e2;
    } table[] = {{"", 0, 0},    {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},
                 {"k", 3, 0},   {"M", 6, 0},   {"G", 9, 0},   {"T", 12, 0},
                 {"P", 15, 0},  {"E", 18, 0},  {"Ki", 0, 10}, {"Mi", 0, 20},
                 {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(s, table[i].s)) {
            *e10 = table[i].e10;
            *e2 = table[i].e2;
            return 1;
        }
    if (s[0] != 'e' && s[0] != 'E') return 0;
    /* Decimal exponent: e or E, an optional sign, at least one digit, nothing else. */
    const char *p = s + 1;
    int neg = *p == '-';
    if (*p == '-' || *p == '+') p++;
    if (*p < '0' || *p > '9') return 0;
    long v = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        if (v < 100000) v = v * 10 + (*p - '0'); /* beyond that the result saturates or is 1 */
    if (*p) return 0;
    *e10 = neg ? -v : v;
    *e2 = 0;
    return 1;
}

__extension__ typedef unsigned __int128 u128;

/* The same computation in 128 bits for up to 18 digits (nearly every real quantity): d < 10^18,
 * times 2^60 stays under 2^120, and k is bounded by the caller. */
static int64_t small_value(uint64_t d, int e2, long k)
{
    u128 v = (u128)d << e2;
    if (k > 0) {
        for (long i = 0; i < k; i++)
            if ((v *= 10) > (u128)INT64_MAX) return INT64_MAX;
    } else if (k < 0) {
        if (-k > 38) return 1; /* v < 2^120 < 10^37: a fraction in (0, 1) */
        u128 p = 1;
        for (long i = 0; i < -k; i++)
            p *= 10;
        v = v / p + (v % p != 0);
    }
    return v > (u128)INT64_MAX ? INT64_MAX : (int64_t)v;
}

int extender_quantity_parse(const char *s, int scale10, int64_t *out)
{
    *out = 0;
    if (!s || !*s || strlen(s) > EXTENDER_QUANTITY_MAX_LEN || scale10 < -18 || scale10 > 18)
        return KISIM_EINPUT;
    const char *p = s;
    int neg = *p == '-';
    if (*p == '-' || *p == '+') p++;
    const char *first = p;
    uint64_t small = 0;
    int digits = 0, frac = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++)
        small = small * 10 + (uint64_t)(*p - '0');
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, digits++, frac++)
            small = small * 10 + (uint64_t)(*p - '0'); /* wraps past 19 digits: unused then */
    if (!digits) return KISIM_EINPUT;                  /* "", "+", "." and suffix-only strings */
    long e10;
    int e2;
    if (!suffix_exponent(p, &e10, &e2)) return KISIM_EINPUT;
    long k = e10 + scale10 - frac; /* value * 10^scale10 = digits * 2^e2 * 10^k */
    if (digits <= 18) {
        int64_t v = !small ? 0 : k > 19 ? INT64_MAX : small_value(small, e2, k);
        *out = neg ? -v : v;
        return 0;
    }
    big d;
    memset(&d, 0, sizeof d);
    for (p = first; (*p >= '0' && *p <= '9') || *p == '.'; p++)
        if (*p != '.') big_muladd(&d, 10, (uint32_t)(*p - '0'));
    if (big_is_zero(&d)) return 0;
    big_shl(&d, e2);
    if (k > 0) {
        if (k > 19) { /* d >= 1, so the product is at least 10^20 */
            *out = neg ? -INT64_MAX : INT64_MAX;
            return 0;
        }
        for (long i = 0; i < k; i++)
            big_muladd(&d, 10, 0);
    } else if (k < 0) {
        /* d < 10^256 * 2^60 < 10^276: dividing by more than that leaves a fraction in (0, 1). */
        if (-k > 300) {
            *out = neg ? -1 : 1;
            return 0;
        }
        uint32_t rem = 0;
        for (long i = 0; i < -k; i++)
            rem |= big_divmod(&d, 10);
        if (rem) big_muladd(&d, 1, 1); /* ceiling */
    }
    int64_t v = big_to_i64_sat(&d);
    *out = neg ? -v : v;
    return 0;
}

int extender_quantity_field(const cJSON *list, const char *name, int scale10, int64_t *out,
                            const char *path)
{
    *out = 0;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(list, name);
    if (!v || cJSON_IsNull(v)) return 0;
    char num[64];
    const char *s = NULL;
    if (cJSON_IsString(v)) {
        s = v->valuestring;
    } else if (cJSON_IsNumber(v)) {
        snprintf(num, sizeof num, "%.15g", v->valuedouble);
        s = num;
    }
    if (!s)
        return kisim_seterr(KISIM_EINPUT,
                            "%s.%s: expected a quantity string such as \"500m\" "
                            "or \"2Gi\"",
                            path, name);
    if (extender_quantity_parse(s, scale10, out))
        return kisim_seterr(KISIM_EINPUT, "%s.%s: \"%.64s\" is not a Kubernetes quantity", path,
                            name, s);
    return 1;
}
