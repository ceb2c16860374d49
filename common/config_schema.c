/* config_schema.c: the table of every config key (type, place, default, range) and the two
 * walkers that need nothing but the table: defaults and JSON output. Parsing, which also needs
 * error paths and cross-field checks, is in config.c. configs/README.md ("Keys") lists the
 * sections and documents the keys. */
#include "common/config_schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const cfg_backend_names[] = {"sim", "local", "kubernetes"};
const char *const cfg_pattern_names[] = {"ramp", "spike", "periodic", "random", "trace"};
static const char *const invalid_action_names[] = {"error", "penalty"};
static const char *const trace_unit_names[] = {"users", "rps"};
static const int percentile_choices[] = {50, 95, 99};

/* The C enums are stored through int pointers; that is only sound if they are int-sized. */
_Static_assert(sizeof(cfg_backend) == sizeof(int), "enum size");
_Static_assert(sizeof(cfg_load_pattern) == sizeof(int), "enum size");
_Static_assert(sizeof(cfg_trace_unit) == sizeof(int), "enum size");
_Static_assert(sizeof(cfg_invalid_action) == sizeof(int), "enum size");
_Static_assert(sizeof cfg_backend_names / sizeof *cfg_backend_names == BACKEND_KUBERNETES + 1,
               "backend names");
_Static_assert(sizeof cfg_pattern_names / sizeof *cfg_pattern_names == LOAD_TRACE + 1,
               "pattern names");

/* Row constructors. T is the base struct, m the member designator inside it. clang-format would
 * spread each one-line initializer over four lines, so it is off here. */
/* clang-format off */
#define INT(T, k, m, d, lo, hi)                                                                    \
    {.key = k, .kind = SF_INT, .off = offsetof(T, m), .def = d, .min = lo, .max = hi}
#define U64(T, k, m, d)                                                                            \
    {.key = k, .kind = SF_U64, .off = offsetof(T, m), .def = d, .min = 0,                          \
     .max = 9007199254740992.0}
#define DBL(T, k, m, d, lo, hi)                                                                    \
    {.key = k, .kind = SF_DOUBLE, .off = offsetof(T, m), .def = d, .min = lo, .max = hi}
/* A positive amount: (0, hi]. */
#define POS(T, k, m, d, hi)                                                                        \
    {.key = k, .kind = SF_DOUBLE, .off = offsetof(T, m), .def = d, .min = 0, .max = hi,           \
     .open_min = 1}
#define ENUM(T, k, m, d, nm)                                                                       \
    {.key = k, .kind = SF_ENUM, .off = offsetof(T, m), .def = d, .names = nm,                     \
     .n = (int)(sizeof nm / sizeof *nm)}
#define STR(T, k, m, d, minlen)                                                                    \
    {.key = k, .kind = SF_STRING, .off = offsetof(T, m), .size = sizeof(((T *)0)->m),             \
     .sdef = d, .min = minlen}
#define BOOL(T, k, m, d) {.key = k, .kind = SF_BOOL, .off = offsetof(T, m), .def = d}
#define OBJ(k, f) {.key = k, .kind = SF_OBJECT, .fields = f}
#define END {.key = NULL}
/* clang-format on */

#define KC kisim_config
#define NT cfg_node_type
/* "Numeric amounts not given a range" (users, seconds of a pattern) share this bound. */
#define AMOUNT 1e7

/* ---- env ---- */
static const schema_field env_fields[] = {
    ENUM(KC, "backend", env.backend, BACKEND_SIM, cfg_backend_names),
    U64(KC, "seed", env.seed, 0),
    POS(KC, "horizon_s", env.horizon_s, 600, 1e7),
    DBL(KC, "decision_interval_s", env.decision_interval_s, 5, 0.1, 3600),
    ENUM(KC, "invalid_action", env.invalid_action, INVALID_ACTION_ERROR, invalid_action_names),
    DBL(KC, "invalid_penalty", env.invalid_penalty, -1, -1e6, 0),
    INT(KC, "max_nodes", env.max_nodes, 16, 1, CFG_MAX_NODES),
    INT(KC, "window", env.window, 10, 1, 256),
    DBL(KC, "terminate_down_s", env.terminate_down_s, 60, 0, 1e7),
    END,
};

/* ---- cluster ---- */
const schema_field cfg_node_type_schema[] = {
    STR(NT, "name", name, "standard", 1),
    INT(NT, "count", count, 1, 0, CFG_MAX_NODES),
    POS(NT, "cores", cores, 8, 1024),
    POS(NT, "memory_gib", memory_gib, 32, 1e5),
    POS(NT, "llc_mb", llc_mb, 32, 4096),
    POS(NT, "membw_gbps", membw_gbps, 25, 1e4),
    POS(NT, "disk_iops", disk_iops, 20000, 1e8),
    POS(NT, "net_kpps", net_kpps, 200, 1e5),
    INT(NT, "gpus", gpus, 0, 0, 64),
    INT(NT, "max_pods", max_pods, 110, 1, 10000),
    END,
};

/* Keys come from the X-macro tables in config.h, so a new kind cannot miss its row; each kind
 * needs a DEF_<id> default or the build fails. */
#define NOISY_DEF_CACHE 1
#define NOISY_DEF_MEMBW 1
#define NOISY_DEF_CPU 1
#define NOISY_DEF_DISK 0.5
#define NOISY_DEF_NETWORK 0.5
#define NOISY_ROW(id, name) DBL(KC, name, cluster.noisy.kinds[NOISY_##id], NOISY_DEF_##id, 0, 1000),
static const schema_field noisy_kind_fields[] = {KISIM_NOISY_KINDS(NOISY_ROW) END};

static const schema_field noisy_fields[] = {
    DBL(KC, "per_node_hour", cluster.noisy.per_node_hour, 1.8, 0, 1e4),
    POS(KC, "mean_lifetime_s", cluster.noisy.mean_lifetime_s, 1200, 1e7),
    DBL(KC, "intensity", cluster.noisy.intensity, 1, 0, 10),
    OBJ("kinds", noisy_kind_fields),
    END,
};

static const schema_field telemetry_fields[] = {
    DBL(KC, "noise", cluster.telemetry.noise, 0.02, 0, 1),
    INT(KC, "lag_steps", cluster.telemetry.lag_steps, 1, 0, 16),
    END,
};

static const schema_field cluster_fields[] = {
    INT(KC, "nodes", cluster.nodes, 8, 1, CFG_MAX_NODES),
    {.key = "node_types",
     .kind = SF_NODE_TYPES,
     .off = offsetof(KC, cluster.node_types),
     .count_off = offsetof(KC, cluster.n_node_types),
     .min = 1,
     .max = CFG_MAX_NODE_TYPES,
     .fields = cfg_node_type_schema},
    OBJ("noisy", noisy_fields),
    OBJ("telemetry", telemetry_fields),
    {.key = "unavailable_features", .kind = SF_FEATURES, .off = offsetof(KC, cluster.unavailable)},
    END,
};

/* ---- workload ---- */
#define SENS_DEF_CPU 0.6
#define SENS_DEF_LLC 0.7
#define SENS_DEF_MEMBW 0.5
#define SENS_DEF_DISK 0.5
#define SENS_DEF_NETWORK 0.5
#define SENS_ROW(id, name)                                                                         \
    DBL(KC, name, workload.service.sensitivity[CONT_##id], SENS_DEF_##id, 0, 100),
static const schema_field sensitivity_fields[] = {KISIM_CONTENTION(SENS_ROW) END};

#define S(m) workload.service.m
static const schema_field service_fields[] = {
    POS(KC, "base_service_ms", S(base_service_ms), 10, 1e5),
    POS(KC, "slo_ms", S(slo_ms), 150, 1e6),
    POS(KC, "timeout_ms", S(timeout_ms), 1000, 1e7),
    POS(KC, "cpu_request", S(cpu_request), 1, 1024),
    POS(KC, "memory_gib", S(memory_gib), 1, 1e5),
    DBL(KC, "working_set_mb", S(working_set_mb), 6, 0, 4096),
    DBL(KC, "membw_gbps_per_krps", S(membw_gbps_per_krps), 1, 0, 1e4),
    INT(KC, "min_replicas", S(min_replicas), 1, 1, 1000),
    INT(KC, "max_replicas", S(max_replicas), 8, 1, 1000),
    INT(KC, "initial_replicas", S(initial_replicas), 2, 1, 1000),
    OBJ("sensitivity", sensitivity_fields),
    DBL(KC, "hpa_target", S(hpa_target), 0.5, 0.01, 1),
    DBL(KC, "hpa_tolerance", S(hpa_tolerance), 0.1, 0, 1),
    END,
};
#undef S

#define MIX_ROW(id, name) DBL(KC, name, workload.background.mix[BG_##id], 1, 0, 1000),
static const schema_field mix_fields[] = {KISIM_BG_CLASSES(MIX_ROW) END};

static const schema_field background_fields[] = {
    POS(KC, "mean_lifetime_s", workload.background.mean_lifetime_s, 300, 1e7),
    OBJ("mix", mix_fields),
    INT(KC, "initial_pods", workload.background.initial_pods, 12, 0, 100000),
    DBL(KC, "arrival_prob", workload.background.arrival_prob, 0.5, 0, 1),
    END,
};

static const schema_field workload_fields[] = {
    OBJ("service", service_fields),
    OBJ("background", background_fields),
    END,
};

/* ---- load ---- */
static const schema_field ramp_fields[] = {
    DBL(KC, "start", load.ramp.start, 50, 0, AMOUNT),
    DBL(KC, "end", load.ramp.end, 250, 0, AMOUNT),
    POS(KC, "duration_s", load.ramp.duration_s, 600, AMOUNT),
    END,
};
static const schema_field spike_fields[] = {
    DBL(KC, "base", load.spike.base, 100, 0, AMOUNT),
    DBL(KC, "height", load.spike.height, 150, 0, AMOUNT),
    DBL(KC, "at_s", load.spike.at_s, 200, 0, AMOUNT),
    POS(KC, "width_s", load.spike.width_s, 60, AMOUNT),
    END,
};
static const schema_field periodic_fields[] = {
    DBL(KC, "mean", load.periodic.mean, 150, 0, AMOUNT),
    DBL(KC, "amplitude", load.periodic.amplitude, 75, 0, AMOUNT),
    POS(KC, "period_s", load.periodic.period_s, 300, AMOUNT),
    END,
};
static const schema_field random_fields[] = {
    DBL(KC, "min", load.random.min, 50, 0, AMOUNT),
    DBL(KC, "max", load.random.max, 250, 0, AMOUNT),
    POS(KC, "interval_s", load.random.interval_s, 60, AMOUNT),
    U64(KC, "seed", load.random.seed, 0),
    END,
};
static const schema_field trace_fields[] = {
    STR(KC, "path", load.trace.path, "", 0),
    DBL(KC, "scale", load.trace.scale, 1, 0, AMOUNT),
    DBL(KC, "window_start_s", load.trace.window_start_s, 0, 0, 1e9),
    DBL(KC, "window_end_s", load.trace.window_end_s, 0, 0, 1e9),
    ENUM(KC, "unit", load.trace.unit, TRACE_UNIT_USERS, trace_unit_names),
    END,
};
static const schema_field load_fields[] = {
    ENUM(KC, "pattern", load.pattern, LOAD_RAMP, cfg_pattern_names),
    POS(KC, "rate_per_user", load.rate_per_user, 1, 1e6),
    OBJ("ramp", ramp_fields),
    OBJ("spike", spike_fields),
    OBJ("periodic", periodic_fields),
    OBJ("random", random_fields),
    OBJ("trace", trace_fields),
    END,
};

/* ---- reward, eval ---- */
#define WEIGHT(k, m, d) DBL(KC, k, reward.m, d, 0, 1e6)
static const schema_field reward_fields[] = {
    WEIGHT("latency", latency, 1),
    {.key = "latency_percentile",
     .kind = SF_CHOICE,
     .off = offsetof(KC, reward.latency_percentile),
     .def = 99,
     .choices = percentile_choices,
     .n = 3},
    WEIGHT("errors", errors, 1),
    WEIGHT("throughput", throughput, 0.5),
    WEIGHT("cost", cost, 0.5),
    WEIGHT("contention", contention, 0.5),
    DBL(KC, "replica_price_per_hour", reward.replica_price_per_hour, 0.10, 0, 1e6),
    DBL(KC, "gpu_price_per_hour", reward.gpu_price_per_hour, 2.5, 0, 1e6),
    END,
};

static const char *const train_env_names[] = {"cluster", "cartpole"};
_Static_assert(sizeof(cfg_train_env) == sizeof(int), "enum size");
#define TR(m) train.m
static const schema_field train_fields[] = {
    ENUM(KC, "env", TR(env), TRAIN_ENV_CLUSTER, train_env_names),
    U64(KC, "total_steps", TR(total_steps), 1000000),
    INT(KC, "num_envs", TR(num_envs), 16, 1, 4096),
    INT(KC, "num_steps", TR(num_steps), 128, 1, 100000),
    INT(KC, "minibatches", TR(minibatches), 4, 1, 100000),
    INT(KC, "epochs", TR(epochs), 4, 1, 1000),
    POS(KC, "lr", TR(lr), 2.5e-4, 1),
    BOOL(KC, "anneal_lr", TR(anneal_lr), 1),
    DBL(KC, "gamma", TR(gamma), 0.99, 0, 1),
    DBL(KC, "gae_lambda", TR(gae_lambda), 0.95, 0, 1),
    POS(KC, "clip", TR(clip), 0.2, 10),
    BOOL(KC, "clip_vloss", TR(clip_vloss), 1),
    DBL(KC, "ent_coef", TR(ent_coef), 0.01, 0, 100),
    DBL(KC, "vf_coef", TR(vf_coef), 0.5, 0, 100),
    POS(KC, "max_grad_norm", TR(max_grad_norm), 0.5, 1e6),
    DBL(KC, "target_kl", TR(target_kl), 0, 0, 100),
    BOOL(KC, "norm_adv", TR(norm_adv), 1),
    BOOL(KC, "norm_obs", TR(norm_obs), 1),
    BOOL(KC, "norm_reward", TR(norm_reward), 1),
    DBL(KC, "feature_mask_prob", TR(feature_mask_prob), 0.1, 0, 1),
    INT(KC, "hidden", TR(hidden), 64, 1, 4096),
    U64(KC, "seed", TR(seed), 1),
    INT(KC, "checkpoint_every", TR(checkpoint_every), 10, 1, 1000000),
    INT(KC, "eval_every", TR(eval_every), 10, 1, 1000000),
    INT(KC, "eval_episodes", TR(eval_episodes), 8, 1, 100000),
    U64(KC, "eval_seed", TR(eval_seed), 900000),
    INT(KC, "threads", TR(threads), 1, 1, 256),
    {.key = "remote",
     .kind = SF_ENDPOINTS,
     .off = offsetof(KC, train.remote),
     .count_off = offsetof(KC, train.n_remote)},
    END,
};

static const schema_field eval_fields[] = {
    INT(KC, "episodes", eval.episodes, 30, 1, 100000),
    U64(KC, "seed", eval.seed, 1000000),
    END,
};

/* ---- local ---- */
#define LC(m) local.m
static const schema_field local_noisy_fields[] = {
    INT(KC, "nodes", LC(noisy.nodes), 1, 0, 4096),
    INT(KC, "cpu_workers", LC(noisy.cpu_workers), 1, 1, 64),
    INT(KC, "cpu_load", LC(noisy.cpu_load), 100, 1, 100),
    END,
};
static const schema_field local_batch_fields[] = {
    POS(KC, "cpu_request", LC(batch.cpu_request), 0.1, 1024),
    INT(KC, "cpu_load", LC(batch.cpu_load), 10, 1, 100),
    END,
};
static const schema_field local_fields[] = {
    STR(KC, "cgroup_parent", LC(cgroup_parent), "kisim", 1),
    STR(KC, "run_dir", LC(run_dir), "/tmp", 1),
    STR(KC, "kisim", LC(kisim), "", 0),
    STR(KC, "stress_ng", LC(stress_ng), "/usr/bin/stress-ng", 1),
    STR(KC, "locust", LC(locust), "", 0),
    STR(KC, "locustfile", LC(locustfile), "", 0),
    INT(KC, "locust_web_port", LC(locust_web_port), 0, 0, 65535),
    INT(KC, "collect_interval_ms", LC(collect_interval_ms), 1000, 100, 60000),
    POS(KC, "startup_timeout_s", LC(startup_timeout_s), 20, 600),
    INT(KC, "target_threads", LC(target_threads), 1, 1, 64),
    OBJ("noisy", local_noisy_fields),
    OBJ("batch", local_batch_fields),
    END,
};
#undef LC

const schema_field cfg_schema[] = {
    OBJ("env", env_fields),   OBJ("cluster", cluster_fields), OBJ("workload", workload_fields),
    OBJ("load", load_fields), OBJ("reward", reward_fields),   OBJ("train", train_fields),
    OBJ("eval", eval_fields), OBJ("local", local_fields),     END,
};

/* ---- defaults ---- */
void schema_defaults(const schema_field *fields, void *base)
{
    for (const schema_field *f = fields; f->key; f++) {
        char *p = (char *)base + f->off;
        switch (f->kind) {
        case SF_INT:
        case SF_CHOICE:
        case SF_ENUM:
            *(int *)p = (int)f->def;
            break;
        case SF_U64:
            *(uint64_t *)p = (uint64_t)f->def;
            break;
        case SF_DOUBLE:
            *(double *)p = f->def;
            break;
        case SF_STRING:
            snprintf(p, f->size, "%s", f->sdef);
            break;
        case SF_OBJECT:
            schema_defaults(f->fields, base);
            break;
        case SF_NODE_TYPES:
            /* Empty: config.c's normalisation turns "no node types" into the default type. */
            memset(p, 0, sizeof(cfg_node_type) * CFG_MAX_NODE_TYPES);
            *(int *)((char *)base + f->count_off) = 0;
            break;
        case SF_FEATURES:
            memset(p, 0, KISIM_F);
            break;
        case SF_BOOL:
            *(int *)p = f->def != 0;
            break;
        case SF_ENDPOINTS:
            memset(p, 0, (size_t)CFG_MAX_REMOTE * CFG_ENDPOINT_LEN);
            *(int *)((char *)base + f->count_off) = 0;
            break;
        }
    }
}

/* ---- output ---- */
void schema_puts(schema_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            free(b->buf);
            *b = (schema_buf){.oom = 1};
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n + 1);
    b->len += n;
}

static void putf(schema_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(schema_buf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    schema_puts(b, tmp);
}

void schema_fmt_double(char *buf, size_t n, double v)
{
    /* Shortest that round-trips, so 0.1 prints as 0.1 and every value reads back bit-exact. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

static void put_string(schema_buf *b, const char *s)
{
    schema_puts(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            putf(b, "\\%c", c);
        else if (c < 0x20)
            putf(b, "\\u%04x", c);
        else
            putf(b, "%c", c);
    }
    schema_puts(b, "\"");
}

static void newline(schema_buf *b, int indent)
{
    if (indent < 0) return;
    schema_puts(b, "\n");
    for (int i = 0; i < indent; i++)
        schema_puts(b, " ");
}

/* indent is the current object's indentation in spaces, or -1 for compact output. */
static void emit_object(schema_buf *b, const schema_field *fields, const void *base, int indent)
{
    int inner = indent < 0 ? -1 : indent + 2;
    schema_puts(b, "{");
    for (const schema_field *f = fields; f->key; f++) {
        const char *p = (const char *)base + f->off;
        char num[40];
        newline(b, inner);
        put_string(b, f->key);
        schema_puts(b, indent < 0 ? ":" : ": ");
        switch (f->kind) {
        case SF_INT:
        case SF_CHOICE:
            putf(b, "%d", *(const int *)p);
            break;
        case SF_U64:
            putf(b, "%llu", (unsigned long long)*(const uint64_t *)p);
            break;
        case SF_DOUBLE:
            schema_fmt_double(num, sizeof num, *(const double *)p);
            schema_puts(b, num);
            break;
        case SF_ENUM: {
            int k = *(const int *)p;
            /* An out-of-table value can only come from code; null makes re-parsing fail. */
            if (k >= 0 && k < f->n)
                put_string(b, f->names[k]);
            else
                schema_puts(b, "null");
            break;
        }
        case SF_STRING:
            put_string(b, p);
            break;
        case SF_OBJECT:
            emit_object(b, f->fields, base, inner);
            break;
        case SF_NODE_TYPES: {
            int n = *(const int *)((const char *)base + f->count_off);
            schema_puts(b, "[");
            for (int i = 0; i < n; i++) {
                if (i) schema_puts(b, ",");
                newline(b, inner < 0 ? -1 : inner + 2);
                emit_object(b, f->fields, p + (size_t)i * sizeof(cfg_node_type),
                            inner < 0 ? -1 : inner + 2);
            }
            if (n) newline(b, inner);
            schema_puts(b, "]");
            break;
        }
        case SF_FEATURES: {
            int first = 1;
            schema_puts(b, "[");
            for (int i = 0; i < KISIM_F; i++) {
                if (!p[i]) continue;
                if (!first) schema_puts(b, indent < 0 ? "," : ", ");
                put_string(b, kisim_features[i].name);
                first = 0;
            }
            schema_puts(b, "]");
            break;
        }
        case SF_BOOL:
            schema_puts(b, *(const int *)p ? "true" : "false");
            break;
        case SF_ENDPOINTS: {
            int n = *(const int *)((const char *)base + f->count_off);
            schema_puts(b, "[");
            for (int i = 0; i < n; i++) {
                if (i) schema_puts(b, indent < 0 ? "," : ", ");
                put_string(b, p + (size_t)i * CFG_ENDPOINT_LEN);
            }
            schema_puts(b, "]");
            break;
        }
        }
        if (f[1].key) schema_puts(b, ",");
    }
    newline(b, indent);
    schema_puts(b, "}");
}

void schema_emit(schema_buf *b, const schema_field *fields, const void *base, int indent)
{
    emit_object(b, fields, base, indent);
}
