"""An alert: what fired, for which hashtag and window, with the numbers and readable text."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, computed_field

from hashtag_tracker.clock import to_iso
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


class Alert(BaseModel):
    """One alert. `key` names its (hashtag, rule, window): the exactly-once unit."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: str = ALERT_TYPE
    hashtag: str
    rule: AlertRule
    window: str = Field(description="cycle (viral), UTC day (daily rules) or milestone value")
    at: datetime = Field(description="the snapshot's cycle: the alert's event time")
    severity: Severity
    kind: HashtagKind
    campaign: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    summary: str = Field(description="one sentence saying what happened")
    # The rule's strength relative to its threshold (1.0 = just fired); escalation compares it.
    magnitude: float = Field(1.0, ge=0)
    cooldown_hours: int = Field(0, ge=0, description="0: no cooldown (milestones)")
    escalation_factor: float = Field(2.0, ge=1)
    escalated: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def key(self) -> str:
        return f"{self.hashtag}#{self.rule.value}#{self.window}"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def link(self) -> str:
        return tag_url(self.hashtag)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def title(self) -> str:
        prefix = "Escalated: " if self.escalated else ""
        return f"{prefix}{RULE_LABELS[self.rule]} on #{self.hashtag}"

    @computed_field  # type: ignore[prop-decorator]
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
        return self.model_copy(update={"escalated": True, "severity": Severity.CRITICAL})
