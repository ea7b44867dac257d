"""The ``make bench`` harness: targets, the wrk load generator, correctness checks, the report.

``bench/run.py`` is the entry point; each module here owns one concept:
``tools`` (installing wrk and the peer), ``procs`` (starting, pinning and stopping servers),
``loadgen`` (wrk runs), ``checks`` (sample request and JWT verification), ``targets``
(what is measured), ``report`` (table and JSON) and ``cli`` (options and the run itself).
"""
