"""Project tools: `python -m tools.make_scenarios` writes the scenario files (see its docstring)."""
