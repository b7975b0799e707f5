"""Server deploys with pyinfra: one module per deploy, each a pyinfra ``@deploy`` function
(``DEPLOY``) whose decisions are pure functions of the host's data (tested as data fixtures).
``run.py`` drives them through pyinfra's Python API for ``provnet servers``; pyinfra's own
CLI runs the same functions: ``pyinfra INVENTORY.py deploys.servers.baseline.baseline``."""
