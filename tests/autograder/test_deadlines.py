"""Due dates, the late policy and extensions (no grading: these are fast)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from autograder.course import CourseError
from autograder.deadlines import LatePolicy, lateness, parse_due
from conftest import cli

UTC = timezone.utc


@pytest.mark.parametrize("text, tz, expected", [
    ("2026-12-01T23:59-08:00", None, datetime(2026, 12, 2, 7, 59, tzinfo=UTC)),
    ("2026-12-01 23:59:30+05:30", None, datetime(2026, 12, 1, 18, 29, 30, tzinfo=UTC)),
    ("2026-12-01T23:59Z", None, datetime(2026, 12, 1, 23, 59, tzinfo=UTC)),
    ("2026-12-01 23:59 UTC", None, datetime(2026, 12, 1, 23, 59, tzinfo=UTC)),
    ("2026-12-01 23:59", "America/Los_Angeles", datetime(2026, 12, 2, 7, 59, tzinfo=UTC)),
    ("2026-12-01 23:59 America/Los_Angeles", None, datetime(2026, 12, 2, 7, 59, tzinfo=UTC)),
    # Summer time is the zone's business, not the instructor's arithmetic.
    ("2026-07-01 23:59", "America/Los_Angeles", datetime(2026, 7, 2, 6, 59, tzinfo=UTC)),
    ("2026-03-29 12:00 Europe/Berlin", None, datetime(2026, 3, 29, 10, 0, tzinfo=UTC)),
])
def test_unambiguous_due_dates(text, tz, expected):
    assert parse_due(text, tz) == expected


@pytest.mark.parametrize("text, tz, needle", [
    ("2026-12-01 23:59 PST", None, "abbreviation"),
    ("2026-12-01 23:59", "PST", "abbreviation"),
    ("01/12/2026 23:59 UTC", None, "not an unambiguous date"),
    ("1 Dec", None, "not an unambiguous date"),
    ("23:59", None, "not an unambiguous date"),
    ("2026-12-01", "UTC", "not an unambiguous date"),
    ("", None, "empty"),
    ("   ", None, "empty"),
    ("2026-12-01 23:59", None, "no time zone"),
    ("2026-02-30 12:00 UTC", None, "not a real date"),
    ("2026-12-01 23:59 Mars/Olympus", None, "not an IANA time zone"),
    ("2026-12-01T23:59-08:00", "America/Los_Angeles", "names its zone twice"),
    ("2026-11-01 01:30 America/Los_Angeles", None, "daylight-saving"),   # happens twice
    ("2026-03-08 02:30 America/Los_Angeles", None, "does not exist"),    # skipped
])
def test_ambiguous_due_dates_are_refused_with_an_example(text, tz, needle):
    with pytest.raises(CourseError) as e:
        parse_due(text, tz)
    message = str(e.value)
    assert needle in message, message
    if needle not in ("daylight-saving", "does not exist", "not a real date",
                      "not an IANA time zone"):
        assert "2026-12-01T23:59-08:00" in message and "America/Los_Angeles" in message


def test_release_refuses_a_bad_due_date_and_creates_nothing(tmp_path):
    for args in (["--due", "2026-12-01 23:59 PST"], ["--due", ""],
                 ["--due", "2026-12-01 23:59", "--tz", "Nowhere/City"]):
        proc = cli("release", "--course", tmp_path / "course", *args, "ex02_tdnn", check=False)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: --"), proc.stderr
        assert not (tmp_path / "course").exists()


def test_late_policy_per_day_with_grace_and_cap():
    policy = LatePolicy(percent=10, per="day", cap=25, grace_minutes=15)
    assert policy.penalty_percent(0) == 0
    assert policy.penalty_percent(14 * 60) == 0                # inside the grace period
    assert policy.penalty_percent(16 * 60) == 10               # first started day
    assert policy.penalty_percent(24 * 3600) == 10
    assert policy.penalty_percent(24 * 3600 + 1) == 20
    assert policy.penalty_percent(34 * 3600) == 20
    assert policy.penalty_percent(30 * 86400) == 25            # capped
    hourly = LatePolicy(percent=2, per="hour")
    assert hourly.penalty_percent(3600 * 5 + 1) == 12
    assert hourly.penalty_percent(3600 * 1000) == 100
    assert "10% off per started day" in policy.describe() and "at most 25%" in policy.describe()


@pytest.mark.parametrize("kwargs", [dict(per="week"), dict(percent=-1), dict(cap=150),
                                    dict(grace_minutes="5"), dict(percent=True)])
def test_bad_late_policies_are_refused(kwargs):
    with pytest.raises(CourseError):
        LatePolicy(**kwargs)


def test_extensions_move_the_due_date():
    due = datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
    submitted = due + timedelta(hours=34)
    assert lateness(submitted, due) == 34 * 3600
    assert lateness(submitted, due, extension_hours=24) == 10 * 3600
    assert lateness(submitted, due, extension_hours=48) == 0
    assert lateness(None, due) == 0 and lateness(submitted, None) == 0
