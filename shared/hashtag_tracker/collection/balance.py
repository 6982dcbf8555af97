"""Will the data-API account's balance last the month? A projection from the provider's own
`credits_remaining` (the balance of record) and this month's spend so far (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

# Below one day of history a daily rate is mostly noise (the month's first batches).
MIN_DAYS_FOR_A_RATE = 1.0


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The UTC month containing `now`: its first instant and the next month's."""
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else (start.replace(month=start.month + 1))
    )
    return start, following


@dataclass(frozen=True)
class BalanceOutlook:
    balance: int
    used_this_month: int
    daily_rate: float
    days_left: float

    @property
    def needed(self) -> float:
        """Credits the rest of the month takes at this month's rate so far."""
        return self.daily_rate * self.days_left

    @property
    def lasts(self) -> bool:
        return self.balance >= self.needed

    @property
    def runs_out_in_days(self) -> float | None:
        return self.balance / self.daily_rate if self.daily_rate > 0 else None

    def text(self) -> str:
        runs_out = self.runs_out_in_days
        when = f"in about {runs_out:.1f} days" if runs_out is not None else "never at this rate"
        return (
            f"The data-API balance is {self.balance:,} credits. This month used "
            f"{self.used_this_month:,} so far ({self.daily_rate:,.0f} a day); the "
            f"{self.days_left:.1f} days left need about {self.needed:,.0f}, so the balance "
            f"runs out {when}, before the month ends. Top the account up, raise the plan, "
            "or track fewer hashtags."
        )


def outlook(balance: int, used_this_month: int, now: datetime) -> BalanceOutlook | None:
    """The projection, or None while the month is too young for a rate."""
    start, end = month_bounds(now)
    elapsed = (now - start).total_seconds() / 86_400
    if elapsed < MIN_DAYS_FOR_A_RATE:
        return None
    return BalanceOutlook(
        balance=balance,
        used_this_month=used_this_month,
        daily_rate=used_this_month / elapsed,
        days_left=(end - now).total_seconds() / 86_400,
    )
