"""Finding devices: the package's data files plus entry points in group `kuafu.devices`.

An operator adds a chip by dropping a JSON file into `kuafu/devices/data/` or by
publishing a package with an entry point in group `kuafu.devices` whose object is a
callable returning the device's JSON mapping (or a `Device`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache, lru_cache
from importlib import metadata, resources
from typing import Any

from .device import Device

ENTRY_POINT_GROUP = "kuafu.devices"


def from_json(text: str) -> Device:
    """Parse a device from the text of its JSON data file."""
    return Device.from_dict(json.loads(text))


@lru_cache(maxsize=1)
def _data_files() -> dict[str, str]:
    folder = resources.files(__package__) / "data"
    found = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            found[entry.name.removesuffix(".json")] = entry.read_text()
    return found


def _entry_points() -> dict[str, metadata.EntryPoint]:
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def available() -> list[str]:
    """Names of every known device, sorted by qubit count then name."""
    names = set(_data_files()) | set(_entry_points())
    return sorted(names, key=lambda n: (get(n).num_qubits, n))


@cache
def get(name: str) -> Device:
    """The device called `name` (devices are immutable, so the result is shared).

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
    """
    files = _data_files()
    if name in files:
        return from_json(files[name])
    eps = _entry_points()
    if name in eps:
        obj: Any = eps[name].load()()
        return obj if isinstance(obj, Device) else Device.from_dict(_as_mapping(obj))
    known = sorted(set(files) | set(eps))
    raise ValueError(f"unknown device {name!r}; known devices: {', '.join(known)}")


def _as_mapping(obj: Any) -> Mapping[str, Any]:
    if isinstance(obj, str):
        return json.loads(obj)
    if isinstance(obj, Mapping):
        return obj
    raise TypeError(f"device entry point returned {type(obj).__name__}, not a mapping")
