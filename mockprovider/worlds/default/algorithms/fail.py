"""An algorithm that fails on purpose: it prints a line, then exits with status 1."""
import sys

print("fail: starting, and about to fail on purpose", flush=True)
sys.exit(1)
