"""test_kisim_env.py: the Python client against real `kisim env serve` processes (started here,
stopped by pid). Run by tests/cli_python.sh twice: without gymnasium (EXPECT_GYMNASIUM=0) and
with the stand-in gymnasium on PYTHONPATH (EXPECT_GYMNASIUM=1).

Expected values come from elsewhere: shapes and names from `kisim env spaces`, episode seeds
from a splitmix64 written out here, trajectories from a second server driven independently
(the vector path against the in-process C run is `kisim bench zmq`'s CRC check)."""

import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np

import kisim_env
from kisim_env import InvalidAction, KisimEnv, KisimError, KisimVectorEnv

KISIM = os.environ["KISIM"]
SRC = os.environ.get("KISIM_SOURCE_DIR", ".")
EXPECT_GYM = os.environ.get("EXPECT_GYMNASIUM") == "1"
TMP = tempfile.mkdtemp(prefix="kisim-pytest-")
CONFIG = os.path.join(TMP, "short.json")
with open(CONFIG, "w") as f:  # quickstart-sized, 12-decision episodes: auto-resets happen
    json.dump({"env": {"horizon_s": 60, "max_nodes": 16}, "cluster": {"nodes": 8}}, f)
SPACES = json.loads(subprocess.run([KISIM, "env", "spaces", "--config", CONFIG], check=True,
                                   capture_output=True, text=True).stdout)
SERVERS = []


def _die_with_parent():
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: never outlive this test


def serve(envs, config=CONFIG, bind="tcp://127.0.0.1:*"):
    """Starts `kisim env serve`, returns its endpoint; stopped by pid in tearDownModule."""
    p = subprocess.Popen([KISIM, "env", "serve", "--config", config, "--bind", bind, "--envs",
                          str(envs), "--quiet"], stdout=subprocess.PIPE, text=True,
                         preexec_fn=_die_with_parent)
    SERVERS.append(p)
    line = p.stdout.readline().split()
    assert line[:1] == ["endpoint"], line
    return line[1]


def tearDownModule():
    for p in SERVERS:
        p.terminate()
        try:
            assert p.wait(timeout=10) == 0, f"server {p.pid} exit {p.returncode}"
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise
        finally:
            p.stdout.close()


def splitmix64(x):  # Vigna's splitmix64, first output for state x: written out independently
    m = (1 << 64) - 1
    z = (x + 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return z ^ (z >> 31)


def first_valid(mask, n_max, t):
    """A valid action from a flat mask: the bench rule for env 0."""
    node = next(i % n_max for i in range(t, t + n_max) if mask[i % n_max])
    scale = next(i % 3 for i in range(t, t + 3) if mask[n_max + i % 3])
    return np.array([node, scale], dtype=np.int32)


def same_obs(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


class TestPackage(unittest.TestCase):
    def test_names_and_path(self):
        self.assertTrue(issubclass(InvalidAction, ValueError))
        self.assertEqual(kisim_env.HAVE_GYMNASIUM, EXPECT_GYM)
        if EXPECT_GYM:
            import gymnasium
            self.assertTrue(getattr(gymnasium, "FAKE", False), "the stand-in was not used")
            self.assertTrue(issubclass(KisimEnv, gymnasium.Env))
            self.assertIs(kisim_env.spaces, gymnasium.spaces)
        else:
            from kisim_env import _spaces
            self.assertIs(kisim_env.spaces, _spaces)

    def test_timeout_names_endpoint(self):
        ep = f"ipc:///tmp/kisim-pytest-nobody-{os.getpid()}.sock"
        t0 = time.monotonic()
        with self.assertRaises(kisim_env.ServerTimeout) as cm:
            KisimEnv(ep, timeout_ms=300)
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertIn(ep, str(cm.exception))
        self.assertEqual(cm.exception.endpoint, ep)


class TestEnv(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ep = serve(2)

    def setUp(self):
        self.env = KisimEnv(self.ep, index=1, timeout_ms=10000)

    def tearDown(self):
        self.env.close()

    def test_spaces(self):
        parts = {p["name"]: p["shape"] for p in SPACES["observation"]["parts"]}
        space = self.env.observation_space
        self.assertEqual(list(space.keys()), ["nodes", "pod", "service", "node_mask",
                                              "availability"])
        for name, shape in parts.items():
            self.assertEqual(space[name].shape, tuple(shape), name)
            self.assertEqual(space[name].dtype, np.float32)
        self.assertEqual(self.env.action_space.nvec.tolist(), SPACES["action"]["nvec"])
        self.assertEqual(self.env.info_names, SPACES["info"]["names"])
        if EXPECT_GYM:
            import gymnasium
            self.assertIsInstance(space, gymnasium.spaces.Dict)
            self.assertIsInstance(self.env, gymnasium.Env)
        with self.assertRaises(ValueError):
            KisimEnv(self.ep, index=2)

    def test_reset_obs_and_masks(self):
        obs, info = self.env.reset(seed=11)
        self.assertEqual(info, {})
        self.assertTrue(self.env.observation_space.contains(obs))
        m = self.env.action_masks()
        n = SPACES["action"]["nvec"][0]
        self.assertEqual((m.shape, m.dtype), ((n + 3,), np.dtype(bool)))
        self.assertTrue(np.array_equal(m[:n], obs["node_mask"] > 0.5))
        self.assertTrue(m[:8].any())  # an 8-node cluster: nodes 8 .. N_max-1 never valid
        self.assertFalse(m[8:n].any())
        self.assertTrue(m[n:].any())

    def test_masked_random_agent(self):
        self.env.reset(seed=12)
        n = self.env.action_space.nvec[0]
        self.env.action_space.seed(3)
        for _ in range(40):
            m = self.env.action_masks()
            a = self.env.action_space.sample(mask=(m[:n].astype(np.int8), m[n:].astype(np.int8)))
            self.assertTrue(m[a[0]] and m[n + a[1]])
            obs, reward, terminated, truncated, info = self.env.step(a)
            self.assertIsInstance(reward, float)
            self.assertEqual(reward, info["reward"])
            self.assertEqual(list(info), SPACES["info"]["names"])
            self.assertTrue(all(isinstance(v, float) for v in info.values()))
            if terminated or truncated:
                self.assertEqual(info["ep_done"], 1.0)
                self.env.reset()

    def test_seeding_rules(self):
        a, _ = self.env.reset(seed=5)
        b, _ = self.env.reset(seed=5)
        self.assertTrue(same_obs(a, b))
        self.assertEqual(self.env.last_seed, 5)
        r1 = self.env.np_random.random()
        self.env.reset(seed=5)
        self.assertEqual(self.env.np_random.random(), r1)  # Gymnasium seeds np_random too
        c, _ = self.env.reset()
        self.assertEqual(self.env.last_seed, splitmix64(5))
        d, _ = self.env.reset()
        self.assertEqual(self.env.last_seed, splitmix64(5 + 0x9E3779B97F4A7C15))
        self.assertFalse(same_obs(c, a))
        self.env.reset(seed=5)
        c2, _ = self.env.reset()
        d2, _ = self.env.reset()
        self.assertTrue(same_obs(c, c2) and same_obs(d, d2))
        # Default seed None: a fresh env draws its first seed from OS entropy.
        other = KisimEnv(self.ep, index=0)
        other.reset()
        s1 = other.last_seed
        other.close()
        fresh = KisimEnv(self.ep, index=0)
        fresh.reset()
        self.assertNotEqual(fresh.last_seed, s1)
        fresh.close()
        with self.assertRaises(ValueError):
            self.env.reset(seed=-1)

    def test_invalid_actions_raise(self):
        self.env.reset(seed=13)
        for bad, needle in (([15, 1], "node 15 is masked"), ([99, 1], "outside"),
                            (np.array([np.nan, 1.0]), "NaN"), ([1, 1, 1], "shape"),
                            (np.array([2.5, 1.0]), "not an integer")):
            with self.assertRaises(InvalidAction) as cm:
                self.env.step(bad)
            self.assertIn(needle, str(cm.exception))
        # Nothing stepped: a valid step now gives what a fresh env gives from the same seed.
        m = self.env.action_masks()
        a = first_valid(m, 16, 0)
        got = self.env.step(a)[0]
        self.env.reset(seed=13)
        self.assertTrue(same_obs(got, self.env.step(a)[0]))

    def test_no_auto_reset(self):
        self.env.reset(seed=14)
        done, t = False, 0
        while not done:
            _, _, term, trunc, info = self.env.step(first_valid(self.env.action_masks(), 16, t))
            done, t = term or trunc, t + 1
            self.assertLess(t, 100)
        self.assertEqual(info["ep_done"], 1.0)
        self.assertGreater(info["ep_length"], 5)
        with self.assertRaises(KisimError) as cm:
            self.env.step([0, 1])
        self.assertEqual(cm.exception.code, "not_reset")
        self.env.reset()  # and a reset starts the next one


class TestVectorEnv(unittest.TestCase):
    K = 3

    @classmethod
    def setUpClass(cls):
        cls.ep = serve(cls.K)
        cls.ep_single = serve(cls.K)  # a second server for the independent lone-env runs

    def test_shapes_autoreset_and_seeds(self):
        K, S = self.K, 77
        with KisimVectorEnv(self.ep) as venv, KisimEnv(self.ep_single, index=0) as lone:
            self.assertEqual(venv.num_envs, K)
            obs, info = venv.reset(seed=S)
            self.assertEqual(obs["nodes"].shape, (K, 16, 10, 15))
            self.assertEqual(venv.action_masks().shape, (K, 19))
            self.assertEqual(venv.action_space.shape, (K, 2))
            self.assertEqual(venv.obs_flat.shape, (K, SPACES["observation"]["dim"]))
            # Env k's first episode has seed S + k: the lone env reproduces env 1.
            lone.reset(seed=S + 1)
            self.assertTrue(np.array_equal(lone.obs_flat, venv.obs_flat[1]))
            episodes = [0] * K
            lone_running = True
            for t in range(60):
                m = venv.action_masks()
                acts = np.stack([first_valid(m[k], 16, t + k) for k in range(K)])
                obs, rew, term, trunc, info = venv.step(acts)
                self.assertEqual((rew.dtype, term.dtype, info["reward"].shape),
                                 (np.dtype(np.float32), np.dtype(bool), (K,)))
                self.assertTrue(np.array_equal(rew, info["reward"]))
                if lone_running:
                    lo, lr, lt, ltr, li = lone.step(acts[1])
                    self.assertEqual((lr, lt, ltr), (rew[1], term[1], trunc[1]))
                    self.assertEqual(li["ep_p99_ms"], info["ep_p99_ms"][1])
                    if lt or ltr:
                        lone_running = False
                    else:
                        self.assertTrue(np.array_equal(lone.obs_flat, venv.obs_flat[1]))
                for k in range(K):
                    if term[k] or trunc[k]:
                        self.assertEqual(info["ep_done"][k], 1.0)
                        episodes[k] += 1
                        # Same-step auto-reset: obs is episode j's first, seed S + k + K * j.
                        check = KisimEnv(self.ep_single, index=2)
                        check.reset(seed=S + k + K * episodes[k])
                        self.assertTrue(np.array_equal(check.obs_flat, venv.obs_flat[k]), k)
                        check.close()
            self.assertFalse(lone_running)
            self.assertTrue(all(e >= 2 for e in episodes), episodes)

    def test_invalid_action_names_env(self):
        with KisimVectorEnv(self.ep) as venv:
            venv.reset(seed=3)
            m = venv.action_masks()
            acts = np.stack([first_valid(m[k], 16, 0) for k in range(self.K)])
            bad = acts.copy()
            bad[2, 0] = 15
            with self.assertRaises(InvalidAction) as cm:
                venv.step(bad)
            self.assertIn("env 2", str(cm.exception))
            with self.assertRaises(InvalidAction):
                venv.step(acts[:2])
            obs_a = venv.step(acts)[0]
            venv.reset(seed=3)
            self.assertTrue(same_obs(obs_a, venv.step(acts)[0]))  # nothing had stepped

    def test_two_servers_equal_one(self):
        a, b, both = serve(1), serve(2), serve(3)
        with KisimVectorEnv([a, b]) as split, KisimVectorEnv(both) as one:
            self.assertEqual(split.num_envs, 3)
            split.reset(seed=9)
            one.reset(seed=9)
            self.assertTrue(np.array_equal(split.obs_flat, one.obs_flat))
            for t in range(40):
                acts = np.stack([first_valid(one.action_masks()[k], 16, t + k) for k in range(3)])
                r1 = split.step(acts)
                r2 = one.step(acts)
                self.assertTrue(np.array_equal(split.obs_flat, one.obs_flat), t)
                self.assertTrue(all(np.array_equal(x, y) for x, y in zip(r1[1:4], r2[1:4])))


if __name__ == "__main__":
    unittest.main(verbosity=2)
