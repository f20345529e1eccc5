#!/usr/bin/env python3
"""run.py: benchmark our CNI plugins against a second plugin directory, side by side, in one run.

Usage: bench/run [--quick] [--ours DIR] [--ref DIR] [-n N] [-r R] [--bursts B] [--burst-size K]
                 [--portmap-backend iptables|nftables]
Plugins: bridge + host-local (scenarios 1-5), macvlan + host-local (scenario 6) and bridge + portmap
(scenarios 7-9); 6 and 7-9 are skipped when macvlan or portmap is missing.
See bench/README.md. Needs root; everything happens in private network namespaces named
swcni-bench-<pid>-*, which are removed at exit (and swept by later runs if this one was killed).
"""
import argparse
import atexit
import datetime
import hashlib
import os
import platform
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from cnibench import output, report, worker  # noqa: E402
from cnibench.portmap import MAX_PODS, PortmapBench  # noqa: E402
from cnibench.resources import Resources, sweep_leftovers  # noqa: E402
from cnibench.scenarios import Bench  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description="Side-by-side CNI bridge/macvlan + host-local benchmark.")
    p.add_argument("--ours", default=os.path.join(os.path.dirname(HERE), ".build-bench", "release"),
                   help="our plugin directory (default: .build-bench/release)")
    p.add_argument("--ref", default="/usr/lib/cni", help="reference plugin directory (default: /usr/lib/cni)")
    p.add_argument("-n", "--pods", type=int, default=500, help="pods on one bridge (default 500)")
    p.add_argument("-r", "--repeats", type=int, default=30, help="single-pod ADD/DEL rounds (default 30)")
    p.add_argument("--bursts", type=int, default=3, help="parallel burst rounds (default 3)")
    p.add_argument("--burst-size", type=int, default=32, help="ADDs per burst (default 32)")
    p.add_argument("--rss-rounds", type=int, default=5, help="untimed ADD/DEL rounds under GNU time, per state (default 5)")
    p.add_argument("--portmap-backend", choices=("iptables", "nftables"), default="iptables",
                   help="our portmap's backend (default iptables; the reference is always iptables)")
    p.add_argument("--quick", action="store_true", help="N=50, R=10, 1 burst round: under a minute")
    p.add_argument("--out", default=os.path.join(HERE, "out"), help="directory for the JSON (default bench/out)")
    p.add_argument("--cleanup", action="store_true", help="only remove leftovers of killed runs, then exit")
    p.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.quick:
        a.pods, a.repeats, a.bursts, a.rss_rounds = 50, 10, 1, 3
    if a.pods + a.repeats + 2 > MAX_PODS:
        p.error("-n plus -r must stay below %d (the portmap scenarios' host port ranges)" % (MAX_PODS - 2))
    return a


def check_dirs(args):
    """Exits when bridge or host-local is missing; returns the missing paths of `plugin` (its scenarios are skipped)."""
    for label, d in (("ours", args.ours), ("ref", args.ref)):
        for b in ("bridge", "host-local"):
            if not os.access(os.path.join(d, b), os.X_OK):
                sys.exit("%s: %s/%s is missing or not executable" % (label, d, b))
    return lambda plugin: [os.path.join(d, plugin) for d in (args.ours, args.ref)
                           if not os.access(os.path.join(d, plugin), os.X_OK)]


def describe(d):
    out = {"dir": os.path.abspath(d)}
    for b in ("bridge", "macvlan", "portmap"):
        path = os.path.join(d, b)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                out[b + "_sha256_16"] = hashlib.sha256(f.read()).hexdigest()[:16]
            out[b + "_bytes"] = os.path.getsize(path)
    return out


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
    missing = check_dirs(args)
    no_macvlan, no_portmap = missing("macvlan"), missing("portmap")
    res = Resources()
    atexit.register(res.release)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = datetime.datetime.now(datetime.timezone.utc)
    meta = {"started": started.isoformat(timespec="seconds"), "host": platform.node(),
            "kernel": platform.release(), "cpus": os.cpu_count(), "loadavg_start": os.getloadavg(),
            "pods": args.pods, "repeats": args.repeats, "bursts": args.bursts, "burst_size": args.burst_size,
            "ours": describe(args.ours), "ref": describe(args.ref), "source_revision": source_revision(),
            "portmap_backend": args.portmap_backend}
    log("ours: %s (tree %s)   ref: %s   N=%d R=%d bursts=%dx%d   our portmap: %s   load %.2f" % (
        args.ours, meta["source_revision"], args.ref, args.pods, args.repeats, args.bursts, args.burst_size,
        args.portmap_backend,
        os.getloadavg()[0]))
    bench = None
    try:
        bench = Bench(res, args.ours, args.ref, log)
        bench.single(args.repeats)
        if no_macvlan:
            log("macvlan scenario skipped: %s missing or not executable" % ", ".join(no_macvlan))
        else:
            bench.macvlan(args.repeats)
        bench.rss(args.rss_rounds, "m0", "bridge with no other pods")
        bench.add_many(args.pods)
        bench.rss(args.rss_rounds, "mn", "bridge with %d other pods" % args.pods)
        bench.del_many(args.pods)
        bench.burst(args.bursts, args.burst_size)
        if no_portmap:
            log("portmap scenarios skipped: %s missing or not executable" % ", ".join(no_portmap))
        else:
            pm = PortmapBench(bench, args.portmap_backend)
            pm.single(args.repeats)
            pm.add_many(args.pods)
            pm.del_many(args.pods)
            pm.close()
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
    output.print_failures(failures)
    path = output.write_json(args.out, started, meta, bench, analysis, tgts, failures)
    print("\nload average %.2f at start, %.2f at end; %d CPUs; %.0f s; raw numbers in %s" % (
        meta["loadavg_start"][0], meta["loadavg_end"][0], meta["cpus"], meta["seconds"], path))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\ninterrupted; namespaces, bridges and files removed", file=sys.stderr)
        sys.exit(130)
