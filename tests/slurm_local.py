"""A real single-node SLURM cluster on 127.0.0.1 for the cluster test (Debian, as root): install
munge and slurm with apt when missing, start munged, slurmctld and slurmd, and stop exactly the
daemons started here, restoring any config that was replaced.

Usable by hand too:  python tests/slurm_local.py start|stop  (state kept in /tmp/ith-slurm)."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ["munge", "slurmctld", "slurmd", "slurm-client"]
CONF = Path("/etc/slurm/slurm.conf")
MUNGE_KEY = Path("/etc/munge/munge.key")


def unavailable() -> str:
    """Why a local cluster cannot be made here ('' when it can)."""
    if sys.platform != "linux" or not Path("/etc/debian_version").exists():
        return "not Debian"
    if os.geteuid() != 0:
        return "not root (installing and starting SLURM daemons needs root)"
    if not all(shutil.which(t) for t in ("slurmctld", "slurmd", "munged")) and not shutil.which("apt-get"):
        return "SLURM not installed and no apt-get"
    return ""


def install() -> None:
    if all(shutil.which(t) for t in ("slurmctld", "slurmd", "munged", "sbatch", "squeue")):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES], check=True, env=env,
                   capture_output=True)


def _real_memory_mb() -> int:
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True).stdout
    for tok in out.split():
        if tok.startswith("RealMemory="):
            return int(int(tok.split("=")[1]) * 0.8)
    return 4000


def slurm_conf(state: Path, host: str, cpus: int, memory_mb: int) -> str:
    return "\n".join([
        "ClusterName=ith-test", f"SlurmctldHost={host}(127.0.0.1)", "SlurmUser=root", "SlurmdUser=root",
        "AuthType=auth/munge", "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none",
        "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core_Memory", "DefMemPerCPU=500",
        "JobAcctGatherType=jobacct_gather/none", "AccountingStorageType=accounting_storage/none",
        "MpiDefault=none", "ReturnToService=2", "MinJobAge=300", "SlurmctldPort=6817", "SlurmdPort=6818",
        f"StateSaveLocation={state}/ctld", f"SlurmdSpoolDir={state}/spool",
        f"SlurmctldPidFile={state}/slurmctld.pid", f"SlurmdPidFile={state}/slurmd.pid",
        f"SlurmctldLogFile={state}/slurmctld.log", f"SlurmdLogFile={state}/slurmd.log",
        f"NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN",
        "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP", ""])


@dataclass
class Cluster:
    state: Path
    started: dict[str, int] = field(default_factory=dict)  # daemon -> pid we started
    conf_backup: str | None = None  # previous slurm.conf, restored on stop
    conf_written: bool = False
    key_created: bool = False

    def save(self) -> None:
        (self.state / "cluster.json").write_text(json.dumps({
            "state": str(self.state), "started": self.started, "conf_backup": self.conf_backup,
            "conf_written": self.conf_written, "key_created": self.key_created}))

    @classmethod
    def load(cls, state: Path) -> "Cluster":
        d = json.loads((state / "cluster.json").read_text())
        return cls(Path(d["state"]), d["started"], d["conf_backup"], d["conf_written"], d["key_created"])


def _running(name: str) -> bool:
    return subprocess.run(["pgrep", "-x", name], capture_output=True).returncode == 0


def _pid_from(path: Path, timeout: float = 20) -> int:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text().split()[0])
        time.sleep(0.2)
    raise RuntimeError(f"no pid file {path}")


def start(state: Path) -> Cluster:
    """Start munged (unless running), slurmctld and slurmd with a private state directory."""
    state.mkdir(parents=True, exist_ok=True)
    for sub in ("ctld", "spool"):
        (state / sub).mkdir(exist_ok=True)
    c = Cluster(state)
    munge = pwd.getpwnam("munge")
    if not MUNGE_KEY.exists():
        subprocess.run(["mungekey", "--create"], check=True, capture_output=True)
        os.chown(MUNGE_KEY, munge.pw_uid, munge.pw_gid)
        os.chmod(MUNGE_KEY, 0o400)
        c.key_created = True
    if not _running("munged"):
        run = Path("/run/munge")
        run.mkdir(parents=True, exist_ok=True)
        os.chown(run, munge.pw_uid, munge.pw_gid)
        subprocess.run(["runuser", "-u", "munge", "--", "/usr/sbin/munged"], check=True, capture_output=True)
        c.started["munged"] = _pid_from(run / "munged.pid")
    if _running("slurmctld") or _running("slurmd"):
        raise RuntimeError("a SLURM daemon is already running here; not touching it")
    if CONF.exists():
        c.conf_backup = CONF.read_text()
    CONF.parent.mkdir(parents=True, exist_ok=True)
    host = socket.gethostname()
    CONF.write_text(slurm_conf(state, host, os.cpu_count() or 1, _real_memory_mb()))
    c.conf_written = True
    c.save()
    subprocess.run(["slurmctld", "-c"], check=True, capture_output=True)  # -c: fresh state
    c.started["slurmctld"] = _pid_from(state / "slurmctld.pid")
    c.save()
    subprocess.run(["slurmd"], check=True, capture_output=True)
    c.started["slurmd"] = _pid_from(state / "slurmd.pid")
    c.save()
    deadline = time.time() + 60
    while time.time() < deadline:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout.strip()
        if out in ("idle", "mixed", "allocated"):
            return c
        time.sleep(1)
    stop(c)
    raise RuntimeError(f"the SLURM node did not come up (sinfo: {out!r}); logs in {state}")


def stop(c: Cluster) -> None:
    """Stop the daemons started here (by their recorded PIDs) and restore the config."""
    for name in ("slurmd", "slurmctld", "munged"):
        pid = c.started.get(name)
        if not pid:
            continue
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            continue
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, 9)
    if c.conf_written:
        if c.conf_backup is not None:
            CONF.write_text(c.conf_backup)
        else:
            CONF.unlink(missing_ok=True)
    if c.key_created:
        MUNGE_KEY.unlink(missing_ok=True)
    c.started.clear()
    c.conf_written = False


if __name__ == "__main__":
    where = Path("/tmp/ith-slurm")
    if sys.argv[1:] == ["start"]:
        why = unavailable()
        if why:
            sys.exit(f"cannot start SLURM here: {why}")
        install()
        start(where)
        print(f"SLURM up; state in {where}; stop with: python {sys.argv[0]} stop")
    elif sys.argv[1:] == ["stop"]:
        stop(Cluster.load(where))
    else:
        sys.exit(f"usage: python {sys.argv[0]} start|stop")
