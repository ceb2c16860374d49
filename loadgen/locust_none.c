/* locust_none.c: the Locust driver's API in a build without libcurl (KISIM_WITH_LOCUST=OFF):
 * opening a driver fails naming the package (so the local backend cannot start); nothing else
 * can be reached without an open driver. */
#include <stddef.h>

#include "common/optional.h"
#include "loadgen/locust.h"

int locust_open(locust **out, const locust_opts *o)
{
    (void)o;
    *out = NULL;
    return kisim_missing(KISIM_OPT_LOCUST, "locust driver");
}

int locust_set_targets(locust *l, const char *const *addrs, int n)
{
    (void)l, (void)addrs, (void)n;
    return kisim_missing(KISIM_OPT_LOCUST, "locust driver");
}

int locust_read(locust *l, locust_stats *s)
{
    (void)l, (void)s;
    return kisim_missing(KISIM_OPT_LOCUST, "locust driver");
}

int locust_read_targets(locust *l, locust_target_stats *out, int cap)
{
    (void)l, (void)out, (void)cap;
    return kisim_missing(KISIM_OPT_LOCUST, "locust driver");
}

int locust_read_total(locust *l, locust_target_stats *total)
{
    (void)l, (void)total;
    return kisim_missing(KISIM_OPT_LOCUST, "locust driver");
}

int locust_reset_stats(locust *l)
{
    (void)l;
    return kisim_missing(KISIM_OPT_LOCUST, "locust driver");
}

void locust_close(locust *l)
{
    (void)l;
}

pid_t locust_pid(const locust *l)
{
    (void)l;
    return 0;
}

const char *locust_url(const locust *l)
{
    (void)l;
    return "";
}
