"""Due dates, late policy and extensions.

A due date is an instant: ISO 8601 with a UTC offset (``2026-12-01T23:59-08:00``,
``2026-12-01 23:59Z``), or a date and time with an IANA zone name, either in the text
(``2026-12-01 23:59 America/Los_Angeles``, ``... UTC``) or given separately
(``--tz America/Los_Angeles``). Anything a reader could take two ways is refused:
abbreviations such as ``PST`` or ``CET`` (several zones share them, and they do not say
whether summer time applies), day/month orders (``01/12/2026``), missing years, missing
times and missing zones.

The late policy takes ``percent`` off the score per started ``unit`` (hour or day) of
lateness beyond a grace period, up to ``cap`` percent. An extension moves one student's
due date by a number of hours.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .course import CourseError

__all__ = ["parse_due", "LatePolicy", "lateness", "EXAMPLES"]

EXAMPLES = ("'2026-12-01 23:59 America/Los_Angeles', '2026-12-01T23:59-08:00', "
            "'2026-12-01 23:59 UTC', or '2026-12-01 23:59' with --tz America/Los_Angeles")

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?"
                  r"(?P<offset>Z|[+-]\d{2}:?\d{2})?(?:\s+(?P<zone>\S+))?$")


def _zone(name, what):
    if name.upper() in ("UTC", "Z"):
        return timezone.utc
    if "/" not in name and name not in ("UTC", "GMT"):
        raise CourseError(f"{what} {name!r} is an abbreviation, which several time zones "
                          f"share; use an IANA zone name such as America/Los_Angeles or "
                          f"Europe/Berlin, or an offset. Examples: {EXAMPLES}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CourseError(f"{what} {name!r} is not an IANA time zone name (e.g. "
                          f"America/Los_Angeles, Europe/Berlin, UTC)") from None


def parse_due(text, tz=None):
    """The instant ``text`` names, as an aware UTC datetime; CourseError if ambiguous."""
    if text is None or not str(text).strip():
        raise CourseError(f"--due is empty; give a date, a time and a zone, e.g. {EXAMPLES}")
    text = " ".join(str(text).split())
    m = _ISO.match(text)
    if not m:
        raise CourseError(f"--due {text!r} is not an unambiguous date and time (write the "
                          f"year first, then month and day, then hours:minutes and a zone). "
                          f"Examples: {EXAMPLES}")
    year, month, day, hour, minute = (int(m.group(i)) for i in range(1, 6))
    second = int(m.group(6) or 0)
    try:
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError as e:
        raise CourseError(f"--due {text!r} is not a real date and time ({e})") from None
    zones = [z for z in (m.group("offset"), m.group("zone"), tz) if z]
    if len(zones) > 1:
        raise CourseError(f"--due {text!r} names its zone twice "
                          f"({' and '.join(zones)}); give one. Examples: {EXAMPLES}")
    if not zones:
        raise CourseError(f"--due {text!r} has no time zone; add an offset or a zone name, "
                          f"or pass --tz. Examples: {EXAMPLES}")
    if m.group("offset"):
        off = m.group("offset")
        if off == "Z":
            zone = timezone.utc
        else:
            sign = -1 if off[0] == "-" else 1
            digits = off[1:].replace(":", "")
            zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        when = naive.replace(tzinfo=zone)
    else:
        zone = _zone(zones[0], "--tz" if tz else "--due time zone")
        when = naive.replace(tzinfo=zone)
        if isinstance(zone, ZoneInfo):
            # A wall time that does not exist (spring forward) or exists twice (fall back)
            # would be resolved silently by zoneinfo; refuse it instead.
            back = when.astimezone(timezone.utc).astimezone(zone)
            if back.replace(tzinfo=None) != naive:
                raise CourseError(f"--due {text!r} does not exist in {zones[0]} (the clocks "
                                  "skip it); give another time")
            if when.utcoffset() != naive.replace(tzinfo=zone, fold=1).utcoffset():
                raise CourseError(f"--due {text!r} falls in a daylight-saving change in "
                                  f"{zones[0]}, so it names no single instant; give an "
                                  "offset such as 2026-11-01T01:30-07:00")
    return when.astimezone(timezone.utc)


def check_zone(name):
    """Validate a --tz value on its own (the check parse_due applies)."""
    _zone(name, "--tz")
    return name


_UNITS = {"hour": 3600, "day": 86400}


@dataclass(frozen=True)
class LatePolicy:
    """``percent`` off per started ``per`` of lateness after ``grace_minutes``, at most ``cap``."""
    percent: float = 0.0
    per: str = "day"
    cap: float = 100.0
    grace_minutes: float = 0.0

    def __post_init__(self):
        if self.per not in _UNITS:
            raise CourseError(f"late policy unit {self.per!r}: use 'hour' or 'day'")
        for name in ("percent", "cap", "grace_minutes"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise CourseError(f"late policy {name} must be a number >= 0, not {value!r}")
        if self.percent > 100 or self.cap > 100:
            raise CourseError("late policy percent and cap are percentages (0 to 100)")

    @classmethod
    def from_dict(cls, d):
        return cls(**{k: d[k] for k in ("percent", "per", "cap", "grace_minutes") if k in d})

    def as_dict(self):
        return {"percent": self.percent, "per": self.per, "cap": self.cap,
                "grace_minutes": self.grace_minutes}

    def penalty_percent(self, seconds_late):
        """Percent of the score taken off for ``seconds_late`` (0 when on time)."""
        if not seconds_late or seconds_late <= self.grace_minutes * 60 or not self.percent:
            return 0.0
        units = math.ceil(seconds_late / _UNITS[self.per])
        return float(min(self.cap, self.percent * units))

    def describe(self):
        if not self.percent:
            return "no penalty for late work"
        grace = (f" after a grace period of {self.grace_minutes:g} minutes"
                 if self.grace_minutes else "")
        return (f"{self.percent:g}% off per started {self.per} late{grace}, "
                f"at most {self.cap:g}%")


def lateness(submitted_at, due, extension_hours=0.0):
    """Seconds after the (extended) due date; 0 when on time or when a time is unknown."""
    if submitted_at is None or due is None:
        return 0.0
    deadline = due + timedelta(hours=extension_hours or 0.0)
    return max(0.0, (submitted_at - deadline).total_seconds())

