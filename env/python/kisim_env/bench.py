"""python -m kisim_env.bench --endpoint E [--steps N] [--runs R] [--seed S]

The Python half of `kisim bench zmq`: steps all envs of the server at E with the benchmark's
action rule (for env k at step t, the first allowed node at or after (t + k) mod N_max and the
first allowed scale at or after (t + k) mod 3; the same rule as env/remote/bench_zmq.c), R times from
reset(seed=S), and prints one JSON object: the median decisions/s and MB/s (reply arrays, 10^6
bytes) over the runs, and the CRC-32 of every observation received (the same for every run, or
it exits 1)."""

import argparse
import json
import statistics
import sys
import time
import zlib

import numpy as np

from .env import KisimVectorEnv


def rule_actions(masks, n_max, t):
    """The benchmark's actions for bool masks [K, N_max + 3] at step t: int32 [K, 2]."""
    k = masks.shape[0]
    g = t + np.arange(k)
    rows = np.arange(k)[:, None]
    idx = (g[:, None] % n_max + np.arange(n_max)[None, :]) % n_max
    node = idx[rows[:, 0], masks[rows, idx].argmax(axis=1)]
    sidx = (g[:, None] % 3 + np.arange(3)[None, :]) % 3
    scale = sidx[rows[:, 0], masks[rows, n_max + sidx].argmax(axis=1)]
    return np.stack([node, scale], axis=1).astype(np.int32)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m kisim_env.bench", description=__doc__.split("\n\n")[1])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout-ms", type=int, default=30000)
    a = ap.parse_args(argv)
    env = KisimVectorEnv(a.endpoint, timeout_ms=a.timeout_ms)
    lay, k = env.layout, env.num_envs
    per_step = k * (lay.obs_dim * 4 + 4 + 1 + 1 + lay.mask_dim + lay.n_info * 4)
    rates, mbs, crcs = [], [], []
    try:
        for _ in range(a.runs):
            env.reset(seed=a.seed)
            crc = zlib.crc32(env.obs_flat)
            t0 = time.perf_counter()
            for t in range(a.steps):
                env.step(rule_actions(env.action_masks(), lay.n_max, t))
                crc = zlib.crc32(env.obs_flat, crc)
            dt = time.perf_counter() - t0
            rates.append(a.steps * k / dt)
            mbs.append(a.steps * per_step / dt / 1e6)
            crcs.append(crc)
    finally:
        env.close()
    out = {"decisions_per_s": statistics.median(rates), "mb_per_s": statistics.median(mbs),
           "trajectory_crc32": f"{crcs[0]:08x}", "runs": a.runs, "steps": a.steps, "envs": k}
    print(json.dumps(out))
    if len(set(crcs)) != 1:
        print(f"runs of the same seed gave different trajectories: {crcs}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
