"""Prometheus metrics, computed from the database at scrape time.

Web and worker processes come and go on several machines; the database is the one place
that sees all of them. So gauges (backlog, failed jobs, notifications) are counted at scrape
time, and per-job counters come from ``job_stats``, where every worker process writes its
own running totals (webapp/outbox/stats.py). Any web process answers the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from webapp.extensions import db
from webapp.models import utcnow
from webapp.notifications.models import Notification
from webapp.outbox import health
from webapp.outbox.models import FailedJob, JobStats
from webapp.outbox.stats import LATENCY_BUCKETS

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class DatabaseCollector:
    def collect(self) -> Iterator[Metric]:
        yield from self._outbox()
        yield from self._failed()
        yield from self._notifications()
        yield from self._jobs()
        yield from self._deadlines()
        yield from self._quality()

    def _outbox(self) -> Iterator[Metric]:
        backlog = health.backlog()
        queued = GaugeMetricFamily("motcua_jobs_queued", "Jobs asked for and not finished yet, by stage",
                                   labels=["stage"])
        queued.add_metric(["outbox"], backlog.waiting)
        queued.add_metric(["broker"], backlog.running)
        yield queued
        yield GaugeMetricFamily("motcua_jobs_oldest_open_seconds",
                                "Age of the oldest job not finished yet (0 when none)",
                                value=backlog.oldest_open_seconds)

    def _failed(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("motcua_failed_jobs", "Jobs that failed for good, by state", labels=["state"])
        counts = dict(db.session.execute(sa.select(FailedJob.state, sa.func.count()).group_by(FailedJob.state)).all())
        for state in ("failed", "retried", "resolved"):
            gauge.add_metric([state], counts.get(state, 0))
        yield gauge

    def _notifications(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("motcua_notifications", "Notifications by channel and state",
                                  labels=["channel", "state"])
        rows = db.session.execute(sa.select(Notification.channel, Notification.state, sa.func.count())
                                  .group_by(Notification.channel, Notification.state)).all()
        for channel, state, count in rows:
            gauge.add_metric([channel, state], count)
        yield gauge

    def _deadlines(self) -> Iterator[Metric]:
        from webapp.deadlines.service import count_overdue
        from webapp.timers.service import count_due

        now = utcnow()
        yield GaugeMetricFamily("motcua_dossiers_overdue", "Open dossiers past their legal due date (clock running)",
                                value=count_overdue(now=now))
        yield GaugeMetricFamily("motcua_timers_due", "BPMN timers due and not fired yet", value=count_due(now=now))

    def _quality(self) -> Iterator[Metric]:
        """This month's service-quality rates for the province, as the last stats job stored them."""
        from webapp.reports import service as quality
        from webapp.reports.indicators import scores

        gauge = GaugeMetricFamily("motcua_quality_rate", "This month's service-quality rates (0-1) for the "
                                  "province, as last computed", labels=["indicator"])
        snapshot = quality.province(quality.Month.current().period)
        for score in scores(snapshot.figures) if snapshot else []:
            if score.rate is not None:
                gauge.add_metric([score.indicator.key], score.rate)
        yield gauge

    def _jobs(self) -> Iterator[Metric]:
        runs = CounterMetricFamily("motcua_jobs_run", "Jobs finished (successfully or not)", labels=["job"])
        failures = CounterMetricFamily("motcua_jobs_failed", "Jobs failed for good", labels=["job"])
        retries = CounterMetricFamily("motcua_jobs_retried", "Job attempts that will be tried again", labels=["job"])
        latency = HistogramMetricFamily("motcua_job_latency_seconds",
                                        "From the outbox row to the job's end", labels=["job"])
        totals: dict[str, list] = {}
        for row in db.session.scalars(sa.select(JobStats)):
            total = totals.setdefault(row.job, [0, 0, 0, 0.0, [0] * (len(LATENCY_BUCKETS) + 1)])
            total[0] += row.runs
            total[1] += row.failures
            total[2] += row.retries
            total[3] += row.latency_sum
            for i, count in enumerate(row.latency_buckets or []):
                total[4][i] += count
        for job, (run, failed, retried, latency_sum, buckets) in sorted(totals.items()):
            runs.add_metric([job], run)
            failures.add_metric([job], failed)
            retries.add_metric([job], retried)
            cumulative, running = [], 0
            for bound, count in zip((*map(str, LATENCY_BUCKETS), "+Inf"), buckets, strict=True):
                running += count
                cumulative.append((bound, running))
            latency.add_metric([job], cumulative, latency_sum)
        yield from (runs, failures, retries, latency)


def exposition() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return generate_latest(registry)
