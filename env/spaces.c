/* spaces.c: names and offsets of the observation, pod context, service state and info. */
#include "env/spaces.h"

const char *const pod_context_names[KISIM_P] = {
#define POD_NAME(id, name) name,
    KISIM_POD_CONTEXT(POD_NAME)
#undef POD_NAME
};

const char *const service_state_names[KISIM_S] = {
#define SVC_NAME(id, name) name,
    KISIM_SERVICE_STATE(SVC_NAME)
#undef SVC_NAME
};

const char *const info_names[KISIM_N_INFO] = {
#define INFO_NAME(id, name) name,
    KISIM_INFO(INFO_NAME)
#undef INFO_NAME
};

void spaces_init(env_spaces *sp, int n_max, int window)
{
    sp->n_max = n_max;
    sp->window = window;
    sp->off_nodes = 0;
    sp->off_pod = n_max * window * KISIM_F;
    sp->off_service = sp->off_pod + KISIM_P;
    sp->off_node_mask = sp->off_service + KISIM_S;
    sp->off_availability = sp->off_node_mask + n_max;
    sp->obs_dim = sp->off_availability + KISIM_F;
    sp->mask_dim = n_max + 3;
    sp->n_info = KISIM_N_INFO;
}
