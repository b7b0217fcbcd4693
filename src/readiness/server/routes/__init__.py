"""Routers of the server's own endpoints; feature routers come from plugins."""
