"""report_portmap: the portmap rows (issue 5), their growth, host state and targets.

"pod" = bridge + portmap (the sum of the two timed invocations); "portmap" = the portmap invocation alone.
"""
from .stats import median, ratio, summary

TARGET_ADD, TARGET_GROWTH, TARGET_DEL_ALL = 0.3, 1.3, 0.2
KINDS = (("pmpod_", "pod"), ("pm_", "  portmap alone"))


def _times(samples, op, lo=None, hi=None):
    return [r["t"] for r in samples.get(op, [])[lo:hi] if r["rc"] == 0]


def analyse(bench, n, windows):
    """None when the portmap scenarios did not run."""
    samples = bench.samples
    if not any("pmpod_add_single" in samples[l] for l in samples):
        return None
    rows = []

    def row(name, op, lo=None, hi=None, key=None):
        for prefix, what in KINDS:
            rows.append(("%s %s" % (what, name), prefix + (key or op),
                         {l: summary(_times(samples[l], prefix + op, lo, hi)) for l in samples}))

    row("ADD, 1 pod", "add_single")
    row("DEL, 1 pod", "del_single")
    for a, b in windows:
        row("ADD of pod #%d-%d" % (a, b), "add_nth", a - 1, b, "add_%d_%d" % (a, b))
    row("DEL, each of %d" % n, "del_all")
    first, last = windows[0], windows[-1]
    totals, growth = {}, {}
    for prefix, _ in KINDS:
        totals[prefix] = {l: sum(r["t"] for r in samples[l].get(prefix + "del_all", [])) for l in samples}
        growth[prefix] = {l: ratio(median(_times(samples[l], prefix + "add_nth", last[0] - 1, last[1])),
                                   median(_times(samples[l], prefix + "add_nth", first[0] - 1, first[1])))
                          for l in samples}
    return {"rows": rows, "del_all_total": totals, "growth": growth,
            "state": {"after_add": bench.results.get("pm_state_after_add"),
                      "after_del": bench.results.get("pm_state_after_del")}}


def targets(a, n):
    """(5, name, value, verdict) per issue-5 target, on the pod (bridge + portmap)."""
    p = a["portmap"]
    if p is None:
        return []
    by_op = a["failures_by_op"]
    failed = lambda *ops: sum(by_op[l].get(pre + op, 0) for l in by_op for pre, _ in KINDS for op in ops)
    med = lambda key, l: next(r[2][l]["median"] for r in p["rows"] if r[1] == key)

    def verdict(value, limit, *ops):
        if failed(*ops):
            return "not measured: %d failed invocations" % failed(*ops)
        return "not measured" if value is None else ("met" if value <= limit else "NOT met")

    first, last = a["windows"][0], a["windows"][-1]
    v = ratio(med("pmpod_add_single", "ours"), med("pmpod_add_single", "ref"))
    g = p["growth"]["pmpod_"]["ours"]
    tot = p["del_all_total"]["pmpod_"]
    d = ratio(tot["ours"], tot["ref"])
    return [(5, "pod ADD median <= 0.3x reference", v, verdict(v, TARGET_ADD, "add_single")),
            (5, "our pod ADD #%d-%d within 1.3x of #%d-%d" % (last[0], last[1], first[0], first[1]), g,
             verdict(g, TARGET_GROWTH, "add_nth")),
            (5, "pod DEL of all %d <= 0.2x reference" % n, d, verdict(d, TARGET_DEL_ALL, "add_nth", "del_all"))]


def table_rows(a, n, ms, x):
    """The table's portmap rows, formatted with the report's ms() and x()."""
    p = a["portmap"]
    if p is None:
        return []
    out = []
    for name, key, s in p["rows"]:
        o, r = s["ours"], s["ref"]
        out.append((name + " [n=%d/%d]" % (o["n"], r["n"]), ms(o["median"]), ms(o["p95"]),
                    ms(r["median"]), ms(r["p95"]), x(ratio(o["median"], r["median"]))))
    for prefix, what in KINDS:
        t = p["del_all_total"][prefix]
        out.append(("%s DEL of all %d, total" % (what, n), ms(t["ours"]), "", ms(t["ref"]), "", x(ratio(t["ours"], t["ref"]))))
    return out


def lines(a, n, x, backend):
    """Growth and host state of the portmap scenarios, for the report's body."""
    p = a["portmap"]
    if p is None:
        return []
    f, l = a["windows"][0], a["windows"][-1]
    L = ["", "portmap (ours on the %s backend, the reference on iptables); pod = bridge ADD + portmap ADD:" % backend]
    for prefix, what in KINDS:
        g = p["growth"][prefix]
        L.append("  %s ADD growth, median #%d-%d / median #%d-%d:  ours %s   ref %s" % (
            what.strip(), l[0], l[1], f[0], f[1], x(g["ours"]), x(g["ref"])))
    st = p["state"]
    if st["after_add"] and st["after_del"]:
        L.append("  portmap host netns after ADD of %d / after DEL of all (links, veths, CNI-* nat chains v4+v6,"
                 " DNAT rules, nft map elements):" % n)
        for label in ("ours", "ref"):
            x1, y = st["after_add"][label], st["after_del"][label]
            fmt = lambda s: "%d links, %d veths, %d chains, %d DNAT, %d nft" % (
                s["links"], s["veths"], s["cni_chains"], s["dnat_rules"], s["nft_elements"])
            L.append("    %-4s %s  ->  %s" % (label, fmt(x1), fmt(y)))
    return L


def alone_line(a, n):
    """The portmap invocation alone, next to the pod targets (information, not a target)."""
    p = a["portmap"]
    if p is None:
        return []
    med = lambda key, l: next(r[2][l]["median"] for r in p["rows"] if r[1] == key)
    tot = p["del_all_total"]["pm_"]
    f = lambda v: "-" if v is None else "%.3fx" % v
    return ["  (portmap invocation alone: ADD %s of the reference, our growth %s, DEL of all %d %s)" % (
        f(ratio(med("pm_add_single", "ours"), med("pm_add_single", "ref"))), f(p["growth"]["pm_"]["ours"]), n,
        f(ratio(tot["ours"], tot["ref"])))]
