/* collect.bpf.c: the collector's kernel side. BTF tracepoints on the block layer and the network
 * stack count events for the whole machine and per cgroup; the user side (collect_bpf.c) reads
 * the maps every sampling period. CPU time is not counted here: the scheduler already charges it
 * to every cgroup (cpuacct), and the user side reads that (bpf/README.md says why). BTF
 * tracepoints (tp_btf) need no tracefs, hand us trusted task pointers, which the cgroup v1 kfunc
 * requires, and let us follow kernel pointers with plain loads (the verifier makes them
 * fault-safe; a NULL reads as 0). The types carry preserve_access_index: still CO-RE. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "collect.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the user side before load. cpu_hier: the cgroup v1 hierarchy id of the cpu controller
 * (tasks are attributed to their cgroup there); 0 means the unified v2 hierarchy. */
const volatile unsigned int cpu_hier = 0;

struct cgroup *bpf_task_get_cgroup1(struct task_struct *task, int hierarchy_id) __ksym;
void bpf_cgroup_release(struct cgroup *cgrp) __ksym;

/* One slot per CPU: the whole machine's counters and what is pending for a cgroup (collect.h). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct telem_cpu);
} pcpu SEC(".maps");

/* Keyed by cgroup id in the cpu hierarchy (tx_pkts). LRU: cgroups that disappear age out. */
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

static struct telem_counters zero_counters;

static __always_inline struct telem_cpu *slot(void)
{
    __u32 k = 0;
    return bpf_map_lookup_elem(&pcpu, &k);
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
 * when a task first transmits or has moved. */
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

/* The blkio cgroup the block layer charged the request to (the submitter's, for direct I/O),
 * known by its css: a css's serial number is never reused, so the id of the last one seen on this
 * CPU is reused without following the css to its cgroup's id. At completion the bios are still
 * attached: the tracepoint fires before they are ended. A NULL on the way reads as 0. */
static __always_inline __u64 rq_cgid(struct telem_cpu *s, struct request *rq)
{
    if (!bpf_core_field_exists(rq->bio->bi_blkg)) return 0;
    struct cgroup_subsys_state *css = &rq->bio->bi_blkg->blkcg->css;
    __u64 serial = css->serial_nr;
    if (serial && serial == s->io_serial) return s->io_cgid;
    s->io_serial = serial;
    return BPF_CORE_READ(css, cgroup, kn, id); /* a helper read: the loads above cannot merge */
}

/* The time is the block layer's own: rq->start_time_ns is stamped when the request is allocated
 * (when the queue keeps I/O statistics) and is what /proc/diskstats' "time spent" fields add up,
 * so io_wait_ns is queueing plus service time, as in iostat's await. No issue-side program and no
 * in-flight map: one program per request. */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(on_complete, struct request *rq)
{
    struct telem_cpu *s = slot();
    if (!s) return 0;
    __u64 cgid = rq_cgid(s, rq);
    __u64 start = rq->start_time_ns;
    __u64 now = bpf_ktime_get_ns();
    int timed = start && start <= now; /* 0: the queue keeps no I/O statistics */
    __u64 wait = timed ? now - start : 0;
    s->total.io_done++;
    s->total.io_timed += timed;
    s->total.io_wait_ns += wait;
    if (cgid != s->io_cgid) { /* another cgroup: hand the pending counts to the map */
        struct telem_counters *c = s->io_done ? per_cgroup(&cg_blk, s->io_cgid) : 0;
        if (c) {
            c->io_done += s->io_done;
            c->io_timed += s->io_timed;
            c->io_wait_ns += s->io_wait_ns;
        }
        s->io_cgid = cgid;
        s->io_done = s->io_timed = s->io_wait_ns = 0;
    }
    s->io_done++;
    s->io_timed += timed;
    s->io_wait_ns += wait;
    return 0;
}

SEC("tp_btf/net_dev_xmit")
int BPF_PROG(on_tx, struct sk_buff *skb, int rc)
{
    if (rc != 0) return 0; /* NETDEV_TX_OK only */
    struct telem_cpu *s = slot();
    if (!s) return 0;
    s->total.tx_pkts++;
    struct task_struct *t = bpf_get_current_task_btf();
    __u64 cset = (__u64)t->cgroups, start = t->start_time;
    /* Another task, or the same one moved: find its cgroup; else it is the one pending. */
    if ((__u64)t != s->tx_task || start != s->tx_start || cset != s->tx_cset) {
        __u64 cgid = task_cgid(t);
        s->tx_task = (__u64)t;
        s->tx_start = start;
        s->tx_cset = cset;
        if (cgid != s->tx_cgid) { /* another cgroup: hand the pending count to the map */
            struct telem_counters *c = s->tx_pending ? per_cgroup(&cg_task, s->tx_cgid) : 0;
            if (c) c->tx_pkts += s->tx_pending;
            s->tx_cgid = cgid;
            s->tx_pending = 0;
        }
    }
    s->tx_pending++;
    return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(on_drop)
{
    struct telem_cpu *s = slot();
    if (s) s->total.drops++;
    return 0;
}
