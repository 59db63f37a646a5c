"""Calibration drift: a chip's calibration as a pure function of time and seed.

A real chip does not keep its calibration. Two-level systems (TLS) come and go and make
T1 jump (random telegraph noise), T1 and T2 wander slowly, gate and readout errors creep
up as the tuned-up pulses age, and now and then a calibration finds a qubit or a coupler
in a bad state. A recalibration restores the chip and publishes a snapshot.

This module computes all of that without a clock and without state: every figure is a
function of `(base device, seed, time of the last recalibration, time asked)`, drawn
from generators seeded by those numbers, so the same question always gets the same
answer (a job's noise can be rebuilt exactly for a replay). Which recalibrations
happened is the caller's business (the server keeps them); `Schedule` computes the
regular ones.

    >>> from datetime import datetime, UTC
    >>> from kuafu import devices
    >>> from kuafu.devices import drift
    >>> base = devices.get("ScQ-P10")
    >>> t0 = datetime(2026, 12, 1, 6, tzinfo=UTC)
    >>> snap = drift.snapshot(base, seed=1, calibrated_at=t0)
    >>> snap.id
    'ScQ-P10-20261201T060000Z-s1'
    >>> later = drift.calibration_at(base, seed=1, calibrated_at=t0,
    ...                              at=datetime(2026, 12, 1, 20, tzinfo=UTC))
    >>> bool(later.coupler_fidelity(0, 1) <= snap.device.coupler_fidelity(0, 1))
    True
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType

import numpy as np

from .device import CouplerCalibration, Device, QubitCalibration


@dataclass(frozen=True)
class DriftParameters:
    """How a chip drifts (the defaults are documented in `docs/devices.md`).

    Attributes:
        tls_block_hours: T1's telegraph process is drawn per block of this many hours:
            in each block a qubit's TLS is present or not, switching at a random moment.
        tls_probability: chance that a TLS sits near a qubit in a block.
        tls_t1_factor: (low, high) range of the factor a present TLS multiplies T1 by.
        wander_sigma: log-normal spread of the slow T1/T2 wander between daily knots
            (linearly interpolated, so it is continuous).
        recalibration_spread: log-normal spread of a fresh calibration's gate errors
            around the chip's data file (each recalibration tunes up a little
            differently).
        creep_1q, creep_2q, creep_readout: how far the 1q gate error, the CZ error and
            each readout error rise after a calibration at most (saturating).
        creep_hours: time constant of that rise: after t hours the rise is
            creep * (1 - exp(-t / creep_hours)); with 48 h, a daily recalibration
            keeps the creep under 40 % of its ceiling.
        bad_qubit_probability, bad_coupler_probability: chance per calibration that
            it finds a qubit (a coupler) in a bad state: its errors are tripled (and a
            bad qubit's T1 halved) until the next calibration.
        min_t1_us: T1 never drops below this.
    """

    tls_block_hours: float = 3.0
    tls_probability: float = 0.08
    tls_t1_factor: tuple[float, float] = (0.45, 0.8)
    wander_sigma: float = 0.08
    recalibration_spread: float = 0.08
    creep_1q: float = 1e-4
    creep_2q: float = 4e-3
    creep_readout: float = 4e-3
    creep_hours: float = 48.0
    bad_qubit_probability: float = 0.01
    bad_coupler_probability: float = 0.01
    min_t1_us: float = 8.0


DEFAULT = DriftParameters()

#: Moments are taken to the minute: a job's noise is that of the minute it starts.
RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Snapshot:
    """A published calibration: what a recalibration measured, immutable.

    Attributes:
        id: `<chip>-<YYYYMMDDTHHMMSSZ>-s<seed>`, unique per chip, time and seed.
        chip: the chip's name.
        calibrated_at: when the calibration finished (UTC).
        seed: the drift seed of the timeline it belongs to.
        device: the chip with this calibration (`device.calibrated_at` is the time).
    """

    id: str
    chip: str
    calibrated_at: datetime
    seed: int
    device: Device

    def to_dict(self) -> dict:
        """The JSON form: the id, the time and the device's data."""
        return {"id": self.id, "chip": self.chip, "seed": self.seed,
                "calibrated_at": _iso(self.calibrated_at), "device": self.device.to_dict()}


def snapshot_id(chip: str, calibrated_at: datetime, seed: int) -> str:
    """The id of the snapshot a chip's recalibration at `calibrated_at` publishes."""
    return f"{chip}-{_utc(calibrated_at):%Y%m%dT%H%M%SZ}-s{seed}"


def parse_snapshot_id(value: str) -> tuple[str, datetime, int]:
    """(chip, calibrated_at, seed) of a snapshot id.

    Raises:
        ValueError: not an id `snapshot_id` makes.
    """
    try:
        chip, stamp, seed = value.rsplit("-", 2)
        if not seed.startswith("s"):
            raise ValueError
        when = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return chip, when, int(seed[1:])
    except ValueError:
        raise ValueError(f"{value!r} is not a calibration snapshot id "
                         "(<chip>-<YYYYMMDDTHHMMSSZ>-s<seed>)") from None


def snapshot(base: Device, *, seed: int, calibrated_at: datetime,
             params: DriftParameters = DEFAULT) -> Snapshot:
    """The snapshot a recalibration of `base`'s chip at `calibrated_at` publishes."""
    when = _second(calibrated_at)
    device = calibration_at(base, seed=seed, calibrated_at=when, at=when, params=params)
    return Snapshot(snapshot_id(base.name, when, seed), base.name, when, seed, device)


def calibration_at(base: Device, *, seed: int, calibrated_at: datetime, at: datetime,
                   params: DriftParameters = DEFAULT) -> Device:
    """The chip's true calibration at `at` (to the minute), the last recalibration having
    finished at `calibrated_at` (to the second): the noise a job running then sees.

    At `at == calibrated_at` it is the published snapshot; afterwards T1/T2 follow their
    telegraph jumps and wander, and the errors creep up. A moment before
    `calibrated_at` is treated as `calibrated_at`.

    Args:
        base: the chip as its data file describes it (the reference calibration).
        seed: the timeline's seed (one per chip and server).
        calibrated_at: when the calibration in force finished.
        at: the moment asked for.
        params: the drift model's parameters.
    """
    cal = _second(calibrated_at)
    return _calibration_at(base, int(seed), cal, max(_floor(at), cal), params)


@lru_cache(maxsize=512)
def _calibration_at(base: Device, seed: int, cal: datetime, at: datetime,
                    params: DriftParameters) -> Device:
    n = base.num_qubits
    epoch = int(cal.timestamp())
    fresh = np.random.default_rng([seed, _chip(base), 1, epoch])
    spread = params.recalibration_spread
    spread_q = fresh.lognormal(0.0, spread, size=(n, 3))
    bad_q = fresh.random(n) < params.bad_qubit_probability
    couplers = base.couplers
    spread_c = fresh.lognormal(0.0, spread, size=len(couplers))
    bad_c = fresh.random(len(couplers)) < params.bad_coupler_probability
    age_h = (at - cal).total_seconds() / 3600
    creep = 1 - math.exp(-age_h / params.creep_hours)
    t1_now, t2_now = _t1_t2(base, seed, at, params)
    qcal = []
    for q, c in enumerate(base.qubit_calibration):
        factor = 3.0 if bad_q[q] else 1.0
        t1 = t1_now[q] * (0.5 if bad_q[q] else 1.0)
        t2 = min(t2_now[q] * (0.5 if bad_q[q] else 1.0), 2 * t1)
        err1 = (1 - c.fidelity_1q) * spread_q[q, 0] * factor + params.creep_1q * creep
        e0 = (1 - c.readout_p00) * spread_q[q, 1] + params.creep_readout * creep
        e1 = (1 - c.readout_p11) * spread_q[q, 2] * factor + params.creep_readout * creep
        qcal.append(QubitCalibration(
            t1_us=round(t1, 2), t2_us=round(t2, 2),
            fidelity_1q=round(1 - min(err1, 0.05), 6),
            readout_p00=round(1 - min(e0, 0.2), 5), readout_p11=round(1 - min(e1, 0.2), 5)))
    ccal = {}
    for k, pair in enumerate(couplers):
        err2 = 1 - base.coupler_calibration[pair].fidelity_2q
        err2 = err2 * spread_c[k] * (3.0 if bad_c[k] else 1.0) + params.creep_2q * creep
        ccal[pair] = CouplerCalibration(round(1 - min(err2, 0.3), 6))
    return replace(base, qubit_calibration=tuple(qcal),
                   coupler_calibration=MappingProxyType(ccal), calibrated_at=cal)


def _t1_t2(base: Device, seed: int, at: datetime,
           params: DriftParameters) -> tuple[list[float], list[float]]:
    """T1 and T2 of every qubit at `at`: the data file's figures times the slow wander
    (log-normal knots each day, interpolated) and, during a TLS, the telegraph factor."""
    n = base.num_qubits
    minutes = _minutes(at)
    day, into = divmod(minutes, 24 * 60)
    w = into / (24 * 60)
    chip = _chip(base)
    knot0 = np.random.default_rng([seed, chip, 2, day]).normal(0, params.wander_sigma, (n, 2))
    knot1 = np.random.default_rng([seed, chip, 2, day + 1]).normal(0, params.wander_sigma,
                                                                   (n, 2))
    wander = np.exp((1 - w) * knot0 + w * knot1)
    block_min = int(params.tls_block_hours * 60)
    block, inside = divmod(minutes, block_min)
    tls = _tls([seed, chip, 3, block], n, params)
    prev = _tls([seed, chip, 3, block - 1], n, params)
    switch = np.random.default_rng([seed, chip, 4, block]).integers(0, block_min, size=n)
    factor = np.where(inside >= switch, tls, prev)
    t1s, t2s = [], []
    for q, c in enumerate(base.qubit_calibration):
        t1 = max(params.min_t1_us, c.t1_us * wander[q, 0] * factor[q])
        ratio = c.t2_us / c.t1_us
        t2 = min(2 * t1, t1 * ratio * wander[q, 1] / wander[q, 0])
        t1s.append(float(t1))
        t2s.append(float(t2))
    return t1s, t2s


def _tls(key: list[int], n: int, params: DriftParameters) -> np.ndarray:
    """T1 factor of each qubit's TLS in a block (1 where there is none)."""
    rng = np.random.default_rng(key)
    present = rng.random(n) < params.tls_probability
    low, high = params.tls_t1_factor
    return np.where(present, rng.uniform(low, high, n), 1.0)


@dataclass(frozen=True)
class Schedule:
    """Regular recalibrations: every day at `daily_at` (UTC), each taking `duration`.

    A recalibration window [start, start + duration) keeps the chip `calibrating`; the
    snapshot it publishes is dated at its end.
    """

    daily_at: time | None = None
    duration: timedelta = timedelta(minutes=10)

    @classmethod
    def parse(cls, text: str | None, minutes: float = 10.0) -> Schedule:
        """From "06:00" (daily at 06:00 UTC); None or "" means no schedule.

        Raises:
            ValueError: not HH:MM.
        """
        if not text:
            return cls(None, timedelta(minutes=minutes))
        try:
            hh, mm = text.strip().split(":")
            return cls(time(int(hh), int(mm)), timedelta(minutes=minutes))
        except ValueError:
            raise ValueError(f"recalibration time {text!r} is not HH:MM (UTC)") from None

    def window_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The scheduled window (start, end) holding `at`, if any."""
        last = self.last_start(at)
        if last is not None and last <= at < last + self.duration:
            return last, last + self.duration
        return None

    def last_start(self, at: datetime) -> datetime | None:
        """The latest scheduled start at or before `at`."""
        if self.daily_at is None:
            return None
        at = _utc(at)
        start = datetime.combine(at.date(), self.daily_at, tzinfo=UTC)
        return start if start <= at else start - timedelta(days=1)

    def next_start(self, at: datetime) -> datetime | None:
        """The first scheduled start after `at`."""
        last = self.last_start(at)
        return None if last is None else last + timedelta(days=1)

    def ends_between(self, start: datetime, end: datetime) -> list[datetime]:
        """Ends of the scheduled windows finishing in (start, end]."""
        if self.daily_at is None:
            return []
        out = []
        s = self.last_start(_utc(end) - self.duration)
        while s is not None and s + self.duration > _utc(start):
            out.append(s + self.duration)
            s -= timedelta(days=1)
        return sorted(out)


def in_force(ends: Iterable[datetime], at: datetime, origin: datetime) -> datetime:
    """The end of the latest recalibration at or before `at` among `ends` (else
    `origin`, the data file's calibration)."""
    at = _utc(at)
    best = _utc(origin)
    for end in ends:
        end = _utc(end)
        if best < end <= at:
            best = end
    return best


def digest(device: Device) -> str:
    """A short digest of a device's calibration figures (compares two calibrations)."""
    data = device.to_dict()["calibration"]
    return hashlib.sha256(repr(data).encode()).hexdigest()[:12]


def _chip(device: Device) -> int:
    """A number of the chip's name, so that two chips on one seed drift apart."""
    return zlib.crc32(device.name.encode())


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _second(moment: datetime) -> datetime:
    return _utc(moment).replace(microsecond=0)


def _floor(moment: datetime) -> datetime:
    moment = _utc(moment)
    return moment.replace(second=0, microsecond=0)


def _minutes(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat().replace("+00:00", "Z")
