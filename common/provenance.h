/* provenance.h: where a result came from. Every results JSON carries this object: KISim version
 * and git commit, the config's hash, the seeds, and the machine (cores, CPU model). */
#ifndef KISIM_PROVENANCE_H
#define KISIM_PROVENANCE_H

#include <cjson/cJSON.h>

#include "common/config.h"

const char *kisim_version(void);
const char *kisim_git_commit(void);
/* A cJSON object {"kisim_version", "git_commit", "config_path", "config_hash" (16 hex digits),
 * "machine": {"cores", "cpu_model", "hostname"}, "created" (UTC ISO 8601)}; NULL on OOM. */
cJSON *provenance_json(const kisim_config *cfg);

#endif
