"""The HTTP server and dashboard: ``create_app(settings)`` builds the FastAPI application."""
