"""Privacy of the audit trail (handbook 20.3): pseudonyms, the identity vault, erasure,
break-glass resolution, keyed IP hashes and the security log, sealed field values.

Pipeline: :mod:`crypto` and :mod:`envelope` (pure) → :mod:`vault`, :mod:`securitylog`
(storage) → :mod:`sealing`, :mod:`service` (use cases) → :mod:`runtime` (wiring for surfaces).
"""
