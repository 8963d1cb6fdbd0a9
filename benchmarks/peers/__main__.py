"""``python -m benchmarks.peers``: harness next to promptfoo and inspect_ai."""

from benchmarks.peers.compare import main

main()
