"""Benchmarks: ``python -m bench`` runs every ``bench/bench_*.py`` in turn.

``python -m bench inventory snmp_agent`` runs the named ones only; arguments after ``--``
go to each benchmark run. Benchmarks print figures; they never assert timings.
"""
