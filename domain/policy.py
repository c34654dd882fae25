"""The deadline policy (API.md section 2): time limits per risk level, the escalation ladder, follow-up.

Pure: parsing and validation only. The policy in force when a case is received is pinned to the case
together with the calendar data it needs (:func:`pin_policy`), so the pinned form must round-trip through
JSON exactly: durations dump as their text ("3wd"), dates as ISO strings, all lists sorted."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime
from itertools import pairwise
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from domain.calendar import (
    BusinessCalendar,
    check_timezone,
    china_calendar,
    continuous_calendar,
    parse_working_hours,
)
from domain.vocabulary import RiskLevel

DurationUnit = Literal["s", "m", "h", "d", "wd", "wh"]
_DURATION_RE = re.compile(r"([0-9]+)(s|m|h|d|wd|wh)")
_DURATION_HINT = "use 90s, 15m, 8h, 3d, 3wd or 4wh"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Duration(_Frozen):
    """``amount`` of ``unit``: s/m/h/d on the wall clock, wd (working days) and wh (working hours) on the
    calendar. Validates from and dumps to its text form, e.g. ``"3wd"``."""

    amount: int = Field(ge=0)
    unit: DurationUnit

    @classmethod
    def parse(cls, text: str) -> Duration:
        """``"3wd"`` -> Duration(amount=3, unit="wd"); ValueError for anything else."""
        return cls(**_split(text))

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, dict | Duration):
            return value
        return _split(value)

    @model_serializer
    def _to_text(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


def _split(text: object) -> dict[str, Any]:
    m = _DURATION_RE.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        shown = f'"{text}"' if isinstance(text, str) else repr(text)
        raise ValueError(f"{shown} is not a duration ({_DURATION_HINT})")
    return {"amount": int(m[1]), "unit": m[2]}


class RiskDeadlines(_Frozen):
    acknowledge_within: Duration  # 签收时限
    reply_within: Duration  # 答复/办结时限


class EscalationPolicy(_Frozen):
    remind_at: tuple[float, ...]  # level 1 (催办) at these fractions of a deadline
    warn_after: Duration  # level 2 (预警) this long after a deadline passes
    flag_after: Duration  # level 3 (挂牌督办) this long after a deadline passes

    @field_validator("remind_at")
    @classmethod
    def _fractions(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        for f in value:
            if not 0 < f < 1:
                raise ValueError(f"each fraction must be between 0 and 1 (got {f})")
        if any(a >= b for a, b in pairwise(value)):
            raise ValueError(f"fractions must be in ascending order (got {list(value)})")
        return value


class FollowUpPolicy(_Frozen):
    within: Duration
    reopen_on_dissatisfied: int = Field(ge=0)  # how many times a dissatisfied follow-up reopens the case


class NotificationPolicy(_Frozen):
    """``[notifications]``: people are not messaged in quiet hours (local "HH:MM-HH:MM", may cross midnight);
    what falls due then is deferred to their end, except for the ``urgent`` risk levels (and listed supervision,
    which always goes at once)."""

    quiet_hours: tuple[str, ...] = ("21:00-08:00",)
    urgent: tuple[RiskLevel, ...] = (RiskLevel.critical,)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for interval in value:
            if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]", interval) \
                    or interval[:5] == interval[6:]:
                raise ValueError(f'"{interval}" is not an interval like "21:00-08:00"')
        return value


class Policy(_Frozen):
    calendar: Literal["cn", "continuous"]
    working_hours: tuple[str, ...]  # "HH:MM-HH:MM", used by "wh" durations
    timezone: str
    risk: dict[RiskLevel, RiskDeadlines]
    escalation: EscalationPolicy
    follow_up: FollowUpPolicy
    notifications: NotificationPolicy = NotificationPolicy()

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError('give at least one interval, e.g. ["09:00-12:00"]')
        parse_working_hours(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("risk")
    @classmethod
    def _all_levels(cls, value: dict[RiskLevel, RiskDeadlines]) -> dict[RiskLevel, RiskDeadlines]:
        missing = [level.value for level in RiskLevel if level not in value]
        if missing:
            raise ValueError(f"missing risk level(s): {', '.join(missing)}")
        return {level: value[level] for level in RiskLevel}  # one fixed order, whatever the input's


def _d(text: str) -> Duration:
    return Duration.parse(text)


# Calibrated on the 12345 hotline limits of DOMAIN.md: 2 h emergencies, 24 h utilities, 7 days general,
# 15 days complex; criticism after a further 5 working days.
DEFAULT_POLICY = Policy(
    calendar="cn",
    working_hours=("09:00-12:00", "13:30-17:30"),
    timezone="Asia/Shanghai",
    risk={
        RiskLevel.low: RiskDeadlines(acknowledge_within=_d("24h"), reply_within=_d("15wd")),
        RiskLevel.medium: RiskDeadlines(acknowledge_within=_d("24h"), reply_within=_d("7wd")),
        RiskLevel.high: RiskDeadlines(acknowledge_within=_d("4h"), reply_within=_d("3wd")),
        RiskLevel.critical: RiskDeadlines(acknowledge_within=_d("2h"), reply_within=_d("1wd")),
    },
    escalation=EscalationPolicy(remind_at=(0.5, 0.8), warn_after=_d("0s"), flag_after=_d("5wd")),
    follow_up=FollowUpPolicy(within=_d("3wd"), reopen_on_dissatisfied=1),
)


class PolicyError(ValueError):
    """A policy file that cannot be used; the message is one line naming the bad key."""


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key (a file may give only some keys); any other value replaces the default."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def _one_line(error: ValidationError) -> str:
    first = error.errors()[0]
    loc = tuple(first["loc"])
    if first["type"] == "extra_forbidden":
        text = f'unknown key "{_key_path(loc)}"'
    elif loc[-1:] == ("[key]",):  # a dict key that is not allowed: only risk levels are dict keys
        text = f'unknown key "{_key_path(loc[:-1])}" (risk levels: {", ".join(RiskLevel)})'
    else:
        msg = first["msg"].removeprefix("Value error, ")
        text = f"{_key_path(loc)}: {msg}" if loc else msg
    more = error.error_count() - 1
    return f"policy: {text}" + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def parse_policy(toml_text: str) -> Policy:
    """The policy file's TOML merged over :data:`DEFAULT_POLICY`; PolicyError (one line) on any problem."""
    try:
        data = tomllib.loads(toml_text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"policy: not valid TOML: {exc}") from None
    merged = _merge(DEFAULT_POLICY.model_dump(mode="json"), data)
    try:
        return Policy.model_validate(merged)
    except ValidationError as exc:
        raise PolicyError(_one_line(exc)) from None


class PinnedPolicy(_Frozen):
    """The policy in force when a case was received plus the calendar data its deadlines use."""

    policy: Policy
    calendar: BusinessCalendar

    @model_validator(mode="after")
    def _consistent(self) -> PinnedPolicy:
        if (self.calendar.kind, self.calendar.timezone) != (self.policy.calendar, self.policy.timezone):
            raise ValueError("the pinned calendar does not match the policy's calendar and timezone")
        if self.calendar.kind == "cn" and self.calendar.working_hours != parse_working_hours(
            self.policy.working_hours
        ):
            raise ValueError("the pinned calendar does not match the policy's working hours")
        return self


PINNED_YEARS = 3  # the received year and the 2 following: covers the longest deadline chains


def pin_policy(policy: Policy, received_at: datetime) -> PinnedPolicy:
    """Pin ``policy`` with the calendar data of ``received_at``'s year (in the policy's timezone) and the
    2 following years."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    if policy.calendar == "continuous":
        calendar = continuous_calendar(policy.timezone)
    else:
        year = received_at.astimezone(ZoneInfo(policy.timezone)).year
        calendar = china_calendar(range(year, year + PINNED_YEARS), policy.timezone, policy.working_hours)
    return PinnedPolicy(policy=policy, calendar=calendar)
