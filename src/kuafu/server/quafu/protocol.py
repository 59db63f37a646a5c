"""Quafu's conventions, as pyquafu 0.4.5 reads them: response codes, task status codes,
system ids, and the bit order of `res`.

Every answer is HTTP 200 with a JSON body whose `status` says what happened: pyquafu's
`validate_server_resp` turns 201, 205 and 400 into `UserError`, 5001 into
`CircuitError`, 5003 into `ServerError` and 5004 into `CompileError`, each with the
body's `message`; any other value is a task's status code (0 queued ... 5 pending),
which `ExecResult` shows as words. An HTTP error status would reach the user only as
"Failed to communicate with quafu website".

Bit order: pyquafu keys `res` with one character per *measured* classical bit, the
lowest-numbered bit LEFTMOST, and pairs position j of a key with the j-th `measure` of
the compiled `openqasm` (in text order) when it computes observables. Kuafu keys counts
with classical bit 0 rightmost over every classical bit; `kuafu.circuit.counts.to_quafu_counts`
converts (given the measured bits), and
`measures_in_order` puts the compiled circuit's final measurements in the order of the
submitted program's.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ...schemas import JobStatus

OK = 200
USER_ERROR = 400
CIRCUIT_ERROR = 5001
SERVER_ERROR = 5003
COMPILE_ERROR = 5004

TASK_STATUS = {JobStatus.QUEUED: 0, JobStatus.RUNNING: 1, JobStatus.DONE: 2,
               JobStatus.CANCELLED: 3, JobStatus.FAILED: 4}
"""Kuafu's job status -> Quafu's task status code (pyquafu: 0 In Queue, 1 Running,
2 Completed, 3 Canceled, 4 Failed, 5 Pending)."""

BACKEND_STATUS = {"online": "Online", "maintenance": "Maintenance", "offline": "Offline",
                  "calibrating": "Calibrating"}

QUAFU_SYSTEM_IDS = {"ScQ-P10": 0, "ScQ-P18": 1, "ScQ-P136": 2}
"""The numbers Quafu gives its chips (pyquafu tests `system_id == 2` for ScQ-P136)."""


def error(code: int, message: str) -> dict[str, Any]:
    """A refusal in Quafu's shape; pyquafu raises the matching exception with `message`."""
    return {"status": code, "message": message}


def system_id(name: str, backend: Any) -> int:
    """The chip's Quafu number: a remote device's own, Quafu's for its chips, else a
    stable number of 1000 or more derived from the name."""
    own = getattr(backend, "system_id", None)
    if isinstance(own, int):
        return own
    if name in QUAFU_SYSTEM_IDS:
        return QUAFU_SYSTEM_IDS[name]
    return 1000 + int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 1_000_000


def counts_text(counts: Mapping[str, int]) -> str:
    """`res` as pyquafu wants it: the text of a dict (it `eval`s it; JSON is a literal)."""
    return json.dumps(dict(sorted(counts.items())))


_MEASURE = re.compile(r"^measure\s+(\w+)\[(\d+)\]\s*->\s*(\w+)\[(\d+)\];$")
_QUBIT_USE = re.compile(r"(\w+)\[(\d+)\]")


def measures_in_order(qasm: str, clbit_order: Sequence[int]) -> str:
    """The compiled program with its final measurements moved to the end in the order
    their classical bits were measured in the submitted program.

    pyquafu pairs the j-th measurement of this text with the j-th of the user's circuit;
    the compiler may have measured them in another order. The text is returned as it is
    when a measured qubit is used again after its measurement (then the measurements are
    not all final and moving them would change the program).
    """
    lines = qasm.splitlines()
    measures: list[tuple[int, str]] = []
    measured_qubits: set[tuple[str, str]] = set()
    kept: list[str] = []
    for line in lines:
        match = _MEASURE.match(line.strip())
        if match:
            qubit = (match.group(1), match.group(2))
            if qubit in measured_qubits:
                return qasm
            measured_qubits.add(qubit)
            measures.append((int(match.group(4)), line.strip()))
            continue
        if measured_qubits & set(_QUBIT_USE.findall(line)):
            return qasm
        kept.append(line)
    rank = {c: i for i, c in enumerate(clbit_order)}
    measures.sort(key=lambda m: rank.get(m[0], len(rank) + m[0]))
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept + [m[1] for m in measures]) + "\n"


def measured_map(qasm: str) -> str:
    """Quafu's `measure` field: physical qubit -> classical bit of the compiled program."""
    found = {}
    for line in qasm.splitlines():
        match = _MEASURE.match(line.strip())
        if match:
            found[int(match.group(2))] = int(match.group(4))
    return str(found)
