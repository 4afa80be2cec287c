"""Logger, Tracer and Metrics, created once for the whole package (Powertools reads its own settings,
POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE, from the environment)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from autopilot_reports import metric_names

logger = Logger(service=metric_names.SERVICE)
tracer = Tracer(service=metric_names.SERVICE)
metrics = Metrics(namespace=metric_names.NAMESPACE, service=metric_names.SERVICE)


def count(name: str, value: int = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
