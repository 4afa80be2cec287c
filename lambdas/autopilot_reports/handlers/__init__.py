"""The three Lambda entry points: watcher, reporter and notifier, and their warm state.

Each handler is thin: Powertools decorators, parse the event into a model, one call into the domain with
adapters built lazily from its settings (cached while the function stays warm; `warm_state.forget()` drops
them all), then logs and metrics with keyword fields. Tests and the sandbox inject adapters or reset the
warm state; the handlers have no test or sandbox branch. No business logic lives here, and nothing else in
the package imports `handlers` (the stack names them by their handler strings)."""
