"""HTTP API blueprints: one module per concern."""
