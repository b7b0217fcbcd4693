"""API tokens with roles: creation, hashing, verification, revocation."""
