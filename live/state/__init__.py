"""Redis state: the connection (server or embedded), the live store that owns
every key (registry in ``keys``, coordination steps in ``claims``), the events
(``events``) and the one bus per process that delivers them (``bus``), guard
status and the duty rules of shift patterns.
"""
