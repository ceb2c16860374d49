"""The env protocol on the wire (env/PROTOCOL.md): one DEALER socket per server, JSON header
frame plus raw little-endian arrays, request ids to drop answers to requests that timed out,
errors mapped to exceptions that name the endpoint."""

import json
import time

import numpy as np
import zmq

VERSION = 1


class KisimError(RuntimeError):
    """A server answered with an error, or could not be reached. `code` is the protocol's
    error code (PROTOCOL.md), "timeout" or "protocol"; `endpoint` names the server."""

    def __init__(self, message, code=None, endpoint=None):
        super().__init__(message)
        self.code = code
        self.endpoint = endpoint


class InvalidAction(KisimError, ValueError):
    """The action is outside the action space, or masked while the server's
    env.invalid_action is "error"."""


class ServerTimeout(KisimError, TimeoutError):
    """No reply within the timeout."""


def read_key(path):
    """The Z85 key in a key file written by `kisim env keygen` (PREFIX.key or PREFIX.pub)."""
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                return line[:40]
    raise ValueError(f"{path}: no key in the file")


class Connection:
    """One server. `curve` is None or (server_public_key, client_secret_key), Z85 strings."""

    def __init__(self, context, endpoint, timeout_ms, curve=None):
        self.endpoint = endpoint
        self.timeout_ms = timeout_ms
        self.sock = context.socket(zmq.DEALER)
        self.sock.linger = 0
        if curve is not None:
            server_key, secret = curve
            self.sock.curve_serverkey = server_key.encode()
            self.sock.curve_secretkey = secret.encode()
            self.sock.curve_publickey = zmq.curve_public(secret.encode())
        self.sock.connect(endpoint)
        self.next_id = 0

    def send(self, header, arrays=()):
        self.next_id += 1
        header = dict(header, v=VERSION, id=self.next_id)
        parts = [b"", json.dumps(header, separators=(",", ":")).encode()]
        parts.extend(arrays)
        self.sock.send_multipart(parts, copy=False)
        return self.next_id

    def receive(self, rid, deadline, what):
        """The reply to request rid: (header dict, list of zmq.Frame)."""
        while True:
            left = int((deadline - time.monotonic()) * 1000)
            if left <= 0 or not self.sock.poll(left, zmq.POLLIN):
                raise ServerTimeout(f"{self.endpoint}: no reply to {what} within "
                                    f"{self.timeout_ms} ms (server gone, busy, or refusing "
                                    f"this client?)", "timeout", self.endpoint)
            parts = self.sock.recv_multipart(copy=False)
            if len(parts) < 2 or len(parts[0].bytes) != 0:
                raise KisimError(f"{self.endpoint}: malformed reply", "protocol", self.endpoint)
            try:
                header = json.loads(parts[1].bytes)
            except ValueError:
                raise KisimError(f"{self.endpoint}: reply header is not JSON", "protocol",
                                 self.endpoint) from None
            if not isinstance(header, dict) or header.get("v") != VERSION:
                raise KisimError(f"{self.endpoint}: not a protocol-v{VERSION} reply (is this a "
                                 f"kisim env server?)", "protocol", self.endpoint)
            if header.get("id") != rid:
                continue  # the answer to a request that timed out earlier
            if not header.get("ok"):
                err = header.get("error") or {}
                code, message = err.get("code", "?"), err.get("message", "")
                cls = InvalidAction if code in ("invalid_action", "bad_action") else KisimError
                raise cls(f"{self.endpoint}: {code}: {message}", code, self.endpoint)
            return header, parts[2:]

    def request(self, header, arrays=(), what=None):
        rid = self.send(header, arrays)
        deadline = time.monotonic() + self.timeout_ms / 1000.0
        return self.receive(rid, deadline, what or header["cmd"])

    def close(self):
        self.sock.close(linger=0)


def array(frame, dtype, shape, endpoint):
    """A reply frame as a (writable, zero-copy) numpy array of the given shape."""
    a = np.frombuffer(frame.buffer, dtype=np.dtype(dtype).newbyteorder('<'))
    if a.size != int(np.prod(shape)):
        raise KisimError(f"{endpoint}: reply array of {a.size} {np.dtype(dtype).name}, expected "
                         f"shape {tuple(shape)}", "protocol", endpoint)
    return a.reshape(shape)
