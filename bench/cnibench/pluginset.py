"""pluginset: one plugin directory under test, its host netns, network configs and worker process."""
import json
import os
import subprocess
import sys

RUN_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "run.py")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IFNAME = "eth0"


class PluginFailure(Exception):
    def __init__(self, record):
        super().__init__(record["summary"])
        self.record = record


class PluginSet:
    """`label` is "ours" or "ref"; everything it creates is registered with `res` (Resources)."""

    def __init__(self, res, label, plugin_dir, host_ns, bridge, subnet, net_name, data_dir):
        self.res, self.label, self.plugin_dir = res, label, plugin_dir
        self.host_ns = host_ns
        self.nets = {"bridge": {"cniVersion": "1.0.0", "name": net_name, "type": "bridge", "bridge": bridge,
                                "isGateway": True, "ipMasq": True,
                                "ipam": {"type": "host-local", "ranges": [[{"subnet": subnet}]],
                                         "dataDir": data_dir}}}
        self.failures = []
        res.add_host_namespace(host_ns)
        self.worker = subprocess.Popen(
            ["ip", "netns", "exec", host_ns, sys.executable, "-u", RUN_PY, "--inner"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        res.workers.append(self.worker)

    # -- config and jobs -----------------------------------------------------------------------
    def add_macvlan(self, master, subnet, net_name, data_dir):
        """A veth pair in the host netns, both ends up (no `dummy` on this kernel), and a macvlan network
        on one end. The pair goes away with the host netns."""
        for cmd in (["link", "add", master, "type", "veth", "peer", "name", master + "p"],
                    ["link", "set", master, "up"], ["link", "set", master + "p", "up"]):
            p = subprocess.run(["ip", "-n", self.host_ns] + cmd, capture_output=True, text=True)
            if p.returncode != 0:
                raise RuntimeError("ip -n %s %s: %s" % (self.host_ns, " ".join(cmd), p.stderr.strip()))
        self.nets["macvlan"] = {"cniVersion": "1.0.0", "name": net_name, "type": "macvlan", "master": master,
                                "mode": "bridge",
                                "ipam": {"type": "host-local", "ranges": [[{"subnet": subnet}]],
                                         "dataDir": data_dir}}

    def remove_macvlan(self):
        """Deletes the veth pair (so the later scenarios see the host netns as before)."""
        master = self.nets.pop("macvlan")["master"]
        subprocess.run(["ip", "-n", self.host_ns, "link", "del", master], capture_output=True)

    def config(self, prev_result=None, net="bridge", runtime=None):
        c = dict(self.nets[net])
        if runtime is not None:
            c["runtimeConfig"] = runtime    # as libcni injects it for the plugin's capabilities
        if prev_result is not None:
            c["prevResult"] = prev_result   # as libcni does on DEL, from its result cache
        return json.dumps(c)

    def job(self, command, cid, pod_ns, prev_result=None, rss=False, net="bridge", runtime=None):
        env = {"CNI_COMMAND": command, "CNI_CONTAINERID": cid, "CNI_NETNS": "/run/netns/" + pod_ns,
               "CNI_IFNAME": IFNAME, "CNI_PATH": self.plugin_dir, "PATH": PATH}
        return {"path": os.path.join(self.plugin_dir, self.nets[net]["type"]), "env": env,
                "stdin": self.config(prev_result, net, runtime), "rss": rss}

    # -- talking to the worker -----------------------------------------------------------------
    def _call(self, req):
        self.worker.stdin.write(json.dumps(req).encode() + b"\n")
        self.worker.stdin.flush()
        line = self.worker.stdout.readline()
        if not line:
            raise RuntimeError("%s worker in %s exited (rc %s)" % (self.label, self.host_ns, self.worker.poll()))
        return json.loads(line)

    def run(self, job, scenario):
        """One timed invocation; a failure is recorded (with everything needed to replay it)."""
        r = self._call({"op": "run", "job": job})
        if r["rc"] != 0:
            self.record_failure(scenario, job, r)
        return r

    def burst(self, jobs):
        return self._call({"op": "burst", "jobs": jobs})

    def close(self):
        try:
            self._call({"op": "exit"})
        except (RuntimeError, BrokenPipeError, ValueError):
            pass
        self.worker.wait(timeout=10)

    def record_failure(self, scenario, job, r):
        env = " ".join("%s=%s" % kv for kv in job["env"].items())
        rec = {"set": self.label, "scenario": scenario, "host_ns": self.host_ns,
               "command": "ip netns exec %s env -i %s %s" % (self.host_ns, env, job["path"]),
               "env": job["env"], "stdin": job["stdin"], "rc": r["rc"], "stdout": r["out"],
               "stderr": r["err"],
               "summary": "%s %s %s: rc %s: %s" % (self.label, scenario, job["env"]["CNI_COMMAND"],
                                                   r["rc"], (r["out"] + r["err"]).strip()[:300])}
        self.failures.append(rec)
        return rec


def result_ips(stdout):
    """The addresses of an ADD result (without prefix length); [] if it is not a result."""
    try:
        res = json.loads(stdout)
        return [ip["address"].split("/")[0] for ip in res.get("ips", [])]
    except (ValueError, AttributeError, KeyError, TypeError):
        return []
