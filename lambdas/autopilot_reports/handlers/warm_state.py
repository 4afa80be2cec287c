"""What the handlers build on first use and keep while a function stays warm (settings, clients,
adapters). `forget()` drops it all, as a new Lambda process would start without it: the sandbox calls it
when a simulated process dies or its emulators change, tests between cases."""

from __future__ import annotations

from autopilot_reports.adapters.clients import clear_clients
from autopilot_reports.adapters.kms import forget_sealers
from autopilot_reports.handlers import notifier, reporter, watcher
from autopilot_reports.settings import get_settings


def forget() -> None:
    get_settings.cache_clear()
    clear_clients()
    forget_sealers()
    reporter.default_reporter.cache_clear()
    watcher.default_watcher.cache_clear()
    watcher.default_digester.cache_clear()
    notifier.default_sender.cache_clear()
