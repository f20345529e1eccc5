"""resources: every namespace, directory and lock file the benchmark creates, and their removal.

Names carry the benchmark's pid (`swcni-bench-<pid>-...`, bridges `swb<pid><tag>`), so a later run
can sweep what a killed run left behind (`sweep_leftovers`) without touching anything of a live run
or of other tools.
"""
import os
import re
import shutil
import subprocess
import tempfile

PREFIX = "swcni-bench-"
NETNS_DIR = "/run/netns"
# Where our bridge plugin keeps its per-bridge lock files (Sources/Plugins/main/Bridge).
LOCK_DIR = "/run/swift-cni"
_NETNS_RE = re.compile(r"^" + re.escape(PREFIX) + r"(\d+)-")
_LOCK_RE = re.compile(r"^bridge-swb(\d+)(o|r|bo|br|po|pr)\.lock$")


def _ip_batch(lines):
    """Runs `ip -batch -` (one process for many `netns add/del`); returns (rc, stderr)."""
    if not lines:
        return 0, ""
    p = subprocess.run(["ip", "-force", "-batch", "-"], input="".join(l + "\n" for l in lines),
                       capture_output=True, text=True)
    return p.returncode, p.stderr


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class Resources:
    """Owns what one benchmark run created; `release()` is idempotent and keeps going past errors."""

    def __init__(self):
        self.pid = os.getpid()
        self.namespaces = []      # creation order
        self.dirs = []
        self.lock_files = []      # lock files of our bridge names that did not exist before
        self.workers = []         # subprocess.Popen objects to kill

    # -- names ---------------------------------------------------------------------------------
    def ns_name(self, *parts):
        return PREFIX + str(self.pid) + "-" + "-".join(parts)

    def bridge_name(self, tag):
        name = "swb%d%s" % (self.pid, tag)
        assert len(name) <= 15, name
        path = os.path.join(LOCK_DIR, "bridge-%s.lock" % name)
        if not os.path.exists(path):
            self.lock_files.append(path)
        return name

    # -- creation ------------------------------------------------------------------------------
    def add_namespaces(self, names):
        self.namespaces.extend(names)          # recorded first: a half-done batch is still swept
        rc, err = _ip_batch(["netns add " + n for n in names])
        if rc != 0:
            raise RuntimeError("ip netns add failed: " + err.strip())

    def add_host_namespace(self, name):
        """A "host" netns: lo up, unreachable default routes, so nothing can leave it."""
        self.add_namespaces([name])
        for cmd in (["link", "set", "lo", "up"], ["route", "add", "unreachable", "default"],
                    ["-6", "route", "add", "unreachable", "default"]):
            subprocess.run(["ip", "-n", name] + cmd, check=cmd[0] != "-6", capture_output=True)

    def del_namespaces(self, names):
        names = [n for n in names if os.path.exists(os.path.join(NETNS_DIR, n))]
        _ip_batch(["netns del " + n for n in names])
        gone = set(names)
        self.namespaces = [n for n in self.namespaces if n not in gone]

    def make_dir(self, tag):
        d = tempfile.mkdtemp(prefix="%s%d-%s-" % (PREFIX, self.pid, tag))
        self.dirs.append(d)
        return d

    # -- teardown ------------------------------------------------------------------------------
    def release(self):
        errors = []
        for w in self.workers:
            try:
                if w.poll() is None:
                    w.terminate()          # the worker kills the plugin it is running, then exits
                    try:
                        w.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        w.kill()
                w.wait(timeout=10)
            except Exception as e:  # keep going: the namespaces matter more
                errors.append("worker %s: %s" % (w.pid, e))
        self.workers = []
        self.del_namespaces(list(reversed(self.namespaces)))
        leftover = [n for n in self.namespaces if os.path.exists(os.path.join(NETNS_DIR, n))]
        errors += ["netns %s not removed" % n for n in leftover]
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        remove_lease_indexes(self.dirs)
        self.dirs = []
        for f in self.lock_files:
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass
            except OSError as e:
                errors.append("%s: %s" % (f, e))
        self.lock_files = []
        return errors


HOST_LOCAL_INDEX_DIR = "/run/swift-cni/host-local"


def remove_lease_indexes(dirs):
    """Removes our host-local's lease indexes (<dev>-<ino>.index, each naming its lease directory on
    its second line) of networks under any of `dirs`."""
    if not dirs or not os.path.isdir(HOST_LOCAL_INDEX_DIR):
        return
    for n in os.listdir(HOST_LOCAL_INDEX_DIR):
        path = os.path.join(HOST_LOCAL_INDEX_DIR, n)
        try:
            with open(path, "rb") as f:
                head = f.read(4096).split(b"\n")
            named = head[1].decode("utf-8", "replace").split(":", 1)[1] if len(head) > 1 and b":" in head[1] else ""
            if any(named.startswith(d.rstrip("/") + "/") for d in dirs):
                os.unlink(path)
        except (OSError, IndexError):
            pass


def sweep_leftovers(verbose=True):
    """Removes namespaces, temp dirs and lock files of benchmark runs whose process is gone."""
    removed = []
    dead = lambda m: m and not _pid_alive(int(m.group(1)))
    try:
        stale = [n for n in os.listdir(NETNS_DIR) if dead(_NETNS_RE.match(n))]
    except FileNotFoundError:
        stale = []
    _ip_batch(["netns del " + n for n in stale])
    removed += stale
    tmp = tempfile.gettempdir()
    for n in os.listdir(tmp):
        if dead(_NETNS_RE.match(n)):
            shutil.rmtree(os.path.join(tmp, n), ignore_errors=True)
            remove_lease_indexes([os.path.join(tmp, n)])
            removed.append(os.path.join(tmp, n))
    if os.path.isdir(LOCK_DIR):
        for n in os.listdir(LOCK_DIR):
            if dead(_LOCK_RE.match(n)):
                try:
                    os.unlink(os.path.join(LOCK_DIR, n))
                    removed.append(os.path.join(LOCK_DIR, n))
                except OSError:
                    pass
    if verbose and removed:
        print("swept %d leftovers of earlier runs" % len(removed))
    return removed
