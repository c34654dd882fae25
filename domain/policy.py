"""The deadline policy (docs/api.md section 2): time limits per risk level, the escalation ladder, follow-up.

Pure: parsing and validation only. The policy in force when a case is received is pinned to the case
together with the calendar data it needs (:func:`pin_policy`), so the pinned form must round-trip through
JSON exactly: durations dump as their text ("3wd"), dates as ISO strings, all lists sorted."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from datetime import datetime, time
from itertools import pairwise
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
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
from domain.holiday_schedule import AnnouncedYear
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
    if len(m[1]) > MAX_DURATION_DIGITS:
        raise ValueError(f'"{text}" is too long a time limit (at most {MAX_DURATION_DIGITS} digits)')
    return {"amount": int(m[1]), "unit": m[2]}


# 99999 of any unit: far beyond any case's time limit, yet safe in date arithmetic (99999 days is 273 years).
MAX_DURATION_DIGITS = 5


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
    within: Duration  # 回访 is due this long after verification (watched under the rules as practised)
    reopen_on_dissatisfied: int = Field(ge=0)  # how many times a dissatisfied follow-up reopens the case


class ReturnsPolicy(_Frozen):
    review: Literal["supervisor", "none"]  # "supervisor": a return waits for a decision (退回审核)
    within: Duration  # a task can be returned only this soon after it was assigned


class ExtensionsPolicy(_Frozen):
    max_total: Duration  # the most extra time all extensions of one task may add


class SummonsPolicy(_Frozen):
    report_within: Duration  # 吹哨报到: a summoned department reports (报到) within this


class JudicialConfirmationPolicy(_Frozen):
    within: Duration  # 司法确认 is applied for within this of the agreement (人民调解法 Art. 33: 30 days)


def parse_quiet_hours(texts: tuple[str, ...]) -> tuple[tuple[time, time], ...]:
    """``["21:00-08:00"]`` -> intervals; an interval may run past midnight (its end before its start)."""
    intervals = []
    for text in texts:
        m = _QUIET_RE.fullmatch(text) if isinstance(text, str) else None
        if m is None:
            raise ValueError(f'"{text}" is not a quiet-hours interval (use "HH:MM-HH:MM", e.g. "21:00-08:00")')
        start, end = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
        if start == end:
            raise ValueError(f'"{text}": the start and the end must differ')
        intervals.append((start, end))
    return tuple(intervals)


_QUIET_RE = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])")


class NotificationPolicy(_Frozen):
    """``[notifications]``: people are not messaged in quiet hours (local "HH:MM-HH:MM", may cross midnight);
    what falls due then is deferred to their end, except for the ``urgent`` risk levels (and listed supervision,
    which always goes at once)."""

    quiet_hours: tuple[str, ...] = ("21:00-08:00",)
    urgent: tuple[RiskLevel, ...] = (RiskLevel.critical,)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        parse_quiet_hours(value)
        return value

    def is_quiet(self, local: time) -> bool:
        """Whether ``local`` (a time of day in the policy's timezone) falls in quiet hours."""
        return any(
            (start <= local < end) if start < end else (local >= start or local < end)
            for start, end in parse_quiet_hours(self.quiet_hours)
        )


class Weights(_Frozen):
    """``[scoring] weights``: points out of 100 for each rate (``return`` is a Python keyword, hence the alias)."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True)

    on_time_ack: float = Field(20, ge=0)
    on_time_reply: float = Field(30, ge=0)
    satisfaction: float = Field(30, ge=0)
    return_: float = Field(10, ge=0, alias="return")
    reopen: float = Field(10, ge=0)
    rating: float = Field(0, ge=0)  # 评定: counted only when a district gives it points

    def of(self, rate: str) -> float:
        return float(getattr(self, "return_" if rate == "return" else rate))


class Scoring(_Frozen):
    """The policy's ``[scoring]`` section."""

    weights: Weights = Weights()
    red_black: int = Field(5, ge=0)


class Publicity(_Frozen):
    """``[publicity]``: 公示, the public page of the period's archived cases and department scores."""

    enabled: bool = False


class MeetingsPolicy(_Frozen):
    """``[meetings]``: how often the street centre convenes its 圆桌议事会 (``month``, ``quarter``,
    ``half_year``, ``year``); the supervision board says from when the next one is due."""

    round_table_every: Literal["month", "quarter", "half_year", "year"] = "quarter"


_WALL_CLOCK_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _wall_clock(value: Duration, what: str) -> Duration:
    # A 研判 window looks back over received cases: working time has no meaning there, and an empty one finds none.
    if value.unit not in _WALL_CLOCK_UNITS:
        raise ValueError(f'{what} is counted on the wall clock: use s, m, h or d (e.g. "7d"), not "{value}"')
    if value.amount == 0:
        raise ValueError(f'{what} must be longer than 0 (e.g. "7d")')
    return value


def wall_clock_seconds(value: Duration) -> int:
    """A wall-clock duration (s, m, h, d) in seconds."""
    return value.amount * _WALL_CLOCK_UNITS[value.unit]


class ClusterRule(_Frozen):
    """``[analysis] cluster``: ``threshold`` cases of one category in one community received within ``window``
    open one cluster alert (聚集预警, domain/clusters.py)."""

    window: Duration = Field(default_factory=lambda: Duration.parse("7d"))
    threshold: int = Field(3, ge=2, le=1000)  # one case alone is no cluster

    @field_validator("window")
    @classmethod
    def _window(cls, value: Duration) -> Duration:
        return _wall_clock(value, "the cluster window")


class AnalysisPolicy(_Frozen):
    """``[analysis]`` (研判): the cluster rule (``cluster = false`` turns detection off) and how far back an
    earlier visit of the same person makes a repeat visit (重复来访)."""

    cluster: ClusterRule | None = Field(default_factory=ClusterRule)
    repeat_window: Duration = Field(default_factory=lambda: Duration.parse("90d"))

    @field_validator("cluster", mode="before")
    @classmethod
    def _off(cls, value: Any) -> Any:
        if value is False:
            return None
        if value is True:
            return ClusterRule()
        return value

    @field_validator("repeat_window")
    @classmethod
    def _repeat_window(cls, value: Duration) -> Duration:
        return _wall_clock(value, "the repeat window")


# Sections added with the supervision rules as practised. A policy pinned before them lacks
# them, and its case keeps the rules it was received under: returns at once, unbounded extensions,
# reminders at fractions of wall-clock time, no follow-up deadline. New policies always have them (the
# defaults fill in whatever a file leaves out).
PRACTISED_SECTIONS = ("returns", "extensions", "summons", "notifications")
# Added with the mediation papers; a policy pinned before it keeps the statutory 30 days.
OPTIONAL_SECTIONS = (*PRACTISED_SECTIONS, "judicial_confirmation", "scoring", "publicity", "meetings", "analysis")


class Policy(_Frozen):
    calendar: Literal["cn", "continuous"]
    working_hours: tuple[str, ...]  # "HH:MM-HH:MM", used by "wh" durations
    timezone: str
    risk: dict[RiskLevel, RiskDeadlines]
    escalation: EscalationPolicy
    follow_up: FollowUpPolicy
    returns: ReturnsPolicy | None = None
    extensions: ExtensionsPolicy | None = None
    summons: SummonsPolicy | None = None
    notifications: NotificationPolicy | None = None
    judicial_confirmation: JudicialConfirmationPolicy | None = None
    # The district's, not the case's: read from the policy in force when figures are made (None: defaults).
    scoring: Scoring | None = None
    publicity: Publicity | None = None
    meetings: MeetingsPolicy | None = None  # None: no round table is asked for, the board says nothing
    # The district's, like scoring: read from the policy in force at intake (None: AnalysisPolicy's defaults).
    # Absent from a policy that does not name it, so a case pinned today stores the bytes it stored before.
    analysis: AnalysisPolicy | None = None

    @property
    def analysis_rules(self) -> AnalysisPolicy:
        """``[analysis]`` as given, or its defaults (cluster 3 in 7d, repeat window 90d)."""
        return self.analysis or AnalysisPolicy()

    @property
    def as_practised(self) -> bool:
        """Whether the case follows the supervision rules as practised (see PRACTISED_SECTIONS)."""
        return self.returns is not None

    @model_serializer(mode="wrap")
    def _without_missing_sections(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # An old pinned policy must dump to the bytes it was stored as: absent sections stay absent.
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if not (k in OPTIONAL_SECTIONS and v is None)}

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


DEFAULT_SUMMONS = SummonsPolicy(report_within=_d("2wh"))

# Calibrated on the 12345 hotline limits of docs/domain.md: 2 h emergencies, 24 h utilities, 7 days general,
# 15 days complex; criticism after a further 5 working days.
DEFAULT_POLICY = Policy(
    calendar="cn",
    working_hours=("09:00-12:00", "13:30-17:30"),
    timezone="Asia/Shanghai",
    risk={
        # Acknowledge and reply limits run in working time, so a Friday-afternoon task is not warned on
        # Saturday; an emergency (critical) keeps a wall-clock acknowledge limit.
        RiskLevel.low: RiskDeadlines(acknowledge_within=_d("8wh"), reply_within=_d("15wd")),
        RiskLevel.medium: RiskDeadlines(acknowledge_within=_d("8wh"), reply_within=_d("7wd")),
        RiskLevel.high: RiskDeadlines(acknowledge_within=_d("4wh"), reply_within=_d("3wd")),
        RiskLevel.critical: RiskDeadlines(acknowledge_within=_d("2h"), reply_within=_d("1wd")),
    },
    escalation=EscalationPolicy(remind_at=(0.5, 0.8), warn_after=_d("0s"), flag_after=_d("5wd")),
    follow_up=FollowUpPolicy(within=_d("3wd"), reopen_on_dissatisfied=1),
    returns=ReturnsPolicy(review="supervisor", within=_d("2wd")),
    extensions=ExtensionsPolicy(max_total=_d("10wd")),
    summons=DEFAULT_SUMMONS,
    notifications=NotificationPolicy(quiet_hours=("21:00-08:00",), urgent=(RiskLevel.critical,)),
    judicial_confirmation=JudicialConfirmationPolicy(within=_d("30d")),
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


def pin_policy(
    policy: Policy, received_at: datetime, announced: Mapping[int, AnnouncedYear] | None = None,
) -> PinnedPolicy:
    """Pin ``policy`` with the calendar data of ``received_at``'s year (in the policy's timezone) and the
    2 following years; ``announced`` years (loaded by an admin) win over the built-in data for their year."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    if policy.calendar == "continuous":
        calendar = continuous_calendar(policy.timezone)
    else:
        year = received_at.astimezone(ZoneInfo(policy.timezone)).year
        calendar = china_calendar(range(year, year + PINNED_YEARS), policy.timezone, policy.working_hours,
                                  announced)
    return PinnedPolicy(policy=policy, calendar=calendar)
