/* collect.h: what the collector's kernel side (collect.bpf.c) and user side (collect_bpf.c)
 * share: the counters it keeps, whole-machine and per cgroup, and each CPU's slot. Every counter
 * is cumulative since load; the user side takes differences between samples. */
#ifndef KISIM_BPF_COLLECT_H
#define KISIM_BPF_COLLECT_H

/* Cumulative event counters. Per-CPU maps hold one per CPU; the user side sums them. */
struct telem_counters {
    unsigned long long io_done;    /* block requests completed (block_rq_complete) */
    unsigned long long io_timed;   /* completions with a start time (io_wait_ns covers them) */
    unsigned long long io_wait_ns; /* sum of start -> complete time of io_timed requests */
    unsigned long long rx_pkts;    /* packets received by every device (/proc/net/dev; not BPF) */
    unsigned long long tx_pkts;    /* packets handed to a device successfully (net_dev_xmit) */
    unsigned long long drops;      /* skbs freed as dropped (kfree_skb) */
};

/* Per CPU, one array slot found with a single lookup: the whole machine's counters; the amounts
 * of the cgroup this CPU last charged that are not yet in that cgroup's hash entry (a CPU usually
 * charges the same cgroup many times in a row, so the per-cgroup hash is touched only when the
 * cgroup changes; the user side adds what is pending at each reading); and what the last event
 * was for, so the next one from the same task or cgroup skips finding the cgroup id again. */
struct telem_cpu {
    struct telem_counters total;
    unsigned long long tx_cgid, tx_pending; /* cpu-hierarchy cgroup id, packets */
    unsigned long long io_cgid;             /* blkio cgroup id */
    unsigned long long io_done, io_timed, io_wait_ns;
    /* The last transmitting task (its address, start time and css_set: together they name one
     * task in one set of cgroups) and the blkio css (by its never-reused serial number). */
    unsigned long long tx_task, tx_start, tx_cset;
    unsigned long long io_serial;
};

#endif
