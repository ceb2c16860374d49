/* Wrong-way probe: the scoring service including the simulator. Must NOT compile. */
#include "env/sim/sim.h"

int layer_probe_scheduler_sim(void)
{
    return 0;
}
