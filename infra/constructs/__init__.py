"""One construct per capability, each named for what it builds (`WatcherConstruct` in `watcher.py`):
the messaging key, the report table, the notification topics and subscriptions, the dead-letter queues,
the watcher, the reporter, the notifier and the monitoring. `function.py` is the one way a function is
built and the one way EventBridge invokes it. A construct receives the few resources and settings it needs
from the stack, writes each function's environment from them, grants exactly the actions it uses, and
carries its own cdk-nag and checkov acknowledgments; constructs do not reach into each other."""
