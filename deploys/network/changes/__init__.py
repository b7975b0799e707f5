"""The network changes provnet ships: one folder each, found by deploys/network/registry.py.

``<change>/__init__.py`` defines ``CHANGE`` (a :class:`deploys.network.base.Change` whose
``name`` is the folder's) and, beside it, one Jinja2 template ``<platform>.j2`` per
platform the change supports: the templates present are the platforms it supports.
"""
