"""The query filters as users type them, defined once for every surface.

:class:`FilterText` holds the text of the eight filters (actor, target type and id, action,
result, tenant, since, until); :meth:`FilterText.filters` checks it into
:class:`~readiness.audit.query.core.Filters`. The CLI's ``audit query`` and ``audit export``
take them with :func:`readiness.audittrail.cli_query.with_filter_options`, the API's search
and export with the dependency :data:`readiness.audittrail.api_query.FilterQuery`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from readiness.audit.query.core import MAX_LIMIT, Filters, make_filters


@dataclass(frozen=True)
class FilterText:
    """The filters as given (None: not given); ``action`` ending in ``*`` is a prefix."""

    actor: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    action: str | None = None
    result: str | None = None
    tenant: str | None = None
    since: str | None = None
    until: str | None = None

    def filters(
        self, *, limit: int, cursor: str | None = None, max_limit: int = MAX_LIMIT
    ) -> Filters:
        """The checked filters (an :class:`~readiness.errors.InputError` names a bad one)."""
        return make_filters(
            actor_id=self.actor,
            target_type=self.target_type,
            target_id=self.target_id,
            action=self.action,
            result=self.result,
            tenant=self.tenant,
            since=self.since,
            until=self.until,
            limit=limit,
            cursor=cursor,
            max_limit=max_limit,
        )


FILTER_NAMES = tuple(f.name for f in fields(FilterText))
