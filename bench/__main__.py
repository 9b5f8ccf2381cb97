"""`python -m bench --size tiny|full`: see bench/run.py."""

from bench.run import main

main()
