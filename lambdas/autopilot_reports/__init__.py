"""autopilot-reports: reports on Amazon SageMaker Autopilot (AutoML) jobs."""
