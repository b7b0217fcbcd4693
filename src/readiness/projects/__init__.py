"""projects: the platform service every feature's data hangs off (one server, many repositories).

Tables and queries live in ``readiness.storage.projects``; the name rule in
``readiness._common.project_names``; token limits in ``readiness.auth``.
"""
