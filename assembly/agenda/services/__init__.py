"""Use cases of the agenda domain: agenda items and the current item, speakers' lists, quorum calls.

A package rather than one ``services.py``: the agenda, the speakers' list and the quorum call are
three groups of use cases, together well past the ~400-line mark (CONVENTIONS.md, Layout). Import
from ``assembly.agenda.services``.

Services run inside the caller's transaction and never commit. Each command locks what it changes
(in one order: assembly FOR SHARE, agenda, item, live stream), applies the pure rules of
:mod:`assembly.agenda.rules`, records an audit event, emits a live event (it leaves on commit) and
raises :mod:`assembly.core.errors` with stable codes (docs/agenda.md lists them).
"""

from __future__ import annotations

from assembly.agenda.services.items import (
    AgendaView,
    ItemFields,
    close_item,
    create_item,
    defer_item,
    get_agenda,
    get_item,
    open_item,
    reorder_agenda,
    set_current_item,
    update_item,
)
from assembly.agenda.services.quorum import call_quorum, list_quorum_calls
from assembly.agenda.services.speakers import (
    SpeakerEntry,
    SpeakersView,
    close_speakers_list,
    end_speech,
    get_speakers,
    give_floor,
    reopen_speakers_list,
    request_floor,
    withdraw_request,
)

__all__ = (
    "AgendaView",
    "ItemFields",
    "SpeakerEntry",
    "SpeakersView",
    "call_quorum",
    "close_item",
    "close_speakers_list",
    "create_item",
    "defer_item",
    "end_speech",
    "get_agenda",
    "get_item",
    "get_speakers",
    "give_floor",
    "list_quorum_calls",
    "open_item",
    "reopen_speakers_list",
    "reorder_agenda",
    "request_floor",
    "set_current_item",
    "update_item",
    "withdraw_request",
)
