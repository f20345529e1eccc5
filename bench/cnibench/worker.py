"""worker: the timing loop, run inside one plugin set's host netns (`run.py --inner`).

The controller starts one worker per host netns with `ip netns exec <host> python3 run.py --inner`
(so that cost is paid once, outside the timed region) and sends it JSON lines; the worker answers
each with one JSON line. A plugin invocation is timed from just before posix_spawn to just after
waitpid reaps it: stdin and the output buffers are memfds prepared beforehand, so the timed region
holds only the exec, the plugin's own work and the reap.

Peak RSS is NOT taken from these timed spawns: Linux folds the pre-exec address space into a
process's ru_maxrss, and a child spawned by this ~15 MB Python process starts out with Python's
high-water mark (posix_spawn shares our mm until exec). Jobs with "rss": true run under GNU time
(`time -f %M`), whose own small (~1 MB) fork is what the plugin execs from; its figure is the max
over the plugin and every descendant it waited for (IPAM plugin, iptables), in KiB. Those jobs are
not timed (the extra exec would skew the figures).

Requests:  {"op": "run", "job": JOB}            -> RESULT
           {"op": "burst", "jobs": [JOB, ...]}  -> {"wall": s, "results": [RESULT, ...]}
           {"op": "exit"}
JOB:       {"path": plugin binary, "env": {...}, "stdin": text, "rss": bool (optional)}
RESULT:    {"t": seconds, "rc": exit code or -signal, "rss_kb": int or None, "out": text, "err": text}
"""
import json
import os
import shutil
import signal
import sys
import time

TIMEOUT = 120.0
GNU_TIME = shutil.which("time", path="/usr/bin:/bin") or "/usr/bin/time"


_live = set()   # pids of plugins running now, killed if we are told to stop


class _Timeout(Exception):
    pass


def _on_term(signum, frame):
    for pid in list(_live):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
    os._exit(128 + signum)


def _on_alarm(signum, frame):
    raise _Timeout()


class _Prepared:
    """The fds of one invocation, made before the clock starts."""

    def __init__(self, job):
        self.job = job
        self.fin = os.memfd_create("stdin")
        os.write(self.fin, job["stdin"].encode())
        os.lseek(self.fin, 0, os.SEEK_SET)
        self.fout = os.memfd_create("stdout")
        self.ferr = os.memfd_create("stderr")
        self.actions = [(os.POSIX_SPAWN_DUP2, self.fin, 0), (os.POSIX_SPAWN_DUP2, self.fout, 1),
                        (os.POSIX_SPAWN_DUP2, self.ferr, 2)]
        self.frss = None
        self.argv = [job["path"]]
        if job.get("rss"):
            self.frss = os.memfd_create("maxrss")
            self.actions.append((os.POSIX_SPAWN_DUP2, self.frss, 3))
            self.argv = [GNU_TIME, "-f", "%M", "-o", "/proc/self/fd/3"] + self.argv

    def spawn(self):
        pid = os.posix_spawn(self.argv[0], self.argv, self.job["env"], file_actions=self.actions)
        _live.add(pid)
        return pid

    def result(self, seconds, status):
        def slurp(fd):
            os.lseek(fd, 0, os.SEEK_SET)
            chunks = []
            while True:
                b = os.read(fd, 65536)
                if not b:
                    break
                chunks.append(b)
            os.close(fd)
            return b"".join(chunks).decode(errors="replace")
        os.close(self.fin)
        rc = os.waitstatus_to_exitcode(status) if status is not None else -9
        rss = None
        if self.frss is not None:
            text = slurp(self.frss).split()
            rss = int(text[-1]) if text and text[-1].isdigit() else None
        return {"t": seconds, "rc": rc, "rss_kb": rss, "out": slurp(self.fout), "err": slurp(self.ferr)}


def _reap(pid, deadline):
    """waitpid with a deadline; on timeout the child is killed and reaped, status None."""
    signal.setitimer(signal.ITIMER_REAL, max(0.001, deadline - time.monotonic()))
    try:
        return os.waitpid(pid, 0)[1]
    except _Timeout:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return None
    finally:
        _live.discard(pid)
        signal.setitimer(signal.ITIMER_REAL, 0)


def run_one(job):
    p = _Prepared(job)
    deadline = time.monotonic() + TIMEOUT
    t0 = time.perf_counter()
    pid = p.spawn()
    status = _reap(pid, deadline)
    t1 = time.perf_counter()
    return p.result(t1 - t0, status)


def run_burst(jobs):
    """Starts every job at once; each result's t is its own start-to-reap time."""
    prepared = [_Prepared(j) for j in jobs]
    started = {}
    t0 = time.perf_counter()
    for i, p in enumerate(prepared):
        started[p.spawn()] = (i, time.perf_counter())
    results = [None] * len(prepared)
    deadline = time.monotonic() + TIMEOUT
    while started:
        signal.setitimer(signal.ITIMER_REAL, max(0.001, deadline - time.monotonic()))
        try:
            pid, status = os.waitpid(-1, 0)
        except _Timeout:
            for pid in started:
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + TIMEOUT
            continue
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        now = time.perf_counter()
        _live.discard(pid)
        i, start = started.pop(pid)
        results[i] = prepared[i].result(now - start, status)
    return {"wall": time.perf_counter() - t0, "results": results}


def main():
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGINT, signal.SIG_DFL)   # Ctrl-C reaches the plugins too; the controller cleans up
    signal.signal(signal.SIGTERM, _on_term)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    for line in inp:
        req = json.loads(line)
        if req["op"] == "exit":
            break
        if req["op"] == "run":
            resp = run_one(req["job"])
        elif req["op"] == "burst":
            resp = run_burst(req["jobs"])
        else:
            resp = {"error": "unknown op " + req["op"]}
        out.write(json.dumps(resp).encode() + b"\n")
        out.flush()
    return 0
