"""Unit tests: domain rules, models, rendering and the CLI's pure parts, with fakes; the network is blocked."""
