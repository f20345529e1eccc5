"""output: our plugin's failures, printed replayable, and the run's JSON document."""
import json
import os


def print_failures(failures):
    """Our plugin's failures, grouped by command and error, the first of each group replayable."""
    groups = {}
    for f in failures:
        if f["set"] == "ours":
            plugin = os.path.basename(f["command"].rsplit(" ", 1)[-1])
            groups.setdefault((plugin + " " + f["env"]["CNI_COMMAND"], error_kind(f)), []).append(f)
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
                       "windows": analysis["windows"], "rss": analysis["rss"],
                       "portmap": _portmap(analysis["portmap"])},
           "targets": [{"issue": i, "target": n, "value": v, "verdict": verdict} for i, n, v, verdict in tgts],
           "failures": failures}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    return path


def _portmap(p):
    if p is None:
        return None
    return {"rows": [{"operation": name.strip(), "key": key, **s} for name, key, s in p["rows"]],
            "del_all_total": {k.rstrip("_"): v for k, v in p["del_all_total"].items()},
            "growth": {k.rstrip("_"): v for k, v in p["growth"].items()}, "state": p["state"]}
