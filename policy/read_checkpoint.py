#!/usr/bin/python3
"""read_checkpoint.py: reads a KISim checkpoint with numpy alone, to show it is plain
safetensors. Prints a JSON summary (metadata, tensors with dtype, shape, sum) and exits 1 if the
file is malformed or its crc32 does not match. Usage: read_checkpoint.py FILE [TENSOR]"""
import json
import struct
import sys
import zlib

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "U8": np.uint8, "U64": np.uint64}


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (hlen,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + hlen])
    meta = header.pop("__metadata__")
    body = data[8 + hlen:]
    crc = "%08x" % (zlib.crc32(body) & 0xFFFFFFFF)
    if crc != meta["crc32"]:
        raise ValueError(f"crc32 {crc} does not match the metadata's {meta['crc32']}")
    tensors = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        arr = np.frombuffer(body[b:e], dtype=np.dtype(DTYPES[t["dtype"]]).newbyteorder("<"))
        tensors[name] = arr.reshape(t["shape"])
    return meta, tensors


def main():
    meta, tensors = read(sys.argv[1])
    if len(sys.argv) > 2:
        print(json.dumps(tensors[sys.argv[2]].tolist()))
        return
    summary = {
        "metadata": meta,
        "tensors": {n: {"dtype": str(a.dtype), "shape": list(a.shape), "sum": float(a.sum())}
                    for n, a in tensors.items()},
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    try:
        main()
    except (ValueError, KeyError, struct.error, json.JSONDecodeError) as e:
        print(f"read_checkpoint: {sys.argv[1]}: {e}", file=sys.stderr)
        sys.exit(1)
