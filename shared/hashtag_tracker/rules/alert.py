"""An alert: what fired, for which hashtag and window, with the numbers and readable text."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote

from msgspec import Meta, field
from msgspec.structs import force_setattr

from hashtag_tracker.clock import to_iso
from hashtag_tracker.models.codec import Record, replace, to_data, to_json
from hashtag_tracker.models.hashtag import HashtagKind

# The alert's JSON carries this, so a subscriber can tell alerts from other topic messages
# (operational notices, CloudWatch alarms).
ALERT_TYPE = "hashtag-tracker.alert"
TIKTOK_TAG_URL = "https://www.tiktok.com/tag/"


class AlertRule(StrEnum):
    VIRAL = "viral"
    MILESTONE = "milestone"
    VIRAL_DAY = "viral_day"
    HIGH_PARTICIPATION = "high_participation"
    LOW_ACTIVITY = "low_activity"
    NEGATIVE_SENTIMENT = "negative_sentiment"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


RULE_LABELS: dict[AlertRule, str] = {
    AlertRule.VIRAL: "Viral moment",
    AlertRule.MILESTONE: "Milestone",
    AlertRule.VIRAL_DAY: "Viral day",
    AlertRule.HIGH_PARTICIPATION: "High participation",
    AlertRule.LOW_ACTIVITY: "Low activity",
    AlertRule.NEGATIVE_SENTIMENT: "Negative comments",
}

# Labels and formats of the numbers an alert may carry, in display order.
METRIC_LABELS: dict[str, str] = {
    "new_videos": "New videos",
    "new_views": "New views",
    "videos_growth_pct": "Videos growth %",
    "views_growth_pct": "Views growth %",
    "views_per_hour": "Views per hour",
    "videos_per_hour": "Videos per hour",
    "window_hours": "Window (hours)",
    "views": "Total views",
    "videos": "Total videos",
    "milestone": "Milestone (views)",
    "negative_share": "Negative share",
    "comments_scored": "Comments scored",
    "threshold": "Threshold",
}


def tag_url(hashtag: str) -> str:
    """The hashtag's TikTok page; non-Latin tags are percent-encoded."""
    return TIKTOK_TAG_URL + quote(hashtag, safe="")


def format_number(value: float) -> str:
    """Readable numbers for mail and Slack: 1,234,567 / 12.5."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 1 else f"{value:,.1f}"


class Alert(Record, frozen=True, kw_only=True):
    """One alert. `key` names its (hashtag, rule, window): the exactly-once unit.

    Unknown fields are ignored when one is read back (the derived ones of `to_json`)."""

    type: str = ALERT_TYPE
    hashtag: str
    rule: AlertRule
    # Cycle (viral), UTC day (daily rules) or milestone value.
    window: str
    # The snapshot's cycle: the alert's event time.
    at: datetime
    severity: Severity
    kind: HashtagKind
    campaign: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    # One sentence saying what happened.
    summary: str
    # The rule's strength relative to its threshold (1.0 = just fired); escalation compares it.
    magnitude: Annotated[float, Meta(ge=0)] = 1.0
    # 0: no cooldown (milestones).
    cooldown_hours: Annotated[int, Meta(ge=0)] = 0
    escalation_factor: Annotated[float, Meta(ge=1)] = 2.0
    escalated: bool = False

    def __post_init__(self) -> None:
        # Rules pass ints too; subscribers see the numbers as floats, always.
        force_setattr(self, "metrics", {k: float(v) for k, v in self.metrics.items()})
        force_setattr(self, "magnitude", float(self.magnitude))

    @property
    def key(self) -> str:
        return f"{self.hashtag}#{self.rule.value}#{self.window}"

    @property
    def link(self) -> str:
        return tag_url(self.hashtag)

    @property
    def title(self) -> str:
        prefix = "Escalated: " if self.escalated else ""
        return f"{prefix}{RULE_LABELS[self.rule]} on #{self.hashtag}"

    @property
    def text(self) -> str:
        """The plain-text body that reads well in an email."""
        lines = [self.title, "", self.summary, ""]
        for name, value in self.metric_lines():
            lines.append(f"  {name}: {value}")
        lines += [
            "",
            f"Hashtag:  #{self.hashtag} ({self.kind.value})",
            f"Campaign: {self.campaign or '-'}",
            f"Rule:     {self.rule.value} (severity {self.severity.value})",
            f"Window:   {self.window}",
            f"Cycle:    {to_iso(self.at)}",
            f"TikTok:   {self.link}",
        ]
        if self.escalated:
            lines += ["", "This spike is much bigger than the one alerted earlier in the cooldown."]
        return "\n".join(lines)

    def metric_lines(self) -> list[tuple[str, str]]:
        """(label, formatted value) of the numbers that fired, in a stable order."""
        known = [(METRIC_LABELS[k], k) for k in METRIC_LABELS if k in self.metrics]
        extra = [(k, k) for k in sorted(self.metrics) if k not in METRIC_LABELS]
        return [(label, format_number(self.metrics[k])) for label, k in known + extra]

    def escalate(self) -> Alert:
        """The same alert, marked as an escalation inside the cooldown."""
        return replace(self, escalated=True, severity=Severity.CRITICAL)

    def to_json(self) -> str:
        """The alert's JSON for subscribers: its fields plus key, link, title and text."""
        derived = {"key": self.key, "link": self.link, "title": self.title, "text": self.text}
        return to_json({**to_data(self, keep_none=True), **derived})
