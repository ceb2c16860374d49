/* config.h: the scenario configuration, one JSON document read into typed structs.
 *
 * Every key has a default, a type and a range, all in one schema table (config_schema.c) that
 * drives parsing, validation, `kisim config show` and the docs. Unknown keys, wrong types and
 * out-of-range values are KISIM_ECONFIG errors naming the file and the JSON path:
 *   config: configs/x.json: /cluster/nodes: expected an integer in [1, 4096], got "sixteen"
 * Sections: env, cluster, workload, load, reward, train, eval, local (later issues add scorer,
 * kubernetes). */
#ifndef KISIM_CONFIG_H
#define KISIM_CONFIG_H

#include <limits.h>
#include <stdint.h>

#include "common/features.h"

#define CFG_MAX_NODE_TYPES 16
/* The most nodes a cluster (and env.max_nodes) may have: the bound of per-node scratch arrays. */
#define CFG_MAX_NODES 4096
#define CFG_NAME_LEN 32
#define CFG_PATH_LEN 4096

typedef enum { BACKEND_SIM, BACKEND_LOCAL, BACKEND_KUBERNETES } cfg_backend;
typedef enum { INVALID_ACTION_ERROR, INVALID_ACTION_PENALTY } cfg_invalid_action;

typedef struct {
    cfg_backend backend;               /* "sim" | "local" | "kubernetes"; default "sim" */
    uint64_t seed;                     /* seed of the first training episode; default 0 */
    double horizon_s;                  /* episode length, simulated seconds; default 600 */
    double decision_interval_s;        /* time between decisions; default 5 */
    cfg_invalid_action invalid_action; /* default error */
    double invalid_penalty;            /* reward of an invalid action in penalty mode; default -1 */
    int max_nodes;                     /* N_max; default 16 */
    int window;                        /* T, telemetry samples per node; default 10 */
    double terminate_down_s; /* terminated after the service is down this long; default 60 */
} cfg_env;

typedef struct {
    char name[CFG_NAME_LEN];
    int count;
    double cores;      /* allocatable CPU, cores */
    double memory_gib; /* allocatable memory */
    double llc_mb;     /* last-level cache */
    double membw_gbps; /* memory bandwidth */
    double disk_iops;  /* disk IOPS capacity */
    double net_kpps;   /* network capacity, thousands of packets per second */
    int gpus;
    int max_pods;
} cfg_node_type;

/* Noisy-neighbour kinds, in this order everywhere (config keys, sim, docs). */
#define KISIM_NOISY_KINDS(X)                                                                       \
    X(CACHE, "cache") X(MEMBW, "membw") X(CPU, "cpu") X(DISK, "disk") X(NETWORK, "network")
typedef enum {
#define NOISY_ENUM(id, name) NOISY_##id,
    KISIM_NOISY_KINDS(NOISY_ENUM)
#undef NOISY_ENUM
        NOISY_KINDS
} noisy_kind;
extern const char *const noisy_kind_names[NOISY_KINDS];

typedef struct {
    int nodes;        /* node count when node_types is absent; default 8 */
    int n_node_types; /* 0 means: `nodes` nodes of the default type */
    cfg_node_type node_types[CFG_MAX_NODE_TYPES];
    struct {
        double per_node_hour;      /* noisy-neighbour arrivals per node per hour */
        double mean_lifetime_s;    /* exponential lifetime */
        double intensity;          /* multiplies every noisy kind's actual usage */
        double kinds[NOISY_KINDS]; /* relative weights of the kinds */
    } noisy;
    struct {
        double noise;  /* telemetry noise std, as a fraction of the feature range */
        int lag_steps; /* telemetry lags the true state by this many samples */
    } telemetry;
    uint8_t unavailable[KISIM_F]; /* 1 = feature not measurable (from "unavailable_features") */
} cfg_cluster;

/* Contention kinds a service is sensitive to, in this order (config keys "sensitivity"). */
#define KISIM_CONTENTION(X)                                                                        \
    X(CPU, "cpu") X(LLC, "llc") X(MEMBW, "membw") X(DISK, "disk") X(NETWORK, "network")
typedef enum {
#define CONT_ENUM(id, name) CONT_##id,
    KISIM_CONTENTION(CONT_ENUM)
#undef CONT_ENUM
        CONTENTION_KINDS
} contention_kind;
extern const char *const contention_names[CONTENTION_KINDS];

/* Background workload classes, in this order (pod context one-hot after latency-sensitive). */
#define KISIM_BG_CLASSES(X)                                                                        \
    X(CPU_BOUND, "cpu_bound")                                                                      \
    X(MEMORY_BOUND, "memory_bound") X(IO_BOUND, "io_bound") X(BATCH, "batch")
typedef enum {
#define BG_ENUM(id, name) BG_##id,
    KISIM_BG_CLASSES(BG_ENUM)
#undef BG_ENUM
        BG_CLASSES
} bg_class;
extern const char *const bg_class_names[BG_CLASSES];

typedef struct {
    struct {
        double base_service_ms;     /* mean service time on an uncontended node */
        double slo_ms;              /* latency objective for the reward's percentile */
        double timeout_ms;          /* requests slower than this fail */
        double cpu_request;         /* cores per replica */
        double memory_gib;          /* per replica */
        double working_set_mb;      /* LLC working set per replica */
        double membw_gbps_per_krps; /* memory traffic per 1000 requests/s */
        int min_replicas, max_replicas, initial_replicas;
        double sensitivity[CONTENTION_KINDS];
        double hpa_target;    /* HPA target CPU utilisation; default 0.7 */
        double hpa_tolerance; /* HPA no-change band; default 0.1 */
    } service;
    struct {
        double mean_lifetime_s; /* exponential lifetime of a background pod */
        double mix[BG_CLASSES]; /* relative weights of the classes */
        int initial_pods;       /* placed at random before the first decision */
        double arrival_prob;    /* chance a decision without a pending replica gets a pod */
    } background;
} cfg_workload;

typedef enum { LOAD_RAMP, LOAD_SPIKE, LOAD_PERIODIC, LOAD_RANDOM, LOAD_TRACE } cfg_load_pattern;
typedef enum { TRACE_UNIT_USERS, TRACE_UNIT_RPS } cfg_trace_unit;

typedef struct {
    cfg_load_pattern pattern; /* default "ramp" */
    double rate_per_user;     /* requests per second per user; default 1 */
    struct {
        double start, end, duration_s;
    } ramp;
    struct {
        double base, height, at_s, width_s;
    } spike;
    struct {
        double mean, amplitude, period_s;
    } periodic;
    struct {
        double min, max, interval_s;
        uint64_t seed;
    } random;
    struct {
        char path[CFG_PATH_LEN]; /* resolved against the config file's folder */
        double scale;
        double window_start_s, window_end_s; /* end 0 = the end of the trace */
        cfg_trace_unit unit;                 /* "users" or "rps" */
    } trace;
} cfg_load;

typedef struct {
    double latency;         /* weight of max(0, latency / slo - 1) */
    int latency_percentile; /* 50, 95 or 99; default 99 */
    double errors;          /* weight of the error rate */
    double throughput;      /* weight of served / offered */
    double cost;            /* weight of replica cost / cost of max_replicas */
    double contention;      /* weight of the share of replicas on contended nodes */
    double replica_price_per_hour;
    double gpu_price_per_hour;
} cfg_reward;

typedef enum { TRAIN_ENV_CLUSTER, TRAIN_ENV_CARTPOLE } cfg_train_env;

#define CFG_MAX_REMOTE 16
#define CFG_ENDPOINT_LEN 256

/* PPO hyper-parameters (agent/ppo.h); defaults are CleanRL ppo.py's where it has them. */
typedef struct {
    cfg_train_env env;        /* "cluster": the config's env; "cartpole": built-in CartPole */
    uint64_t total_steps;     /* env steps (decisions) over all envs; default 1000000 */
    int num_envs;             /* K; default 16 */
    int num_steps;            /* rollout length per env; default 128 */
    int minibatches;          /* default 4 */
    int epochs;               /* default 4 */
    double lr;                /* default 2.5e-4 */
    int anneal_lr;            /* default true */
    double gamma, gae_lambda; /* 0.99, 0.95 */
    double clip;              /* 0.2 */
    int clip_vloss;           /* default true */
    double ent_coef, vf_coef; /* 0.01, 0.5 */
    double max_grad_norm;     /* 0.5 */
    double target_kl;         /* 0 = no early stop */
    int norm_adv;             /* default true */
    int norm_obs;             /* running observation normalisation; default true */
    int norm_reward;          /* scale rewards by the running std of the discounted return
                               * (Gym's NormalizeReward), clipped to [-10, 10]; default true */
    double feature_mask_prob; /* per episode and measured feature; default 0.1 */
    int hidden;               /* default 64 */
    uint64_t seed;            /* learner seed (init, sampling, shuffles); default 1 */
    int checkpoint_every;     /* updates; default 10 */
    int eval_every;           /* updates between validation runs for best.safetensors; 10 */
    int eval_episodes;        /* validation episodes; default 8 */
    uint64_t eval_seed;       /* first validation seed; default 900000 */
    int threads;              /* OpenBLAS threads; default 1 */
    int n_remote;             /* env servers to train against instead of in-process envs */
    char remote[CFG_MAX_REMOTE][CFG_ENDPOINT_LEN];
} cfg_train;

typedef struct {
    int episodes;  /* default 10 */
    uint64_t seed; /* first evaluation seed; default 1000000 */
} cfg_eval;

/* The local backend (env/LOCAL.md): nodes are cgroups on this machine with the CPU quota and
 * memory limit of their node type (cores, memory_gib), pods are processes. */
typedef struct {
    char cgroup_parent[CFG_NAME_LEN * 4]; /* groups go under it; default "kisim" */
    char run_dir[CFG_PATH_LEN];    /* an instance's files (logs, targets, Locust CSV); "/tmp" */
    char kisim[CFG_PATH_LEN];      /* kisim binary for collect and target; "" = this program if it
                                    * is kisim, else $KISIM */
    char stress_ng[CFG_PATH_LEN];  /* default "/usr/bin/stress-ng" */
    char locust[CFG_PATH_LEN];     /* Locust binary; "" = the driver's default */
    char locustfile[CFG_PATH_LEN]; /* "" = the driver's default */
    int locust_web_port;           /* 0 = a free port */
    int collect_interval_ms;       /* collector period; default 1000 */
    double startup_timeout_s;      /* bound on each start-up wait; default 20 */
    int target_threads;            /* kisim target --threads; default 1 */
    struct {
        int nodes;       /* nodes with a noisy neighbour, drawn per episode; default 1 */
        int cpu_workers; /* stress-ng --cpu; default 1 */
        int cpu_load;    /* stress-ng --cpu-load, percent; default 100 */
    } noisy;
    struct {
        double cpu_request; /* cores a batch pod requests; default 0.1 */
        int cpu_load;       /* its stress-ng --cpu-load, percent of one CPU; default 10 */
    } batch;
} cfg_local;

typedef struct {
    char path[CFG_PATH_LEN]; /* the file it came from ("" for defaults) */
    char dir[CFG_PATH_LEN];  /* its folder, for relative paths inside it */
    cfg_env env;
    cfg_cluster cluster;
    cfg_workload workload;
    cfg_load load;
    cfg_reward reward;
    cfg_train train;
    cfg_eval eval;
    cfg_local local;
} kisim_config;

/* Fills every field with its default. */
void cfg_default(kisim_config *cfg);
/* Defaults, then the file's values. 0, or KISIM_ECONFIG / KISIM_EIO with the message set. */
int cfg_read(kisim_config *cfg, const char *path);
/* Defaults, then the values of a JSON text; `origin` names it in messages, `dir` resolves
 * relative paths. */
int cfg_parse(kisim_config *cfg, const char *json, const char *origin, const char *dir);
/* The effective configuration as pretty JSON (malloc'd; NULL on out-of-memory). */
char *cfg_to_json(const kisim_config *cfg);
/* FNV-1a 64 of the compact effective JSON: equal for equal effective configs. */
uint64_t cfg_hash(const kisim_config *cfg);
/* Total node count (sum over node types, or `nodes`). */
int cfg_node_count(const kisim_config *cfg);
/* The type of node i (0-based, types in order), for i < cfg_node_count(). */
const cfg_node_type *cfg_node_type_of(const kisim_config *cfg, int i);

#endif
