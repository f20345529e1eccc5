#!/usr/bin/env python3
"""run.py: benchmark our CNI plugins against a second plugin directory, side by side, in one run.

Usage: bench/run [--quick] [--ours DIR] [--ref DIR] [-n N] [-r R] [--bursts B] [--burst-size K]
See bench/README.md. Needs root; everything happens in private network namespaces named
swcni-bench-<pid>-*, which are removed at exit (and swept by later runs if this one was killed).
"""
import argparse
import atexit
import datetime
import hashlib
import json
import os
import platform
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from cnibench import report, worker  # noqa: E402
from cnibench.resources import Resources, sweep_leftovers  # noqa: E402
from cnibench.scenarios import Bench  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description="Side-by-side CNI bridge+host-local benchmark.")
    p.add_argument("--ours", default=os.path.join(os.path.dirname(HERE), ".build-bench", "release"),
                   help="our plugin directory (default: .build-bench/release)")
    p.add_argument("--ref", default="/usr/lib/cni", help="reference plugin directory (default: /usr/lib/cni)")
    p.add_argument("-n", "--pods", type=int, default=500, help="pods on one bridge (default 500)")
    p.add_argument("-r", "--repeats", type=int, default=30, help="single-pod ADD/DEL rounds (default 30)")
    p.add_argument("--bursts", type=int, default=3, help="parallel burst rounds (default 3)")
    p.add_argument("--burst-size", type=int, default=32, help="ADDs per burst (default 32)")
    p.add_argument("--rss-rounds", type=int, default=5, help="untimed ADD/DEL rounds under GNU time, per state (default 5)")
    p.add_argument("--quick", action="store_true", help="N=50, R=10, 1 burst round: under a minute")
    p.add_argument("--out", default=os.path.join(HERE, "out"), help="directory for the JSON (default bench/out)")
    p.add_argument("--cleanup", action="store_true", help="only remove leftovers of killed runs, then exit")
    p.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.quick:
        a.pods, a.repeats, a.bursts, a.rss_rounds = 50, 10, 1, 3
    return a


def check_dirs(args):
    for label, d in (("ours", args.ours), ("ref", args.ref)):
        for b in ("bridge", "host-local"):
            if not os.access(os.path.join(d, b), os.X_OK):
                sys.exit("%s: %s/%s is missing or not executable" % (label, d, b))


def describe(d):
    path = os.path.join(d, "bridge")
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    return {"dir": os.path.abspath(d), "bridge_sha256_16": digest, "bridge_bytes": os.path.getsize(path)}


def source_revision():
    """The commit our tree is at, with "-dirty" when Sources/ or Package.swift has local changes."""
    root = os.path.dirname(HERE)
    git = lambda *a: subprocess.run(["git", "-C", root] + list(a), capture_output=True, text=True)
    rev = git("rev-parse", "--short", "HEAD").stdout.strip() or "unknown"
    dirty = git("status", "--porcelain", "--", "Sources", "Package.swift").stdout.strip()
    return rev + ("-dirty" if dirty else "")


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def main(argv):
    args = parse_args(argv)
    if args.inner:
        return worker.main()
    if os.geteuid() != 0:
        sys.exit("run.py needs root (network namespaces)")
    sweep_leftovers()
    if args.cleanup:
        return 0
    check_dirs(args)
    res = Resources()
    atexit.register(res.release)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = datetime.datetime.now(datetime.timezone.utc)
    meta = {"started": started.isoformat(timespec="seconds"), "host": platform.node(),
            "kernel": platform.release(), "cpus": os.cpu_count(), "loadavg_start": os.getloadavg(),
            "pods": args.pods, "repeats": args.repeats, "bursts": args.bursts, "burst_size": args.burst_size,
            "ours": describe(args.ours), "ref": describe(args.ref), "source_revision": source_revision()}
    log("ours: %s (tree %s)   ref: %s   N=%d R=%d bursts=%dx%d   load %.2f" % (
        args.ours, meta["source_revision"], args.ref, args.pods, args.repeats, args.bursts, args.burst_size,
        os.getloadavg()[0]))
    bench = None
    try:
        bench = Bench(res, args.ours, args.ref, log)
        bench.single(args.repeats)
        bench.rss(args.rss_rounds, "m0", "bridge with no other pods")
        bench.add_many(args.pods)
        bench.rss(args.rss_rounds, "mn", "bridge with %d other pods" % args.pods)
        bench.del_many(args.pods)
        bench.burst(args.bursts, args.burst_size)
        bench.close()
    finally:
        errors = res.release()
        if errors:
            print("cleanup problems:\n  " + "\n  ".join(errors), file=sys.stderr)
    meta["loadavg_end"] = os.getloadavg()
    meta["seconds"] = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    meta["state"] = {"after_add": bench.results.get("state_after_add"), "after_del": bench.results.get("state_after_del")}
    analysis = report.analyse(bench, args.pods)
    tgts = report.targets(analysis, args.pods)
    print()
    print(report.render(analysis, tgts, args.pods, meta))
    failures = bench.failures()
    print_failures(failures)
    path = write_json(args.out, started, meta, bench, analysis, tgts, failures)
    print("\nload average %.2f at start, %.2f at end; %d CPUs; %.0f s; raw numbers in %s" % (
        meta["loadavg_start"][0], meta["loadavg_end"][0], meta["cpus"], meta["seconds"], path))
    return 0


def print_failures(failures):
    """Our plugin's failures, grouped by command and error, the first of each group replayable."""
    groups = {}
    for f in failures:
        if f["set"] == "ours":
            groups.setdefault((f["env"]["CNI_COMMAND"], error_kind(f)), []).append(f)
    if not groups:
        return
    print("\nOur plugin failed %d time(s), %d kind(s); the first of each, replayable:" % (
        sum(len(g) for g in groups.values()), len(groups)))
    for (command, _), fs in groups.items():
        f = fs[0]
        scenarios = sorted({x["scenario"] for x in fs})
        print("\n  %s failed %d time(s), in: %s" % (command, len(fs), ", ".join(scenarios)))
        print("  first: scenario %s, exit code %s" % (f["scenario"], f["rc"]))
        print("  command: %s <<'EOF'\n%s\nEOF" % (f["command"], f["stdin"]))
        print("  stdout: %s" % f["stdout"].strip())
        print("  stderr: %s" % f["stderr"].strip())


def error_kind(f):
    """What a failure says, without the ids that differ between invocations."""
    try:
        return json.loads(f["stdout"]).get("code"), f["stderr"].strip()[:80]
    except (ValueError, AttributeError):
        return f["stdout"].strip()[:80], f["stderr"].strip()[:80]


def write_json(out_dir, started, meta, bench, analysis, tgts, failures):
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "bench-%s.json" % started.strftime("%Y%m%dT%H%M%SZ"))
    strip = lambda rs: [{"t": r["t"], "rc": r["rc"], "rss_kb": r["rss_kb"]} for r in rs]
    doc = {"meta": meta,
           "samples": {l: {op: strip(rs) for op, rs in ops.items()} for l, ops in bench.samples.items()},
           "burst": {l: [{k: v for k, v in b.items() if k != "plugin_failures"} for b in rounds]
                     for l, rounds in bench.results.get("burst", {}).items()},
           "summary": {"rows": [{"operation": name, "key": key, **s} for name, key, s in analysis["rows"]],
                       "del_all_total": analysis["del_all_total"], "growth": analysis["growth"],
                       "windows": analysis["windows"], "rss": analysis["rss"]},
           "targets": [{"target": n, "value": v, "verdict": verdict} for n, v, verdict in tgts],
           "failures": failures}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    return path


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\ninterrupted; namespaces, bridges and files removed", file=sys.stderr)
        sys.exit(130)
