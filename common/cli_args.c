/* cli_args.c: a verb's option table parsed with getopt_long, strict number parsing for the
 * values, and atomic file writes. */
#include "common/cli_args.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"

int args_int(const char *verb, const char *opt, const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!*text || *end || errno || v < lo || v > hi)
        return kisim_seterr(KISIM_EUSAGE, "%s: %s: expected an integer in [%ld, %ld], got \"%s\"",
                            verb, opt, lo, hi, text);
    *out = v;
    return 0;
}

int args_u64(const char *verb, const char *opt, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (!*text || *end || errno || text[0] == '-')
        return kisim_seterr(KISIM_EUSAGE, "%s: %s: expected a non-negative integer, got \"%s\"",
                            verb, opt, text);
    *out = v;
    return 0;
}

int args_double(const char *verb, const char *opt, const char *text, double lo, double hi,
                double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (!*text || *end || errno || !isfinite(v) || v < lo || v > hi)
        return kisim_seterr(KISIM_EUSAGE, "%s: %s: expected a number in [%g, %g], got \"%s\"", verb,
                            opt, lo, hi, text);
    *out = v;
    return 0;
}

/* Stores one option's value as its row says. */
static int store(const char *verb, const args_opt *o, const char *value)
{
    char opt[80];
    snprintf(opt, sizeof opt, "--%s", o->name);
    if (o->given) *o->given = 1;
    long v;
    int err;
    switch (o->kind) {
    case ARGS_FLAG:
        *o->to.flag = 1;
        return 0;
    case ARGS_STR:
        *o->to.str = value;
        return 0;
    case ARGS_INT:
        if (!(err = args_int(verb, opt, value, (long)o->lo, (long)o->hi, &v))) *o->to.i = (int)v;
        return err;
    case ARGS_LONG:
        return args_int(verb, opt, value, (long)o->lo, (long)o->hi, o->to.l);
    case ARGS_U64:
        return args_u64(verb, opt, value, o->to.u64);
    case ARGS_DOUBLE:
        return args_double(verb, opt, value, o->lo, o->hi, o->to.d);
    case ARGS_CALL:
        return o->call(o->to.ctx, value);
    }
    return kisim_seterr(KISIM_EINTERNAL, "%s: %s: unknown option kind %d", verb, opt, o->kind);
}

/* getopt_long's value for row i: above every letter, so that rows with and without a letter
 * are told apart the same way. */
#define ROW_VAL(i) (256 + (i))

int args_parse(const char *verb, int argc, char **argv, const args_opt *opts, int n)
{
    struct option longs[ARGS_MAX_OPTS + 2];
    char letters[3 * ARGS_MAX_OPTS + 2];
    size_t k = 0;
    if (n > ARGS_MAX_OPTS)
        return kisim_seterr(KISIM_EINTERNAL, "%s: more than %d options", verb, ARGS_MAX_OPTS);
    for (int i = 0; i < n; i++) {
        int has_arg = opts[i].kind == ARGS_FLAG ? no_argument : required_argument;
        longs[i] = (struct option){opts[i].name, has_arg, NULL, ROW_VAL(i)};
        if (opts[i].letter) letters[k++] = opts[i].letter;
        if (opts[i].letter && has_arg) letters[k++] = ':';
    }
    longs[n] = (struct option){"help", no_argument, NULL, 'h'};
    longs[n + 1] = (struct option){NULL, 0, NULL, 0};
    letters[k++] = 'h';
    letters[k] = '\0';
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, letters, longs, NULL)) != -1) {
        if (c == 'h') return ARGS_HELP;
        int row = c >= ROW_VAL(0) ? c - ROW_VAL(0) : -1;
        for (int i = 0; row < 0 && i < n; i++)
            if (opts[i].letter && opts[i].letter == c) row = i;
        if (row < 0) return ARGS_UNKNOWN; /* '?': getopt_long has printed why */
        int err = store(verb, &opts[row], optarg);
        if (err) return err;
    }
    return 0;
}

int args_usage(void (*usage)(FILE *out), int found)
{
    usage(found == ARGS_HELP ? stdout : stderr);
    return found == ARGS_HELP ? 0 : 2;
}

int args_fail(int err)
{
    fprintf(stderr, "%s\n", kisim_errmsg());
    return kisim_exit_code(err);
}

int write_file_atomic(const char *path, const char *text)
{
    return write_bytes_atomic(path, text, strlen(text));
}

int write_bytes_atomic(const char *path, const void *data, size_t len)
{
    const char *text = data;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return kisim_seterr(KISIM_EIO, "cannot write %s: %s", tmp, strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return kisim_seterr(KISIM_EIO, "cannot write %s: %s", tmp, strerror(e));
        }
        off += (size_t)n;
    }
    int synced = fsync(fd) == 0;
    int e = errno;
    if (close(fd) != 0 && synced) e = errno, synced = 0;
    if (!synced) {
        unlink(tmp);
        return kisim_seterr(KISIM_EIO, "cannot write %s: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return kisim_seterr(KISIM_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(e));
    }
    return 0;
}
