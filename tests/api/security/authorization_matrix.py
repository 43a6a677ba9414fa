"""The authorization matrix: every operation of the API against every role, with the expected answer.

Roles (the nine a reviewer asks about):

``admin``           the secretariat
``chair``           chair of assembly A (where every resource below lives)
``other_chair``     chair of assembly B only
``delegate``        head of delegation D of A (sponsor of the draft motion, the amendment, the floor request)
``other_delegate``  head of delegation E of A
``proxy_holder``    head of delegation P of A, which holds G's proxy
``auditor``         auditor of A
``observer``        a logged-in user with no role anywhere
``anonymous``       no token

Each entry names who is *allowed*; every other role must be refused: 401 without a token, 403 (or the
status in ``refused``) with one, and nothing may change in the database. An allowed role must not be
refused (its answer may still be 404/409/422 when the state of the shared fixture no longer allows the
command: authorization is what this table is about; each domain's API tests cover the happy paths).

The test in test_authorization_matrix.py derives the route list from the application, so a route
without an entry here fails it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("admin", "chair", "other_chair", "delegate", "other_delegate", "proxy_holder", "auditor", "observer",
         "anonymous")

EVERYONE = frozenset(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
ADMIN = frozenset({"admin"})
CHAIR = frozenset({"admin", "chair"})
CHAIR_OR_AUDITOR = frozenset({"admin", "chair", "auditor"})
DELEGATES = frozenset({"delegate", "other_delegate", "proxy_holder"})
SPONSOR = frozenset({"delegate"})
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Entry:
    """Who may call one operation, and the request the test sends."""

    allowed: frozenset[str]
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)
    """Path parameters that differ from the world's defaults (values are names of world resources)."""
    refused: dict[str, int] = field(default_factory=dict)
    """Refusal status by role when it is not 401/403 (404 where the resource is hidden from the role)."""
    stream: bool = False
    """A server-sent-event stream: only refusals are checked here (tests/integration/live runs the stream)."""


_PARAGRAPHS = [{"text": "Calls on local governments to publish their climate budgets;"}]
# A draft is seen by its sponsor and the delegations invited to co-sponsor it, by nobody else (not even the
# chair or the secretariat): to them it does not exist.
_HIDDEN_DRAFT = dict.fromkeys(("admin", "chair", "other_chair", "proxy_holder", "auditor", "observer"), 404)

# Reads first, then commands, then what ends sessions or closes things: the test runs them in this order.
MATRIX: dict[str, Entry] = {
    # -- health and schema --------------------------------------------------------------------------
    "CheckLiveness": Entry(EVERYONE),
    "CheckReadiness": Entry(EVERYONE),
    "GET /schema": Entry(EVERYONE),
    "GET /schema/openapi.json": Entry(EVERYONE),
    "GET /schema/swagger": Entry(EVERYONE),
    "GET /schema/scalar": Entry(EVERYONE),
    "GET /schema/oauth2-redirect.html": Entry(EVERYONE),
    "GET /schema/{path:str}": Entry(EVERYONE, params={"path": "openapi.yaml"}),
    # -- the web client's static files (public: the pages hold no data until the user logs in) ----------
    "GET /": Entry(EVERYONE),
    "GET /app": Entry(EVERYONE),
    "GET /app/{file_path:path}": Entry(EVERYONE, params={"file_path": "style.css"}),
    # -- reads: ballot results are public, the rest needs a login ------------------------------------
    "ListMembers": Entry(LOGGED_IN),
    "GetMember": Entry(LOGGED_IN),
    "GetMemberByKey": Entry(LOGGED_IN),
    "ListAssemblies": Entry(LOGGED_IN),
    "GetAssembly": Entry(LOGGED_IN),
    "ListDelegations": Entry(LOGGED_IN),
    "GetDelegation": Entry(LOGGED_IN),
    "ListAssemblyRuleVersions": Entry(LOGGED_IN),
    "GetAssemblyWeights": Entry(LOGGED_IN),
    "GetAgenda": Entry(LOGGED_IN),
    "ListQuorumCalls": Entry(LOGGED_IN),
    "GetAgendaItem": Entry(LOGGED_IN),
    "GetSpeakers": Entry(LOGGED_IN),
    "ListMotions": Entry(LOGGED_IN),
    "ListAmendments": Entry(LOGGED_IN),
    "GetMotion": Entry(LOGGED_IN),
    "ListMotionVersions": Entry(LOGGED_IN),
    "GetMotionVersion": Entry(LOGGED_IN),
    "CompareMotionVersions": Entry(LOGGED_IN),
    "ExportMotionMarkdown": Entry(LOGGED_IN),
    "ExportMotionHtml": Entry(LOGGED_IN),
    "GetAmendment": Entry(LOGGED_IN),
    "ListBallots": Entry(EVERYONE),
    "GetBallot": Entry(EVERYONE),
    "GetBallotElectorate": Entry(EVERYONE),
    "GetBallotRollCall": Entry(EVERYONE),
    "GetBallotTurnout": Entry(EVERYONE),
    # The audit log is public: anyone checks a receipt against a signed checkpoint (issue 7).
    "GetReceipt": Entry(EVERYONE, params={"tracker": "tracker"}),
    "GetCheckpoint": Entry(EVERYONE),
    "GetConsistencyProof": Entry(EVERYONE),
    "GetLogKey": Entry(EVERYONE),
    # -- positions, minutes and ballot results: the public record (docs/positions.md) --------------------
    "ListPositions": Entry(EVERYONE),
    "PositionsFeed": Entry(EVERYONE),
    "GetPosition": Entry(EVERYONE),
    "GetPositionMarkdown": Entry(EVERYONE),
    "GetPositionAkomaNtoso": Entry(EVERYONE),
    "GetPositionPopolo": Entry(EVERYONE),
    "ListPositionVersions": Entry(EVERYONE),
    "GetMinutesMarkdown": Entry(EVERYONE),
    "GetMinutesHtml": Entry(EVERYONE),
    "GetMinutesAkomaNtoso": Entry(EVERYONE),
    # Public once closed (the open ballot answers 409 ballot_not_closed): read from the closed roll-call one.
    "GetBallotResultsCsv": Entry(EVERYONE, params={"ballot_id": "closed_ballot"}),
    "GetBallotRollCallCsv": Entry(EVERYONE, params={"ballot_id": "closed_ballot"}),
    # -- reads that need an identity -----------------------------------------------------------------
    "GetCurrentUser": Entry(LOGGED_IN),
    "ListMyAssemblies": Entry(LOGGED_IN),
    "GetMyBallotRights": Entry(DELEGATES),
    "StreamAssemblyEvents": Entry(LOGGED_IN, stream=True),
    "GetBallotAuditBundle": Entry(CHAIR_OR_AUDITOR),
    "GetAssemblyAuditBundle": Entry(CHAIR_OR_AUDITOR),
    "ListUsers": Entry(ADMIN),
    # The outbox and its subscribers are the secretariat's (a subscription's URL is not public).
    "ListWebhookSubscriptions": Entry(ADMIN),
    "ListWebhookDeliveries": Entry(ADMIN),
    "GetUser": Entry(ADMIN),
    # -- drafting (the draft motion of D is hidden from those who may not see drafts) ------------------
    "CreateMotion": Entry(DELEGATES, body={"title": "Matrix motion", "paragraphs": _PARAGRAPHS}),
    "ReviseMotion": Entry(SPONSOR, params={"motion_id": "draft_motion"}, refused=_HIDDEN_DRAFT,
                          body={"expected_version": 1, "title": "Revised", "paragraphs": _PARAGRAPHS}),
    "InviteCosponsor": Entry(SPONSOR, params={"motion_id": "draft_motion"}, refused=_HIDDEN_DRAFT,
                             body={"delegation_id": "@other_delegation"}),
    "AcceptCosponsorship": Entry(frozenset({"other_delegate"}),
                                 params={"motion_id": "draft_motion", "delegation_id": "other_delegation"},
                                 refused=_HIDDEN_DRAFT),
    "DeclineCosponsorship": Entry(frozenset({"other_delegate"}),
                                  params={"motion_id": "draft_motion", "delegation_id": "other_delegation"},
                                  refused=_HIDDEN_DRAFT),
    "SubmitMotion": Entry(SPONSOR, params={"motion_id": "draft_motion"}, refused=_HIDDEN_DRAFT),
    # Submitted now: the chair, the auditor and the secretariat see it (403), the others still do not (404).
    "WithdrawMotion": Entry(SPONSOR, params={"motion_id": "draft_motion"}, body={},
                            refused=dict.fromkeys(("other_chair", "proxy_holder", "observer"), 404)),
    "TableAmendment": Entry(DELEGATES, body={"operations": [{"op": "delete", "paragraph_id": "@paragraph"}],
                                             "motion_version": 1}),
    "RecordObjection": Entry(DELEGATES, body={"reason": "We object."}),
    # -- the chair's commands --------------------------------------------------------------------------
    "AdmitMotion": Entry(CHAIR),
    "RuleMotionOutOfOrder": Entry(CHAIR, body={"reason": "Out of order."}),
    "OpenMotionDebate": Entry(CHAIR),
    "CallConsensus": Entry(CHAIR),
    "AdoptMotionByConsensus": Entry(CHAIR),
    "ResolveMotion": Entry(CHAIR, body={"adopted": True, "reason": "Show of hands."}),
    "SetVotingOrder": Entry(CHAIR, body={"amendment_ids": ["@amendment"]}),
    "ConsolidateMotion": Entry(CHAIR),
    "DivideMotion": Entry(CHAIR, body={"parts": [{"paragraph_ids": ["@paragraph"]}]}),
    "AdmitAmendment": Entry(CHAIR),
    "RuleAmendmentOutOfOrder": Entry(CHAIR, body={"reason": "Out of order."}),
    "ResolveAmendment": Entry(CHAIR, body={"adopted": False, "reason": "Show of hands."}),
    # No part exists in the world (a division is tested in tests/api/motions); an unknown part is 404 to all.
    "ResolveMotionPart": Entry(NOBODY, body={"adopted": True, "reason": "Show of hands."},
                               refused={role: 401 if role == "anonymous" else 404 for role in ROLES}),
    "WithdrawAmendment": Entry(SPONSOR),
    "CreateAgendaItem": Entry(CHAIR, body={"title": "Matrix item", "kind": "debate"}),
    "UpdateAgendaItem": Entry(CHAIR, body={"title": "Renamed item", "kind": "debate"}),
    "ReorderAgenda": Entry(CHAIR, body={"item_ids": ["@agenda_item"]}),
    "SetCurrentAgendaItem": Entry(CHAIR, body={"item_id": "@agenda_item"}),
    "OpenAgendaItem": Entry(CHAIR),
    "CallQuorum": Entry(CHAIR),
    "RequestFloor": Entry(DELEGATES, body={"kind": "speech"}),
    # The chair manages the list: it (or the secretariat) may withdraw a request too.
    "WithdrawFloorRequest": Entry(SPONSOR | CHAIR),
    "GiveFloor": Entry(CHAIR, body={}),
    "EndSpeech": Entry(CHAIR),
    "CloseSpeakersList": Entry(CHAIR),
    "ReopenSpeakersList": Entry(CHAIR),
    "DeferAgendaItem": Entry(CHAIR),
    "CloseAgendaItem": Entry(CHAIR),
    # -- ballots ---------------------------------------------------------------------------------------------
    "CreateBallot": Entry(CHAIR, body={"subject_kind": "procedural", "question": "Adjourn?"}),
    "CastVotes": Entry(DELEGATES, body={"choice": "yes"}),
    "OpenBallot": Entry(CHAIR),
    "CloseBallot": Entry(CHAIR),
    "RevoteBallot": Entry(CHAIR, body={"reason": "again"}),
    "CreateSecondBallot": Entry(CHAIR),
    # -- delegations and proxies ------------------------------------------------------------------------------
    # The secretariat may record a proxy on a delegation's behalf (a paper authorization).
    "GrantProxy": Entry(SPONSOR | ADMIN, body={"holder_delegation_id": "@other_delegation"}),
    "RevokeProxy": Entry(ADMIN),
    "CheckInDelegation": Entry(CHAIR),
    "CheckOutDelegation": Entry(CHAIR),
    # The head of delegation names its own delegates; the secretariat may too.
    "ReplaceDelegates": Entry(SPONSOR | ADMIN, body={"delegates": [{"user_id": "@delegate_user", "role": "head"}]}),
    # -- the secretariat's commands ----------------------------------------------------------------------------
    "CreateMember": Entry(ADMIN, body={"key": "MATRIX-1", "name": "Matrix City", "kind": "local_government",
                                       "country": "ES", "region": "europe"}),
    "ReplaceMember": Entry(ADMIN, body={"key": "MATRIX-2", "name": "Matrix Town", "kind": "local_government",
                                        "country": "ES", "region": "europe"}),
    "SuspendMember": Entry(ADMIN),
    "ReinstateMember": Entry(ADMIN),
    "ImportMembers": Entry(ADMIN, body=None),
    "CreateUser": Entry(ADMIN, body={"email": "matrix@example.org", "full_name": "Matrix User",
                                     "password": "a long enough password 1"}),
    "DeactivateUser": Entry(ADMIN),
    "ActivateUser": Entry(ADMIN),
    "CreateAssembly": Entry(ADMIN, body={"name": "Matrix Assembly", "body_kind": "world_council",
                                         "starts_on": "2026-11-01", "ends_on": "2026-11-02"}),
    "UpdateAssembly": Entry(ADMIN, params={"assembly_id": "other_assembly"},
                            body={"name": "Renamed", "body_kind": "world_council", "starts_on": "2026-11-01",
                                  "ends_on": "2026-11-02"}),
    "ReplaceAssemblyRules": Entry(ADMIN, params={"assembly_id": "other_assembly"}, body={}),
    "AssignAssemblyRole": Entry(ADMIN, params={"assembly_id": "other_assembly"},
                                body={"user_id": "@observer_user", "role": "auditor"}),
    "RemoveAssemblyRole": Entry(ADMIN, params={"assembly_id": "other_assembly", "user_id": "observer_user"}),
    "RegisterDelegation": Entry(ADMIN, params={"assembly_id": "other_assembly"}, body={"member_id": "@member"}),
    "AcceptCredentials": Entry(ADMIN, params={"delegation_id": "other_assembly_delegation"}),
    "RejectCredentials": Entry(ADMIN, params={"delegation_id": "other_assembly_delegation"}),
    "OpenAssembly": Entry(ADMIN, params={"assembly_id": "other_assembly"}),
    "CloseAssembly": Entry(ADMIN, params={"assembly_id": "other_assembly"}),
    # Positions and webhooks: the secretariat only (403 secretariat_only), not the chair of the assembly.
    "AddPositionVersion": Entry(ADMIN, body={"language": "fr", "title": "La culture dans les ODD",
                                             "paragraphs": [{"text": "Appelle les gouvernements locaux ;"}]}),
    # Adoption publishes by itself: the secretariat's answer on the adopted motion is 409 position_exists.
    "PublishMotion": Entry(ADMIN, params={"motion_id": "adopted_motion"}),
    "SetSymbolPattern": Entry(ADMIN, params={"body_kind": "executive_bureau"},
                              body={"pattern": "UCLG/EB/{year}/DEC/{number}"}),
    # A global IP literal: accepted without a DNS look-up where private targets are forbidden.
    "CreateWebhookSubscription": Entry(ADMIN, body={"url": "https://93.184.215.14/hooks/matrix",
                                                    "events": ["position.published"]}),
    "RedeliverWebhook": Entry(ADMIN),
    "DeactivateWebhookSubscription": Entry(ADMIN),
    # -- accounts: these end or change sessions, so they come last ----------------------------------------------
    "LogIn": Entry(EVERYONE, body={"email": "@observer_email", "password": "@password"}),
    "RefreshTokens": Entry(NOBODY, body={"refresh_token": "not-a-refresh-token"},
                           refused=dict.fromkeys(ROLES, 401)),
    "ChangePassword": Entry(LOGGED_IN, body={"current_password": "wrong password here",
                                             "new_password": "another long password 2"}),
    "LogOut": Entry(LOGGED_IN),
}
