"""kisim_env: the Python client of KISim's ZeroMQ env server (`kisim env serve`).

    env = KisimEnv("tcp://127.0.0.1:5555", index=0)   # one env, Gymnasium-style
    venv = KisimVectorEnv("ipc:///tmp/kisim.sock")    # all of a server's envs at once

Uses gymnasium.Env and gymnasium.spaces when gymnasium is importable, its own minimal spaces
otherwise (set KISIM_ENV_NO_GYMNASIUM=1 to force those). Needs pyzmq and numpy. See
env/python/README.md and env/PROTOCOL.md."""

from ._wire import InvalidAction, KisimError, ServerTimeout, read_key
from .env import HAVE_GYMNASIUM, KisimEnv, KisimVectorEnv, SeedStream, spaces, splitmix64

__all__ = ["KisimEnv", "KisimVectorEnv", "InvalidAction", "KisimError", "ServerTimeout",
           "read_key", "spaces", "HAVE_GYMNASIUM", "SeedStream", "splitmix64"]
__version__ = "0.1.0"
