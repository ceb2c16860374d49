"""KISim's Locust file (Locust 2.12): users that GET the service's replicas, and the load shapes.

The shapes are the load patterns of docs/LOAD.md and loadgen/load.c, computed in the same
order of operations so that both give the same users(t) at every whole second. They read the `load`
block of an *effective* KISim config (`kisim config show FILE`, every key present; the C driver
writes one), so the defaults live in one place, common/config_schema.c. The replicas come from a
targets file, one HOST:PORT a line, re-read whenever it changes (the driver replaces it
atomically).

    locust -f loadgen/locustfile.py --autostart --kisim-config EFFECTIVE.json \
           --kisim-targets TARGETS [--kisim-pick round-robin|random] [--kisim-path /]

(or KISIM_LOCUST_CONFIG / KISIM_LOCUST_TARGETS in the environment). Each user sends
`load.rate_per_user` requests per second; the user count follows the config's pattern and never
stops unless --kisim-stop-at-horizon is given (then it stops at env.horizon_s).
"""

import itertools
import json
import math
import os
import random
import re
import time

import locust.stats
from locust import LoadTestShape, constant_throughput, events, task
from locust.contrib.fasthttp import FastHttpUser

# Locust writes the CSV files every second but flushes them every 10 s; the driver reads the
# windowed p99 from the history file's last row, so flush at every write.
locust.stats.CSV_STATS_FLUSH_INTERVAL_SEC = 1

MASK64 = (1 << 64) - 1
TARGET_RECHECK_S = 0.25  # how often users look at the targets file's mtime


class ConfigError(Exception):
    pass


# ---- the load patterns (loadgen/load.c) ----


def splitmix64(x):
    """First output of a splitmix64 generator with state x (Vigna; common/rng.h)."""
    z = (x + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def splitmix64_unit(x):
    """(splitmix64(x) >> 11) * 2^-53: a double in [0, 1)."""
    return (splitmix64(x & MASK64) >> 11) * 2.0**-53


def round_half_up(level):
    """floor(level + 0.5), never negative (load_users)."""
    u = math.floor(level + 0.5) if math.isfinite(level) else (math.inf if level > 0 else 0)
    if not u > 0:
        return 0
    return int(u) if u < 2**31 - 1 else 2**31 - 1


def _number(block, path, key, positive=False):
    if key not in block:
        raise ConfigError(f"{path}/{key}: missing (give the effective config: kisim config show FILE)")
    v = block[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ConfigError(f"{path}/{key}: expected a number, got {json.dumps(v)}")
    if positive and not v > 0:
        raise ConfigError(f"{path}/{key}: expected a number > 0, got {v}")
    return float(v)


def _block(block, path, key):
    v = block.get(key)
    if not isinstance(v, dict):
        raise ConfigError(f"{path}/{key}: missing (give the effective config: kisim config show FILE)")
    return v


_NUMBER_START = re.compile(r"[ \t\n\v\f\r]*[+-]?(\d|\.\d|inf|nan)", re.IGNORECASE)


def read_trace(path):
    """The trace's (times, values), as loadgen/load.c reads it: '#' lines and blank lines skipped,
    one header line allowed before the first point, times strictly increasing."""
    ts, vs = [], []
    seen_line = False
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"trace {path}: cannot read: {e.strerror}") from None
    with f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip()
            s = line.lstrip(" \t")
            if line.startswith("#") or not s:
                continue
            parts = s.split(",")
            point = None
            if len(parts) == 2 and "_" not in s:
                try:
                    t, v = float(parts[0]), float(parts[1])
                    if math.isfinite(t) and math.isfinite(v):
                        point = (t, v)
                except ValueError:
                    pass
            if point is None:
                if not seen_line and not _NUMBER_START.match(s):
                    seen_line = True
                    continue
                raise ConfigError(f'trace {path}:{lineno}: expected "time_s,value", got "{s[:100]}"')
            seen_line = True
            if ts and not point[0] > ts[-1]:
                raise ConfigError(f"trace {path}:{lineno}: time {point[0]:g} is not after the previous point's {ts[-1]:g}")
            ts.append(point[0])
            vs.append(point[1])
    if not ts:
        raise ConfigError(f'trace {path}: no data points (expected "time_s,value" lines)')
    return ts, vs


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    except ValueError as e:
        raise ConfigError(f"{path}: not JSON: {e}") from None
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: expected a JSON object")
    return cfg


def read_config(path):
    """The `load` block and env.horizon_s of an effective KISim config."""
    cfg = _read_json(path)
    load = _block(cfg, "", "load")
    env = _block(cfg, "", "env")
    return load, _number(env, "/env", "horizon_s", positive=True)


def request_timeout_s(path):
    """workload.service.timeout_ms of an effective config, in seconds: a request still unanswered
    then fails, at its timeout, as the sim counts it (env/MODEL.md), so a saturated or throttled
    replica shows as failures and not as latencies past the timeout."""
    cfg = _read_json(path)
    service = _block(_block(cfg, "", "workload"), "/workload", "service")
    try:
        return _number(service, "/workload/service", "timeout_ms", positive=True) / 1000.0
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


class KisimShape(LoadTestShape):
    """The shape Locust runs (the first LoadTestShape in this file, which is the one Locust
    picks): on its first tick it builds the pattern shape named by the config's /load/pattern
    and delegates to it."""

    def __init__(self):
        super().__init__()
        self.pattern = None

    def tick(self):
        if self.pattern is None:
            self.pattern = shape_from_config(SETTINGS["config"], SETTINGS["stop_at_horizon"])
        self.pattern.start_time = self.start_time  # Locust's reset_time() resets ours
        return self.pattern.tick()


class PatternShape(LoadTestShape):
    """users(t) = level(t) rounded half up; tick() follows it at whole seconds of run time."""

    def __init__(self, load, horizon_s=None):
        super().__init__()
        self.rate_per_user = _number(load, "/load", "rate_per_user", positive=True)
        self.horizon_s = horizon_s
        self.last_users = 0
        self.setup(_block(load, "/load", self.name), f"/load/{self.name}")

    def users(self, t):
        return round_half_up(self.level(float(t)))

    def tick(self):
        t = math.floor(self.get_run_time())
        if self.horizon_s is not None and t >= self.horizon_s:
            return None
        u = self.users(t)
        # Fast enough to reach any level within about a second, and a function of the shape
        # alone, so the tuple (and Locust's respawn) changes only when users(t) does.
        rate = float(max(1, u, self.last_users))
        self.last_users = u
        return (u, rate)


class RampShape(PatternShape):
    name = "ramp"

    def setup(self, b, p):
        self.start = _number(b, p, "start")
        self.end = _number(b, p, "end")
        self.duration_s = _number(b, p, "duration_s", positive=True)

    def level(self, t):
        return self.start + (self.end - self.start) * min(t / self.duration_s, 1.0)


class SpikeShape(PatternShape):
    name = "spike"

    def setup(self, b, p):
        self.base = _number(b, p, "base")
        self.height = _number(b, p, "height")
        self.at_s = _number(b, p, "at_s")
        self.width_s = _number(b, p, "width_s")

    def level(self, t):
        on = self.at_s <= t < self.at_s + self.width_s
        return self.base + self.height if on else self.base


class PeriodicShape(PatternShape):
    name = "periodic"

    def setup(self, b, p):
        self.mean = _number(b, p, "mean")
        self.amplitude = _number(b, p, "amplitude")
        self.period_s = _number(b, p, "period_s", positive=True)

    def level(self, t):
        return self.mean + self.amplitude * math.sin(2 * math.pi * t / self.period_s)


class RandomShape(PatternShape):
    name = "random"

    def setup(self, b, p):
        self.min = _number(b, p, "min")
        self.max = _number(b, p, "max")
        self.interval_s = _number(b, p, "interval_s", positive=True)
        seed = b.get("seed")
        if isinstance(seed, bool) or not isinstance(seed, (int, float)) or seed < 0 or seed != int(seed):
            raise ConfigError(f"{p}/seed: expected an integer >= 0, got {json.dumps(seed)}")
        self.seed = int(seed)

    def level(self, t):
        k = math.floor(t / self.interval_s)  # seed + k wraps mod 2^64, as in C
        u = splitmix64_unit(self.seed + k)
        return self.min + (self.max - self.min) * u


class TraceShape(PatternShape):
    name = "trace"

    def setup(self, b, p):
        path = b.get("path")
        if not isinstance(path, str) or not path:
            raise ConfigError(f"{p}/path: required when /load/pattern is \"trace\"")
        self.scale = _number(b, p, "scale")
        self.window_start_s = _number(b, p, "window_start_s")
        self.window_end_s = _number(b, p, "window_end_s")
        if self.window_end_s > 0 and not self.window_end_s > self.window_start_s:
            raise ConfigError(f"{p}/window_end_s: expected 0 or a time after window_start_s")
        unit = b.get("unit")
        if unit not in ("users", "rps"):
            raise ConfigError(f'{p}/unit: expected "users" or "rps", got {json.dumps(unit)}')
        self.rps = unit == "rps"
        self.ts, self.vs = read_trace(path)

    def value(self, t):
        ts, vs = self.ts, self.vs
        lo, hi = 0, len(ts) - 1
        if t <= ts[lo]:
            return vs[lo]
        if t >= ts[hi]:
            return vs[hi]
        while hi - lo > 1:
            mid = lo + (hi - lo) // 2
            if ts[mid] <= t:
                lo = mid
            else:
                hi = mid
        return vs[lo] + (vs[hi] - vs[lo]) * (t - ts[lo]) / (ts[hi] - ts[lo])

    def level(self, t):
        span = self.window_end_s - self.window_start_s
        tw = self.window_start_s + (math.fmod(t, span) if self.window_end_s > 0 else t)
        v = self.value(tw) * self.scale
        return v / self.rate_per_user if self.rps else v


SHAPES = {c.name: c for c in (RampShape, SpikeShape, PeriodicShape, RandomShape, TraceShape)}


def shape_from_config(path, stop_at_horizon=False):
    """The pattern shape of an effective config. A relative trace path is taken as the config
    writes it: `kisim config show` has already resolved it (relative to where it ran)."""
    load, horizon_s = read_config(path)
    name = load.get("pattern")
    if name not in SHAPES:
        raise ConfigError(f"{path}: /load/pattern: expected one of {', '.join(SHAPES)}, got {json.dumps(name)}")
    try:
        return SHAPES[name](load, horizon_s if stop_at_horizon else None)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


# ---- the users ----

SETTINGS = {"config": "", "targets": "", "pick": "round-robin", "path": "/", "stop_at_horizon": False}


class Targets:
    """The replica list, re-read when the file changes (checked every TARGET_RECHECK_S)."""

    def __init__(self):
        self.addrs = []
        self.key = None
        self.checked = -math.inf
        self.rr = itertools.count()

    def current(self):
        now = time.monotonic()
        if now - self.checked >= TARGET_RECHECK_S:
            self.checked = now
            try:
                st = os.stat(SETTINGS["targets"])
                key = (st.st_ino, st.st_mtime_ns, st.st_size)
                if key != self.key:
                    with open(SETTINGS["targets"], encoding="utf-8") as f:
                        self.addrs = [s for s in (line.strip() for line in f) if s and not s.startswith("#")]
                    self.key = key
            except OSError:
                self.addrs, self.key = [], None  # no file yet: no replicas
        return self.addrs

    def pick(self):
        addrs = self.current()
        if not addrs:
            return None
        if SETTINGS["pick"] == "random":
            return random.choice(addrs)
        return addrs[next(self.rr) % len(addrs)]


TARGETS = Targets()


@events.init_command_line_parser.add_listener
def _add_arguments(parser):
    g = parser.add_argument_group("KISim")
    g.add_argument("--kisim-config", env_var="KISIM_LOCUST_CONFIG", default="",
                   help="effective KISim config (kisim config show) whose load block shapes the users")
    g.add_argument("--kisim-targets", env_var="KISIM_LOCUST_TARGETS", default="",
                   help="file of replica addresses, HOST:PORT a line, re-read when it changes")
    g.add_argument("--kisim-pick", env_var="KISIM_LOCUST_PICK", default="round-robin",
                   choices=["round-robin", "random"], help="how users pick a replica per request")
    g.add_argument("--kisim-path", env_var="KISIM_LOCUST_PATH", default="/", help="path to GET")
    g.add_argument("--kisim-stop-at-horizon", action="store_true", default=False,
                   help="stop the test at the config's env.horizon_s")


@events.init.add_listener
def _on_init(environment, **_kw):
    o = environment.parsed_options
    if o is None:  # imported by a test, not run by Locust
        return
    if not o.kisim_config or not o.kisim_targets:
        raise SystemExit("locustfile: --kisim-config and --kisim-targets are required")
    SETTINGS.update(config=o.kisim_config, targets=o.kisim_targets, pick=o.kisim_pick,
                    path=o.kisim_path if o.kisim_path.startswith("/") else "/" + o.kisim_path,
                    stop_at_horizon=o.kisim_stop_at_horizon)
    try:  # fail at start-up, not at the first tick
        shape = shape_from_config(o.kisim_config, o.kisim_stop_at_horizon)
        timeout = request_timeout_s(o.kisim_config)
    except ConfigError as e:
        raise SystemExit(f"locustfile: {e}") from None
    KisimUser.rate_per_user = shape.rate_per_user
    KisimUser.network_timeout = KisimUser.connection_timeout = timeout


class KisimUser(FastHttpUser):
    """FastHttpUser (geventhttpclient) rather than HttpUser (requests): on this 2-core machine it
    costs Locust about a third of the CPU per request (loadgen/README.md), CPU the replicas
    would otherwise lose and latency Locust would otherwise add to its own measurements."""

    host = "http://127.0.0.1"  # requests use absolute URLs; Locust insists on a host
    network_timeout = 1.0  # both set from workload.service.timeout_ms at init (request_timeout_s)
    connection_timeout = 1.0
    rate_per_user = 1.0

    def on_start(self):
        # Users spawned together would otherwise fire together, every 1/rate seconds.
        time.sleep(random.random() / self.rate_per_user)  # gevent-patched under Locust

    def wait_time(self):
        return constant_throughput(self.rate_per_user)(self)  # its state lives on self

    @task
    def get(self):
        addr = TARGETS.pick()
        if addr is None:
            return
        self.client.get(f"http://{addr}{SETTINGS['path']}", name=addr)
