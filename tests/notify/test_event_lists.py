"""The webhook event types are spelled in three places (the model, the API's request schema, the
CLI's choices): they must be the same list, or a new event is refused by one surface."""

from __future__ import annotations

from typing import get_args

from readiness.cli.notify import EventChoice
from readiness.notify.model import EVENT_TYPES
from readiness.server.routes.notify import EventType


def test_the_api_and_the_cli_offer_exactly_the_model_s_event_types() -> None:
    assert list(get_args(EventType)) == list(EVENT_TYPES)
    assert [e.value for e in EventChoice] == list(EVENT_TYPES)
