"""Benchmark harness: our briefing bot against a stock `rasa init` bot, same Rasa, same run.

``python -m bench.run`` (``make bench``) starts both, measures latency, throughput, memory, cold
start, NLU parse and training time, and writes ``bench/results.md`` with the targets' PASS/FAIL.
Comparing with a stock bot measured on the same machine in the same run is the point: absolute
figures on a shared 2-core machine move a lot, the ratio much less.
"""
