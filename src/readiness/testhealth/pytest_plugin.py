"""pytest plugin of testhealth (registered through the ``pytest11`` entry point)."""
