#!/usr/bin/env python3
"""The Kubernetes manifests of deploy/kubernetes/, checked without a cluster.

    python3 tests/deploy/kubernetes.py --bin build/passerelle --root . [--node node]

`kubectl kustomize` builds them as `kubectl apply -k` would (no cluster is needed for that; a
client-side dry run of apply still asks a server for its schemas); knowledge.sh makes the
knowledge's ConfigMaps with `kubectl create --dry-run=client`. Then the invariants the deployment
relies on, one case each: replicas and rolling updates that never drop below them, probes on the
admin port's /healthz, the context secret mounted as the file the server is told, the knowledge
mounted as whole folders that the server accepts (`passerelle check` on the files as a pod sees
them), a grace period longer than the server's shutdown, a locked-down container, Service,
Ingress, PodDisruptionBudget and HorizontalPodAutoscaler pointing at those pods, and a memory
limit that holds what tests/deploy/memory.mjs measures for the connections the pods accept.
Field names are checked against the Kubernetes API's, so that a typo does not pass silently.

Prints `ok - case` / `not ok - case: reason`, then `N passed, N failed`; exit status 0 when every
case passed, 1 otherwise, 2 on a usage error.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

MANIFESTS = "deploy/kubernetes"
CONFIGMAP_MAX_BYTES = 1024 * 1024  # what the API server accepts for one object
MEMORY_MARGIN = 1.25  # over the measured need: allocator slack, frames being written, growth
MEASURED_CONNECTIONS = "1000"

# Field names of the Kubernetes API (core/v1, apps/v1) for the objects written by hand.
KNOWN = {
    "DeploymentSpec": {"minReadySeconds", "paused", "progressDeadlineSeconds", "replicas",
                       "revisionHistoryLimit", "selector", "strategy", "template"},
    "PodSpec": {"activeDeadlineSeconds", "affinity", "automountServiceAccountToken", "containers",
                "dnsConfig", "dnsPolicy", "enableServiceLinks", "ephemeralContainers",
                "hostAliases", "hostIPC", "hostNetwork", "hostPID", "hostUsers", "hostname",
                "imagePullSecrets", "initContainers", "nodeName", "nodeSelector", "os", "overhead",
                "preemptionPolicy", "priority", "priorityClassName", "readinessGates",
                "resourceClaims", "resources", "restartPolicy", "runtimeClassName",
                "schedulerName", "schedulingGates", "securityContext", "serviceAccount",
                "serviceAccountName", "setHostnameAsFQDN", "shareProcessNamespace", "subdomain",
                "terminationGracePeriodSeconds", "tolerations", "topologySpreadConstraints",
                "volumes"},
    "Container": {"args", "command", "env", "envFrom", "image", "imagePullPolicy", "lifecycle",
                  "livenessProbe", "name", "ports", "readinessProbe", "resizePolicy", "resources",
                  "restartPolicy", "securityContext", "startupProbe", "stdin", "stdinOnce",
                  "terminationMessagePath", "terminationMessagePolicy", "tty", "volumeDevices",
                  "volumeMounts", "workingDir"},
    "Probe": {"exec", "failureThreshold", "grpc", "httpGet", "initialDelaySeconds",
              "periodSeconds", "successThreshold", "tcpSocket", "terminationGracePeriodSeconds",
              "timeoutSeconds"},
    "SecurityContext": {"allowPrivilegeEscalation", "appArmorProfile", "capabilities",
                        "privileged", "procMount", "readOnlyRootFilesystem", "runAsGroup",
                        "runAsNonRoot", "runAsUser", "seLinuxOptions", "seccompProfile",
                        "windowsOptions"},
    "PodSecurityContext": {"appArmorProfile", "fsGroup", "fsGroupChangePolicy", "runAsGroup",
                           "runAsNonRoot", "runAsUser", "seLinuxChangePolicy", "seLinuxOptions",
                           "seccompProfile", "supplementalGroups", "supplementalGroupsPolicy",
                           "sysctls", "windowsOptions"},
    "VolumeMount": {"mountPath", "mountPropagation", "name", "readOnly", "recursiveReadOnly",
                    "subPath", "subPathExpr"},
    "ResourceRequirements": {"claims", "limits", "requests"},
}
API_VERSIONS = {
    "Deployment": "apps/v1",
    "Service": "v1",
    "Ingress": "networking.k8s.io/v1",
    "PodDisruptionBudget": "policy/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
}


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(cmd, extra_env=None):
    """Runs cmd; its stdout, or Failure with its stderr."""
    env = dict(os.environ, KUBECONFIG=os.devnull, **(extra_env or {}))  # never a cluster
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise Failure(f"{' '.join(cmd[:3])}... failed ({r.returncode}): {r.stderr.strip()[:400]}")
    return r.stdout


def quantity(text):
    """A Kubernetes quantity as a number (bytes, or cores for CPU)."""
    m = re.fullmatch(r"([0-9.]+)(m|k|M|G|Ki|Mi|Gi)?", str(text))
    check(m, f"not a quantity: {text!r}")
    scale = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 1024, "Mi": 1024**2,
             "Gi": 1024**3}[m.group(2)]
    return float(m.group(1)) * scale


def unknown_keys(obj, kind, where):
    extra = sorted(set(obj) - KNOWN[kind])
    check(not extra, f"{where}: unknown field(s) {extra} (not in the {kind} of the Kubernetes API)")


class Manifests:
    def __init__(self, args):
        self.args = args
        out = run([args.kubectl, "kustomize", os.path.join(args.root, MANIFESTS)])
        self.docs = [d for d in yaml.safe_load_all(out) if d]
        self.by_kind = {}
        for d in self.docs:
            self.by_kind.setdefault(d.get("kind"), []).append(d)
        deployments = self.by_kind.get("Deployment", [])
        self.deployment = deployments[0] if deployments else None
        self.pod = self.deployment["spec"]["template"] if self.deployment else None
        self.config = self.server_defaults()

    def server_defaults(self):
        """The settings of `serve`, defaults then the container's environment."""
        out = run([self.args.bin, "serve", "--print-config"])
        config = dict(re.findall(r"^([a-z0-9-]+) = ?(.*)$", out, re.M))
        for e in self.container().get("env", []) if self.pod else []:
            if e["name"].startswith("PASSERELLE_") and "value" in e:
                config[e["name"][len("PASSERELLE_"):].lower().replace("_", "-")] = e["value"]
        return config

    def container(self):
        return self.pod["spec"]["containers"][0]

    def port_number(self, port):
        """A container port given by name or number, as a number."""
        if isinstance(port, int):
            return port
        for p in self.container().get("ports", []):
            if p.get("name") == port:
                return p["containerPort"]
        raise Failure(f"no container port named {port!r}")

    def setting_port(self, key):
        value = self.config.get(key, "")
        m = re.search(r":(\d+)$", value)
        check(m, f"setting {key} has no port: {value!r}")
        return int(m.group(1)), value

    def volume(self, name):
        for v in self.pod["spec"].get("volumes", []):
            if v["name"] == name:
                return v
        raise Failure(f"no volume {name!r} in the pod")

    def mount_of(self, predicate):
        for v in self.pod["spec"].get("volumes", []):
            if predicate(v):
                for m in self.container().get("volumeMounts", []):
                    if m["name"] == v["name"]:
                        return v, m
                raise Failure(f"volume {v['name']!r} is not mounted in the container")
        return None, None

    def selects_pods(self, selector, what):
        labels = self.pod["metadata"].get("labels", {})
        want = selector.get("matchLabels", selector)
        check(want, f"{what}: empty selector")
        for k, v in want.items():
            check(labels.get(k) == v, f"{what}: selects {k}={v}, the pods have {k}={labels.get(k)}")


CASES = []


def case(name):
    def register(fn):
        CASES.append((name, fn))
        return fn
    return register


@case("kubectl kustomize builds every object with its API version")
def objects(k):
    check(k.docs, "kubectl kustomize produced nothing")
    for d in k.docs:
        check(d.get("apiVersion") and d.get("kind") and d.get("metadata", {}).get("name"),
              f"an object without apiVersion, kind or metadata.name: {json.dumps(d)[:120]}")
    for kind, version in API_VERSIONS.items():
        objs = k.by_kind.get(kind, [])
        check(len(objs) == 1, f"expected one {kind}, found {len(objs)}")
        check(objs[0]["apiVersion"] == version, f"{kind}: apiVersion {objs[0]['apiVersion']}, expected {version}")


@case("the fields are those of the Kubernetes API (no typo)")
def fields(k):
    spec = k.deployment["spec"]
    unknown_keys(spec, "DeploymentSpec", "Deployment.spec")
    pod = k.pod["spec"]
    unknown_keys(pod, "PodSpec", "pod spec")
    unknown_keys(pod.get("securityContext", {}), "PodSecurityContext", "pod securityContext")
    for c in pod["containers"]:
        unknown_keys(c, "Container", f"container {c['name']}")
        unknown_keys(c.get("securityContext", {}), "SecurityContext", f"container {c['name']} securityContext")
        unknown_keys(c.get("resources", {}), "ResourceRequirements", f"container {c['name']} resources")
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if probe in c:
                unknown_keys(c[probe], "Probe", f"container {c['name']} {probe}")
        for m in c.get("volumeMounts", []):
            unknown_keys(m, "VolumeMount", f"container {c['name']} volumeMount {m.get('name')}")


@case("at least 2 replicas; a rolling update never goes below them")
def replicas(k):
    spec = k.deployment["spec"]
    check(spec.get("replicas", 1) >= 2, f"replicas {spec.get('replicas', 1)}, expected 2 or more")
    strategy = spec.get("strategy", {})
    check(strategy.get("type") == "RollingUpdate", f"strategy {strategy.get('type')}")
    check(str(strategy.get("rollingUpdate", {}).get("maxUnavailable")) == "0",
          f"maxUnavailable {strategy.get('rollingUpdate', {}).get('maxUnavailable')}, expected 0")
    k.selects_pods(spec["selector"], "Deployment selector")


@case("readiness and liveness probes ask /healthz on the admin port")
def probes(k):
    c = k.container()
    admin, admin_value = k.setting_port("admin-listen")
    public, public_value = k.setting_port("listen")
    check(admin_value.startswith("0.0.0.0:") and public_value.startswith("0.0.0.0:"),
          f"the pod's listeners must take connections from outside it: listen {public_value}, admin-listen {admin_value}")
    check(admin != public, "admin-listen and listen share a port")
    ports = {p["containerPort"] for p in c.get("ports", [])}
    check({admin, public} <= ports, f"container ports {sorted(ports)} do not declare {public} and {admin}")
    for name in ("readinessProbe", "livenessProbe"):
        probe = c.get(name)
        check(probe and "httpGet" in probe, f"no {name} with httpGet")
        get = probe["httpGet"]
        check(get.get("path") == "/healthz", f"{name} asks {get.get('path')}, not /healthz")
        check(k.port_number(get.get("port")) == admin,
              f"{name} on port {get.get('port')}, not the admin port {admin}")


@case("the container runs as non-root, read-only, without privileges")
def locked_down(k):
    pod = k.pod["spec"]
    c = k.container()
    sc = c.get("securityContext", {})
    psc = pod.get("securityContext", {})
    check(sc.get("runAsNonRoot") or psc.get("runAsNonRoot"), "runAsNonRoot is not set")
    check(psc.get("runAsUser", sc.get("runAsUser", 0)) != 0, "runs as user 0")
    check(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem is not true")
    check(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation is not false")
    check("ALL" in sc.get("capabilities", {}).get("drop", []), "capabilities: ALL not dropped")
    check(pod.get("automountServiceAccountToken") is False, "the pod gets a service account token it never uses")


@case("the grace period outlasts the server's shutdown")
def grace(k):
    pod = k.pod["spec"]
    grace_s = pod.get("terminationGracePeriodSeconds", 30)
    shutdown = float(k.config.get("shutdown-timeout", "10"))
    pre_stop = 0.0
    command = k.container().get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    if command[:1] == ["sleep"]:
        pre_stop = float(command[1])
    check(grace_s > shutdown + pre_stop,
          f"terminationGracePeriodSeconds {grace_s} is not above preStop {pre_stop:g} s + shutdown-timeout {shutdown:g} s")


@case("the context secret is a Secret mounted as the file the server reads")
def context_secret(k):
    env = {e["name"]: e.get("value") for e in k.container().get("env", [])}
    path = env.get("PASSERELLE_CONTEXT_SECRET_FILE")
    check(path, "PASSERELLE_CONTEXT_SECRET_FILE is not set: replicas could not read each other's tokens")
    volume, mount = k.mount_of(lambda v: "secret" in v)
    check(volume, "no Secret volume")
    check(mount.get("readOnly") is True, "the Secret is mounted writable")
    items = volume["secret"].get("items")
    files = [i["path"] for i in items] if items else None
    directory, name = os.path.split(path)
    check(directory == mount["mountPath"].rstrip("/"),
          f"{path} is not in the Secret's mount {mount['mountPath']}")
    check(files is None or name in files, f"the Secret's items {files} do not make {name}")
    check("subPath" not in mount, "the Secret is mounted with subPath: a rotated secret would never arrive")


@case("the knowledge ConfigMaps are whole folders, complete, and valid as a pod sees them")
def knowledge(k):
    env = {e["name"]: e.get("value") for e in k.container().get("env", [])}
    out = run(["sh", os.path.join(k.args.root, MANIFESTS, "knowledge.sh"), k.args.root],
              extra_env={"KUBECTL": k.args.kubectl})
    maps = {d["metadata"]["name"]: d for d in yaml.safe_load_all(out) if d}
    with tempfile.TemporaryDirectory() as pod_view:
        for setting, folder in (("PASSERELLE_INTENTS", "intents"), ("PASSERELLE_LOCALES", "locales")):
            path = env.get(setting)
            check(path, f"{setting} is not set")
            mounts = [m for m in k.container().get("volumeMounts", []) if m["mountPath"] == path]
            check(mounts, f"nothing is mounted at {path} ({setting})")
            mount = mounts[0]
            check("subPath" not in mount, f"{path} is mounted with subPath: ConfigMap updates would never arrive")
            volume = k.volume(mount["name"])
            check("configMap" in volume, f"{path} is not a ConfigMap volume")
            cm = maps.get(volume["configMap"]["name"])
            check(cm, f"knowledge.sh makes no ConfigMap {volume['configMap']['name']} (it makes {sorted(maps)})")
            size = sum(len(v.encode()) for v in cm.get("data", {}).values())
            check(size < CONFIGMAP_MAX_BYTES, f"{cm['metadata']['name']}: {size} bytes, over the 1 MiB of a ConfigMap")
            keys = set(cm.get("data", {}))
            items = volume["configMap"].get("items")
            if items:  # every key in the folder, none forgotten
                projected = {i["key"] for i in items}
                check(projected == keys, f"{volume['name']}: items {sorted(projected ^ keys)} differ from the ConfigMap's keys")
                layout = {i["key"]: i["path"] for i in items}
            else:
                layout = {key: key for key in keys}
            # Every file of the repository's folder that the server reads is there.
            for dirpath, _dirs, files in os.walk(os.path.join(k.args.root, folder)):
                rel_dir = os.path.relpath(dirpath, os.path.join(k.args.root, folder))
                for f in files:
                    rel = os.path.normpath(os.path.join(rel_dir, f))
                    if f.endswith(".json") and not f.endswith("schema.json"):
                        check(rel.replace("/", ".") in keys, f"{folder}/{rel} is missing from {cm['metadata']['name']}")
            for key, rel in layout.items():
                target = os.path.join(pod_view, folder, rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "w", encoding="utf-8") as fh:
                    fh.write(cm["data"][key])
        r = subprocess.run([k.args.bin, "check", "--intents", os.path.join(pod_view, "intents"),
                            "--locales", os.path.join(pod_view, "locales")], capture_output=True, text=True)
        check(r.returncode == 0, f"passerelle check refuses the knowledge as a pod sees it: {(r.stdout + r.stderr).strip()[:400]}")


@case("Service, Ingress, PodDisruptionBudget and autoscaler point at the pods")
def wiring(k):
    service = k.by_kind["Service"][0]
    k.selects_pods(service["spec"]["selector"], "Service selector")
    public, _ = k.setting_port("listen")
    admin, _ = k.setting_port("admin-listen")
    service_ports = {p["name"]: p for p in service["spec"]["ports"]}
    for p in service_ports.values():
        check(k.port_number(p["targetPort"]) != admin, "the Service exposes the admin port (/healthz, /metrics)")
    check(any(k.port_number(p["targetPort"]) == public for p in service_ports.values()),
          "the Service does not lead to the public port")
    ingress = k.by_kind["Ingress"][0]
    for rule in ingress["spec"]["rules"]:
        for p in rule["http"]["paths"]:
            backend = p["backend"]["service"]
            check(backend["name"] == service["metadata"]["name"], f"Ingress leads to service {backend['name']}")
            port = backend["port"]
            check(port.get("name") in service_ports or port.get("number") in [p["port"] for p in service_ports.values()],
                  f"Ingress leads to a port the Service does not have: {port}")
    check(ingress["spec"].get("tls"), "the Ingress has no TLS")
    idle = float(k.config.get("idle-timeout", "120"))
    annotations = ingress["metadata"].get("annotations", {})
    for a in ("proxy-read-timeout", "proxy-send-timeout"):
        value = annotations.get(f"nginx.ingress.kubernetes.io/{a}")
        check(value is not None and float(value) > idle, f"Ingress {a} {value} is not above idle-timeout {idle:g} s")
    pdb = k.by_kind["PodDisruptionBudget"][0]
    k.selects_pods(pdb["spec"]["selector"], "PodDisruptionBudget selector")
    hpa = k.by_kind["HorizontalPodAutoscaler"][0]
    target = hpa["spec"]["scaleTargetRef"]
    check(target["kind"] == "Deployment" and target["name"] == k.deployment["metadata"]["name"],
          f"the autoscaler scales {target}")
    check(hpa["spec"].get("minReplicas", 1) >= 2, "the autoscaler may go below 2 replicas")
    check(any(m.get("resource", {}).get("name") == "cpu" for m in hpa["spec"].get("metrics", [])),
          "the autoscaler does not follow CPU")


@case("requests and limits are set, and the memory limit holds the measured need")
def resources(k):
    res = k.container().get("resources", {})
    for part in ("requests", "limits"):
        for r in ("cpu", "memory"):
            check(r in res.get(part, {}), f"no {part}.{r}")
    for r in ("cpu", "memory"):
        check(quantity(res["limits"][r]) >= quantity(res["requests"][r]), f"limits.{r} below requests.{r}")
    if k.args.no_measure:
        print("# memory not measured (--no-measure: a sanitizer build's memory is the sanitizers')")
        return
    out = run([k.args.node, os.path.join(k.args.root, "tests/deploy/memory.mjs"), "--bin", k.args.bin,
               "--root", k.args.root, "--connections", MEASURED_CONNECTIONS, "--json"])
    m = json.loads(out.strip().splitlines()[-1])
    connections = int(k.config["max-connections"])
    need_kb = m["idle_kb"] + connections * m["per_connection_kb"] + m["reload_extra_kb"]
    limit_kb = quantity(res["limits"]["memory"]) / 1024
    request_kb = quantity(res["requests"]["memory"]) / 1024
    print(f"# measured: {m['idle_kb'] / 1024:.1f} MB idle, {m['per_connection_kb']} kB per WebSocket "
          f"({m['connections']} open), +{m['reload_extra_kb'] / 1024:.1f} MB through a reload; "
          f"{connections} connections need {need_kb / 1024:.0f} MB; limit {limit_kb / 1024:.0f} MB, "
          f"request {request_kb / 1024:.0f} MB")
    check(limit_kb >= need_kb * MEMORY_MARGIN,
          f"memory limit {res['limits']['memory']} is under {MEMORY_MARGIN} x the {need_kb / 1024:.0f} MB that "
          f"max-connections {connections} needs: the pod would be killed when full; lower max-connections or raise it")
    check(request_kb >= m["idle_kb"] + m["reload_extra_kb"],
          f"memory request {res['requests']['memory']} is under what an idle pod takes through a reload")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True, help="the passerelle binary")
    parser.add_argument("--root", required=True, help="the repository")
    parser.add_argument("--node", default=shutil.which("node") or "node", help="node, for tests/deploy/memory.mjs")
    parser.add_argument("--kubectl", default=shutil.which("kubectl"), help="kubectl (client only)")
    parser.add_argument("--no-measure", action="store_true",
                        help="check the requests and limits without measuring the server's memory")
    args = parser.parse_args()
    args.root = os.path.abspath(args.root)
    args.bin = os.path.abspath(args.bin)
    if not args.kubectl:
        print("not ok - kubectl: not installed (Debian package kubernetes-client; deploy/setup.sh test installs it)")
        print("0 passed, 1 failed")
        return 1
    try:
        k = Manifests(args)
        check(k.deployment, "no Deployment")
    except Failure as e:
        print(f"not ok - reading the manifests: {e}")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    for name, fn in CASES:
        try:
            fn(k)
            print(f"ok - {name}")
            passed += 1
        except (Failure, KeyError, TypeError, ValueError) as e:
            reason = str(e) if isinstance(e, Failure) else f"{type(e).__name__}: {e}"
            print(f"not ok - {name}: {reason}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
