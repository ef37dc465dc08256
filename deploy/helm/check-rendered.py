"""Checks that the rendered chart runs what the binary has.

Usage: check-rendered.py BINARY EMBEDDED.yaml SCALEOUT.yaml

Every Deployment's arguments must parse (`agentobs serve ARGS --help` exits 0 and rejects
an unknown flag otherwise) and name known roles; the scale-out topology must cover every
role but `all`. The embedded Deployment is then started for real, with its arguments,
environment and config file, its paths moved under a temporary directory and its ports
moved to free ones, and must answer /ready.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml


def deployments(path):
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            if doc and doc.get("kind") == "Deployment":
                yield doc


def container(dep):
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    return c


def known_roles(binary):
    out = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True).stderr
    section = out.split("Roles:")[1].split("Flags")[0]
    return {line.split()[0] for line in section.splitlines() if line.strip()}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_args(binary, dep, roles):
    name = dep["metadata"]["name"]
    args = container(dep)["args"]
    assert args[0] == "serve", f"{name}: runs {args[0]!r}, not serve"
    run = subprocess.run([binary, *args, "--help"], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{name}: agentobs rejects {args}: {run.stderr.strip().splitlines()[0]}")
    wanted = next(a.split("=", 1)[1] for a in args if a.startswith("--roles="))
    unknown = set(wanted.split(",")) - roles
    if unknown:
        sys.exit(f"{name}: unknown roles {sorted(unknown)} (the binary has {sorted(roles)})")
    return set(wanted.split(","))


def run_embedded(binary, dep, config_lines):
    c = container(dep)
    with tempfile.TemporaryDirectory() as tmp:
        http, ops, grpc = free_port(), free_port(), free_port()
        conf = os.path.join(tmp, "agentobs.env")
        with open(conf, "w") as f:
            f.write(config_lines)
        moved = {"--addr": f"127.0.0.1:{http}", "--ops-addr": f"127.0.0.1:{ops}",
                 "--otlp-grpc-addr": f"127.0.0.1:{grpc}", "--data-dir": os.path.join(tmp, "data"),
                 "--config": conf}
        args = []
        for a in c["args"]:
            flag = a.split("=", 1)[0]
            args.append(f"{flag}={moved[flag]}" if flag in moved else a)
        env = {"PATH": os.environ["PATH"], "HOME": tmp}
        env.update({e["name"]: e["value"] for e in c.get("env", [])})
        proc = subprocess.Popen([binary, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 30
            while time.time() < deadline:
                if proc.poll() is not None:
                    sys.exit(f"embedded pod exited {proc.returncode}:\n{proc.stdout.read().decode()}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{http}/ready", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.2)
            else:
                sys.exit("embedded pod never answered /ready")
            # The metrics port of the ServiceMonitor and NetworkPolicy serves the metrics.
            with urllib.request.urlopen(f"http://127.0.0.1:{ops}/metrics", timeout=5) as r:
                if b"agentobs_http_requests_total" not in r.read():
                    sys.exit("the metrics port does not serve agentobs metrics")
        finally:
            proc.terminate()
            proc.wait(timeout=40)


def secret_config(path, key="agentobs.env"):
    with open(path) as f:
        for doc in yaml.safe_load_all(f):
            if doc and doc.get("kind") == "Secret":
                return doc["stringData"][key]
    sys.exit(f"{path}: no Secret")


def main():
    binary, embedded, scaleout = sys.argv[1:4]
    roles = known_roles(binary)
    covered = set()
    for dep in deployments(scaleout):
        covered |= check_args(binary, dep, roles)
    missing = roles - {"all"} - covered
    if missing:
        sys.exit(f"{scaleout}: no Deployment runs {sorted(missing)}")
    (emb,) = list(deployments(embedded))
    if check_args(binary, emb, roles) != {"all"}:
        sys.exit("the embedded Deployment must run --roles=all")
    run_embedded(binary, emb, secret_config(embedded))
    print(f"chart: every Deployment's arguments parse; scale-out runs {sorted(covered)}; the embedded pod starts and is ready")


if __name__ == "__main__":
    main()
