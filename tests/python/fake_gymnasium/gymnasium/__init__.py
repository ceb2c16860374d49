"""A tiny stand-in for gymnasium (not installable from Debian), placed on PYTHONPATH by
tests/cli_python.sh to test kisim_env's gymnasium path: Env with Gymnasium's reset(seed=...)
seeding of np_random, and spaces.Dict / Box / MultiDiscrete with the constructor signatures
and sample(mask=...) of gymnasium 0.29. FAKE marks it, so the test knows which one it got."""

import numpy as np

from . import spaces  # noqa: F401

FAKE = True


class Env:
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

    def step(self, action):
        raise NotImplementedError

    def close(self):
        pass

    @property
    def unwrapped(self):
        return self
