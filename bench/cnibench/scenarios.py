"""scenarios: the measured workloads, each run for both plugin sets interleaved invocation by invocation.

Interleaving: every step runs the same operation for "ours" and "ref" back to back, alternating which
goes first, so machine noise (other tenants of a shared 2-core box) lands on both alike.
"""
import json
import subprocess

from .pluginset import PluginSet, result_ips


class Bench:
    def __init__(self, res, ours_dir, ref_dir, log):
        self.res, self.log = res, log
        self.dirs = {"ours": ours_dir, "ref": ref_dir}
        self.subnets = {"ours": "10.123.0.0/16", "ref": "10.124.0.0/16"}
        self.tags = {"ours": "o", "ref": "r"}
        self.sets = [self._make_set(label, "main") for label in ("ours", "ref")]
        self.more_sets = []   # other scenarios' sets (portmap), for failures()
        self.samples = {s.label: {} for s in self.sets}   # label -> op -> [result dicts]
        self.results = {}

    def _make_set(self, label, phase):
        tag = self.tags[label] if phase == "main" else "b" + self.tags[label]
        suffix = "h" if phase == "main" else phase + "-h"
        return PluginSet(self.res, label, self.dirs[label], self.res.ns_name(label, suffix),
                         self.res.bridge_name(tag), self.subnets[label],
                         "benchnet-%s-%s" % (label, phase), self.res.make_dir(label + "-" + phase))

    def _ordered(self, i, sets=None):
        sets = sets or self.sets
        return sets if i % 2 == 0 else list(reversed(sets))

    def _pods(self, key, count):
        """Pod namespace names per set; created in one `ip -batch` (not timed)."""
        pods = {s.label: [self.res.ns_name(s.label, key, str(i)) for i in range(count)] for s in self.sets}
        self.res.add_namespaces(pods["ours"] + pods["ref"])
        return pods

    def _record(self, s, op, r):
        self.samples[s.label].setdefault(op, []).append(r)

    def _add(self, s, cid, pod, scenario, record_as, rss=False, net="bridge"):
        job = s.job("ADD", cid, pod, rss=rss, net=net)
        r = s.run(job, scenario)
        if r["rc"] == 0 and not result_ips(r["out"]):
            r["rc"] = -1000
            s.record_failure(scenario + " (no ips in result)", job, r)
        if record_as:
            self._record(s, record_as, r)
        return r

    def _del(self, s, cid, pod, prev, scenario, record_as, rss=False, net="bridge"):
        prev_result = json.loads(prev["out"]) if prev and prev["rc"] == 0 else None
        r = s.run(s.job("DEL", cid, pod, prev_result, rss=rss, net=net), scenario)
        if record_as:
            self._record(s, record_as, r)
        return r

    def _add_del_rounds(self, key, rounds, scenario, record=(None, None), rss=False, net="bridge"):
        """ADD then DEL of one pod, `rounds` times; `record` names the (ADD, DEL) sample lists."""
        pods = self._pods(key, rounds)
        for i in range(rounds):
            adds, cid = {}, "bench-%s-%d" % (key, i)
            for s in self._ordered(i):
                adds[s.label] = self._add(s, cid, pods[s.label][i], scenario, record[0], rss, net)
            for s in self._ordered(i + 1):
                self._del(s, cid, pods[s.label][i], adds[s.label], scenario, record[1], rss, net)
        self.res.del_namespaces(pods["ours"] + pods["ref"])

    # -- (1) single pod ADD / DEL on an existing bridge --------------------------------------------
    def single(self, repeats, warmup=2):
        self.log("single-pod ADD/DEL: %d warm-up + %d measured rounds" % (warmup, repeats))
        self._add_del_rounds("w", warmup, "warm-up")
        self._add_del_rounds("s", repeats, "single-pod", ("add_single", "del_single"))

    # -- (5) peak RSS, in untimed invocations under GNU time ---------------------------------------
    def rss(self, rounds, key, state):
        self.log("peak RSS: %d ADD/DEL rounds, %s" % (rounds, state))
        self._add_del_rounds(key, rounds, "rss, " + state,
                             ("rss ADD, " + state, "rss DEL, " + state), rss=True)

    # -- (2) ADD of the N-th pod, (3) DEL of all N -------------------------------------------------
    def add_many(self, n):
        self.log("ADD of %d pods on one bridge" % n)
        self.many_pods = self._pods("n", n)
        self.many_adds = {s.label: [] for s in self.sets}
        for i in range(n):
            for s in self._ordered(i):
                self.many_adds[s.label].append(self._add(s, "bench-pod-%d" % i, self.many_pods[s.label][i],
                                                         "add-%d-pods" % n, "add_nth"))
            if (i + 1) % 100 == 0:
                self.log("  %d pods added" % (i + 1))
        self.results["state_after_add"] = {s.label: host_state(s.host_ns) for s in self.sets}

    def del_many(self, n):
        self.log("DEL of all %d pods" % n)
        for i in range(n):
            for s in self._ordered(i):
                self._del(s, "bench-pod-%d" % i, self.many_pods[s.label][i], self.many_adds[s.label][i],
                          "del-all-%d" % n, "del_all")
        self.results["state_after_del"] = {s.label: host_state(s.host_ns) for s in self.sets}
        self.res.del_namespaces(self.many_pods["ours"] + self.many_pods["ref"])

    # -- (4) parallel ADD burst on a host with no bridge yet ---------------------------------------
    def burst(self, rounds, size):
        self.log("parallel ADD burst: %d round(s) of %d" % (rounds, size))
        out = {"ours": [], "ref": []}
        for rnd in range(rounds):
            for label in self._ordered(rnd, ["ours", "ref"]):
                out[label].append(self._burst_once(label, rnd, size))
        self.results["burst"] = out

    def _burst_once(self, label, rnd, size):
        s = self._make_set(label, "b%d" % rnd)
        pods = [self.res.ns_name(label, "b%d" % rnd, "p%d" % i) for i in range(size)]
        self.res.add_namespaces(pods)
        jobs = [s.job("ADD", "bench-burst-%d-%d" % (rnd, i), pods[i]) for i in range(size)]
        try:
            b = s.burst(jobs)
        finally:
            s.close()
        ips, errors = [], []
        for job, r in zip(jobs, b["results"]):
            got = result_ips(r["out"]) if r["rc"] == 0 else []
            if not got:
                errors.append(s.record_failure("burst round %d" % (rnd + 1), job, r)["summary"])
            ips += got
        self.res.del_namespaces(pods + [s.host_ns])
        return {"wall": b["wall"], "size": size, "failures": len(errors), "addresses": len(ips),
                "distinct": len(set(ips)), "duplicates": len(ips) - len(set(ips)),
                "latencies": [r["t"] for r in b["results"]],
                "errors": errors,
                "plugin_failures": s.failures}

    # -- (6) macvlan: single pod ADD / DEL on a veth master in each host netns ---------------------
    def macvlan(self, repeats, warmup=2):
        self.log("macvlan single-pod ADD/DEL: %d warm-up + %d measured rounds" % (warmup, repeats))
        for s, subnet in zip(self.sets, ("10.125.0.0/16", "10.126.0.0/16")):
            s.add_macvlan("mvmaster", subnet, "benchnet-%s-macvlan" % s.label, self.res.make_dir(s.label + "-macvlan"))
        self._add_del_rounds("mvw", warmup, "macvlan warm-up", net="macvlan")
        self._add_del_rounds("mv", repeats, "macvlan single-pod", ("mv_add_single", "mv_del_single"), net="macvlan")
        for s in self.sets:
            s.remove_macvlan()

    def close(self):
        for s in self.sets:
            s.close()

    def failures(self):
        out = []
        for s in self.sets + self.more_sets:
            out += s.failures
        for label, rounds in self.results.get("burst", {}).items():
            for r in rounds:
                out += r["plugin_failures"]
        return out


def host_state(host_ns):
    """What is left in a host netns: links other than lo, and CNI chains in the nat table."""
    links = subprocess.run(["ip", "-n", host_ns, "-o", "link", "show"], capture_output=True, text=True).stdout
    nat = subprocess.run(["ip", "netns", "exec", host_ns, "iptables-save", "-t", "nat"],
                         capture_output=True, text=True).stdout
    return {"links": sum(1 for l in links.splitlines() if " lo:" not in l),
            "veths": sum(1 for l in links.splitlines() if "veth" in l.split(":")[1]),
            "cni_chains": sum(1 for l in nat.splitlines() if l.startswith(":CNI-"))}
