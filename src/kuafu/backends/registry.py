"""Finding backends: entry points in group `kuafu.backends`, built-ins registered alike.

Each entry point is named for a backend and loads a callable that takes no arguments and
returns the `Backend`. Kuafu's own backends are listed below as `EntryPoint` objects, so
they are found exactly as a plug-in's would be; a plug-in with the same name wins. Every
device known to `kuafu.devices` without a backend of its own gets an emulator, so a chip
added as a data file is runnable at once.
"""

from __future__ import annotations

from importlib import metadata

from .. import devices
from .base import Backend
from .sim_twin import SIM_SUFFIX, SimTwin, twin_name

ENTRY_POINT_GROUP = "kuafu.backends"

BUILTIN: tuple[metadata.EntryPoint, ...] = (
    metadata.EntryPoint("simulator", "kuafu.backends.simulator:IdealSimulator",
                        ENTRY_POINT_GROUP),
    metadata.EntryPoint("ScQ-P10", "kuafu.backends.emulator:scq_p10", ENTRY_POINT_GROUP),
    metadata.EntryPoint("ScQ-P18", "kuafu.backends.emulator:scq_p18", ENTRY_POINT_GROUP),
    metadata.EntryPoint("ScQ-P136", "kuafu.backends.emulator:scq_p136", ENTRY_POINT_GROUP),
)


def _entry_points() -> dict[str, metadata.EntryPoint]:
    found = {ep.name: ep for ep in BUILTIN}
    found.update({ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)})
    return found


def available() -> list[str]:
    """Names of every backend: registered ones, then one emulator per other device, then
    each device's `<chip>-sim` twin."""
    eps = _entry_points()
    chips = devices.available()
    return ([*eps, *(d for d in chips if d not in eps)]
            + [t for t in map(twin_name, chips) if t not in eps])


def get(name: str) -> Backend:
    """A backend by name (a new object each call; backends hold no job state).

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
    """
    eps = _entry_points()
    if name in eps:
        backend = eps[name].load()()
        if not isinstance(backend, Backend):
            raise TypeError(f"entry point {name!r} returned {type(backend).__name__}, "
                            "not a kuafu Backend")
        return backend
    if name in devices.available():
        from .emulator import EmulatedBackend

        return EmulatedBackend(devices.get(name))
    if name.endswith(SIM_SUFFIX) and name.removesuffix(SIM_SUFFIX) in devices.available():
        return SimTwin(get(name.removesuffix(SIM_SUFFIX)))
    raise ValueError(f"unknown backend {name!r}; available: {', '.join(available())}")
