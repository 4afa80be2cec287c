"""autopilot-reports: reports on Amazon SageMaker Autopilot (AutoML) jobs."""

__version__ = "0.1.0"  # the one home of the version: pyproject.toml reads it (`autopilot-reports --version`)
