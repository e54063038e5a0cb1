"""ISO weeks: the unit every report, metric and rerun is keyed on.

A week runs Monday 00:00 to Sunday 24:00 in the configured time zone; the
database stores UTC, so the bounds handed to SQL are converted here once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pulse.errors import PulseError

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO year-week such as 2026-W46."""

    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Parse '2026-W46'; anything else is a user error with the expected form."""
        match = _WEEK_RE.match(text.strip()) if isinstance(text, str) else None
        if not match:
            raise PulseError(f"week {text!r} is not an ISO week; write it like 2026-W46")
        year, week = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            raise PulseError(f"week {text!r} does not exist: {year} has no week {week}") from None
        return cls(year, week)

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def last_complete(cls, today: date | None = None) -> IsoWeek:
        """The newest week that has fully ended: the default for scheduled runs."""
        today = today or date.today()
        return cls.of(today - timedelta(days=7))

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def shift(self, weeks: int) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def bounds_utc(self, tz: str = "UTC") -> tuple[datetime, datetime]:
        """[start, end) of the week in naive UTC, as stored in the database."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.monday, datetime.min.time(), zone)
        end = start + timedelta(days=7)
        utc = ZoneInfo("UTC")
        return (
            start.astimezone(utc).replace(tzinfo=None),
            end.astimezone(utc).replace(tzinfo=None),
        )

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def today_in(tz: str) -> date:
    """Today's date in the configured time zone: when a week is over depends on where."""
    return datetime.now(ZoneInfo(tz)).date()


def week_range(first: IsoWeek, last: IsoWeek) -> list[IsoWeek]:
    """Every week from first to last inclusive, in order."""
    if last < first:
        raise PulseError(f"--from {first} is after --to {last}")
    weeks, current = [], first
    while current <= last:
        weeks.append(current)
        current = current.shift(1)
    return weeks
