/* Wrong-way probe: policy (a lower layer) reaching up into agent. Must NOT compile. */
#include "agent/train.h"

int layer_probe_policy_agent(void)
{
    return 0;
}
