"""Redis state: the connection (server or embedded), the live store that owns
every key, guard status and the duty rules of shift patterns.
"""
