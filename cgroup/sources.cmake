# cgroup/: reading a cgroup's v1 or v2 files (quota, CPU time, memory), for bpf/ and env/local/.
kisim_component(cgroup DIR cgroup SOURCES cgroup.c DEPS kisim_common)
