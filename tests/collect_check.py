"""collect_check.py: drives a running `kisim collect` (tests/cli_collect.sh) with known activity.

Creates two cgroup nodes a and b (cpu, cpuacct, memory, blkio hierarchies, cgroup v1) with a pod
a/pod1, starts the collector on them and on the whole machine, then runs in a/pod1 in turn a
CPU-bound process under a 0.2-CPU quota, direct-I/O writes to a temp file, and loopback TCP
traffic. Checks a's matching features move (against cpuacct.usage for CPU) and b's do not; the
whole machine's disk and network counts agree with /proc/diskstats and /proc/net/dev within 20%;
frames arrive at the interval with increasing timestamps; unavailable means null. Everything it
starts it stops by pid; every cgroup it creates it removes. Exit 0 = all checks passed.

Also: /metrics serves the features as Prometheus text; --connect reaches a SUB that binds.

usage: collect_check.py KISIM PORT
"""
import json, os, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request
import zmq

KISIM, PORT = sys.argv[1], int(sys.argv[2])
INTERVAL = 0.5
N_IO = 2000    # direct-I/O writes of each dd run in the disk check
N_UDP = 20000  # datagrams the UDP check sends
PROGS = {"on_complete", "on_tx", "on_drop"}  # bpf/collect.bpf.c's programs
TAG = "kisim-test-%d" % os.getpid()
CTRLS = ["cpu", "cpuacct", "memory", "blkio"]
failures = []


def check(cond, msg):
    print(("ok    " if cond else "FAIL  ") + msg, flush=True)
    if not cond:
        failures.append(msg)


def cg(ctrl, rel=""):
    return os.path.join("/sys/fs/cgroup", ctrl, TAG, rel)


def make_cgroups():
    for c in CTRLS:
        for rel in ["", "a", "a/pod1", "b"]:
            os.makedirs(cg(c, rel), exist_ok=True)
    with open(cg("cpu", "a/cpu.cfs_period_us"), "w") as f:
        f.write("100000")
    with open(cg("cpu", "a/cpu.cfs_quota_us"), "w") as f:
        f.write("20000")


def remove_cgroups():
    for c in CTRLS:
        for rel in ["a/pod1", "a", "b", ""]:
            try:
                os.rmdir(cg(c, rel))
            except OSError as e:
                print("cleanup: rmdir %s: %s" % (cg(c, rel), e))


def spawn_in(rel, argv):
    """Starts argv with its pid in cgroup rel of every controller before it execs."""
    def enter():
        for c in CTRLS:
            with open(os.path.join(cg(c, rel), "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
    return subprocess.Popen(argv, preexec_fn=enter, stdout=subprocess.DEVNULL)


def stop(p):
    if p.poll() is None:
        p.kill()
    p.wait()


class Frames:
    """Collects every frame on a background thread: (receipt time, node, body)."""
    def __init__(self):
        self.ctx = zmq.Context()
        self.s = self.ctx.socket(zmq.SUB)
        self.s.connect("tcp://127.0.0.1:%d" % PORT)
        self.s.setsockopt(zmq.SUBSCRIBE, b"telemetry.")
        self.s.setsockopt(zmq.RCVTIMEO, 200)
        self.frames, self.lock, self.done = [], threading.Lock(), False
        self.probes = {}  # receipt of a frame of node "machine" -> /proc readings then
        self.t = threading.Thread(target=self.run)
        self.t.start()

    def run(self):
        while not self.done:
            try:
                topic, body = self.s.recv_multipart()
            except zmq.Again:
                continue
            now = time.monotonic()
            f = json.loads(body)
            with self.lock:
                self.frames.append((now, topic.decode(), f))
                if f["node"] == "machine":
                    self.probes[len(self.frames) - 1] = (diskstats(), netdev(), procstat())

    def of(self, node, after=0.0, before=1e18):
        with self.lock:
            return [(i, t, f) for i, (t, top, f) in enumerate(self.frames)
                    if f["node"] == node and after <= t <= before]

    def close(self):
        self.done = True
        self.t.join()
        self.s.close(0)
        self.ctx.term()


def diskstats():
    """(requests completed, milliseconds they spent) over reads, writes, discards and flushes of
    the blk-mq whole disks: the devices whose requests the block_rq tracepoints see."""
    n = ms = 0
    for line in open("/proc/diskstats"):
        x = line.split()
        if not os.path.isdir("/sys/block/%s/mq" % x[2]):
            continue
        v = [int(y) for y in x[3:]] + [0] * 17
        n += v[0] + v[4] + v[11] + v[15]
        ms += v[3] + v[7] + v[14] + v[16]
    return n, ms


def netdev():
    rx = tx = 0
    for line in open("/proc/net/dev").readlines()[2:]:
        v = line.split(":", 1)[1].split()
        rx += int(v[1])
        tx += int(v[9])
    return rx, tx


def task_ns(pid):
    """A task's run time so far (the scheduler's per-task sum, /proc/PID/schedstat), in ns."""
    return int(open("/proc/%d/schedstat" % pid).read().split()[0])


def procstat():
    """(busy, all) CPU time of the machine in USER_HZ ticks from /proc/stat: busy is user, nice,
    system, irq and softirq (guest time is inside user); all adds idle and iowait."""
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    busy = v[0] + v[1] + v[2] + v[5] + v[6]
    return busy, busy + v[3] + v[4]


def count(fr, node, name, start, end):
    """Events a node's frames received in (start, end] add up to: rate x frame spacing."""
    fs = [f for _, t, f in fr.of(node) if start < t <= end + 0.2]
    allf = [f for _, _, f in fr.of(node)]
    total = 0.0
    for f in fs:
        i = allf.index(f)
        if i == 0:
            continue
        dt = (f["ts_ms"] - allf[i - 1]["ts_ms"]) / 1000.0
        total += (feat(f, name) or 0) * dt
    return total


def feat(f, name):
    return f["features"][NAMES.index(name)]


HAVE_PMU = any(os.path.exists("/sys/bus/event_source/devices/%s/events/cache-misses" % d)
               for d in ("cpu", "cpu_core", "cpu_atom"))
NAMES = ["cpu_utilization", "cpu_throttle_rate", "memory_utilization", "memory_bandwidth_gbps",
         "l3_cache_miss_rate", "l3_cache_occupancy_mb", "disk_io_wait_ms", "disk_iops",
         "network_rx_packets_sec", "network_tx_packets_sec", "network_drop_rate",
         "cpu_requested_ratio", "memory_requested_ratio", "pods_ratio", "gpu_utilization"]


def cpu_stat(rel):
    """The cgroup's cpu.stat counters (nr_periods, nr_throttled, throttled_time)."""
    with open(cg("cpu", rel + "/cpu.stat")) as f:
        return {k: int(v) for k, v in (line.split() for line in f)}


def window(fr, start, end):
    """Frames of a, b and machine whose intervals lie inside [start, end] (receipt times)."""
    return {n: [f for _, t, f in fr.of(n, start + INTERVAL * 1.2, end)] for n in ("a", "b", "machine")}


def mean(fs, name, pod=None):
    v = [(f["pods"][pod] if pod else f)["features"][NAMES.index(name)] for f in fs
         if not pod or pod in f["pods"]]
    v = [x for x in v if x is not None]
    return sum(v) / len(v) if v else float("nan")


def compare_machine(fr, start, end, what):
    """Sum of the machine's per-frame rates * frame spacing vs /proc over the same frames."""
    m = fr.of("machine", start + INTERVAL * 1.2, end)
    if len(m) < 3:
        check(False, "%s: too few machine frames (%d)" % (what, len(m)))
        return
    i0, i1 = m[0][0], m[-1][0]
    p0, p1 = fr.probes.get(i0), fr.probes.get(i1)
    got = {"disk": 0.0, "rx": 0.0, "tx": 0.0, "wait_ms": 0.0, "cpu": 0.0, "dt": 0.0}
    for (_, _, prev), (_, _, f) in zip(m, m[1:]):
        dt = (f["ts_ms"] - prev["ts_ms"]) / 1000.0
        got["dt"] += dt
        got["cpu"] += feat(f, "cpu_utilization") * dt
        got["disk"] += feat(f, "disk_iops") * dt
        got["wait_ms"] += feat(f, "disk_io_wait_ms") * feat(f, "disk_iops") * dt
        got["rx"] += feat(f, "network_rx_packets_sec") * dt
        got["tx"] += feat(f, "network_tx_packets_sec") * dt
    want = {"disk": p1[0][0] - p0[0][0], "rx": p1[1][0] - p0[1][0], "tx": p1[1][1] - p0[1][1]}
    if what == "cpu":  # the share of all CPUs busy: cpuacct's root vs /proc/stat's ticks
        busy = (p1[2][0] - p0[2][0]) / (p1[2][1] - p0[2][1])
        g = got["cpu"] / got["dt"]
        check(abs(g - busy) <= 0.2 * busy, "cpu: machine utilisation %.3f vs /proc/stat busy %.3f (within 20%%)"
              % (g, busy))
        return
    for k in (["disk"] if what == "disk" else ["rx", "tx"]):
        ok = want[k] > 50 and abs(got[k] - want[k]) <= 0.2 * want[k]
        check(ok, "%s: machine %s count %.0f vs /proc %d (within 20%%)" % (what, k, got[k], want[k]))
    if what == "disk" and want["disk"] > 0 and got["disk"] > 0:
        w, g = (p1[0][1] - p0[0][1]) / want["disk"], got["wait_ms"] / got["disk"]
        check(abs(g - w) <= 0.2 * w + 0.002, "disk: machine mean I/O wait %.4f ms vs /proc/diskstats "
              "time spent %.4f ms (within 20%%)" % (g, w))


def bpf_ids(pid):
    """The BPF program and link ids a process holds, from its fds' fdinfo."""
    ids = {"prog_id": set(), "link_id": set()}
    for fd in os.listdir("/proc/%d/fdinfo" % pid):
        try:
            for line in open("/proc/%d/fdinfo/%s" % (pid, fd)):
                k, _, v = line.partition(":")
                if k in ids:
                    ids[k].add(int(v))
        except OSError:
            pass
    return ids


def loaded_ids():
    out = {}
    for kind, key in (("prog", "prog_id"), ("link", "link_id")):
        j = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True).stdout
        out[key] = {x["id"] for x in json.loads(j or "[]")}
    return out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def connect_mode():
    """--connect: the consumer binds a SUB; the collector connects and stops after --count."""
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    port = sub.bind_to_random_port("tcp://127.0.0.1")
    sub.setsockopt(zmq.SUBSCRIBE, b"telemetry.m")
    sub.setsockopt(zmq.RCVTIMEO, 20000)
    # Received while the collector runs: a SUB drops what is queued from a peer that has left.
    p = subprocess.Popen([KISIM, "collect", "--node", "m", "--connect", "tcp://127.0.0.1:%d" % port,
                          "--interval-ms", "200", "--count", "4"])
    got = []
    try:
        for _ in range(3):  # the first frame can precede the subscription; later ones arrive
            got.append(json.loads(sub.recv_multipart()[1]))
    except zmq.Again:
        pass
    try:
        p.wait(60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    sub.close(0)
    ctx.term()
    check(p.returncode == 0 and len(got) == 3 and all(f["node"] == "m" for f in got),
          "--connect: a binding SUB receives frames; --count ends with 0 (%d frames, exit %d)"
          % (len(got), p.returncode))


def main():
    make_cgroups()
    collector = fr = ours = None
    procs = []
    tmpdir = tempfile.mkdtemp(dir="/var/tmp")
    try:
        fr = Frames()
        collector = subprocess.Popen([KISIM, "collect", "--node", "machine", "--node", "a=%s/a" % TAG,
                                      "--node", "b=/sys/fs/cgroup/cpu/%s/b" % TAG,
                                      "--publish", "tcp://127.0.0.1:%d" % PORT,
                                      "--interval-ms", str(int(INTERVAL * 1000)),
                                      "--metrics", "127.0.0.1:%d" % free_port()])
        t0 = time.monotonic()
        while not fr.of("machine") and time.monotonic() - t0 < 30:
            time.sleep(0.1)
        check(bool(fr.of("machine")), "frames arrive")
        ours = bpf_ids(collector.pid)
        names = set()
        for i in ours["prog_id"]:
            j = subprocess.run(["bpftool", "-j", "prog", "show", "id", str(i)], capture_output=True, text=True).stdout
            names.add(json.loads(j or "{}").get("name"))
        check(names == PROGS and len(ours["link_id"]) == len(PROGS),
              "the collector loads and attaches every program (%s; %d links)" % (" ".join(sorted(names, key=str)),
                                                                              len(ours["link_id"])))
        time.sleep(3 * INTERVAL)

        # CPU: a busy loop in a/pod1 under a's 0.2-CPU quota (small, so it is throttled even when
        # other tests share the machine). The collector reads the cgroups' cpuacct; the reference
        # is the busy process's own run time (/proc/PID/schedstat, the scheduler's per-task sum),
        # and the whole machine's is checked against /proc/stat's busy time.
        s = time.monotonic()
        p = spawn_in("a/pod1", ["sh", "-c", "while :; do :; done"])
        procs.append(p)
        time.sleep(0.2)
        r0, t0, c0 = task_ns(p.pid), time.monotonic(), cpu_stat("a")
        time.sleep(3.0)
        r1, t1, c1 = task_ns(p.pid), time.monotonic(), cpu_stat("a")
        e = time.monotonic()
        stop(p)
        w = window(fr, s + 0.2, e)
        want = (r1 - r0) / 1e9 / (t1 - t0) / 0.2  # the process's share of a's 0.2-CPU capacity
        got = mean(w["a"], "cpu_utilization")
        check(abs(got - want) <= 0.2 * want and got <= 1.2,
              "cpu: a's utilisation %.3f vs its process's schedstat %.3f (at most 1: the quota)" % (got, want))
        # A spinning process exhausts a 0.2-CPU quota in most periods, fewer when the machine's
        # other work keeps it off the CPU; the reference is the kernel's own count over about the
        # same window, read here from a's cpu.stat (windows differ by a frame: loose tolerance).
        periods = c1["nr_periods"] - c0["nr_periods"]
        ref = (c1["nr_throttled"] - c0["nr_throttled"]) / periods if periods else 0.0
        thr = mean(w["a"], "cpu_throttle_rate")
        check(ref > 0 and thr > 0 and abs(thr - ref) <= 0.15 + 0.3 * ref,
              "cpu: a is throttled (%.2f vs cpu.stat %.2f over the window)" % (thr, ref))
        check(mean(w["a"], "cpu_utilization", "pod1") > 0.5 * want, "cpu: pod a/pod1 carries it (%.3f)" %
              mean(w["a"], "cpu_utilization", "pod1"))
        check(mean(w["b"], "cpu_utilization") < 0.02, "cpu: b stays idle (%.4f)" % mean(w["b"], "cpu_utilization"))
        check(mean(w["b"], "cpu_throttle_rate") == 0, "cpu: b is not throttled")
        check(mean(w["machine"], "cpu_throttle_rate") > 0, "cpu: the machine's throttle rate includes a's (%.2f)"
              % mean(w["machine"], "cpu_throttle_rate"))
        compare_machine(fr, s + 0.2, e, "cpu")

        # Disk: a known number of direct-I/O 4 KiB writes from a/pod1: each is one block request,
        # charged to a's blkio cgroup.
        s, runs = time.monotonic(), 0
        while time.monotonic() - s < 3 or runs < 2:  # whole runs of N_IO writes for ~3 s
            p = spawn_in("a/pod1", ["dd", "if=/dev/zero", "of=%s/f" % tmpdir, "bs=4k", "count=%d" % N_IO,
                                    "oflag=direct", "status=none"])
            procs.append(p)
            p.wait()
            runs += 1
        e = time.monotonic()
        time.sleep(3 * INTERVAL)  # the frames covering the last writes
        w = window(fr, s, e)
        check(mean(w["a"], "disk_io_wait_ms") > 0, "disk: a's I/O wait moves (%.3f ms)" % mean(w["a"], "disk_io_wait_ms"))
        check(mean(w["b"], "disk_iops") == 0, "disk: b's IOPS stay 0 (%.1f)" % mean(w["b"], "disk_iops"))
        n = count(fr, "a", "disk_iops", s, e + 3 * INTERVAL)
        check(abs(n - runs * N_IO) <= 0.2 * runs * N_IO, "disk: a's requests %.0f vs the %d direct writes "
              "(within 20%%)" % (n, runs * N_IO))
        compare_machine(fr, s, e, "disk")

        # Network: loopback TCP from a/pod1 to a sink in this process (root cgroup).
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        sink_done = threading.Event()

        def sink():
            c, _ = srv.accept()
            while c.recv(65536):
                pass
            c.close()
            sink_done.set()
        threading.Thread(target=sink, daemon=True).start()
        sender = ("import socket,time\ns=socket.create_connection(('127.0.0.1',%d))\n"
                  "s.setsockopt(socket.IPPROTO_TCP,socket.TCP_NODELAY,1)\nend=time.time()+3\n"
                  "while time.time()<end:\n s.send(b'x'*100)\n time.sleep(0.0002)\ns.close()\n"
                  % srv.getsockname()[1])
        s = time.monotonic()
        p = spawn_in("a/pod1", ["/usr/bin/python3", "-c", sender])
        procs.append(p)
        p.wait()
        e = time.monotonic()
        sink_done.wait(5)
        srv.close()
        w = window(fr, s, e)
        check(mean(w["a"], "network_tx_packets_sec") > 200, "net: a's tx packets move (%.0f/s)" %
              mean(w["a"], "network_tx_packets_sec"))
        check(mean(w["b"], "network_tx_packets_sec") == 0, "net: b's tx packets stay 0")
        compare_machine(fr, s, e, "net")

        # UDP: a known number of datagrams from a/pod1 to a sink here: one transmit each, in the
        # sender's context, so a's transmit count is that number, b's 0.
        rcv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rcv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        rcv.bind(("127.0.0.1", 0))
        sender = ("import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                  "for i in range(%d):\n s.sendto(b'x'*64,('127.0.0.1',%d))\n if i%%100==99: time.sleep(0.01)\n"
                  % (N_UDP, rcv.getsockname()[1]))
        s = time.monotonic()
        p = spawn_in("a/pod1", ["/usr/bin/python3", "-c", sender])
        procs.append(p)
        p.wait()
        e = time.monotonic()
        time.sleep(3 * INTERVAL)
        rcv.close()
        n = count(fr, "a", "network_tx_packets_sec", s, e + 3 * INTERVAL)
        check(abs(n - N_UDP) <= 0.2 * N_UDP, "udp: a's transmits %.0f vs the %d datagrams it sent (within 20%%)" % (n, N_UDP))
        check(count(fr, "b", "network_tx_packets_sec", s, e + 3 * INTERVAL) == 0, "udp: b's transmits stay 0")
        rx = count(fr, "machine", "network_rx_packets_sec", s, e + 3 * INTERVAL)
        check(rx >= 0.9 * N_UDP, "udp: the machine received at least the %d datagrams (%.0f)" % (N_UDP, rx))

        # Frames: rate, increasing timestamps, null exactly where unavailable.
        for n in ("machine", "a", "b"):
            ts = [f["ts_ms"] for _, _, f in fr.of(n)]
            gaps = [(y - x) / 1000.0 for x, y in zip(ts, ts[1:])]
            gaps.sort()
            med = gaps[len(gaps) // 2] if gaps else 0
            check(all(g > 0 for g in gaps), "%s: timestamps increase" % n)
            check(abs(med - INTERVAL) <= 0.1 * INTERVAL and max(gaps) < 4 * INTERVAL,
                  "%s: frames every %.3f s (median; max %.3f)" % (n, med, max(gaps)))
            ok = True
            for _, _, f in fr.of(n):
                units = [f] + list(f["pods"].values())
                for u in units:
                    ok &= len(u["features"]) == 15 and len(u["available"]) == 15
                    ok &= all((x is None) == (a == 0) for x, a in zip(u["features"], u["available"]))
                    ok &= all(u["available"][i] == 0 for i in (3, 5, 11, 12, 13, 14))
                    # L3 misses: only the whole machine, only with a PMU (none on a VM like CI's).
                    ok &= u["available"][4] == 0 or (n == "machine" and u is f and HAVE_PMU)
            check(ok, "%s: null exactly where available is 0; no bandwidth/occupancy/orchestrator "
                  "features; L3 misses only with a PMU (%s)" % (n, "present" if HAVE_PMU else "absent"))
        check(all(f["available"][NAMES.index("network_rx_packets_sec")] == 0 for _, _, f in fr.of("a")),
              "a: receive is marked unattributable")
        text = urllib.request.urlopen("http://" + collector.args[-1] + "/metrics", timeout=5).read().decode()
        check('kisim_node_feature{node="a",feature="cpu_utilization",unit="ratio"}' in text and
              'kisim_node_feature_available{node="a",feature="network_rx_packets_sec"} 0' in text and
              'kisim_bpf_prog_runs_total{prog="on_tx"}' in text, "/metrics serves the features")
        if os.path.exists("/usr/bin/promtool"):
            lint = subprocess.run(["/usr/bin/promtool", "check", "metrics"], input=text, capture_output=True, text=True)
            check(lint.returncode == 0, "/metrics passes promtool check metrics %s" % (lint.stdout + lint.stderr).strip())
        connect_mode()
    finally:
        for p in procs:
            stop(p)
        if collector:
            if collector.poll() is None:
                collector.send_signal(signal.SIGINT)
            try:
                rc = collector.wait(20)
            except subprocess.TimeoutExpired:
                collector.kill()
                rc = collector.wait()
            check(rc == 0, "collector stops on SIGINT with 0 (got %s)" % rc)
        if fr:
            fr.close()
        try:
            os.remove(os.path.join(tmpdir, "f"))
        except OSError:
            pass
        os.rmdir(tmpdir)
        remove_cgroups()
    if collector and ours:  # other collectors (a parallel test run) may be loaded: only ours
        left = loaded_ids()
        check(not (ours["prog_id"] & left["prog_id"]) and not (ours["link_id"] & left["link_id"]),
              "after SIGINT none of its programs or links is left")
    print("%d failed" % len(failures))
    return 1 if failures else 0


sys.exit(main())
