/* collect_bpf.c: loads collect.bpf.c through its generated skeleton (open -> configure -> load ->
 * attach) and turns its per-CPU maps into one snapshot. */
#include "bpf/collect_bpf.h"
#include "common/clock.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect.skel.h"
#include "common/err.h"
#include "common/log.h"

struct collect {
    struct collect_bpf *skel;
    int ncpu; /* possible CPUs: the length of every per-CPU value */
};

/* libbpf's own messages only at debug level: the user sees our one-line errors. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG || log_get_level() < LOG_DEBUG) return 0;
    return vfprintf(stderr, fmt, ap);
}

int collect_open(collect **out, unsigned cpu_hier)
{
    int err = 0;
    *out = NULL;
    collect *c = calloc(1, sizeof *c);
    if (!c) return kisim_seterr(KISIM_ENOMEM, "collect: out of memory");
    libbpf_set_print(libbpf_print);
    c->ncpu = libbpf_num_possible_cpus();
    if (c->ncpu <= 0) {
        err = kisim_seterr(KISIM_EIO, "collect: cannot count the possible CPUs");
        goto cleanup;
    }
    c->skel = collect_bpf__open();
    if (!c->skel) {
        err = kisim_seterr(KISIM_EIO, "collect: cannot open the BPF object: %s", strerror(errno));
        goto cleanup;
    }
    c->skel->rodata->cpu_hier = cpu_hier;
    int e = collect_bpf__load(c->skel);
    if (e) {
        err = kisim_seterr(KISIM_EUNSUPPORTED,
                           "collect: the kernel refused the BPF programs (%s); it needs BTF "
                           "(/sys/kernel/btf/vmlinux)%s; run with -v for the verifier's log",
                           strerror(-e),
                           cpu_hier ? " and the bpf_task_get_cgroup1 kfunc (6.8+)" : "");
        goto cleanup;
    }
    e = collect_bpf__attach(c->skel);
    if (e) {
        err = kisim_seterr(KISIM_EIO, "collect: cannot attach the BPF programs: %s", strerror(-e));
        goto cleanup;
    }
    *out = c;
    return 0;
cleanup:
    collect_close(c);
    return err;
}

void collect_close(collect *c)
{
    if (!c) return;
    collect_bpf__destroy(c->skel); /* detaches every link, closes maps and programs */
    free(c);
}

static void add(struct telem_counters *a, const struct telem_counters *b)
{
    a->io_done += b->io_done;
    a->io_timed += b->io_timed;
    a->io_wait_ns += b->io_wait_ns;
    a->rx_pkts += b->rx_pkts;
    a->tx_pkts += b->tx_pkts;
    a->drops += b->drops;
}

static int cmp_cg(const void *a, const void *b)
{
    unsigned long long x = ((const collect_cg *)a)->id, y = ((const collect_cg *)b)->id;
    return x < y ? -1 : x > y;
}

/* Room for at least need entries in v. */
static int reserve(collect_cg **v, int *cap, int need)
{
    if (need <= *cap) return 0;
    int ncap = 2 * need;
    collect_cg *nv = realloc(*v, (size_t)ncap * sizeof *nv);
    if (!nv) return kisim_seterr(KISIM_ENOMEM, "collect: out of memory reading a map");
    *v = nv;
    *cap = ncap;
    return 0;
}

/* Appends (id, the sum of its per-CPU values) to v, keeping extra free slots after it. */
static int append(collect *c, collect_cg **v, int *n, int *cap, int extra, unsigned long long id,
                  const struct telem_counters *per)
{
    int err = reserve(v, cap, *n + 1 + extra);
    if (err) return err;
    collect_cg *e = &(*v)[(*n)++];
    memset(e, 0, sizeof *e);
    e->id = id;
    for (int i = 0; i < c->ncpu; i++)
        add(&e->c, &per[i]);
    return 0;
}

/* Every entry of a per-CPU hash, summed over CPUs, sorted by id; extra slots left for callers.
 * Entry by entry (two system calls each): the batch lookup would take and release every one of
 * the 16,384 buckets' locks with interrupts off, which cost 2.4% of a core on this VM. */
static int read_hash(collect *c, int fd, int extra, collect_cg **out, int *n_out)
{
    int cap = 0, n = 0, err = 0;
    collect_cg *v = NULL;
    struct telem_counters *per = calloc((size_t)c->ncpu, sizeof *per);
    if (!per) err = kisim_seterr(KISIM_ENOMEM, "collect: out of memory reading a map");
    unsigned long long key, next;
    void *prev = NULL;
    while (!err && bpf_map_get_next_key(fd, prev, &next) == 0) {
        key = next;
        prev = &key;
        if (bpf_map_lookup_elem(fd, &key, per)) continue; /* evicted meanwhile */
        err = append(c, &v, &n, &cap, extra, key, per);
    }
    if (!err) err = reserve(&v, &cap, n + extra + 1); /* room for the callers' extra entries */
    free(per);
    if (err) {
        free(v);
        return err;
    }
    *out = v;
    *n_out = n;
    return 0;
}

/* The entry of a cgroup id in v (n entries), appended if new (read_hash left room). */
static collect_cg *charge(collect_cg *v, int *n, unsigned long long id)
{
    int j = 0;
    while (j < *n && v[j].id != id)
        j++;
    if (j == *n) {
        memset(&v[j], 0, sizeof v[j]);
        v[j].id = id;
        (*n)++;
    }
    return &v[j];
}

int collect_read(collect *c, collect_snap *s)
{
    memset(s, 0, sizeof *s);
    s->t = clock_mono_s();
    int err = read_hash(c, bpf_map__fd(c->skel->maps.cg_task), c->ncpu, &s->task, &s->n_task);
    if (!err) err = read_hash(c, bpf_map__fd(c->skel->maps.cg_blk), c->ncpu, &s->blk, &s->n_blk);
    struct telem_cpu *cpu = calloc((size_t)c->ncpu, sizeof *cpu);
    unsigned zero = 0;
    if (!err && !cpu) err = kisim_seterr(KISIM_ENOMEM, "collect: out of memory");
    if (!err && bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.pcpu), &zero, cpu))
        err = kisim_seterr(KISIM_EIO, "collect: cannot read the BPF maps: %s", strerror(errno));
    if (!err) {
        /* Per CPU: the whole machine's counters, and what is pending for a cgroup. */
        for (int i = 0; i < c->ncpu; i++) {
            const struct telem_cpu *r = &cpu[i];
            add(&s->total, &r->total);
            if (r->tx_pending) charge(s->task, &s->n_task, r->tx_cgid)->c.tx_pkts += r->tx_pending;
            if (r->io_done) {
                collect_cg *b = charge(s->blk, &s->n_blk, r->io_cgid);
                b->c.io_done += r->io_done;
                b->c.io_timed += r->io_timed;
                b->c.io_wait_ns += r->io_wait_ns;
            }
        }
        qsort(s->task, (size_t)s->n_task, sizeof *s->task, cmp_cg);
        qsort(s->blk, (size_t)s->n_blk, sizeof *s->blk, cmp_cg);
    }
    free(cpu);
    if (err) collect_snap_free(s);
    return err;
}

void collect_snap_free(collect_snap *s)
{
    free(s->task);
    free(s->blk);
    s->task = s->blk = NULL;
    s->n_task = s->n_blk = 0;
}

const struct telem_counters *collect_snap_find(const collect_cg *v, int n, unsigned long long id)
{
    collect_cg k = {.id = id};
    const collect_cg *p = bsearch(&k, v, (size_t)n, sizeof *v, cmp_cg);
    return p ? &p->c : NULL;
}

void collect_prog_stats(collect *c,
                        void (*fn)(void *, const char *, unsigned long long, unsigned long long),
                        void *arg)
{
    struct bpf_program *p;
    bpf_object__for_each_program(p, c->skel->obj)
    {
        struct bpf_prog_info info;
        unsigned len = sizeof info;
        memset(&info, 0, sizeof info);
        if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len)) continue;
        fn(arg, bpf_program__name(p), info.run_cnt, info.run_time_ns);
    }
}
