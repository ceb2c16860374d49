#!/usr/bin/python3
"""check_layers.py: prints KISim's component graph (who includes whom) and fails on an edge that
runs upward or sideways, or that a component must not have (docs/ARCHITECTURE.md, "Layers").

The layer table below is the one place the order is written; each folder's sources.cmake must
agree with it (its DEPS may name only lower components), and so must every #include.

usage: tools/check_layers.py [--dot] [SOURCE_ROOT]     exit 0 clean, 1 violations, 2 usage
"""
import fnmatch
import os
import re
import sys

# Lowest first. A component may use the components of lower layers only.
LAYERS = [
    ["common"],
    ["spaces"],
    ["transport", "telemetry", "podspec", "cgroup"],
    ["loadgen", "bpf"],
    ["env/core"],
    ["env/sim", "env/local", "env/cartpole", "env/baselines"],
    ["env"],
    ["env/remote"],
    ["policy"],
    ["agent", "scheduler"],
    ["cli"],
]
# Edges the layer order alone would allow but the design forbids.
FORBIDDEN = {
    "policy": ["env*", "loadgen", "bpf", "transport", "telemetry", "podspec", "cgroup"],
    "scheduler": ["env*", "loadgen", "bpf"],  # the deployed service links no simulator
}
LAYER_OF = {c: i for i, layer in enumerate(LAYERS) for c in layer}
# The longest folder first, so env/sim/x.c belongs to env/sim, not env.
COMPONENTS = sorted(LAYER_OF, key=len, reverse=True)
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
DEPS = re.compile(r"kisim_component\((\S+)\s+DIR\s+(\S+)(.*?)\)\s*$", re.S | re.M)


def component_of(path):
    for c in COMPONENTS:
        if path == c or path.startswith(c + "/"):
            return c
    return None


def allowed(src, dst):
    if LAYER_OF[dst] >= LAYER_OF[src]:
        return False
    return not any(fnmatch.fnmatch(dst, pat) for pat in FORBIDDEN.get(src, []))


def include_edges(root):
    """(src component, dst component) -> [(file, included header)]."""
    edges = {}
    for c in COMPONENTS:
        folder = os.path.join(root, c)
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            if not name.endswith((".c", ".h")) or name.endswith(".bpf.c"):
                continue
            path = f"{c}/{name}"
            with open(os.path.join(root, path), encoding="utf-8") as f:
                text = f.read()
            for inc in INCLUDE.findall(text):
                dst = component_of(os.path.dirname(inc)) if "/" in inc else None
                if dst and dst != c:
                    edges.setdefault((c, dst), []).append((path, inc))
    return edges


def cmake_edges(root):
    """(src, dst) -> [sources.cmake] from kisim_component(... DEPS kisim_x ...)."""
    edges = {}
    for c in COMPONENTS:
        path = os.path.join(root, c, "sources.cmake")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            text = re.sub(r"#.*", "", f.read())
        for m in DEPS.finditer(text):
            args = m.group(3).split()
            deps = args[args.index("DEPS") + 1:] if "DEPS" in args else []
            for d in deps:
                if d in ("LIBS", "SOURCES"):
                    break
                name = d.removeprefix("kisim_").replace("env_", "env/")
                if name not in LAYER_OF:
                    edges.setdefault((c, "?" + d), []).append(f"{c}/sources.cmake")
                else:
                    edges.setdefault((c, name), []).append(f"{c}/sources.cmake")
    return edges


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    if len(args) > 1 or any(a not in ("--dot",) for a in argv if a.startswith("--")):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    root = args[0] if args else os.path.join(os.path.dirname(__file__), "..")
    inc, mk = include_edges(root), cmake_edges(root)
    bad = 0
    if "--dot" in argv:
        print("digraph kisim {")
        for (s, d) in sorted(inc):
            print(f'  "{s}" -> "{d}";')
        print("}")
    else:
        print("component graph (#include edges; a line per component, lowest layer first):")
        for layer in LAYERS:
            for c in layer:
                uses = sorted({d for (s, d) in inc if s == c}, key=lambda d: (LAYER_OF[d], d))
                print(f"  L{LAYER_OF[c]:<2} {c:<14} -> {', '.join(uses) or '-'}")
    for (s, d), where in sorted(inc.items()):
        if not allowed(s, d):
            bad += 1
            f, h = where[0]
            print(f"check_layers: {f} includes \"{h}\": {s} (layer {LAYER_OF[s]}) may not use "
                  f"{d} (layer {LAYER_OF[d]}){' and %d more' % (len(where) - 1) if len(where) > 1 else ''}",
                  file=sys.stderr)
    for (s, d), where in sorted(mk.items()):
        if d.startswith("?"):
            bad += 1
            print(f"check_layers: {where[0]}: DEPS names {d[1:]}, which is no component of the "
                  "layer table", file=sys.stderr)
        elif not allowed(s, d):
            bad += 1
            print(f"check_layers: {where[0]}: {s} links {d}, which is not below it", file=sys.stderr)
    print(f"check_layers: {len(inc)} include edges, {sum(len(v) for v in mk.values())} link edges, "
          f"{bad} violation(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
