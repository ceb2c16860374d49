"""Minimal stand-ins for gymnasium.spaces (Box, MultiDiscrete, Dict), used only when gymnasium
is not importable. They implement what KisimEnv needs and what agents call: shape, dtype,
seed(), sample() (MultiDiscrete.sample takes gymnasium's mask: a tuple of int8 arrays, one per
dimension, 1 = allowed), contains(), and for Dict item access."""

import numpy as np


class Space:
    def __init__(self, shape, dtype, seed=None):
        self.shape = None if shape is None else tuple(shape)
        self.dtype = None if dtype is None else np.dtype(dtype)
        self._np_random = None
        if seed is not None:
            self.seed(seed)

    @property
    def np_random(self):
        if self._np_random is None:
            self.seed()
        return self._np_random

    def seed(self, seed=None):
        self._np_random = np.random.default_rng(seed)
        return [seed]

    def __contains__(self, x):
        return self.contains(x)


class Box(Space):
    """Continuous box low <= x <= high (bounds may be infinite)."""

    def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
        shape = tuple(shape) if shape is not None else np.shape(low)
        super().__init__(shape, dtype, seed)
        self.low = np.full(shape, low, dtype=self.dtype)
        self.high = np.full(shape, high, dtype=self.dtype)

    def sample(self, mask=None):
        if mask is not None:
            raise ValueError("Box.sample takes no mask")
        lo = np.where(np.isfinite(self.low), self.low, -1.0)
        hi = np.where(np.isfinite(self.high), self.high, lo + 1.0)
        return self.np_random.uniform(lo, hi, size=self.shape).astype(self.dtype)

    def contains(self, x):
        x = np.asarray(x)
        return (x.shape == self.shape and np.can_cast(x.dtype, self.dtype) and
                bool(np.all(x >= self.low)) and bool(np.all(x <= self.high)))

    def __repr__(self):
        return f"Box({self.low.min()}, {self.high.max()}, {self.shape}, {self.dtype})"


class MultiDiscrete(Space):
    """Integer vectors with x[i] in [0, nvec[i])."""

    def __init__(self, nvec, dtype=np.int64, seed=None):
        self.nvec = np.asarray(nvec, dtype=dtype)
        super().__init__(self.nvec.shape, dtype, seed)

    def sample(self, mask=None):
        if mask is None:
            return (self.np_random.random(self.nvec.shape) * self.nvec).astype(self.dtype)
        if self.nvec.ndim != 1 or len(mask) != len(self.nvec):
            raise ValueError("mask: expected a tuple of one int8 array per dimension")
        out = np.empty(self.nvec.shape, dtype=self.dtype)
        for i, (n, m) in enumerate(zip(self.nvec, mask)):
            m = np.asarray(m)
            if m.shape != (n,):
                raise ValueError(f"mask[{i}]: expected shape ({n},), got {m.shape}")
            allowed = np.flatnonzero(m)
            out[i] = self.np_random.choice(allowed) if len(allowed) else 0
        return out

    def contains(self, x):
        x = np.asarray(x)
        return (x.shape == self.shape and x.dtype.kind in "iu" and
                bool(np.all(x >= 0)) and bool(np.all(x < self.nvec)))

    def __repr__(self):
        return f"MultiDiscrete({self.nvec.tolist()})"


class Dict(Space):
    """A dictionary of named spaces, in insertion order."""

    def __init__(self, spaces, seed=None):
        self.spaces = dict(spaces)
        super().__init__(None, None, seed)

    def seed(self, seed=None):
        super().seed(seed)
        seeds = self._np_random.integers(2**63, size=len(self.spaces))
        for s, sub in zip(seeds, self.spaces.values()):
            sub.seed(int(s))
        return [seed]

    def sample(self, mask=None):
        return {k: s.sample() for k, s in self.spaces.items()}

    def contains(self, x):
        return (isinstance(x, dict) and x.keys() == self.spaces.keys() and
                all(s.contains(x[k]) for k, s in self.spaces.items()))

    def __getitem__(self, key):
        return self.spaces[key]

    def keys(self):
        return self.spaces.keys()

    def items(self):
        return self.spaces.items()

    def __iter__(self):
        return iter(self.spaces)

    def __len__(self):
        return len(self.spaces)

    def __repr__(self):
        return "Dict(" + ", ".join(f"{k!r}: {s}" for k, s in self.spaces.items()) + ")"
