/* provenance.c: version, commit, config hash and machine description for results files. */
#include "common/provenance.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kisim_version.h"

const char *kisim_version(void)
{
    return KISIM_VERSION;
}

const char *kisim_git_commit(void)
{
    return KISIM_GIT_COMMIT;
}

static void cpu_model(char *buf, size_t n)
{
    snprintf(buf, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        char *colon = strchr(line, ':');
        if (!colon) continue;
        colon += 1 + (colon[1] == ' ');
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(buf, n, "%s", colon);
        break;
    }
    fclose(f);
}

cJSON *provenance_json(const kisim_config *cfg)
{
    cJSON *p = cJSON_CreateObject();
    if (!p) return NULL;
    char hash[17], model[256], host[256] = "unknown", created[32];
    snprintf(hash, sizeof hash, "%016" PRIx64, cfg_hash(cfg));
    cpu_model(model, sizeof model);
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    cJSON_AddStringToObject(p, "kisim_version", KISIM_VERSION);
    cJSON_AddStringToObject(p, "git_commit", KISIM_GIT_COMMIT);
    cJSON_AddStringToObject(p, "config_path", cfg->path);
    cJSON_AddStringToObject(p, "config_hash", hash);
    cJSON *m = cJSON_AddObjectToObject(p, "machine");
    if (m) {
        cJSON_AddNumberToObject(m, "cores", (double)sysconf(_SC_NPROCESSORS_ONLN));
        cJSON_AddStringToObject(m, "cpu_model", model);
        cJSON_AddStringToObject(m, "hostname", host);
    }
    cJSON_AddStringToObject(p, "created", created);
    return p;
}
