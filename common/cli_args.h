/* cli_args.h: a verb's options, parsed the same way in every verb: a table of the options
 * (args_parse, on getopt_long), strict numeric values, so that every verb rejects
 * "--episodes ten" with a message naming the option and exit code 2; and atomic file writes. */
#ifndef KISIM_CLI_ARGS_H
#define KISIM_CLI_ARGS_H

#include <getopt.h> /* optind: the first operand once args_parse has returned 0 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Each returns 0, or KISIM_EUSAGE with the message "VERB: OPTION: expected ..., got \"TEXT\"". */
int args_int(const char *verb, const char *opt, const char *text, long lo, long hi, long *out);
int args_u64(const char *verb, const char *opt, const char *text, uint64_t *out);
int args_double(const char *verb, const char *opt, const char *text, double lo, double hi,
                double *out);
/* What an option's value is and where it goes. */
typedef enum {
    ARGS_FLAG,   /* no value: *to.flag = 1 */
    ARGS_STR,    /* *to.str = the value (argv's own string) */
    ARGS_INT,    /* *to.i = an integer in [lo, hi] (args_int) */
    ARGS_LONG,   /* *to.l = the same, as a long */
    ARGS_U64,    /* *to.u64 = a non-negative integer (args_u64) */
    ARGS_DOUBLE, /* *to.d = a number in [lo, hi] (args_double) */
    ARGS_CALL,   /* call(to.ctx, value): a value the verb checks itself; 0 or an error */
} args_kind;

/* One option of a verb. The table's order is the order getopt_long lists the candidates of an
 * ambiguous abbreviation in; --help (and -h) is always there, after the table. */
typedef struct {
    const char *name; /* without the leading "--" */
    char letter;      /* also accepted as -X; 0 for none */
    args_kind kind;
    union {
        int *flag, *i;
        long *l;
        uint64_t *u64;
        double *d;
        const char **str;
        void *ctx;
    } to;
    double lo, hi; /* ARGS_INT, ARGS_LONG, ARGS_DOUBLE: the range */
    int *given;    /* if set, becomes 1 once the option appears */
    int (*call)(void *ctx, const char *value);
} args_opt;

/* The rows of the usual kinds; a row that needs .given is written out with designated fields.
 * NAME is the option without "--", LETTER its short form or 0, P where the value goes. */
#define ARGS__ROW(name_, letter_, kind_, member, p, lo_, hi_)                                      \
    {                                                                                              \
        .name = (name_), .letter = (letter_), .kind = (kind_), .to.member = (p), .lo = (lo_),      \
        .hi = (hi_)                                                                                \
    }
#define ARGS_OPT_FLAG(name, letter, p) ARGS__ROW(name, letter, ARGS_FLAG, flag, p, 0, 0)
#define ARGS_OPT_STR(name, letter, p) ARGS__ROW(name, letter, ARGS_STR, str, p, 0, 0)
#define ARGS_OPT_INT(name, letter, p, lo, hi) ARGS__ROW(name, letter, ARGS_INT, i, p, lo, hi)
#define ARGS_OPT_LONG(name, letter, p, lo, hi) ARGS__ROW(name, letter, ARGS_LONG, l, p, lo, hi)
#define ARGS_OPT_U64(name, letter, p) ARGS__ROW(name, letter, ARGS_U64, u64, p, 0, 0)
#define ARGS_OPT_DOUBLE(name, letter, p, lo, hi) ARGS__ROW(name, letter, ARGS_DOUBLE, d, p, lo, hi)
#define ARGS_OPT_CALL(name_, letter_, fn, ctx_)                                                    \
    {                                                                                              \
        .name = (name_), .letter = (letter_), .kind = ARGS_CALL, .to.ctx = (ctx_), .call = (fn)    \
    }

/* args_parse's results other than 0 and an error: the verb prints its usage (args_usage). */
enum { ARGS_HELP = 1, ARGS_UNKNOWN = 2 };
#define ARGS_MAX_OPTS 31
#define ARGS_COUNT(table) ((int)(sizeof(table) / sizeof((table)[0])))

/* Parses argv's options (argv[0] is the verb's name) with getopt_long, so that every verb
 * accepts --name VALUE, --name=VALUE, an unambiguous prefix of the name and "--", and stores
 * each value as its table row says; n <= ARGS_MAX_OPTS. Stops at the first problem. Returns 0
 * when every option was stored (optind is then the first operand); ARGS_HELP for --help;
 * ARGS_UNKNOWN for an unknown or ambiguous option or a missing value (getopt_long has said so);
 * or the first bad value's error (KISIM_EUSAGE from args_int and the others, or the call's). */
int args_parse(const char *verb, int argc, char **argv, const args_opt *opts, int n);
/* For args_parse's ARGS_HELP: prints the usage on stdout and returns 0; for ARGS_UNKNOWN: on
 * stderr, and returns 2. */
int args_usage(void (*usage)(FILE *out), int found);
/* Prints err's message on stderr and returns its exit code (2 for a usage error). */
int args_fail(int err);

/* Writes text to path atomically: a temp file beside it, fsync, rename. KISIM_EIO on failure. */
int write_file_atomic(const char *path, const char *text);
/* The same for n bytes. */
int write_bytes_atomic(const char *path, const void *data, size_t n);

#endif
