"""portmap (issue 5): bridge -> portmap pods, as a runtime runs a conflist, ours and the reference interleaved.

A pod is a bridge ADD then a portmap ADD (prevResult = the bridge's result, runtimeConfig.portMappings
with 2 mappings: tcp 20000+2k(+1 for ref) -> 80 and udp 30000+2k(+1) -> 53, k unique per pod); its DEL
is portmap DEL then bridge DEL, each with the final result (portmap's) as prevResult, as libcni does
from its cache. Each set has its own host netns, bridge, subnet, network name and dataDir.
Samples: "pm_*" the portmap invocation alone, "pmpod_*" the pod (bridge + portmap).
"""
import json
import subprocess

from .pluginset import PluginSet, result_ips

SUBNETS = {"ours": "10.127.0.0/16", "ref": "10.128.0.0/16"}
TAGS = {"ours": "po", "ref": "pr"}
MAX_PODS = 4900          # keeps the tcp ports (20000+2k+1) below the udp ones (30000+)


class PortmapBench:
    def __init__(self, bench, backend):
        self.b, self.backend, self.next_k = bench, backend, 0
        self.sets = [self._make_set(label) for label in ("ours", "ref")]
        bench.more_sets += self.sets      # their failures are reported with the rest

    def _make_set(self, label):
        res, net = self.b.res, "benchnet-%s-portmap" % label
        s = PluginSet(res, label, self.b.dirs[label], res.ns_name(label, "pm-h"), res.bridge_name(TAGS[label]),
                      SUBNETS[label], net, res.make_dir(label + "-portmap"))
        pm = {"cniVersion": "1.0.0", "name": net, "type": "portmap", "capabilities": {"portMappings": True},
              "snat": True}
        if label == "ours" and self.backend != "iptables":
            pm["backend"] = self.backend      # the reference 1.1.1 has only iptables
        s.nets["portmap"] = pm
        return s

    def _ordered(self, i):
        return self.sets if i % 2 == 0 else list(reversed(self.sets))

    def _pods(self, key, count):
        ks = list(range(self.next_k, self.next_k + count))
        self.next_k += count
        assert self.next_k <= MAX_PODS, "too many portmap pods for the port ranges"
        return self.b._pods(key, count), ks

    @staticmethod
    def mappings(label, k):
        off = 2 * k + (1 if label == "ref" else 0)
        return {"portMappings": [{"hostPort": 20000 + off, "containerPort": 80, "protocol": "tcp"},
                                 {"hostPort": 30000 + off, "containerPort": 53, "protocol": "udp"}]}

    def _run(self, s, cmd, net, cid, pod, prev, k, scenario):
        job = s.job(cmd, cid, pod, prev, net=net, runtime=self.mappings(s.label, k) if net == "portmap" else None)
        r = s.run(job, scenario)
        if cmd == "ADD" and r["rc"] == 0 and not result_ips(r["out"]):
            r["rc"] = -1000
            s.record_failure(scenario + " (no ips in result)", job, r)
        return r

    def _record(self, s, op, r, pod_t, pod_rc, rec):
        if rec:
            if r is not None:
                self.b._record(s, "pm_" + op + rec, r)
            self.b._record(s, "pmpod_" + op + rec, {"t": pod_t, "rc": pod_rc, "rss_kb": None})

    def pod_add(self, step, cid, pods, i, k, scenario, rec=None):
        """Bridge ADD for both sets, then portmap ADD for both; returns label -> the final result (or None)."""
        bridge, final = {}, {}
        for s in self._ordered(step):
            bridge[s.label] = self._run(s, "ADD", "bridge", cid, pods[s.label][i], None, k, scenario)
        for s in self._ordered(step):
            b = bridge[s.label]
            if b["rc"] != 0:
                final[s.label] = None
                self._record(s, "add_", None, b["t"], b["rc"], rec)
                continue
            r = self._run(s, "ADD", "portmap", cid, pods[s.label][i], json.loads(b["out"]), k, scenario)
            final[s.label] = json.loads(r["out"]) if r["rc"] == 0 else json.loads(b["out"])
            self._record(s, "add_", r, b["t"] + r["t"], r["rc"], rec)
        return final

    def pod_del(self, step, cid, pods, i, k, final, scenario, rec=None):
        """Portmap DEL for both sets, then bridge DEL for both, each with the final result as prevResult."""
        pm = {}
        for s in self._ordered(step):
            pm[s.label] = self._run(s, "DEL", "portmap", cid, pods[s.label][i], final[s.label], k, scenario)
        for s in self._ordered(step):
            b = self._run(s, "DEL", "bridge", cid, pods[s.label][i], final[s.label], k, scenario)
            r = pm[s.label]
            self._record(s, "del_", r, r["t"] + b["t"], r["rc"] or b["rc"], rec)

    # -- (7) single pod ADD / DEL ------------------------------------------------------------------
    def _rounds(self, key, rounds, scenario, rec):
        pods, ks = self._pods(key, rounds)
        for i in range(rounds):
            cid = "bench-%s-%d" % (key, i)
            final = self.pod_add(i, cid, pods, i, ks[i], scenario, rec)
            self.pod_del(i + 1, cid, pods, i, ks[i], final, scenario, rec)
        self.b.res.del_namespaces(pods["ours"] + pods["ref"])

    def single(self, repeats, warmup=2):
        self.b.log("portmap (%s backend for ours) single-pod ADD/DEL: %d warm-up + %d measured rounds" % (
            self.backend, warmup, repeats))
        self._rounds("pmw", warmup, "portmap warm-up", None)
        self._rounds("pms", repeats, "portmap single-pod", "single")

    # -- (8) ADD of the N-th pod, (9) DEL of all N -------------------------------------------------
    def add_many(self, n):
        self.b.log("portmap: ADD of %d pods (bridge + portmap)" % n)
        self.pods, self.ks = self._pods("pmn", n)
        self.finals = []
        for i in range(n):
            self.finals.append(self.pod_add(i, "bench-pm-%d" % i, self.pods, i, self.ks[i],
                                            "portmap add-%d-pods" % n, "nth"))
            if (i + 1) % 100 == 0:
                self.b.log("  %d pods added" % (i + 1))
        self.b.results["pm_state_after_add"] = {s.label: portmap_state(s.host_ns) for s in self.sets}

    def del_many(self, n):
        self.b.log("portmap: DEL of all %d pods (portmap + bridge)" % n)
        for i in range(n):
            self.pod_del(i, "bench-pm-%d" % i, self.pods, i, self.ks[i], self.finals[i],
                         "portmap del-all-%d" % n, "all")
        self.b.results["pm_state_after_del"] = {s.label: portmap_state(s.host_ns) for s in self.sets}
        self.b.res.del_namespaces(self.pods["ours"] + self.pods["ref"])

    def close(self):
        for s in self.sets:
            s.close()


def portmap_state(host_ns):
    """Links, veths, CNI-* nat chains, DNAT rules (iptables, both families) and nft DNAT map elements."""
    sh = lambda *cmd: subprocess.run(["ip", "netns", "exec", host_ns] + list(cmd),
                                     capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-n", host_ns, "-o", "link", "show"], capture_output=True, text=True).stdout
    nat = sh("iptables-save", "-t", "nat") + sh("ip6tables-save", "-t", "nat")
    nft = sh("nft", "list", "table", "inet", "swcni_portmap")
    return {"links": sum(1 for l in links.splitlines() if " lo:" not in l),
            "veths": sum(1 for l in links.splitlines() if "veth" in l.split(":")[1]),
            "cni_chains": sum(1 for l in nat.splitlines() if l.startswith(":CNI-")),
            "dnat_rules": sum(1 for l in nat.splitlines() if "-j DNAT" in l),
            "nft_elements": sum(l.count(" : ") for l in nft.splitlines() if "type " not in l)}
