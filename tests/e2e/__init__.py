"""End-to-end tests: scenario files and real recordings through the whole sandbox, on emulators only."""
