/* Control probe: policy may include a lower component (spaces), so this must compile. */
#include "policy/nn.h"
#include "spaces/spaces.h"

int layer_probe_ok(void)
{
    return KISIM_F;
}
