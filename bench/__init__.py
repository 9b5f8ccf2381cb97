"""coform's benchmarks: `python -m bench` measures coform against a bare Starlette route in one run."""
