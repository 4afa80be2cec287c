"""What the handlers build on first use and keep while a function stays warm (settings, clients,
adapters; the adapters and clients keyed by the settings and the client origin they were built from).
`forget()` drops it all, as a new Lambda process would start without it: the sandbox calls it when a
simulated process dies or its emulators change, tests between cases."""

from __future__ import annotations

from autopilot_reports.adapters.clients import clear_clients
from autopilot_reports.adapters.kms import forget_sealers
from autopilot_reports.handlers import coster, forwarder, hub_recorder, notifier, reporter, spoke_monitor, watcher
from autopilot_reports.settings import get_settings


def forget() -> None:
    get_settings.cache_clear()
    clear_clients()
    forget_sealers()
    reporter.reporter_for.cache_clear()
    watcher.watcher_for.cache_clear()
    watcher.digester_for.cache_clear()
    notifier.sender_for.cache_clear()
    coster.coster_for.cache_clear()
    forwarder.forwarder_for.cache_clear()
    hub_recorder.recorder_for.cache_clear()
    spoke_monitor.monitor_for.cache_clear()
    spoke_monitor.digester_for.cache_clear()
