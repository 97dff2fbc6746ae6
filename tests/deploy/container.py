#!/usr/bin/env python3
"""deploy/Dockerfile, checked offline; built and run only when that costs no download.

    python3 tests/deploy/container.py --bin build/passerelle --root . [--engine docker]

Reads the Dockerfile (continuation lines joined, comments dropped) and checks what the
deployment relies on, one case each: two stages on Debian 12 slim; the build stage installs
exactly deploy/setup.sh's build_packages; the run stage installs no build tool and every library
the built program loads (its NEEDED entries, through ldd and dpkg -S); a non-root numeric USER
(the one deploy/kubernetes runs as); listeners on 0.0.0.0 whose ports are EXPOSEd; a
HEALTHCHECK on the admin port's /healthz; the knowledge and the state folder as VOLUMEs;
ENTRYPOINT and CMD in exec form (the program is PID 1 and receives SIGTERM); .dockerignore
keeping builds, git and node_modules out while letting in what COPY needs.

Then it builds the image and runs it (healthy, /healthz answered, `docker stop` exits 0) only
when a container engine answers AND the base image debian:12-slim is already present; else it
says which of the two is missing and that the build was not tried. It never pulls an image (the
build's apt-get does need the Debian mirror).

Prints `ok - case` / `not ok - case: reason`, then `N passed, N failed`; exit status 0 when every
case passed, 1 otherwise.
"""

import argparse
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request

import yaml

BASE_IMAGE = "debian:12-slim"
BUILD_TOOLS = {"build-essential", "cmake", "pkg-config", "gcc", "make"}
# In every Debian image: the C library, and the libraries dpkg and coreutils (essential) load.
IN_BASE_IMAGE = {"libc6", "libgcc-s1", "zlib1g", "libzstd1", "liblzma5", "libbz2-1.0", "libmd0",
                 "libselinux1", "libacl1"}
HEALTHY_WAIT_S = 40
STOP_GRACE_S = 20


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def instructions(text):
    """[(stage, INSTRUCTION, arguments)], continuation lines joined, comments dropped."""
    out, stage, pending = [], -1, ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        word = word.upper()
        if word == "FROM":
            stage += 1
        out.append((stage, word, rest.strip()))
    return out


def exec_form(args):
    """The JSON array of an exec-form instruction, or None (shell form)."""
    try:
        value = json.loads(args)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def apt_packages(run_args):
    """The packages an `apt-get install` of a RUN names."""
    packages = set()
    for command in re.split(r"&&|;", run_args):
        words = shlex.split(command)
        if "apt-get" in words and "install" in words:
            after = words[words.index("install") + 1:]
            packages |= {w for w in after if not w.startswith("-")}
    return packages


def setup_packages(root, name):
    text = open(os.path.join(root, "deploy/setup.sh"), encoding="utf-8").read()
    m = re.search(rf"^{name}=\(([^)]*)\)", text, re.M)
    check(m, f"deploy/setup.sh has no {name}=(...) list")
    words = []
    for line in m.group(1).splitlines():
        words += line.split("#")[0].split()
    return set(words)


class Dockerfile:
    def __init__(self, root):
        self.root = root
        self.text = open(os.path.join(root, "deploy/Dockerfile"), encoding="utf-8").read()
        self.all = instructions(self.text)
        self.stages = max(s for s, _, _ in self.all) + 1

    def of(self, stage, word):
        return [a for s, w, a in self.all if s == stage and w == word]

    @property
    def final(self):
        return self.stages - 1

    def env(self):
        """ENV of the final stage (KEY=VALUE form)."""
        env = {}
        for args in self.of(self.final, "ENV"):
            for item in shlex.split(args):
                key, sep, value = item.partition("=")
                check(sep, f"ENV in the legacy `ENV KEY VALUE` form: {args}")
                env[key] = value
        return env

    def setting_port(self, key):
        value = self.env().get(key, "")
        m = re.fullmatch(r"0\.0\.0\.0:(\d+)", value)
        check(m, f"{key}={value!r}: the server must listen on 0.0.0.0 inside the container")
        return int(m.group(1))


CASES = []


def case(name):
    def register(fn):
        CASES.append((name, fn))
        return fn
    return register


@case("two stages, both on Debian 12 slim")
def stages(d, _args):
    check(d.stages >= 2, f"{d.stages} stage(s): build and run must be separate")
    for stage in range(d.stages):
        (args,) = d.of(stage, "FROM")
        image = args.split()[0]
        check(image == BASE_IMAGE or image.startswith(BASE_IMAGE + "@"), f"stage {stage + 1} FROM {image}, expected {BASE_IMAGE}")


@case("the build stage installs deploy/setup.sh's build_packages")
def build_packages(d, args):
    want = setup_packages(args.root, "build_packages")
    got = set()
    for run in d.of(0, "RUN"):
        got |= apt_packages(run)
    check(got == want, f"missing {sorted(want - got)}, extra {sorted(got - want)} (deploy/setup.sh build_packages: {sorted(want)})")


@case("the run stage has no build tools and every library the program loads")
def runtime_packages(d, args):
    got = set()
    for run in d.of(d.final, "RUN"):
        got |= apt_packages(run)
    tools = sorted(p for p in got if p in BUILD_TOOLS or p.endswith("-dev"))
    check(not tools, f"the run stage installs build tools: {tools}")
    needed = needed_packages(args.bin)
    missing = sorted(needed - got - IN_BASE_IMAGE)
    check(not missing, f"the program loads libraries of {missing}, which the run stage does not install")
    print(f"# the program loads the libraries of: {', '.join(sorted(needed))}")


def needed_packages(binary):
    """The Debian packages of the shared libraries the program names (NEEDED)."""
    check(shutil.which("readelf") and shutil.which("dpkg"), "readelf or dpkg missing: cannot tell the program's libraries")
    dyn = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    names = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
    # A sanitizer build's runtimes are not the image's (which is built without them).
    names = [n for n in names if not re.match(r"lib(asan|ubsan|lsan|tsan)\.", n)]
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
    packages = set()
    for name in names:
        path = paths.get(name)
        check(path, f"ldd does not resolve {name}")
        candidates = [path, os.path.realpath(path)]
        candidates += [p[len("/usr"):] if p.startswith("/usr/") else "/usr" + p for p in list(candidates)]
        for c in candidates:
            r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
            if r.returncode == 0:
                packages.add(r.stdout.split(":")[0])
                break
        else:
            raise Failure(f"no Debian package owns {path} ({name})")
    return packages


@case("a non-root numeric USER, the one deploy/kubernetes runs as")
def user(d, args):
    users = d.of(d.final, "USER")
    check(users, "no USER in the run stage: the server would run as root")
    uid, _, gid = users[-1].partition(":")
    check(uid.isdigit() and uid != "0", f"USER {users[-1]}: a numeric uid other than 0, so that runAsNonRoot can verify it")
    check(not gid or (gid.isdigit() and gid != "0"), f"USER {users[-1]}: group 0")
    deployment = os.path.join(args.root, "deploy/kubernetes/deployment.yaml")
    if os.path.exists(deployment):
        pod = yaml.safe_load(open(deployment, encoding="utf-8"))["spec"]["template"]["spec"]
        run_as = pod.get("securityContext", {}).get("runAsUser")
        check(run_as is None or str(run_as) == uid, f"deploy/kubernetes runs as {run_as}, the image as {uid}")


@case("listeners on 0.0.0.0, both ports EXPOSEd, HEALTHCHECK on the admin port's /healthz")
def ports(d, _args):
    public = d.setting_port("PASSERELLE_LISTEN")
    admin = d.setting_port("PASSERELLE_ADMIN_LISTEN")
    check(public != admin, "listen and admin-listen share a port")
    exposed = set()
    for args in d.of(d.final, "EXPOSE"):
        exposed |= {int(p.split("/")[0]) for p in args.split()}
    check({public, admin} <= exposed, f"EXPOSE {sorted(exposed)}, expected {public} and {admin}")
    checks = d.of(d.final, "HEALTHCHECK")
    check(checks, "no HEALTHCHECK")
    cmd = checks[-1].split("CMD", 1)
    check(len(cmd) == 2, f"HEALTHCHECK without CMD: {checks[-1]}")
    argv = exec_form(cmd[1].strip())
    check(argv, f"HEALTHCHECK CMD in shell form: {cmd[1].strip()}")
    urls = [a for a in argv if a.startswith("http")]
    check(urls == [f"http://127.0.0.1:{admin}/healthz"], f"HEALTHCHECK asks {urls}, expected http://127.0.0.1:{admin}/healthz")
    for tool in ("curl", "wget"):
        if argv[0] == tool:
            check(any(tool == p for run in d.of(d.final, "RUN") for p in apt_packages(run)),
                  f"the HEALTHCHECK runs {tool}, which the run stage does not install")


@case("the knowledge and the state folder are VOLUMEs")
def volumes(d, _args):
    vols = []
    for args in d.of(d.final, "VOLUME"):
        vols += exec_form(args) or args.split()
    env = d.env()
    want = {env.get("PASSERELLE_INTENTS"), env.get("PASSERELLE_LOCALES")}
    check(None not in want, "PASSERELLE_INTENTS and PASSERELLE_LOCALES must say where the knowledge is")
    staff_log = env.get("PASSERELLE_STAFF_LOG")
    check(staff_log, "PASSERELLE_STAFF_LOG is not set: the staff log would go to stderr, not the state folder")
    want.add(os.path.dirname(staff_log))
    check(want <= set(vols), f"VOLUME {vols}: missing {sorted(want - set(vols))}")


@case("ENTRYPOINT and CMD in exec form; SIGTERM stops it")
def signals(d, _args):
    entry = d.of(d.final, "ENTRYPOINT")
    check(entry, "no ENTRYPOINT")
    argv = exec_form(entry[-1])
    check(argv, f"ENTRYPOINT in shell form ({entry[-1]}): a shell would be PID 1 and keep SIGTERM from the server")
    check(argv[0].endswith("/passerelle"), f"ENTRYPOINT runs {argv[0]}")
    for c in d.of(d.final, "CMD"):
        check(exec_form(c), f"CMD in shell form: {c}")
    stop = d.of(d.final, "STOPSIGNAL")
    check(not stop or stop[-1] in ("SIGTERM", "15"), f"STOPSIGNAL {stop[-1]}: the server drains on SIGTERM")


def ignored(patterns, path):
    """Whether .dockerignore keeps path out of the build context (last match wins)."""
    verdict = False
    for p in patterns:
        negate = p.startswith("!")
        p = p[1:] if negate else p
        p = p.strip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if p.startswith("**/"):
            hit = any(fnmatch.fnmatchcase(x, p[3:]) for x in parts)
        else:
            hit = any(fnmatch.fnmatchcase(x, p) and x.count("/") == p.count("/") for x in prefixes)
        if hit:
            verdict = not negate
    return verdict


@case(".dockerignore lets in what COPY needs, and not builds, git or node_modules")
def dockerignore(d, args):
    path = os.path.join(args.root, ".dockerignore")
    check(os.path.exists(path), "no .dockerignore: the whole repository (builds, node_modules, .git) would be sent")
    patterns = [l.strip() for l in open(path, encoding="utf-8") if l.strip() and not l.startswith("#")]
    for args_ in d.of(0, "COPY") + d.of(d.final, "COPY"):
        if "--from=" in args_:
            continue
        sources = [w for w in shlex.split(args_) if not w.startswith("--")][:-1]
        for s in sources:
            check(os.path.exists(os.path.join(args.root, s)), f"COPY {s}: no such file in the repository")
            check(not ignored(patterns, s), f"COPY {s}, but .dockerignore leaves it out")
    for kept_out in ("build/passerelle", "build-asan/CMakeCache.txt", ".git/HEAD",
                     "tests/e2e/node_modules/ws/index.js", "web/node_modules/x.js"):
        check(ignored(patterns, kept_out), f".dockerignore lets {kept_out} into the build context")
    cmake = open(os.path.join(args.root, "CMakeLists.txt"), encoding="utf-8").read()
    copied = {shlex.split(a)[0] for a in d.of(0, "COPY") if "--from=" not in a}
    wanted = set(re.findall(r"^add_subdirectory\((\w+)\)", cmake, re.M)) - {"tests"}
    for m in re.finditer(r"install\(DIRECTORY ([^)]*?) DESTINATION", cmake):
        wanted |= set(m.group(1).split())
    check(wanted <= copied, f"CMakeLists.txt needs {sorted(wanted - copied)}, which the build stage does not COPY")


def engine_state(engine):
    """None when the image can be built without downloading the base; else why not."""
    if not shutil.which(engine):
        return f"no container engine ({engine} is not installed)"
    r = subprocess.run([engine, "info"], capture_output=True, text=True)
    if r.returncode != 0:
        why = (r.stderr.strip().splitlines() or ["no answer"])[-1]
        return f"no container engine is running ({engine} info: {why})"
    r = subprocess.run([engine, "image", "inspect", BASE_IMAGE], capture_output=True, text=True)
    if r.returncode != 0:
        return f"the base image {BASE_IMAGE} is not present locally ({engine} pull {BASE_IMAGE} would fetch it)"
    return None


def build_and_run(args):
    tag = f"passerelle-test:{os.getpid()}"
    name = f"passerelle-test-{os.getpid()}"
    e = args.engine
    subprocess.run([e, "build", "--pull=false", "-f", "deploy/Dockerfile", "-t", tag, "."],
                   cwd=args.root, check=True, stdout=subprocess.DEVNULL)
    try:
        subprocess.run([e, "run", "-d", "--name", name, "-p", "127.0.0.1::8081", tag],
                       check=True, stdout=subprocess.DEVNULL)
        port = subprocess.run([e, "port", name, "8081/tcp"], capture_output=True, text=True,
                              check=True).stdout.split(":")[-1].strip()
        deadline = time.time() + HEALTHY_WAIT_S
        status = ""
        while time.time() < deadline:
            status = subprocess.run([e, "inspect", "-f", "{{.State.Health.Status}}", name],
                                    capture_output=True, text=True).stdout.strip()
            if status == "healthy":
                break
            time.sleep(1)
        check(status == "healthy", f"the container is {status or 'not running'} after {HEALTHY_WAIT_S} s")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as res:
            check(res.status == 200, f"/healthz answered {res.status}")
        subprocess.run([e, "stop", "-t", str(STOP_GRACE_S), name], check=True, stdout=subprocess.DEVNULL)
        code = subprocess.run([e, "inspect", "-f", "{{.State.ExitCode}}", name], capture_output=True,
                              text=True).stdout.strip()
        check(code == "0", f"after SIGTERM the server exited {code}, expected 0")
    finally:
        subprocess.run([e, "rm", "-f", name], capture_output=True)
        subprocess.run([e, "rmi", "-f", tag], capture_output=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True, help="the passerelle binary (for its libraries)")
    parser.add_argument("--root", required=True, help="the repository")
    parser.add_argument("--engine", default=os.environ.get("CONTAINER_ENGINE", "docker"),
                        help="docker or podman (default: docker, or $CONTAINER_ENGINE)")
    args = parser.parse_args()
    args.root = os.path.abspath(args.root)
    args.bin = os.path.abspath(args.bin)
    d = Dockerfile(args.root)
    passed = failed = 0
    for name, fn in CASES:
        try:
            fn(d, args)
            print(f"ok - {name}")
            passed += 1
        except (Failure, subprocess.CalledProcessError, KeyError, ValueError) as e:
            print(f"not ok - {name}: {e}")
            failed += 1
    why_not = engine_state(args.engine)
    if why_not:
        print(f"# image not built: {why_not}; the build was not tried, nothing was downloaded")
    else:
        try:
            build_and_run(args)
            print("ok - the image builds, turns healthy, answers /healthz and stops with status 0 on SIGTERM")
            passed += 1
        except (Failure, subprocess.CalledProcessError, OSError) as e:
            print(f"not ok - the image builds, turns healthy and stops on SIGTERM: {e}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
