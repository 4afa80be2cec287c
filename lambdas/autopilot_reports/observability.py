"""Logger, Tracer and Metrics, created once for the whole package (Powertools reads its own settings,
POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE, from the environment)."""

from aws_lambda_powertools import Logger, Metrics, Tracer, single_metric
from aws_lambda_powertools.metrics import MetricUnit

from autopilot_reports import constants as c

logger = Logger(service=c.SERVICE)
tracer = Tracer(service=c.SERVICE)
metrics = Metrics(namespace=c.NAMESPACE, service=c.SERVICE)


def count(name: str, value: int = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def count_now(name: str, **properties: str) -> None:
    """A count flushed at once (its own EMF line), so a function killed a moment later still reports it."""
    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=c.NAMESPACE) as metric:
        metric.add_dimension(name="service", value=c.SERVICE)
        for key, value in properties.items():
            metric.add_metadata(key=key, value=value)
