"""Per-job CPU accounting for `bench/scale.py demo` (put on PYTHONPATH with ITH_JOBCPU=<dir>).

Every Python process that runs a rule's script writes one line to <dir>/<pid>.tsv when it exits:
rule, wildcards, its own CPU seconds (user + system, all threads) and its waited children's
(bcftools, samtools and worker processes), and the CPU it had spent when the script called
ith.rulescript.start: interpreter start-up, Snakemake's preamble and the script's imports.
Snakemake's benchmark files sample a job's CPU once a second and then every 30 s, so a job of a
few seconds is mostly missed; getrusage at exit misses nothing the process or its children used.
"""

import os

if os.environ.get("ITH_JOBCPU"):
    import atexit
    import importlib.abc
    import importlib.machinery
    import resource
    import sys
    import time

    _started: list[float] = []

    def _cpu(who: int) -> float:
        r = resource.getrusage(who)
        return r.ru_utime + r.ru_stime

    class _WrapStart(importlib.abc.MetaPathFinder):
        """Wraps ith.rulescript.start, once that module is imported, to note the CPU spent so far."""

        def find_spec(self, name, path, target=None):
            if name != "ith.rulescript":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_and_wrap(module):
                exec_module(module)
                start = module.start

                def timed_start(*args, **kwargs):
                    _started.append(time.process_time())
                    return start(*args, **kwargs)

                module.start = timed_start

            spec.loader.exec_module = exec_and_wrap
            return spec

    sys.meta_path.insert(0, _WrapStart())

    def _record() -> None:
        import multiprocessing

        sm = getattr(sys.modules.get("__main__"), "snakemake", None)
        if sm is None or multiprocessing.parent_process() is not None:
            return  # Snakemake itself, or a worker whose CPU its parent's children count holds
        wildcards = ",".join(f"{k}={v}" for k, v in dict(sm.wildcards.items()).items())
        row = [sm.rule, wildcards or "-", f"{_cpu(resource.RUSAGE_SELF):.3f}",
               f"{_cpu(resource.RUSAGE_CHILDREN):.3f}", f"{_started[0]:.3f}" if _started else "NA"]
        # appended: on a busy machine a later job may get a finished job's process id
        with open(os.path.join(os.environ["ITH_JOBCPU"], f"{os.getpid()}.tsv"), "a") as fh:
            fh.write("\t".join(row) + "\n")

    atexit.register(_record)
