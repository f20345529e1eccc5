"""report: turns the raw samples into the printed table, the target verdicts and the JSON document."""
from . import report_portmap
from .stats import median, percentile, ratio, summary

TARGET_RATIO = 0.3
TARGET_GROWTH = 1.3
TARGET_MACVLAN = 0.5


def _times(samples, op, lo=None, hi=None):
    rs = samples.get(op, [])[lo:hi]
    return [r["t"] for r in rs if r["rc"] == 0]


def windows(n):
    """(first, last) 1-based pod numbers whose ADDs are pooled: 1-10, 91-100, 491-500 for n=500."""
    w = min(10, max(1, n // 10))
    marks = sorted({max(w, n // 5), n})
    return [(1, w)] + [(m - w + 1, m) for m in marks if m - w + 1 > w]


def analyse(bench, n):
    samples = bench.samples
    rows = []  # (name, key, {label: summary})

    def row(name, key, op, lo=None, hi=None):
        rows.append((name, key, {l: summary(_times(samples[l], op, lo, hi)) for l in samples}))

    row("ADD, 1 pod, bridge exists", "add_single", "add_single")
    row("DEL, 1 pod", "del_single", "del_single")
    for a, b in windows(n):
        row("ADD of pod #%d-%d" % (a, b), "add_%d_%d" % (a, b), "add_nth", a - 1, b)
    row("DEL, each of %d" % n, "del_each", "del_all")
    row("macvlan ADD, 1 pod", "mv_add_single", "mv_add_single")   # printed after the burst row
    row("macvlan DEL, 1 pod", "mv_del_single", "mv_del_single")
    totals = {l: sum(r["t"] for r in samples[l].get("del_all", [])) for l in samples}
    bursts = bench.results.get("burst", {})
    growth = {}
    first, last = windows(n)[0], windows(n)[-1]
    for l in samples:
        growth[l] = ratio(median(_times(samples[l], "add_nth", last[0] - 1, last[1])),
                          median(_times(samples[l], "add_nth", first[0] - 1, first[1])))
    rss = {}
    for l in samples:
        rss[l] = {}
        for op in [k for k in samples[l] if k.startswith("rss ")]:
            kb = [r["rss_kb"] for r in samples[l][op] if r["rss_kb"] is not None]
            rss[l][op] = {"max_mb": max(kb) / 1024 if kb else None, "median_mb": median(kb) / 1024 if kb else None,
                          "n": len(kb)}
    by_op = {l: {op: sum(1 for r in rs if r["rc"] != 0) for op, rs in samples[l].items()} for l in samples}
    fails = {l: sum(by_op[l].values()) for l in samples}
    return {"rows": rows, "del_all_total": totals, "growth": growth, "windows": windows(n),
            "bursts": bursts, "rss": rss, "sequential_failures": fails,
            "failures_by_op": by_op, "portmap": report_portmap.analyse(bench, n, windows(n))}


def targets(a, n):
    """(issue, name, value, verdict) per target of issues 3 (bridge) and 4 (macvlan); verdict is "met",
    "NOT met" or why it was not measured."""
    med = lambda key, l: next(r[2][l]["median"] for r in a["rows"] if r[1] == key)
    failed = lambda *ops: sum(a["failures_by_op"]["ours"].get(op, 0) + a["failures_by_op"]["ref"].get(op, 0)
                              for op in ops)

    def verdict(value, limit, *ops):
        if failed(*ops):
            return "not measured: %d failed invocations" % failed(*ops)
        if value is None:
            return "not measured"
        return "met" if value <= limit else "NOT met"

    first, last = a["windows"][0], a["windows"][-1]
    t = []
    for name, key in (("ADD median <= 0.3x reference", "add_single"), ("DEL median <= 0.3x reference", "del_single")):
        v = ratio(med(key, "ours"), med(key, "ref"))
        t.append((3, name, v, verdict(v, TARGET_RATIO, "add_single", "del_single")))
    g = a["growth"]["ours"]
    t.append((3, "our ADD #%d-%d within 1.3x of #%d-%d" % (last[0], last[1], first[0], first[1]), g,
              verdict(g, TARGET_GROWTH, "add_nth")))
    tot = a["del_all_total"]
    v = ratio(tot["ours"], tot["ref"])
    t.append((3, "DEL of all %d <= 0.3x reference" % n, v, verdict(v, TARGET_RATIO, "add_nth", "del_all")))
    for verb in ("ADD", "DEL"):
        key = "mv_%s_single" % verb.lower()
        v = ratio(med(key, "ours"), med(key, "ref"))
        t.append((4, "macvlan %s median <= 0.5x reference" % verb, v,
                  verdict(v, TARGET_MACVLAN, "mv_add_single", "mv_del_single")))
    return t + report_portmap.targets(a, n)


def _ms(x):
    return "-" if x is None else "%.1f" % (x * 1000)


def _x(x):
    return "-" if x is None else "%.2fx" % x


def render(a, tgts, n, meta):
    L = []
    head = ("operation", "ours median", "ours p95", "ref median", "ref p95", "ours/ref")
    body, tail = [], []
    for name, key, s in a["rows"]:
        o, r = s["ours"], s["ref"]
        (tail if key.startswith("mv_") else body).append((
            name + " [n=%d/%d]" % (o["n"], r["n"]), _ms(o["median"]), _ms(o["p95"]),
            _ms(r["median"]), _ms(r["p95"]), _x(ratio(o["median"], r["median"]))))
    tot = a["del_all_total"]
    body.append(("DEL of all %d, total" % n, _ms(tot["ours"]), "", _ms(tot["ref"]), "", _x(ratio(tot["ours"], tot["ref"]))))
    bw = {l: [b["wall"] for b in a["bursts"].get(l, [])] for l in ("ours", "ref")}
    if bw["ours"]:
        body.append(("burst of %d ADDs, wall [rounds=%d]" % (a["bursts"]["ours"][0]["size"], len(bw["ours"])),
                     _ms(median(bw["ours"])), _ms(max(bw["ours"])), _ms(median(bw["ref"])), _ms(max(bw["ref"])),
                     _x(ratio(median(bw["ours"]), median(bw["ref"])))))
    body += tail + report_portmap.table_rows(a, n, _ms, _x)
    widths = [max(len(str(row[i])) for row in [head] + body) for i in range(len(head))]
    fmt = lambda row: "  ".join(str(c).ljust(widths[0]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(row))
    L.append("times in ms; p95 is nearest-rank; ratio is of medians (burst row: p95 column is the worst round)")
    L.append(fmt(head))
    L.append(fmt(["-" * w for w in widths]))
    L += [fmt(r) for r in body]
    f, l = a["windows"][0], a["windows"][-1]
    L.append("")
    L.append("ADD growth, median #%d-%d / median #%d-%d:  ours %s   ref %s" % (
        l[0], l[1], f[0], f[1], _x(a["growth"]["ours"]), _x(a["growth"]["ref"])))
    L += report_portmap.lines(a, n, _x, meta.get("portmap_backend"))
    L.append("")
    L.append("Parallel ADD burst (fresh host netns, no bridge yet):")
    for label in ("ours", "ref"):
        for i, b in enumerate(a["bursts"].get(label, [])):
            L.append("  %-4s round %d: %2d/%d failed, %d addresses, %d distinct, %d duplicates, wall %s ms, "
                     "per-ADD median %s p95 %s ms" % (label, i + 1, b["failures"], b["size"], b["addresses"],
                                                     b["distinct"], b["duplicates"], _ms(b["wall"]),
                                                     _ms(median(b["latencies"])), _ms(percentile(b["latencies"], 95))))
            for e in sorted(set(b["errors"]))[:3]:
                L.append("        %dx %s" % (b["errors"].count(e), e))
    L.append("")
    L.append("Peak RSS per invocation, MB (GNU time %M: the largest single process of the invocation,")
    L.append("i.e. the plugin or a child it waited for such as host-local or iptables):")
    for label in ("ours", "ref"):
        for op, r in a["rss"][label].items():
            L.append("  %-4s %-28s max %5s  median %5s  [n=%d]" % (label, op[4:], _mb(r["max_mb"]), _mb(r["median_mb"]), r["n"]))
    st = meta.get("state")
    if st:
        L.append("")
        L.append("Host netns after ADD of %d / after DEL of all (links besides lo, veths, CNI-* nat chains):" % n)
        for label in ("ours", "ref"):
            x, y = st["after_add"][label], st["after_del"][label]
            L.append("  %-4s %d links, %d veths, %d chains  ->  %d links, %d veths, %d chains" % (
                label, x["links"], x["veths"], x["cni_chains"], y["links"], y["veths"], y["cni_chains"]))
    L.append("")
    L.append("Sequential invocations that failed: ours %d, ref %d" % (
        a["sequential_failures"]["ours"], a["sequential_failures"]["ref"]))
    L.append("")
    for issue, title in ((3, "bridge"), (4, "macvlan"), (5, "portmap, pod = bridge + portmap")):
        if any(i == issue for i, *_ in tgts):
            L.append("Targets (issue %d, %s):" % (issue, title))
        L += ["  [%s] %s: %s" % (verdict, name, "-" if v is None else "%.3fx" % v)
              for i, name, v, verdict in tgts if i == issue]
    L += report_portmap.alone_line(a, n)
    return "\n".join(L)


def _mb(x):
    return "-" if x is None else "%.1f" % x
