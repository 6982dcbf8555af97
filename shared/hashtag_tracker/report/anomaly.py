"""Anomaly detection: does a week's growth depart from the hashtag's own history? (pure)

The rule, as documented in the README ("Weekly report"):

* The signal is a week's growth (views, and separately videos) mapped to
  x = ln(1 + max(growth, 0)); log growth makes "3x more than usual" the same distance for
  a small tag and a big one, and a counter that went backwards counts as no growth.
* The reference set is the hashtag's other complete weeks in the report's window
  (for the current week: every earlier week; for an earlier week shown in the report's
  history: the weeks around it). Weeks without usable snapshots are left out.
* With at least ``MIN_ROBUST_WEEKS`` (4) reference weeks: robust z-score
  z = 0.6745 · (x − median) / MAD; anomaly when |z| > 3.5. The MAD is floored at
  ``MAD_FLOOR`` (0.15 in log units), so a perfectly regular tag is not flagged for a
  change smaller than about ×2.2 (|Δ ln| > 3.5·0.15/0.6745 ≈ 0.78).
* With 1 to 3 reference weeks (fallback): compare with their median growth r
  (the previous week when there is only one): anomaly when growth/r ≥ 3 (spike)
  or ≤ 1/3 (drop); r is taken as at least 1.
* In both regimes, a week whose growth is at most ``DEAD_FRACTION`` (5 %) of a reference
  that showed real activity (≥ the metric's minimum) is a "dead" anomaly, and nothing is
  flagged on growth below the metric's minimum activity (views 1,000, videos 5 a week),
  so tiny tags do not flap.
* With no reference week: no verdict ("insufficient_history").
* The verdict names what moved, the growth: "growth_spike", "growth_slowdown" (a tag still
  growing +17 % a week can be one), "growth_stopped"; `ratio` is the week's growth against
  the typical one ("growth 0.3× its usual").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import median

from hashtag_tracker.report.model import Anomaly, AnomalyKind, AnomalyMethod

Z_THRESHOLD = 3.5
Z_SCALE = 0.6745
MAD_FLOOR = 0.15
MIN_ROBUST_WEEKS = 4
FALLBACK_RATIO = 3.0
DEAD_FRACTION = 0.05
MIN_ACTIVITY = {"views": 1_000, "videos": 5}


def log_growth(growth: float) -> float:
    return math.log1p(max(growth, 0.0))


def detect_anomaly(
    current: float | None, reference: Sequence[float], metric: str = "views"
) -> Anomaly:
    """The verdict for one week's growth against reference weeks (see the module docstring)."""
    if current is None:
        return Anomaly(method=AnomalyMethod.NO_DATA, metric=metric)
    weeks = len(reference)
    if weeks == 0:
        return Anomaly(method=AnomalyMethod.INSUFFICIENT_HISTORY, metric=metric)
    minimum = MIN_ACTIVITY.get(metric, 1)
    typical = float(max(median(reference), 0.0))
    method = AnomalyMethod.ROBUST_Z if weeks >= MIN_ROBUST_WEEKS else AnomalyMethod.FALLBACK
    if method is AnomalyMethod.ROBUST_Z:
        logs = [log_growth(g) for g in reference]
        centre = median(logs)
        mad = max(median(abs(v - centre) for v in logs), MAD_FLOOR)
        score = Z_SCALE * (log_growth(current) - centre) / mad
        departed = abs(score) > Z_THRESHOLD
        up = score > 0
    else:
        # A reference of 0 counts as 1, so the ratio stays finite for a tag that woke up.
        score = max(current, 0.0) / max(typical, 1.0)
        departed = score >= FALLBACK_RATIO or score <= 1 / FALLBACK_RATIO
        up = score > 1
    verdict = AnomalyKind.NONE
    if typical >= minimum and max(current, 0.0) <= DEAD_FRACTION * typical:
        verdict = AnomalyKind.DEAD
    elif departed:
        if up and current >= minimum:
            verdict = AnomalyKind.SPIKE
        elif not up and typical >= minimum:
            verdict = AnomalyKind.DROP
    return Anomaly(
        kind=verdict,
        method=method,
        metric=metric,
        score=round(score, 3),
        reference=typical,
        ratio=round(current / typical, 3) if typical > 0 else None,
        history_weeks=weeks,
    )


def combine(views: Anomaly, videos: Anomaly) -> Anomaly:
    """One verdict per week: the views one unless only the videos growth departed."""
    if views.flagged or not videos.flagged:
        return views
    return videos


def flag_weeks(growths: Sequence[float | None], metric: str) -> list[Anomaly]:
    """A verdict per week, each against every other week with data (leave one out)."""
    verdicts: list[Anomaly] = []
    for index, growth in enumerate(growths):
        others = [g for i, g in enumerate(growths) if i != index and g is not None]
        verdicts.append(detect_anomaly(growth, others, metric))
    return verdicts
