/* missing.c: the verbs of the optional components this kisim was built without (CMake
 * KISIM_WITH_X=OFF, or the package was missing at configure time): each says which Debian
 * packages to install and exits 1. Compiled with KISIM_HAVE_X from the build. */
#include "cli/verbs.h"
#include "common/optional.h"

#if !KISIM_HAVE_BPF
int verb_collect(int argc, char **argv)
{
    (void)argc, (void)argv;
    return kisim_missing_verb(KISIM_OPT_BPF, "collect");
}

int bench_collect_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    return kisim_missing_verb(KISIM_OPT_BPF, "bench collect");
}
#endif

#if !KISIM_HAVE_HTTP
int verb_target(int argc, char **argv)
{
    (void)argc, (void)argv;
    return kisim_missing_verb(KISIM_OPT_HTTP, "target");
}

int bench_extender_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    return kisim_missing_verb(KISIM_OPT_HTTP, "bench extender");
}
#endif
