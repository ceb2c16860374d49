/* optional.c: the message of optional.h. */
#include "common/optional.h"

#include <stdio.h>

#include "common/err.h"

static const char *const what[] = {
#define KISIM__OPT(id, w, pkgs) w,
    KISIM_OPTIONAL_COMPONENTS(KISIM__OPT)
#undef KISIM__OPT
};
static const char *const pkgs[] = {
#define KISIM__OPT(id, w, p) p,
    KISIM_OPTIONAL_COMPONENTS(KISIM__OPT)
#undef KISIM__OPT
};

int kisim_missing(kisim_optional c, const char *who)
{
    return kisim_seterr(KISIM_EUNSUPPORTED,
                        "%s: this kisim was built without %s (Debian packages: %s); install them "
                        "and rebuild",
                        who, what[c], pkgs[c]);
}

int kisim_missing_verb(kisim_optional c, const char *verb)
{
    kisim_missing(c, verb);
    fprintf(stderr, "kisim %s\n", kisim_errmsg());
    return 1;
}
