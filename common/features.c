/* features.c: the feature table's storage and lookups. */
#include "common/features.h"

#include <string.h>

const feature_info kisim_features[KISIM_F] = {
#define FEAT_INFO(id, name, unit, lo, hi, src) {name, unit, lo, hi, FEAT_SOURCE_##src},
    KISIM_NODE_FEATURES(FEAT_INFO)
#undef FEAT_INFO
};

int feature_index(const char *name)
{
    for (int f = 0; f < KISIM_F; f++)
        if (strcmp(kisim_features[f].name, name) == 0) return f;
    return -1;
}

const char *feature_order_json(void)
{
    static const char json[] = "["
#define FEAT_JSON(id, name, unit, lo, hi, src) "\"" name "\","
        KISIM_NODE_FEATURES(FEAT_JSON)
#undef FEAT_JSON
            "]";
    /* The table ends with a comma before ']'; callers get a copy without it. */
    static char fixed[sizeof json];
    if (!fixed[0]) {
        memcpy(fixed, json, sizeof json);
        char *last = strrchr(fixed, ',');
        last[0] = ']';
        last[1] = '\0';
    }
    return fixed;
}
