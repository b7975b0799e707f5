"""The Ansible side of ``bench_ansible``: the peer provnet's network changes are measured against.

- ``venv.py``: a separate virtual environment (``~/.cache/provnet-bench/ansible-venv``) with
  PyPI's ``ansible`` (which bundles ``cisco.ios`` and ``ansible.netcommon``),
  ``ansible-runner``, ``paramiko`` and ``ansible-pylibssh``; provnet's pinned venv is never
  touched.
- ``inventory.py``: the Ansible inventory, extra vars and per-device ``ios_config`` blocks,
  as pure functions of the twin's devices (no secret in the inventory: passwords come from
  extra vars written 0600 in a temporary private data directory).
- ``playbook.yml``: ``cisco.ios.ios_config`` with ``lines`` + ``parents`` per block, then
  ``save_when: modified``.
- ``run_playbook.py``: run with the Ansible venv's python (``-I``); calls
  ``ansible_runner.run`` and prints a JSON summary (per-host status and task seconds).
"""
