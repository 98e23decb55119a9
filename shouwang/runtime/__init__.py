"""The runtime: builds one process's parts once (the typed context) and the
Flask app that serves the API and the pages with them.
"""
