"""The audit trail as a feature: its CLI sub-app, API router, dashboard pages and gate checks.

The trail's domain (event schema, ledger-backed recording, verification) is the platform
service :mod:`readiness.audit`, which every feature writes through; this package holds only
what users reach it by, plugged in through the hooks (:mod:`readiness.audittrail.plugin`).
"""
