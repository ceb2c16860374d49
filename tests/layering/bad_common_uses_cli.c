/* Wrong-way probe: the ground floor reaching the top. Must NOT compile. */
#include "cli/verbs.h"

int layer_probe_common_cli(void)
{
    return 0;
}
