"""Readiness of the video-conference endpoints before a session (``provnet vc check``).

It lives in ``checks/``: it judges what the endpoints leave behind (their status, their
answers) and reports findings with what to do, as a compliance check does; it changes
nothing (``deploys/``) and exports no series of its own to a scrape (``exporters/``; its
textfile output is a report, read by node_exporter's textfile collector).

``reasons.yaml`` every finding's words (Vietnamese, English) and what to do, as data;
``model.py`` thresholds, observations, findings, verdicts; ``judge.py`` observation ->
findings -> verdict (pure); ``run.py`` the I/O (management session, SIP OPTIONS, test
call), in parallel; ``report.py`` table / JSON / HTML / textfile; ``session.py`` session
files; ``watch.py`` when each session's checks are due.
"""
