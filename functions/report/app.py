"""Report Lambda: the weekly schedule, or {"as_of": ISO, "rank_by": "growth" | "engagement" |
"views"} on demand -> S3 files + topic summary;
the daily digest's schedule, {"digest": true, "time": ISO} -> one digest message on the topic."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from hashtag_tracker.config import ReportSettings, load_settings
from hashtag_tracker.observability import logger, metrics
from hashtag_tracker.report.digest_run import is_digest_event, make_digest
from hashtag_tracker.report.run import (
    ReportEventError,
    as_of_from_event,
    make_report,
    rank_by_from_event,
)
from hashtag_tracker.wiring.report import ReportDeps, make_report_deps


@lru_cache(maxsize=1)
def container() -> ReportDeps:
    return make_report_deps(load_settings(ReportSettings))


@logger.inject_lambda_context(log_event=True)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, deps: ReportDeps | None = None
) -> dict[str, Any]:
    deps = deps or container()
    now = deps.clock.now()
    as_of = as_of_from_event(event, now)
    if is_digest_event(event):
        if deps.digest is None:
            raise ReportEventError("a daily digest needs the alert topic (ALERT_TOPIC_ARN)")
        return make_digest(as_of, deps.digest, generated_at=now).as_dict()
    rank_by = rank_by_from_event(event, deps.rank_by)
    result = make_report(
        as_of, deps.sources, deps.sink, deps.publisher, generated_at=now, rank_by=rank_by
    )
    return result.as_dict()
