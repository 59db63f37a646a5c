"""`kuafu warm`: build ahead the caches a first start would otherwise build while a user waits.

A fresh clone has no bytecode and no numba cache: the first `kuafu serve` or `kuafu demo`
would compile Python modules as its processes import them and numba kernels as the first
jobs call them. `make demo` runs this command after installing, so the first start only
loads caches. Bytecode is compiled in parallel (`compileall`, one process per core) and the
simulators' kernels by several processes at once, each running a few small circuits through
one family of engines (numba writes each kernel's cache on its own, so they do not clash).
"""

from __future__ import annotations

import compileall
import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import click


def _warm(family: str) -> tuple[str, float]:
    from ..server.core import quantum

    return family, quantum.warm_engines(family)


@click.command()
@click.option("--processes", default=0, type=click.IntRange(0),
              help="processes compiling at once (0: one per core)")
@click.option("--quiet", is_flag=True, help="print nothing")
def warm(processes: int, quiet: bool) -> None:
    """Build the bytecode and numba caches ahead (make demo runs it after installing)."""
    started = time.perf_counter()
    package = Path(__file__).resolve().parents[1]
    compileall.compile_dir(str(package), quiet=1, workers=processes)
    if not quiet:
        click.echo(f"bytecode: {time.perf_counter() - started:.1f} s", err=True)
    from ..server.core import quantum

    workers = processes or os.cpu_count() or 1
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        for family, seconds in pool.map(_warm, quantum.engine_families()):
            if not quiet:
                click.echo(f"kernels, {family}: {seconds:.1f} s", err=True)
    if not quiet:
        click.echo(f"caches built in {time.perf_counter() - started:.1f} s", err=True)
