"""A small shop service: users, orders, payments."""
