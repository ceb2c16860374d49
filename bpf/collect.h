/* collect.h: what the collector's kernel side (collect.bpf.c) and user side (collect.c) share:
 * the counters it keeps, whole-machine and per cgroup, and the per-CPU "who is running" slot.
 * Every counter is cumulative since load; the user side takes differences between samples. */
#ifndef KISIM_BPF_COLLECT_H
#define KISIM_BPF_COLLECT_H

/* Cumulative event counters. Per-CPU maps hold one per CPU; the user side sums them. */
struct telem_counters {
    unsigned long long cpu_ns;     /* on-CPU time of non-idle tasks (sched_switch) */
    unsigned long long io_done;    /* block requests completed (block_rq_complete) */
    unsigned long long io_timed;   /* completions with a start time (io_wait_ns covers them) */
    unsigned long long io_wait_ns; /* sum of start -> complete time of io_timed requests */
    unsigned long long rx_pkts;    /* packets into the stack (netif_receive_skb) */
    unsigned long long tx_pkts;    /* packets handed to a device successfully (net_dev_xmit) */
    unsigned long long drops;      /* skbs freed as dropped (kfree_skb) */
};

/* Per CPU: the task switched in at start_ns, its pid (0 = idle) and cgroup id. The user side adds
 * (now - start_ns) for a CPU that has been running one task since the last switch, so a CPU-bound
 * task that never switches still shows up in the sample.
 * Pending amounts: on-CPU time and transmits of one cgroup not yet added to its map entry. A CPU
 * usually runs the same cgroup again (idle in between is not counted), so the per-cgroup hash is
 * touched only when the cgroup changes; the user side adds what is pending. */
struct telem_running {
    unsigned long long start_ns;
    unsigned long long cgid;
    unsigned int pid;
    unsigned int pad;
    unsigned long long cpu_cgid, cpu_pending; /* ns */
    unsigned long long tx_cgid, tx_pending;   /* packets */
    unsigned long long io_cgid;               /* blkio cgroup id */
    unsigned long long io_done, io_timed, io_wait_ns;
};

#endif
