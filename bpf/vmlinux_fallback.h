/* vmlinux_fallback.h: the pinned kernel types collect.bpf.c uses, for building on a machine
 * without /sys/kernel/btf/vmlinux (the build normally dumps the running kernel's full vmlinux.h).
 * Only the fields we read, marked preserve_access_index: CO-RE relocates each access against the
 * target kernel's BTF at load time, so offsets here do not matter, only names and types.
 * Checked by building with -DKISIM_BPF_VMLINUX_FALLBACK=ON and running tests/cli_collect.sh. */
#ifndef KISIM_VMLINUX_FALLBACK_H
#define KISIM_VMLINUX_FALLBACK_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s64 s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
enum { false = 0, true = 1 };

/* From the UAPI (stable values). */
enum bpf_map_type {
    BPF_MAP_TYPE_HASH = 1,
    BPF_MAP_TYPE_ARRAY = 2,
    BPF_MAP_TYPE_PERCPU_HASH = 5,
    BPF_MAP_TYPE_PERCPU_ARRAY = 6,
    BPF_MAP_TYPE_LRU_HASH = 9,
    BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
    BPF_MAP_TYPE_TASK_STORAGE = 29,
};
enum { BPF_ANY = 0, BPF_NOEXIST = 1, BPF_EXIST = 2 };
enum { BPF_F_NO_PREALLOC = 1 };
enum { BPF_LOCAL_STORAGE_GET_F_CREATE = 1 };

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct kernfs_node {
    u64 id;
};
struct cgroup {
    struct kernfs_node *kn;
};
struct cgroup_subsys_state {
    struct cgroup *cgroup;
    u64 serial_nr;
};
struct css_set {
    struct cgroup *dfl_cgrp;
};
struct task_struct {
    int pid;
    u64 start_time;
    struct css_set *cgroups;
};
struct blkcg {
    struct cgroup_subsys_state css;
};
struct blkcg_gq {
    struct blkcg *blkcg;
};
struct bio {
    struct blkcg_gq *bi_blkg;
};
struct request {
    struct bio *bio;
    u64 start_time_ns;
};
struct sk_buff {
    unsigned int len;
};
struct net_device {
    int ifindex;
};
struct pt_regs {
    unsigned long di, si, dx, cx, r8, r9, ax, sp, ip, bp;
};

#pragma clang attribute pop

#endif
