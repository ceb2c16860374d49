/* spaces.c: names and offsets of the observation, pod context, service state and info. */
#include "spaces/spaces.h"

#include <cjson/cJSON.h>

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

static cJSON *shape(int a, int b, int c)
{
    int dims[3] = {a, b, c}, n = b ? (c ? 3 : 2) : 1;
    return cJSON_CreateIntArray(dims, n);
}

static void add_part(cJSON *parts, const char *name, cJSON *dims, int offset)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "name", name);
    cJSON_AddItemToObject(p, "shape", dims);
    cJSON_AddNumberToObject(p, "offset", offset);
    cJSON_AddItemToArray(parts, p);
}

cJSON *spaces_describe(const env_spaces *sp)
{
    cJSON *d = cJSON_CreateObject();
    cJSON *obs = cJSON_AddObjectToObject(d, "observation");
    cJSON_AddStringToObject(obs, "dtype", "float32");
    cJSON_AddNumberToObject(obs, "dim", sp->obs_dim);
    cJSON *parts = cJSON_AddArrayToObject(obs, "parts");
    add_part(parts, "nodes", shape(sp->n_max, sp->window, KISIM_F), sp->off_nodes);
    add_part(parts, "pod", shape(KISIM_P, 0, 0), sp->off_pod);
    add_part(parts, "service", shape(KISIM_S, 0, 0), sp->off_service);
    add_part(parts, "node_mask", shape(sp->n_max, 0, 0), sp->off_node_mask);
    add_part(parts, "availability", shape(KISIM_F, 0, 0), sp->off_availability);
    cJSON *feats = cJSON_AddArrayToObject(d, "features");
    for (int f = 0; f < KISIM_F; f++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", kisim_features[f].name);
        cJSON_AddStringToObject(o, "unit", kisim_features[f].unit);
        cJSON_AddNumberToObject(o, "lo", kisim_features[f].lo);
        cJSON_AddNumberToObject(o, "hi", kisim_features[f].hi);
        cJSON_AddStringToObject(
            o, "source", kisim_features[f].source == FEAT_SOURCE_NODE ? "node" : "orchestrator");
        cJSON_AddItemToArray(feats, o);
    }
    cJSON_AddItemToObject(d, "pod_context", cJSON_CreateStringArray(pod_context_names, KISIM_P));
    cJSON_AddItemToObject(d, "service", cJSON_CreateStringArray(service_state_names, KISIM_S));
    cJSON *act = cJSON_AddObjectToObject(d, "action");
    cJSON_AddStringToObject(act, "dtype", "int32");
    cJSON_AddItemToObject(act, "nvec", shape(sp->n_max, 3, 0));
    int deltas[3] = {-1, 0, 1};
    cJSON_AddItemToObject(act, "scale_delta", cJSON_CreateIntArray(deltas, 3));
    cJSON *mask = cJSON_AddObjectToObject(d, "action_mask");
    cJSON_AddStringToObject(mask, "dtype", "uint8");
    cJSON_AddItemToObject(mask, "shape", shape(sp->mask_dim, 0, 0));
    cJSON *info = cJSON_AddObjectToObject(d, "info");
    cJSON_AddStringToObject(info, "dtype", "float32");
    cJSON_AddItemToObject(info, "names", cJSON_CreateStringArray(info_names, KISIM_N_INFO));
    return d;
}
