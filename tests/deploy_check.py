"""deploy_check.py SRC KISIM: checks scheduler/deploy/ (used by tests/cli_deploy.sh).

Every YAML file must parse (python3-yaml) into Kubernetes objects, and the files must agree with
each other and with the code: the KubeSchedulerConfiguration's extender URL and verbs name the
routes scheduler/extender.h serves, its host and port are the scorer Service's, the scorer
listens where the Service points, the collectors connect to the Service's telemetry port, and
every command-line flag the manifests pass is one the kisim binary's --help lists."""
import os
import re
import subprocess
import sys
from urllib.parse import urlparse

import yaml

SRC, KISIM = sys.argv[1], sys.argv[2]
DEPLOY = os.path.join(SRC, "scheduler", "deploy")
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def load(name):
    with open(os.path.join(DEPLOY, name)) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


docs = {}
for name in sorted(os.listdir(DEPLOY)):
    if name.endswith(".yaml"):
        try:
            docs[name] = load(name)
        except yaml.YAMLError as e:
            failures.append(f"{name}: does not parse: {e}")
for name, ds in docs.items():
    for d in ds:
        check(isinstance(d, dict) and d.get("apiVersion") and d.get("kind"),
              f"{name}: a document without apiVersion/kind")
        if name not in ("kustomization.yaml", "kube-scheduler-config.yaml"):
            check((d.get("metadata") or {}).get("name"), f"{name}: {d.get('kind')} without metadata.name")


def objects(kind, name=None):
    return [d for ds in docs.values() for d in ds
            if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]


def one(kind, name):
    found = objects(kind, name)
    check(len(found) == 1, f"expected exactly one {kind} {name}, found {len(found)}")
    return found[0] if found else {}


# kustomization: lists every manifest and generates the scheduler's ConfigMap from its config file.
kust = docs.get("kustomization.yaml", [{}])[0]
listed = set(kust.get("resources", []))
for name in docs:
    if name not in ("kustomization.yaml", "kube-scheduler-config.yaml"):
        check(name in listed, f"kustomization.yaml: resources lacks {name}")
for r in listed:
    check(os.path.exists(os.path.join(DEPLOY, r)), f"kustomization.yaml: {r} does not exist")
gen = {g["name"]: g for g in kust.get("configMapGenerator", [])}
check(gen.get("kisim-scheduler-config", {}).get("files") == ["kube-scheduler-config.yaml"],
      "kustomization.yaml: configMapGenerator kisim-scheduler-config must hold kube-scheduler-config.yaml")
check("namespace" not in kust, "kustomization.yaml: a top-level namespace would move the kube-system RoleBinding")

# The extender configuration.
cfg = docs.get("kube-scheduler-config.yaml", [{}])[0]
check(cfg.get("apiVersion") == "kubescheduler.config.k8s.io/v1" and cfg.get("kind") == "KubeSchedulerConfiguration",
      "kube-scheduler-config.yaml: not a kubescheduler.config.k8s.io/v1 KubeSchedulerConfiguration")
ext = (cfg.get("extenders") or [{}])[0]
for key, typ in [("urlPrefix", str), ("filterVerb", str), ("prioritizeVerb", str), ("weight", int),
                 ("nodeCacheCapable", bool), ("ignorable", bool), ("httpTimeout", str)]:
    check(isinstance(ext.get(key), typ), f"kube-scheduler-config.yaml: extenders[0].{key} missing or not {typ.__name__}")
check(1 <= ext.get("weight", 0) <= 100, "extenders[0].weight must be in 1..100")
check(re.fullmatch(r"\d+(ms|s)", str(ext.get("httpTimeout"))), "extenders[0].httpTimeout: expected a duration such as 100ms")
with open(os.path.join(SRC, "scheduler", "extender.h")) as f:
    routes = set(re.findall(r"POST\s+(/scheduler/\w+)", f.read()))
check(len(routes) == 2, f"scheduler/extender.h: expected two POST routes, found {routes}")
url = urlparse(ext.get("urlPrefix", ""))
for verb in ("filterVerb", "prioritizeVerb"):
    path = url.path.rstrip("/") + "/" + str(ext.get(verb))
    check(path in routes, f"extenders[0].{verb}: {path} is not a route the extender serves ({sorted(routes)})")
profiles = [p.get("schedulerName") for p in cfg.get("profiles", [])]
check(profiles == ["kisim-scheduler"], f"profiles: expected the one scheduler kisim-scheduler, got {profiles}")

# Service <-> scorer <-> extender URL <-> collectors.
svc = one("Service", "kisim-scorer")
ports = {p["name"]: p["port"] for p in svc.get("spec", {}).get("ports", [])}
ns = svc.get("metadata", {}).get("namespace")
check(url.hostname == f"kisim-scorer.{ns}.svc.cluster.local", f"urlPrefix host {url.hostname} is not the Service's DNS name")
check(url.port == ports.get("http"), f"urlPrefix port {url.port} is not the Service's http port {ports.get('http')}")


def container(kind, name):
    return (one(kind, name).get("spec", {}).get("template", {}).get("spec", {}).get("containers") or [{}])[0]


def flags(args):
    return dict(a[2:].split("=", 1) if "=" in a else (a[2:], "") for a in args if a.startswith("--"))


scorer = container("Deployment", "kisim-scorer")
sargs = scorer.get("args", [])
check(sargs[:2] == ["score", "serve"], f"kisim-scorer: args must start with score serve, got {sargs[:2]}")
sf = flags(sargs)
check(sf.get("http") == f"0.0.0.0:{ports.get('http')}", f"kisim-scorer: --http {sf.get('http')} does not serve the Service's http port")
check(sf.get("telemetry") == f"tcp://0.0.0.0:{ports.get('telemetry')}", f"kisim-scorer: --telemetry {sf.get('telemetry')} is not the Service's telemetry port")
cports = {p["name"]: p["containerPort"] for p in scorer.get("ports", [])}
check(cports == ports, f"kisim-scorer: container ports {cports} differ from the Service's {ports}")
check(scorer.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/healthz", "kisim-scorer: readiness probe must GET /healthz")

ds = one("DaemonSet", "kisim-collector")
pod = ds.get("spec", {}).get("template", {}).get("spec", {})
col = container("DaemonSet", "kisim-collector")
cargs = col.get("args", [])
check(cargs[:1] == ["collect"], "kisim-collector: args must start with collect")
cf = flags(cargs)
check(cf.get("connect") == f"tcp://kisim-scorer.{ns}.svc.cluster.local:{ports.get('telemetry')}",
      f"kisim-collector: --connect {cf.get('connect')} is not the scorer Service's telemetry port")
check(pod.get("hostPID") is True, "kisim-collector: needs hostPID")
check(col.get("securityContext", {}).get("privileged") is True, "kisim-collector: needs privileged")
mounts = {m["mountPath"] for m in col.get("volumeMounts", [])}
check({"/sys", "/sys/fs/bpf", "/sys/kernel/tracing"} <= mounts, f"kisim-collector: missing /sys mounts, has {sorted(mounts)}")

sched = container("Deployment", "kisim-scheduler")
conf = flags(sched.get("command", [])).get("config", "")
smounts = {m["name"]: m["mountPath"] for m in sched.get("volumeMounts", [])}
vols = {v["name"]: v for v in one("Deployment", "kisim-scheduler")["spec"]["template"]["spec"].get("volumes", [])}
check(conf == smounts.get("config", "?") + "/kube-scheduler-config.yaml", f"kisim-scheduler: --config {conf} is not the mounted ConfigMap's file")
check(vols.get("config", {}).get("configMap", {}).get("name") == "kisim-scheduler-config", "kisim-scheduler: must mount the kisim-scheduler-config ConfigMap")
check(one("Deployment", "kisim-scheduler")["spec"]["template"]["spec"].get("serviceAccountName") == "kisim-scheduler",
      "kisim-scheduler: must run as the kisim-scheduler service account")
subjects = [s["name"] for rb in objects("ClusterRoleBinding") for s in rb.get("subjects", [])]
check(subjects.count("kisim-scheduler") == 2, "rbac.yaml: kisim-scheduler needs both system:kube-scheduler and system:volume-scheduler")

# Every flag the manifests pass is one the binary knows.
def help_text(args):
    p = subprocess.run([KISIM] + args + ["--help"], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


rc, text = help_text(["collect"])
check(rc == 0, f"kisim collect --help: exit {rc}")
for f in cf:
    check(f"--{f}" in text, f"kisim-collector: kisim collect has no --{f}")
rc, text = help_text(["score", "serve"])
check(rc == 0, f"kisim score serve --help: exit {rc}")
for f in sf:
    check(f"--{f}" in text, f"kisim-scorer: kisim score serve has no --{f}")
# A read-only root needs a writable /tmp: BatchScore's default socket is ipc:///tmp/kisim-score.sock.
smounts_scorer = {m["mountPath"] for m in scorer.get("volumeMounts", [])}
if scorer.get("securityContext", {}).get("readOnlyRootFilesystem") and "zmq" not in sf:
    check("/tmp" in smounts_scorer, "kisim-scorer: read-only root without a /tmp volume for the BatchScore socket")

for m in failures:
    print("FAIL:", m)
print(f"deploy_check: {len(docs)} files, {len(failures)} problems")
sys.exit(1 if failures else 0)
