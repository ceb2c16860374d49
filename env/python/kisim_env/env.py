"""KisimEnv (one env of a server) and KisimVectorEnv (all envs of one or more servers), the
Gymnasium-style Python face of `kisim env serve` (env/PROTOCOL.md).

Seeding follows Gymnasium: reset(seed=s) starts episode seed s and restarts the env's seed
stream at s; every later reset without a seed takes the next seed of that stream, so
`reset(seed=s); reset(); reset()` is the same sequence every time. The stream is splitmix64:
after reset(seed=s), the j-th unseeded reset (j = 1, 2, ...) uses
splitmix64(s + (j - 1) * 0x9E3779B97F4A7C15) (the first output of a splitmix64 generator in that
state, as KISim's C rng_splitmix64). With no seed ever given (the default, seed=None), the
stream starts from 64 bits of OS entropy, like Gymnasium's unseeded np_random. For the vector
env the stream gives the server's base seed S: episode j of env k then uses S + k + K * j
(the vecenv rule), the same as Gymnasium's vector convention of seeding env k with S + k."""

import os
import secrets
import time

import numpy as np
import zmq

from ._wire import Connection, InvalidAction, KisimError, array

if os.environ.get("KISIM_ENV_NO_GYMNASIUM"):
    _gym = None
else:
    try:
        import gymnasium as _gym
    except ImportError:
        _gym = None

HAVE_GYMNASIUM = _gym is not None

if HAVE_GYMNASIUM:
    spaces = _gym.spaces
    _EnvBase = _gym.Env
else:
    from . import _spaces as spaces

    class _EnvBase:
        """What KisimEnv needs of gymnasium.Env when gymnasium is not installed."""

        metadata = {"render_modes": []}
        render_mode = None
        spec = None
        _np_random = None

        @property
        def np_random(self):
            if self._np_random is None:
                self._np_random = np.random.default_rng()
            return self._np_random

        def reset(self, *, seed=None, options=None):
            if seed is not None:
                self._np_random = np.random.default_rng(seed)

        @property
        def unwrapped(self):
            return self


_GAMMA = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1


def splitmix64(x):
    """The first output of a splitmix64 generator whose state is x (C: rng_splitmix64)."""
    z = (x + _GAMMA) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class SeedStream:
    """Episode seeds under Gymnasium's rules (module docstring)."""

    def __init__(self):
        self.state = None

    def next(self, seed=None):
        if seed is not None:
            seed = int(seed)
            if not 0 <= seed <= _MASK:
                raise ValueError(f"seed: expected an integer in [0, 2^64), got {seed}")
            self.state = seed
            return seed
        if self.state is None:
            self.state = secrets.randbits(64)
            return self.state
        out = splitmix64(self.state)
        self.state = (self.state + _GAMMA) & _MASK
        return out


# Bounds of the observation's parts: features, pod context, masks are normalised to [0, 1];
# the service state's latencies are relative to the timeout and can exceed 1.
_BOUNDS = {"nodes": (0.0, 1.0), "pod": (0.0, 1.0), "service": (0.0, np.inf),
           "node_mask": (0.0, 1.0), "availability": (0.0, 1.0)}


class _Layout:
    """A server's spaces reply: sizes, the observation's parts, info names."""

    def __init__(self, header, endpoint):
        try:
            self.envs = int(header["envs"])
            self.n_max = int(header["n_max"])
            self.window = int(header["window"])
            self.obs_dim = int(header["obs_dim"])
            self.mask_dim = int(header["mask_dim"])
            self.n_info = int(header["n_info"])
            self.invalid_action = header["invalid_action"]
            desc = header["spaces"]
            self.parts = [(p["name"], int(p["offset"]), tuple(p["shape"]))
                          for p in desc["observation"]["parts"]]
            self.info_names = list(desc["info"]["names"])
            self.feature_names = [f["name"] for f in desc["features"]]
            self.description = desc
        except (KeyError, TypeError, ValueError) as e:
            raise KisimError(f"{endpoint}: incomplete spaces reply ({e})", "protocol",
                             endpoint) from None
        if len(self.info_names) != self.n_info:
            raise KisimError(f"{endpoint}: {len(self.info_names)} info names for "
                             f"{self.n_info} values", "protocol", endpoint)

    def same_as(self, other):
        return (self.n_max, self.window, self.obs_dim, self.invalid_action, self.info_names) == \
            (other.n_max, other.window, other.obs_dim, other.invalid_action, other.info_names)

    def observation_space(self, batch=()):
        return spaces.Dict({
            name: spaces.Box(_BOUNDS[name][0], _BOUNDS[name][1], shape=batch + shape,
                             dtype=np.float32)
            for name, _, shape in self.parts})

    def split(self, flat):
        """The observation dict of a flat [..., obs_dim] array: views, no copies."""
        lead = flat.shape[:-1]
        return {name: flat[..., off:off + int(np.prod(shape))].reshape(lead + shape)
                for name, off, shape in self.parts}


def _curve(server_public_key, client_secret_key):
    if (server_public_key is None) != (client_secret_key is None):
        raise ValueError("CURVE needs both server_public_key and client_secret_key")
    return None if server_public_key is None else (server_public_key, client_secret_key)


def _wire_actions(actions, rows, endpoint):
    """(header fields, bytes) of an action array [rows, 2]; ints go as int32, floats as float64
    for the server to check (NaN, non-integers)."""
    a = np.asarray(actions)
    if a.shape == (2,) and rows == 1:
        a = a.reshape(1, 2)
    if a.shape != (rows, 2):
        raise InvalidAction(f"action: expected shape ({rows}, 2) (node, scale), got {a.shape}",
                            "bad_action", endpoint)
    if a.dtype.kind in "iub":
        if a.dtype != np.int32:
            if a.size and (a.min() < -2**31 or a.max() >= 2**31):
                raise InvalidAction("action: values outside int32", "bad_action", endpoint)
            a = a.astype("<i4")
        return {}, np.ascontiguousarray(a)
    if a.dtype.kind == "f":
        return {"dtype": "float64"}, np.ascontiguousarray(a, dtype="<f8")
    raise InvalidAction(f"action: expected integers, got dtype {a.dtype}", "bad_action",
                        endpoint)


class KisimEnv(_EnvBase):
    """Env `index` of the server at `endpoint`, as a Gymnasium env.

    observation_space: Dict(nodes [N_max, T, F], pod [P], service [S], node_mask [N_max],
    availability [F]), float32. action_space: MultiDiscrete([N_max, 3]) (node, scale where
    0/1/2 = -1/0/+1 replica). action_masks(): bool [N_max + 3]. info: dict of named floats.
    An episode does not reset itself: after terminated or truncated, call reset().
    In the server's `error` mode a masked action raises InvalidAction and nothing steps."""

    metadata = {"render_modes": []}

    def __init__(self, endpoint, index=0, *, timeout_ms=30000, server_public_key=None,
                 client_secret_key=None, context=None):
        self._conn = Connection(context or zmq.Context.instance(), endpoint, timeout_ms,
                                _curve(server_public_key, client_secret_key))
        try:
            header, _ = self._conn.request({"cmd": "spaces"})
            self.layout = _Layout(header, endpoint)
        except BaseException:
            self._conn.close()
            raise
        if not 0 <= int(index) < self.layout.envs:
            self._conn.close()
            raise ValueError(f"index: {endpoint} hosts {self.layout.envs} envs, got {index}")
        self.endpoint, self.index = endpoint, int(index)
        self.observation_space = self.layout.observation_space()
        self.action_space = spaces.MultiDiscrete([self.layout.n_max, 3])
        self.info_names = self.layout.info_names
        self._seeds = SeedStream()
        self._mask = None
        self._closed = False
        self.last_seed = None

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        if options:
            raise ValueError(f"options: this env takes none, got {sorted(options)}")
        self.last_seed = self._seeds.next(seed)
        _, frames = self._conn.request({"cmd": "reset", "env": self.index,
                                        "seed": str(self.last_seed)})
        lay = self.layout
        obs = array(frames[0], np.float32, (lay.obs_dim,), self.endpoint)
        self._mask = array(frames[1], np.uint8, (lay.mask_dim,), self.endpoint)
        self.obs_flat = obs
        return lay.split(obs), {}

    def step(self, action):
        fields, data = _wire_actions(action, 1, self.endpoint)
        _, f = self._conn.request(dict({"cmd": "step", "env": self.index}, **fields), [data])
        lay, ep = self.layout, self.endpoint
        obs = array(f[0], np.float32, (lay.obs_dim,), ep)
        reward = float(array(f[1], np.float32, (1,), ep)[0])
        terminated = bool(array(f[2], np.uint8, (1,), ep)[0])
        truncated = bool(array(f[3], np.uint8, (1,), ep)[0])
        self._mask = array(f[4], np.uint8, (lay.mask_dim,), ep)
        values = array(f[5], np.float32, (lay.n_info,), ep)
        self.obs_flat = obs
        info = {name: float(v) for name, v in zip(lay.info_names, values)}
        return lay.split(obs), reward, terminated, truncated, info

    def action_masks(self):
        """The valid actions of the current state: bool [N_max + 3], the node mask, then the
        scale mask (-1, 0, +1), the flat layout of maskable PPO for MultiDiscrete actions."""
        if self._mask is None:
            raise KisimError("action_masks: reset first", "not_reset", self.endpoint)
        return self._mask.astype(bool)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        if self._closed:
            return
        self._closed = True
        try:
            self._conn.timeout_ms = min(self._conn.timeout_ms, 1000)
            self._conn.request({"cmd": "close", "env": self.index})
        except KisimError:
            pass
        finally:
            self._conn.close()


class KisimVectorEnv:
    """All envs of one server (or of several: pass a list of endpoints; their envs are numbered
    in that order and seeded as one vector env), stepped together.

    reset(seed=None) -> (obs, info); step(actions int [K, 2]) -> (obs, rewards [K],
    terminated [K], truncated [K], info). obs is a dict of [K, ...] float32 arrays; info a dict
    of named float32 [K] arrays. Auto-reset is same-step: when env k's episode ends, its reward,
    terminated/truncated and info are the last step's (info["ep_done"] = 1 and the ep_*
    statistics), and its observation is already the first of its next episode."""

    def __init__(self, endpoint, *, timeout_ms=30000, server_public_key=None,
                 client_secret_key=None, context=None):
        endpoints = [endpoint] if isinstance(endpoint, str) else list(endpoint)
        if not endpoints:
            raise ValueError("endpoint: expected at least one")
        ctx, curve = context or zmq.Context.instance(), _curve(server_public_key,
                                                                client_secret_key)
        self._conns = [Connection(ctx, ep, timeout_ms, curve) for ep in endpoints]
        try:
            self._layouts = [_Layout(h, c.endpoint) for c, h in
                             zip(self._conns, self._all({"cmd": "spaces"}, headers=True))]
        except BaseException:
            for c in self._conns:
                c.close()
            raise
        first = self._layouts[0]
        for c, lay in zip(self._conns[1:], self._layouts[1:]):
            if not lay.same_as(first):
                self.close(notify=False)
                raise KisimError(f"{c.endpoint}: spaces differ from {endpoints[0]}'s; servers "
                                 f"stepped together must share them", "protocol", c.endpoint)
        self.layout = first
        self.num_envs = sum(lay.envs for lay in self._layouts)
        self._offsets = np.cumsum([0] + [lay.envs for lay in self._layouts]).tolist()
        self.single_observation_space = first.observation_space()
        self.observation_space = first.observation_space((self.num_envs,))
        self.single_action_space = spaces.MultiDiscrete([first.n_max, 3])
        self.action_space = spaces.MultiDiscrete(np.tile([first.n_max, 3], (self.num_envs, 1)))
        self.info_names = first.info_names
        self._seeds = SeedStream()
        self._mask = None
        self._closed = False
        self.last_seed = None

    def _all(self, header, arrays=None, headers=False):
        """Sends to every server, then gathers every reply's frames (or headers)."""
        ids = []
        for i, c in enumerate(self._conns):
            h = header(i) if callable(header) else header
            ids.append(c.send(h, arrays(i) if arrays else ()))
        what = (header(0) if callable(header) else header)["cmd"]
        out = []
        for c, rid in zip(self._conns, ids):
            h, frames = c.receive(rid, time.monotonic() + c.timeout_ms / 1000.0, what)
            out.append(h if headers else frames)
        return out

    def _join(self, replies, index, dtype, row):
        parts = [array(r[index], dtype, (lay.envs,) + row, c.endpoint)
                 for r, lay, c in zip(replies, self._layouts, self._conns)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def reset(self, *, seed=None, options=None):
        if options:
            raise ValueError(f"options: this env takes none, got {sorted(options)}")
        self.last_seed = base = self._seeds.next(seed)
        replies = self._all(lambda i: {"cmd": "reset", "seed": str(base),
                                       "env_offset": self._offsets[i],
                                       "total_envs": self.num_envs})
        lay = self.layout
        self.obs_flat = self._join(replies, 0, np.float32, (lay.obs_dim,))
        self._mask = self._join(replies, 1, np.uint8, (lay.mask_dim,))
        return lay.split(self.obs_flat), {}

    def step(self, actions):
        fields, data = _wire_actions(actions, self.num_envs, self._conns[0].endpoint)
        lo = self._offsets
        replies = self._all(dict({"cmd": "step"}, **fields), lambda i: [data[lo[i]:lo[i + 1]]])
        lay = self.layout
        self.obs_flat = self._join(replies, 0, np.float32, (lay.obs_dim,))
        rewards = self._join(replies, 1, np.float32, ())
        terminated = self._join(replies, 2, np.uint8, ()).astype(bool)
        truncated = self._join(replies, 3, np.uint8, ()).astype(bool)
        self._mask = self._join(replies, 4, np.uint8, (lay.mask_dim,))
        values = self._join(replies, 5, np.float32, (lay.n_info,))
        info = {name: values[:, i] for i, name in enumerate(lay.info_names)}
        return lay.split(self.obs_flat), rewards, terminated, truncated, info

    def action_masks(self):
        """bool [K, N_max + 3]: per env the node mask, then the scale mask."""
        if self._mask is None:
            raise KisimError("action_masks: reset first", "not_reset")
        return self._mask.astype(bool)

    def close(self, notify=True):
        if self._closed:
            return
        self._closed = True
        try:
            if notify:
                for c in self._conns:
                    c.timeout_ms = min(c.timeout_ms, 1000)
                self._all({"cmd": "close"})
        except KisimError:
            pass
        finally:
            for c in self._conns:
                c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
