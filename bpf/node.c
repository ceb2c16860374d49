/* node.c: features of a node or pod over one sampling interval (see node.h), in the order and
 * units of common/features.h. What cannot be measured is marked unavailable, never zero. */
#include "bpf/node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpf/cgroupfs.h"
#include "cgroup/cgroup.h"

static void dir_of(char *out, const char *controller, const char *rel)
{
    const char *root = cgroupfs_root(controller);
    struct stat st;
    out[0] = 0;
    if (!root) return;
    snprintf(out, PATH_MAX, "%s/%s", root, rel);
    if (stat(out, &st) || !S_ISDIR(st.st_mode)) out[0] = 0;
}

void node_unit_init(node_unit *u, const char *name, const char *rel)
{
    memset(u, 0, sizeof *u);
    snprintf(u->name, sizeof u->name, "%s", name);
    u->whole = rel == NULL;
    if (rel) {
        dir_of(u->cpu_dir, "cpu", rel);
        dir_of(u->acct_dir, "cpuacct", rel);
        dir_of(u->mem_dir, "memory", rel);
        dir_of(u->blk_dir, "blkio", rel);
    } else {
        const char *root = cgroupfs_root("cpu");
        if (root) snprintf(u->cpu_dir, sizeof u->cpu_dir, "%s", root);
        root = cgroupfs_root("cpuacct"); /* the root's usage is every task's */
        if (root) snprintf(u->acct_dir, sizeof u->acct_dir, "%s", root);
    }
}

/* Sums the counters of every cgroup id of the tree. */
static void sum_tree(const cgroupfs_tree *t, const collect_cg *v, int n, struct telem_counters *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < t->n; i++) {
        const struct telem_counters *c = collect_snap_find(v, n, t->ids[i]);
        if (!c) continue;
        out->io_done += c->io_done;
        out->io_timed += c->io_timed;
        out->io_wait_ns += c->io_wait_ns;
        out->tx_pkts += c->tx_pkts;
    }
}

/* Counters only grow, but a subtree loses a removed child's share: clamp at 0. */
static double delta(unsigned long long now, unsigned long long before)
{
    return now > before ? (double)(now - before) : 0.0;
}

static void set(node_unit *u, int f, double v)
{
    u->feat[f] = v;
    u->avail[f] = 1;
}

/* The cpu hierarchy: the subtree's ids (summing the transmits of a cgroup node into task) and
 * the CFS periods and throttled periods since the last reading. The whole machine's throttling
 * sums every cgroup with a quota or whose bandwidth control ran; walking every cgroup of a busy
 * machine each period is costly (hundreds of directories), so the hierarchy is walked again only
 * when its number of cgroups changed (/proc/cgroups; at most every NODE_MIN_WALK periods) or
 * every NODE_FULL_WALK periods (a quota set on an existing cgroup), and only the known ones'
 * cpu.stat files are read in between. A subtree
 * is walked every period (its ids are needed). -1 if a node's cgroup is gone. */
static int read_cpu(node_unit *u, const collect_snap *s, struct telem_counters *task,
                    double *periods, double *throttled)
{
    if (!u->cpu_dir[0]) return u->whole ? 0 : -1;
    cgroupfs_tree now;
    int count = u->whole ? cgroupfs_count("cpu") : -1;
    unsigned since = u->ticks++ - u->walked_at;
    if (u->whole && u->walked_at && since < NODE_FULL_WALK &&
        (count == u->walked_count || since < NODE_MIN_WALK)) { /* read the known ones */
        cgroupfs_bw *before = malloc((size_t)(u->bw.n_bw + 1) * sizeof *before);
        if (!before) return 0;
        if (u->bw.n_bw) memcpy(before, u->bw.bw, (size_t)u->bw.n_bw * sizeof *before);
        cgroupfs_tree prev = {.bw = before, .n_bw = u->bw.n_bw};
        cgroupfs_reread(&u->bw);
        cgroupfs_bw_delta(&prev, &u->bw, periods, throttled);
        free(before); /* the paths stay u->bw's (or were freed with gone entries, unread here) */
        return 0;
    }
    if (cgroupfs_walk(u->cpu_dir, &now)) return u->whole ? 0 : -1;
    u->walked_count = count;
    u->walked_at = u->ticks;
    if (!u->whole) sum_tree(&now, s->task, s->n_task, task);
    cgroupfs_bw_delta(&u->bw, &now, periods, throttled);
    cgroupfs_tree_free(&u->bw);
    u->bw = now;
    return 0;
}

void node_unit_free(node_unit *u)
{
    cgroupfs_tree_free(&u->bw);
}

int node_unit_sample(node_unit *u, const collect_snap *s, double ncpu)
{
    struct telem_counters task = s->total, blk = s->total;
    double periods = 0, throttled = 0;
    if (read_cpu(u, s, &task, &periods, &throttled)) {
        memset(&u->avail, 0, sizeof u->avail);
        u->valid = 0;
        return -1; /* the node's cgroup is gone */
    }
    int have_cpu_stat = u->bw.has_cpu_stat;
    if (!u->whole && u->blk_dir[0]) {
        cgroupfs_tree b;
        if (cgroupfs_walk(u->blk_dir, &b) == 0) {
            sum_tree(&b, s->blk, s->n_blk, &blk);
            cgroupfs_tree_free(&b);
        }
    }
    unsigned long long cpu_ns = 0;
    int have_cpu_ns = u->acct_dir[0] && cgroup_cpu_usage(u->acct_dir, &cpu_ns) == 0;
    memset(u->avail, 0, sizeof u->avail);
    memset(u->feat, 0, sizeof u->feat);
    u->valid = 0;
    double dt = s->t - u->prev_t;
    if (u->have_prev && dt > 0) {
        u->valid = 1;
        double cap = u->whole ? ncpu : cgroupfs_cpu_capacity(u->cpu_dir, ncpu);
        if (have_cpu_ns && u->prev_have_cpu_ns)
            set(u, FEAT_CPU_UTILIZATION, delta(cpu_ns, u->prev_cpu_ns) / 1e9 / dt / cap);
        if (have_cpu_stat) /* no CFS period ran: nothing had a quota, so nothing was throttled */
            set(u, FEAT_CPU_THROTTLE_RATE, periods > 0 ? throttled / periods : 0.0);
        double mem;
        if ((u->whole || u->mem_dir[0]) && cgroupfs_memory(u->whole ? NULL : u->mem_dir, &mem) == 0)
            set(u, FEAT_MEMORY_UTILIZATION, mem);
        /* L3 misses: hardware counters, whole machine only. Memory bandwidth and L3 occupancy
         * need resctrl, which the collector does not read: never measured. */
        if (u->whole && s->have_llc) {
            double r = delta(s->llc_refs, u->prev_llc_refs);
            set(u, FEAT_L3_CACHE_MISS_RATE,
                r > 0 ? delta(s->llc_misses, u->prev_llc_misses) / r : 0.0);
        }
        if (u->whole || u->blk_dir[0]) {
            double n = delta(blk.io_timed, u->prev_blk.io_timed);
            set(u, FEAT_DISK_IO_WAIT_MS,
                n > 0 ? delta(blk.io_wait_ns, u->prev_blk.io_wait_ns) / n / 1e6 : 0.0);
            set(u, FEAT_DISK_IOPS, delta(blk.io_done, u->prev_blk.io_done) / dt);
        }
        set(u, FEAT_NETWORK_TX_PACKETS_SEC, delta(task.tx_pkts, u->prev_task.tx_pkts) / dt);
        if (u->whole) { /* receive and drops run in softirq: not attributable to a cgroup */
            double rx = delta(s->total.rx_pkts, u->prev_total.rx_pkts);
            double tx = delta(s->total.tx_pkts, u->prev_total.tx_pkts);
            double dr = delta(s->total.drops, u->prev_total.drops);
            set(u, FEAT_NETWORK_RX_PACKETS_SEC, rx / dt);
            set(u, FEAT_NETWORK_DROP_RATE, rx + tx > 0 ? dr / (rx + tx) : 0.0);
        }
    }
    u->have_prev = 1;
    u->prev_t = s->t;
    u->prev_task = task;
    u->prev_blk = blk;
    u->prev_total = s->total;
    u->prev_cpu_ns = cpu_ns;
    u->prev_have_cpu_ns = have_cpu_ns;
    u->prev_llc_refs = s->llc_refs;
    u->prev_llc_misses = s->llc_misses;
    return 0;
}
