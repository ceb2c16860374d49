/* collect.bpf.c: the collector's kernel side. BTF tracepoints on the scheduler, the block layer
 * and the network stack count events for the whole machine and per cgroup; the user side
 * (collect_bpf.c) reads the maps every sampling period. BTF tracepoints (tp_btf) need no tracefs,
 * hand us trusted task pointers, which the cgroup v1 kfunc requires, and let us follow kernel
 * pointers with plain loads (the verifier makes them fault-safe; a NULL reads as 0), much cheaper
 * than bpf_probe_read_kernel per field. The types carry preserve_access_index: still CO-RE. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "collect.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the user side before load. cpu_hier: the cgroup v1 hierarchy id of the cpu controller
 * (tasks are attributed to their cgroup there); 0 means the unified v2 hierarchy. */
const volatile unsigned int cpu_hier = 0;

struct cgroup *bpf_task_get_cgroup1(struct task_struct *task, int hierarchy_id) __ksym;
void bpf_cgroup_release(struct cgroup *cgrp) __ksym;

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct telem_counters);
} totals SEC(".maps");

/* Keyed by cgroup id in the cpu hierarchy (cpu_ns, tx_pkts). LRU: cgroups that disappear age out. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);
    __type(value, struct telem_counters);
} cg_task SEC(".maps");

/* Keyed by cgroup id in the blkio hierarchy (io_*): the block layer's own owner of the I/O. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);
    __type(value, struct telem_counters);
} cg_blk SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct telem_running);
} running SEC(".maps");

static struct telem_counters zero_counters;

static __always_inline struct telem_counters *total(void)
{
    __u32 k = 0;
    return bpf_map_lookup_elem(&totals, &k);
}

static __always_inline struct telem_counters *per_cgroup(void *map, __u64 cgid)
{
    struct telem_counters *c = bpf_map_lookup_elem(map, &cgid);
    if (c) return c;
    bpf_map_update_elem(map, &cgid, &zero_counters, BPF_NOEXIST);
    return bpf_map_lookup_elem(map, &cgid);
}

/* Per task: the cgroup id last looked up and the css_set it was looked up for. A task's css_set
 * pointer changes whenever it moves to another cgroup, so an equal pointer means the cached id is
 * still right, and the kfunc (which walks the css_set's links and takes a reference) runs only
 * when a task first runs or moves. */
struct cg_cache {
    void *cset;
    __u64 cgid;
};

struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct cg_cache);
} task_cg SEC(".maps");

/* The task's cgroup id in the cpu hierarchy (v1, via the kfunc) or the unified one (v2). */
static __always_inline __u64 task_cgid(struct task_struct *t)
{
    if (!cpu_hier) return t->cgroups->dfl_cgrp->kn->id;
    void *cset = t->cgroups;
    struct cg_cache *cc = bpf_task_storage_get(&task_cg, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (cc && cc->cset == cset) return cc->cgid;
    struct cgroup *cg = bpf_task_get_cgroup1(t, cpu_hier);
    if (!cg) return 0;
    __u64 id = cg->kn->id;
    bpf_cgroup_release(cg);
    if (cc) {
        cc->cset = cset;
        cc->cgid = id;
    }
    return id;
}

static __always_inline struct telem_running *running_slot(void)
{
    __u32 k = 0;
    return bpf_map_lookup_elem(&running, &k);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
    struct telem_running *r = running_slot();
    if (!r) return 0;
    __u64 now = bpf_ktime_get_ns();
    /* The time since the last switch on this CPU belongs to the task that ran (prev). */
    if (r->start_ns && r->pid) {
        __u64 d = now - r->start_ns;
        struct telem_counters *t = total();
        if (t) t->cpu_ns += d;
        if (r->cgid != r->cpu_cgid) { /* another cgroup: hand the pending time to the map */
            struct telem_counters *c = r->cpu_pending ? per_cgroup(&cg_task, r->cpu_cgid) : 0;
            if (c) c->cpu_ns += r->cpu_pending;
            r->cpu_cgid = r->cgid;
            r->cpu_pending = 0;
        }
        r->cpu_pending += d;
    }
    int pid = next->pid;
    r->pid = pid;
    r->cgid = pid ? task_cgid(next) : 0;
    r->start_ns = now;
    return 0;
}

/* The blkio cgroup the block layer charged the request to (the submitter's, for direct I/O).
 * At completion the bios are still attached: the tracepoint fires before they are ended. */
static __always_inline __u64 rq_cgid(struct request *rq)
{
    if (!bpf_core_field_exists(rq->bio->bi_blkg)) return 0;
    return rq->bio->bi_blkg->blkcg->css.cgroup->kn->id; /* a NULL on the way reads as 0 */
}

/* The time is the block layer's own: rq->start_time_ns is stamped when the request is allocated
 * (when the queue keeps I/O statistics) and is what /proc/diskstats' "time spent" fields add up,
 * so io_wait_ns is queueing plus service time, as in iostat's await. No issue-side program and no
 * in-flight map: one program per request. */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(on_complete, struct request *rq)
{
    struct telem_counters *t = total();
    struct telem_running *r = running_slot();
    if (!t || !r) return 0;
    __u64 cgid = rq_cgid(rq);
    __u64 start = rq->start_time_ns;
    __u64 now = bpf_ktime_get_ns();
    int timed = start && start <= now; /* 0: the queue keeps no I/O statistics */
    __u64 wait = timed ? now - start : 0;
    t->io_done++;
    t->io_timed += timed;
    t->io_wait_ns += wait;
    if (cgid != r->io_cgid) { /* another cgroup: hand the pending counts to the map */
        struct telem_counters *c = r->io_done ? per_cgroup(&cg_blk, r->io_cgid) : 0;
        if (c) {
            c->io_done += r->io_done;
            c->io_timed += r->io_timed;
            c->io_wait_ns += r->io_wait_ns;
        }
        r->io_cgid = cgid;
        r->io_done = r->io_timed = r->io_wait_ns = 0;
    }
    r->io_done++;
    r->io_timed += timed;
    r->io_wait_ns += wait;
    return 0;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(on_rx, struct sk_buff *skb)
{
    /* Receive runs in softirq, on whatever task the CPU interrupted: whole machine only. */
    struct telem_counters *t = total();
    if (t) t->rx_pkts++;
    return 0;
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(on_tx, struct sk_buff *skb, int rc)
{
    if (rc != 0) return 0; /* NETDEV_TX_OK only */
    struct telem_counters *t = total();
    if (t) t->tx_pkts++;
    struct telem_running *r = running_slot();
    if (!r) return 0;
    __u64 cgid = task_cgid(bpf_get_current_task_btf());
    if (cgid != r->tx_cgid) { /* another cgroup: hand the pending count to the map */
        struct telem_counters *c = r->tx_pending ? per_cgroup(&cg_task, r->tx_cgid) : 0;
        if (c) c->tx_pkts += r->tx_pending;
        r->tx_cgid = cgid;
        r->tx_pending = 0;
    }
    r->tx_pending++;
    return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(on_drop)
{
    struct telem_counters *t = total();
    if (t) t->drops++;
    return 0;
}
