/* extender_none.c: the extender's API in a build without libmicrohttpd (KISIM_WITH_HTTP=OFF):
 * `kisim score serve --http` is refused naming the package before any model loads. */
#include "common/optional.h"
#include "scheduler/extender.h"

int extender_start(extender **out, score_service *s, const char *host_port, const extender_opts *o)
{
    (void)s, (void)host_port, (void)o;
    *out = 0;
    return kisim_missing(KISIM_OPT_HTTP, "--http");
}

int extender_check_address(const char *host_port)
{
    (void)host_port;
    return kisim_missing(KISIM_OPT_HTTP, "--http");
}

void extender_stop(extender *x)
{
    (void)x;
}

int extender_port(const extender *x)
{
    (void)x;
    return -1;
}
