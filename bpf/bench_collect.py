"""bench_collect.py: the collector's total cost at 1 s sampling under load (issue 7's benchmark).

Runs loopback UDP at a fixed packet rate (default 50,000/s, sender and receiver in this script's
children) and direct-I/O 4 KiB writes (dd oflag=direct) while `kisim collect` samples the whole
machine and one cgroup node every second. Over a steady window it reads the collector's CPU time
(every thread's /proc/PID/task/*/schedstat) and the BPF programs' own run time and run count (its /metrics,
kernel.bpf_stats_enabled=1, restored afterwards), and the achieved packet and I/O rates from
/proc. Prints one line per program and the total as a share of one core. Needs root.

usage: /usr/bin/python3 bpf/bench_collect.py KISIM [SECONDS] [PPS]
"""
import os, re, signal, socket, subprocess, sys, tempfile, time, urllib.request

KISIM = sys.argv[1]
SECS = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
PPS = int(sys.argv[3]) if len(sys.argv) > 3 else 50000
TAG = "kisim-bench-%d" % os.getpid()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_s(pid):
    """CPU time of every thread of pid (main loop, ZeroMQ I/O threads, HTTP thread), in ns
    precision from schedstat rather than the 10 ms ticks of /proc/PID/stat."""
    t = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        t += int(open("/proc/%d/task/%s/schedstat" % (pid, tid)).read().split()[0])
    return t / 1e9


def progs(url):
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    out = {}
    for kind, name, val in re.findall(r'kisim_bpf_prog_(runs|run_seconds)_total\{prog="(\w+)"\} ([0-9.]+)', text):
        if kind == "runs":
            out.setdefault(name, {})["count"] = int(val)
        else:  # "S.NNNNNNNNN": exact nanoseconds
            sec, _, frac = val.partition(".")
            out.setdefault(name, {})["time_ns"] = int(sec) * 10**9 + int((frac + "000000000")[:9])
    return out


def netdev_lo():
    for line in open("/proc/net/dev"):
        if line.strip().startswith("lo:"):
            v = line.split(":", 1)[1].split()
            return int(v[1]) + int(v[9])
    return 0


def vda_ios():
    n = 0
    for line in open("/proc/diskstats"):
        x = line.split()
        if os.path.isdir("/sys/block/%s/mq" % x[2]):
            n += int(x[3]) + int(x[7])
    return n


SENDER = """
import socket, sys, time
pps, port, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t0 = time.monotonic(); sent = 0; msg = b'x' * 64
while True:
    now = time.monotonic() - t0
    if now > secs: break
    due = int(now * pps)
    while sent < due:
        s.sendto(msg, ('127.0.0.1', port)); sent += 1
    time.sleep(0.001)
"""
RECEIVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(('127.0.0.1', int(sys.argv[1])))
while True: s.recv(2048)
"""


def main():
    stats_path = "/proc/sys/kernel/bpf_stats_enabled"
    old_stats = open(stats_path).read().strip()
    cgdir = "/sys/fs/cgroup/cpu/" + TAG
    os.makedirs(cgdir, exist_ok=True)
    procs, tmp = [], tempfile.mkdtemp(dir="/var/tmp")
    try:
        open(stats_path, "w").write("1")
        mport, uport = free_port(), free_port()
        col = subprocess.Popen([KISIM, "collect", "--node", "machine", "--node", "n1=" + TAG,
                                "--publish", "tcp://127.0.0.1:%d" % free_port(), "--interval-ms", "1000",
                                "--metrics", "127.0.0.1:%d" % mport])
        procs.append(col)
        time.sleep(2)
        procs.append(subprocess.Popen(["/usr/bin/python3", "-c", RECEIVER, str(uport)]))
        time.sleep(0.3)
        procs.append(subprocess.Popen(["/usr/bin/python3", "-c", SENDER, str(PPS), str(uport), str(SECS + 6)]))
        procs.append(subprocess.Popen(["sh", "-c", "while :; do dd if=/dev/zero of=%s/f bs=4k count=20000 "
                                       "oflag=direct status=none; done" % tmp]))
        time.sleep(3)  # warm up: the load reaches its rate, the collector its steady state
        url = "http://127.0.0.1:%d/metrics" % mport
        c0, p0, t0, n0, d0 = cpu_s(col.pid), progs(url), time.monotonic(), netdev_lo(), vda_ios()
        time.sleep(SECS)
        c1, p1, t1, n1, d1 = cpu_s(col.pid), progs(url), time.monotonic(), netdev_lo(), vda_ios()
        wall = t1 - t0
        print("window %.1f s: loopback %.0f packets/s (rx+tx %.0f/s), block I/O %.0f requests/s"
              % (wall, (n1 - n0) / 2 / wall, (n1 - n0) / wall, (d1 - d0) / wall))
        bpf_ns, events = 0, 0
        for name in sorted(p1):
            cnt = p1[name].get("count", 0) - p0.get(name, {}).get("count", 0)
            ns = p1[name].get("time_ns", 0) - p0.get(name, {}).get("time_ns", 0)
            bpf_ns += ns
            events += cnt
            print("  %-12s %10.0f runs/s  %6.0f ns/run  %.3f%% of a core"
                  % (name, cnt / wall, ns / cnt if cnt else 0, 100 * ns / 1e9 / wall))
        user = c1 - c0
        print("user-space collector: %.3f%% of a core (%.3f s CPU over %.1f s)" % (100 * user / wall, user, wall))
        print("BPF programs:         %.3f%% of a core (%.0f ns per event on average)"
              % (100 * bpf_ns / 1e9 / wall, bpf_ns / events if events else 0))
        print("total:                %.3f%% of a core" % (100 * (user + bpf_ns / 1e9) / wall))
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGINT if p is procs[0] else signal.SIGKILL)
            p.wait()
        open(stats_path, "w").write(old_stats)
        try:
            os.remove(os.path.join(tmp, "f"))
        except OSError:
            pass
        os.rmdir(tmp)
        os.rmdir(cgdir)


main()
