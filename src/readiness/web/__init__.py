"""Shared web machinery: auth dependencies, error mapping, page rendering, charts, assets."""
