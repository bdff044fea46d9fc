"""The domain: plain functions over a session or connection. No Typer, no Rich, no printing."""
