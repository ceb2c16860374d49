/* test_extender_quantity.c: Kubernetes quantity parsing against hand-computed values (the
 * expected numbers are written out by hand from the quantity grammar, with Kubernetes' rule that
 * MilliValue()/Value() round up), plus the strings Kubernetes rejects. */
#include <stdint.h>

#include "common/err.h"
#include "podspec/quantity.h"
#include "tests/test.h"

static void check_q(const char *s, int scale, int64_t want)
{
    int64_t got = -12345;
    int rc = extender_quantity_parse(s, scale, &got);
    CHECK_MSG(rc == 0 && got == want, "\"%s\" at 10^%d: rc %d, got %lld, want %lld", s, scale, rc,
              (long long)got, (long long)want);
}

static void check_bad(const char *s)
{
    int64_t got;
    CHECK_MSG(extender_quantity_parse(s, 3, &got) == KISIM_EINPUT, "\"%s\" accepted", s);
}

static void test_cpu_millis(void)
{
    check_q("500m", 3, 500);
    check_q("1", 3, 1000);
    check_q("0.5", 3, 500);
    check_q(".5", 3, 500);
    check_q("1.", 3, 1000);
    check_q("2.25", 3, 2250);
    check_q("1e3", 3, 1000000); /* 1000 cores */
    check_q("1E3", 3, 1000000);
    check_q("1e-3", 3, 1);
    check_q("1e+2", 3, 100000);
    check_q("0.1m", 3, 1);      /* rounds up to the smallest amount, as Kubernetes does */
    check_q("1.0001", 3, 1001); /* 1000.1 millis -> 1001 */
    check_q("100u", 3, 1);      /* 0.1 milli -> 1 */
    check_q("999999n", 3, 1);   /* 0.999999 milli -> 1 */
    check_q("1000000n", 3, 1);  /* exactly 1 milli */
    check_q("1000001n", 3, 2);
    check_q("0", 3, 0);
    check_q("0000.000", 3, 0);
    check_q("+2", 3, 2000);
    check_q("-1500m", 3, -1500);
    check_q("2k", 3, 2000000);
    check_q("0.0005", 3, 1); /* 0.5 milli -> 1 */
}

static void test_memory_bytes(void)
{
    check_q("2Gi", 0, 2147483648LL);   /* 2 * 1024^3 */
    check_q("512Mi", 0, 536870912LL);  /* 512 * 1024^2 */
    check_q("1.5Gi", 0, 1610612736LL); /* 1.5 * 1073741824 */
    check_q("100Ki", 0, 102400);
    check_q("1M", 0, 1000000);
    check_q("129M", 0, 129000000);
    check_q("128974848", 0, 128974848);
    check_q("123Mi", 0, 128974848); /* the example in the Kubernetes docs */
    check_q("1e9", 0, 1000000000);
    check_q("1.1Ki", 0, 1127); /* 1126.4 -> 1127 */
    check_q("0.5Ki", 0, 512);
    check_q("1Ti", 0, 1099511627776LL);
    check_q("1Pi", 0, 1125899906842624LL);
    check_q("1Ei", 0, 1152921504606846976LL); /* 2^60 */
    check_q("7Ei", 0, 8070450532247928832LL); /* 7 * 2^60 < 2^63 */
    check_q("8Ei", 0, INT64_MAX);             /* 2^63 saturates */
    check_q("1E", 0, 1000000000000000000LL);  /* exa, not an exponent */
    check_q("9.3E", 0, INT64_MAX);            /* 9.3e18 > 2^63 - 1 */
    check_q("1m", 0, 1);                      /* 0.001 byte -> 1 */
    check_q("0.000000001Ki", 0, 1);           /* 1.024e-6 -> 1 */
    check_q("1e100", 0, INT64_MAX);
    check_q("1e-100", 0, 1);
    check_q("1e-99999999", 0, 1);
    check_q("123456789012345678901234567890e-20", 0, 1234567891); /* 1234567890.12... -> ...891 */
}

static void test_exactness(void)
{
    /* 2^63 - 1 exactly, and one more. */
    check_q("9223372036854775807", 0, INT64_MAX);
    check_q("9223372036854775806", 0, INT64_MAX - 1);
    check_q("9223372036854775808", 0, INT64_MAX);
    /* 0.3 cores in millis is exactly 300 (binary floating point would not be exact). */
    check_q("0.3", 3, 300);
    check_q("0.29999999999999999999", 3, 300);
    check_q("0.300000000000000000001", 3, 301);
    /* 1.5Gi at the kilobyte scale: 1610612736 / 1000 = 1610612.736 -> 1610613. */
    check_q("1.5Gi", -3, 1610613);
    /* Long digit strings (40 digits): a fraction that only shows in the last digit. */
    check_q("1000000000000000000000000000000000000000e-30", 0, 1000000000LL); /* 10^39 e-30 */
    check_q("1000000000000000000000000000000000000001e-30", 0, 1000000001LL); /* + 10^-30 */
    check_q("0.00000000000000000000000000000000000001Ki", 0, 1);
}

/* Up to 18 digits take a 128-bit path, longer ones the multi-precision one: the same quantities
 * padded with leading zeros (more than 18 digits, same value) must read the same. */
static void test_both_paths(void)
{
    static const struct {
        const char *q;
        int scale;
        int64_t want;
    } cases[] = {{"1.5Gi", 0, 1610612736LL},
                 {"1.1Ki", 0, 1127},
                 {"0.1m", 3, 1},
                 {"123Mi", 0, 128974848},
                 {"1e-3", 3, 1},
                 {"999999n", 3, 1},
                 {"8Ei", 0, INT64_MAX},
                 {"9.3E", 0, INT64_MAX},
                 {"1.0001", 3, 1001},
                 {"0.000000001Ki", 0, 1},
                 {"7Ei", 0, 8070450532247928832LL}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char padded[64];
        snprintf(padded, sizeof padded, "00000000000000000000%s", cases[i].q);
        check_q(cases[i].q, cases[i].scale, cases[i].want);
        check_q(padded, cases[i].scale, cases[i].want);
    }
}

static void test_rejected(void)
{
    check_bad("");
    check_bad("+");
    check_bad(".");
    check_bad("m");
    check_bad("Gi");
    check_bad("1 Gi");
    check_bad(" 1");
    check_bad("1e");
    check_bad("1e+");
    check_bad("1e3.5");
    check_bad("1.5.5");
    check_bad("1K"); /* lower-case k is kilo; K is no suffix */
    check_bad("1gi");
    check_bad("1Gib");
    check_bad("1ki");
    check_bad("abc");
    check_bad("0x10");
    check_bad("1Mi3");
    check_bad("--1");
    char long_s[EXTENDER_QUANTITY_MAX_LEN + 2];
    memset(long_s, '1', sizeof long_s - 1);
    long_s[sizeof long_s - 1] = 0;
    check_bad(long_s);
    long_s[EXTENDER_QUANTITY_MAX_LEN] = 0; /* exactly the limit: accepted, saturates */
    check_q(long_s, 0, INT64_MAX);
}

int main(void)
{
    RUN(test_cpu_millis);
    RUN(test_memory_bytes);
    RUN(test_exactness);
    RUN(test_both_paths);
    RUN(test_rejected);
    TEST_MAIN_END();
}
