"""Amendments: their operations, validation, rebasing, conflicts, lapses, voting order and consolidation.

Pure functions, no I/O. The rules of procedure they implement:

- An amendment only adds to, deletes from or revises part of the proposal (UN GA r.90): operations
  ``replace``, ``insert_after`` and ``delete`` on paragraphs of one motion version; an amendment may not
  delete every paragraph.
- Amendments to amendments up to the second degree; a third degree is out of order (RONR 12:11).
- Two amendments that replace or delete the same paragraph conflict; when one is adopted the other is
  moot and lapses ("if the adoption of one amendment necessarily implies the rejection of another, the
  latter shall not be put to the vote", UN GA r.90; PACE: "if it is agreed, the others fall").
- The voting order is the chair's ruling (the amendment furthest removed in substance first, UN GA
  r.90); second-degree amendments are voted before the amendment they amend (RONR 12:11).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar

from assembly.assemblies.rules import Refusal

__all__ = (
    "AmendmentRef",
    "Applied",
    "EffectiveOp",
    "Operation",
    "OperationInput",
    "Paragraph",
    "apply_amendments",
    "build_operations",
    "canonical_operations",
    "conflicts",
    "effective_operations",
    "first_degree_refusal",
    "lapses_after_adoption",
    "natural_key",
    "rebase_blockers",
    "second_degree_refusal",
    "touched_operations",
    "touched_paragraphs",
    "voting_order_refusal",
)

OpName = Literal["replace", "insert_after", "delete"]
K = TypeVar("K", bound=Hashable)

_NUMBERED = re.compile(r"^([a-z]+)(\d+)$")


def natural_key(identifier: str) -> tuple[str, int, str]:
    """Sort ``p2`` before ``p10`` (paragraph and operation ids)."""
    match = _NUMBERED.match(identifier)
    if match:
        return match.group(1), int(match.group(2)), ""
    return "", 0, identifier


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of a version: stable id (``p7``), ``preambular`` or ``operative``, sanitized text."""

    id: str
    kind: str
    text: str

    def to_json(self) -> dict[str, str]:
        """The stored form."""
        return {"id": self.id, "kind": self.kind, "text": self.text}

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Paragraph:
        """Read the stored form."""
        return cls(id=str(document["id"]), kind=str(document["kind"]), text=str(document["text"]))


@dataclass(frozen=True, slots=True)
class OperationInput:
    """An operation as the sponsor sent it, its text already sanitized ("" when there was none)."""

    op: OpName
    paragraph_id: str | None = None
    operation_id: str | None = None
    text: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class Operation:
    """A stored operation with its id within the amendment (``o1``, ``o2`` ...).

    First degree: ``paragraph_id`` names a paragraph of the target version (for ``insert_after``,
    None means "before the first paragraph"). Second degree: ``operation_id`` names an operation of
    the parent amendment: ``replace`` gives it a new text, ``delete`` removes it, ``insert_after`` adds
    a paragraph right after the one it produces.
    """

    id: str
    op: OpName
    paragraph_id: str | None = None
    operation_id: str | None = None
    text: str | None = None
    kind: str | None = None

    def to_json(self) -> dict[str, str | None]:
        """The stored form."""
        return {"id": self.id, "op": self.op, "paragraph_id": self.paragraph_id,
                "operation_id": self.operation_id, "text": self.text, "kind": self.kind}

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Operation:
        """Read the stored form."""
        op = str(document["op"])
        assert op in {"replace", "insert_after", "delete"}
        return cls(id=str(document["id"]), op=op,  # type: ignore[arg-type]  # checked above
                   paragraph_id=document.get("paragraph_id"), operation_id=document.get("operation_id"),
                   text=document.get("text"), kind=document.get("kind"))


def build_operations(inputs: Sequence[OperationInput]) -> list[Operation]:
    """Number the operations ``o1``, ``o2`` ... in the order given; inserted paragraphs default to operative.

    Nothing is dropped here: a text on a ``delete`` or a kind on a ``replace`` is refused by the checks.
    """
    return [
        Operation(id=f"o{index}", op=item.op, paragraph_id=item.paragraph_id, operation_id=item.operation_id,
                  text=item.text, kind=(item.kind or "operative") if item.op == "insert_after" else item.kind)
        for index, item in enumerate(inputs, start=1)
    ]


def _invalid(code: str, message: str, field_name: str) -> Refusal:
    return Refusal(code, message, kind="invalid", field=field_name)


def _text_refusal(index: int, item: Operation) -> Refusal | None:
    if item.op != "insert_after" and item.kind is not None:
        return _invalid("kind_not_allowed", "only an inserted paragraph takes a kind; a replacement keeps the "
                        "paragraph's", f"operations[{index}].kind")
    if item.op == "delete":
        if item.text:
            return _invalid("text_not_allowed", "a delete operation carries no text", f"operations[{index}].text")
        return None
    if not item.text:
        return _invalid("empty_text", "the text is empty: to remove a paragraph, use delete",
                        f"operations[{index}].text")
    return None


def _paragraph_target_refusal(index: int, item: Operation, by_id: Mapping[str, Paragraph]) -> Refusal | None:
    if item.operation_id is not None:
        return _invalid("operation_id_not_allowed", "a first-degree amendment names paragraphs, not operations",
                        f"operations[{index}].operation_id")
    target = item.paragraph_id
    if target is None and item.op != "insert_after":
        return _invalid("paragraph_required", f"a {item.op} operation must name a paragraph",
                        f"operations[{index}].paragraph_id")
    if target is not None and target not in by_id:
        return _invalid("unknown_paragraph", f"the version has no paragraph {target!r}",
                        f"operations[{index}].paragraph_id")
    return None


def _first_degree_op_refusal(index: int, item: Operation, by_id: Mapping[str, Paragraph],
                             touched: set[str]) -> Refusal | None:
    refusal = _paragraph_target_refusal(index, item, by_id) or _text_refusal(index, item)
    target = item.paragraph_id
    if refusal or item.op == "insert_after" or target is None:
        return refusal
    if target in touched:
        return _invalid("paragraph_touched_twice", f"paragraph {target} is already changed by this amendment",
                        f"operations[{index}].paragraph_id")
    if item.op == "replace" and item.text == by_id[target].text:
        return _invalid("no_change", f"the replacement is the same as paragraph {target}", f"operations[{index}].text")
    return None


def first_degree_refusal(operations: Sequence[Operation], paragraphs: Sequence[Paragraph]) -> Refusal | None:
    """Check a first-degree amendment's operations against the version it targets (422 naming the field).

    - each names a paragraph of the version (``unknown_paragraph``); ``replace`` and ``delete`` must
      name one (``paragraph_required``); ``insert_after`` with none inserts before the first paragraph;
    - ``operation_id`` belongs to second-degree amendments (``operation_id_not_allowed``);
    - ``replace`` and ``insert_after`` carry a non-empty text (``empty_text``), ``delete`` none
      (``text_not_allowed``); only ``insert_after`` takes a ``kind`` (``kind_not_allowed``); a
      replacement differs from the text it replaces (``no_change``);
    - a paragraph is replaced or deleted at most once per amendment (``paragraph_touched_twice``);
    - not every paragraph is deleted (``deletes_whole_motion``): that is a rejection, not an amendment.
    """
    by_id = {p.id: p for p in paragraphs}
    touched: set[str] = set()
    deleted: set[str] = set()
    for index, item in enumerate(operations):
        refusal = _first_degree_op_refusal(index, item, by_id, touched)
        if refusal:
            return refusal
        if item.op != "insert_after" and item.paragraph_id is not None:
            touched.add(item.paragraph_id)
            if item.op == "delete":
                deleted.add(item.paragraph_id)
    if deleted and deleted == set(by_id) and not any(item.op == "insert_after" for item in operations):
        return _invalid("deletes_whole_motion", "an amendment may not delete every paragraph of the motion",
                        "operations")
    return None


def _operation_target_refusal(index: int, item: Operation, by_id: Mapping[str, Operation]) -> Refusal | None:
    if item.paragraph_id is not None:
        return _invalid("paragraph_id_not_allowed", "a second-degree amendment names operations of the "
                        "amendment it amends, not paragraphs", f"operations[{index}].paragraph_id")
    if item.operation_id is None:
        return _invalid("operation_required", "name the operation of the amended amendment",
                        f"operations[{index}].operation_id")
    if item.operation_id not in by_id:
        return _invalid("unknown_operation", f"the amended amendment has no operation {item.operation_id!r}",
                        f"operations[{index}].operation_id")
    return None


def _second_degree_op_refusal(index: int, item: Operation, by_id: Mapping[str, Operation],
                              touched: set[str]) -> Refusal | None:
    refusal = _operation_target_refusal(index, item, by_id) or _text_refusal(index, item)
    target = item.operation_id
    if refusal or item.op == "insert_after" or target is None:
        return refusal
    if target in touched:
        return _invalid("operation_touched_twice", f"operation {target} is already changed by this amendment",
                        f"operations[{index}].operation_id")
    if item.op == "replace" and by_id[target].op == "delete":
        return _invalid("nothing_to_replace", f"operation {target} deletes a paragraph; it has no text",
                        f"operations[{index}].operation_id")
    if item.op == "replace" and item.text == by_id[target].text:
        return _invalid("no_change", f"the text is the same as operation {target}'s", f"operations[{index}].text")
    return None


def second_degree_refusal(operations: Sequence[Operation], parent: Sequence[Operation]) -> Refusal | None:
    """Check a second-degree amendment's operations against its parent's (422 naming the field).

    Each names an operation of the parent (``operation_required``, ``unknown_operation``), never a
    paragraph (``paragraph_id_not_allowed``); ``replace`` needs a parent operation that carries text
    (``nothing_to_replace``) and a different text (``no_change``); an operation is replaced or deleted
    at most once (``operation_touched_twice``); not every operation is deleted (``deletes_whole_amendment``).
    """
    by_id = {o.id: o for o in parent}
    touched: set[str] = set()
    deleted: set[str] = set()
    for index, item in enumerate(operations):
        refusal = _second_degree_op_refusal(index, item, by_id, touched)
        if refusal:
            return refusal
        if item.op != "insert_after" and item.operation_id is not None:
            touched.add(item.operation_id)
            if item.op == "delete":
                deleted.add(item.operation_id)
    if deleted and deleted == set(by_id) and not any(item.op == "insert_after" for item in operations):
        return _invalid("deletes_whole_amendment", "a second-degree amendment may not delete every operation",
                        "operations")
    return None


def rebase_blockers(operations: Sequence[Operation], target: Sequence[Paragraph],
                    current: Sequence[Paragraph]) -> list[str]:
    """The paragraphs an amendment on ``target`` relies on that ``current`` changed (empty: it can be rebased).

    An amendment written against an outdated version is moved onto the current one when every
    paragraph it replaces, deletes or inserts after is still there with the same kind and text.
    """
    before = {p.id: p for p in target}
    now = {p.id: p for p in current}
    blockers: list[str] = []
    for item in operations:
        pid = item.paragraph_id
        if pid is None or pid in blockers:
            continue
        if now.get(pid) != before.get(pid):
            blockers.append(pid)
    return blockers


# -- Effective operations: a first-degree amendment as amended by its adopted second-degree ones ------


@dataclass(frozen=True, slots=True)
class AmendmentRef:
    """Which amendment (id as text, number) an operation or a paragraph comes from."""

    id: str
    number: int

    def to_json(self) -> dict[str, str | int]:
        """Lineage form."""
        return {"amendment_id": self.id, "amendment_number": self.number}


Anchor = tuple[Literal["p", "new"], str] | None
"""Where an inserted paragraph goes: after paragraph ("p", id), after a new paragraph ("new", key), or first."""


@dataclass(frozen=True, slots=True)
class EffectiveOp:
    """An operation ready to apply, with the amendments that shaped it."""

    op: OpName
    source: AmendmentRef
    paragraph_id: str | None = None
    """replace and delete: the paragraph."""
    anchor: Anchor = None
    """insert_after: where the new paragraph goes."""
    key: str | None = None
    """insert_after: the new paragraph's key until consolidation gives it an id."""
    text: str | None = None
    kind: str | None = None
    operation_id: str | None = None
    """The parent operation it came from (None for a paragraph a second-degree amendment inserted)."""
    second_degree: tuple[AmendmentRef, ...] = ()


def _produced(op: EffectiveOp) -> Anchor:
    if op.op == "insert_after":
        assert op.key is not None
        return ("new", op.key)
    assert op.paragraph_id is not None
    return ("p", op.paragraph_id)


def effective_operations(
    parent: AmendmentRef, operations: Sequence[Operation],
    second_degree: Sequence[tuple[AmendmentRef, Sequence[Operation]]] = (),
) -> list[EffectiveOp]:
    """The parent's operations with its adopted second-degree amendments applied, in adoption order.

    ``replace`` gives an operation a new text; ``delete`` strikes it out (a paragraph that was to be
    inserted right after the one it inserted then goes where that one would have been);
    ``insert_after`` adds a paragraph right after the one the operation produces.
    """
    ops: list[EffectiveOp] = []
    for item in operations:
        if item.op == "insert_after":
            ops.append(EffectiveOp("insert_after", parent, anchor=("p", item.paragraph_id) if item.paragraph_id
                                   else None, key=f"A{parent.number}.{item.id}", text=item.text, kind=item.kind,
                                   operation_id=item.id))
        else:
            ops.append(EffectiveOp(item.op, parent, paragraph_id=item.paragraph_id, text=item.text,
                                   operation_id=item.id))
    for ref, amending in second_degree:
        for item in amending:
            index = next((i for i, op in enumerate(ops) if op.operation_id == item.operation_id), None)
            if index is None:
                continue  # the operation was removed by an earlier second-degree amendment (it lapsed then)
            current = ops[index]
            if item.op == "replace":
                ops[index] = replace(current, text=item.text, second_degree=(*current.second_degree, ref))
            elif item.op == "delete":
                removed = ops.pop(index)
                if removed.op == "insert_after":
                    # What was to follow the struck-out paragraph takes its place.
                    ops = [replace(op, anchor=removed.anchor) if op.anchor == ("new", removed.key) else op
                           for op in ops]
            else:
                ops.insert(index + 1, EffectiveOp(
                    "insert_after", parent, anchor=_produced(current), key=f"A{parent.number}.{item.id}@A{ref.number}",
                    text=item.text, kind=item.kind or "operative", second_degree=(ref,)))
    return ops


def touched_paragraphs(ops: Iterable[EffectiveOp]) -> frozenset[str]:
    """The paragraphs replaced or deleted: what conflicts are judged on."""
    return frozenset(op.paragraph_id for op in ops if op.op in {"replace", "delete"} and op.paragraph_id)


def touched_operations(operations: Iterable[Operation]) -> frozenset[str]:
    """The parent operations a second-degree amendment replaces or deletes."""
    return frozenset(o.operation_id for o in operations if o.op in {"replace", "delete"} and o.operation_id)


def canonical_operations(operations: Iterable[Operation | EffectiveOp]) -> str:
    """The canonical text of an amendment, which its ballot pins (docs/motions.md, "Canonical text").

    One block per operation, blocks joined by one empty line: ``replace <target>`` LF text;
    ``delete <target>``; ``insert_after <anchor> <kind>`` LF text; a target is a paragraph id (first
    degree) or an operation id (second degree); the anchor ``start`` is before the first paragraph,
    and a new paragraph is named by its key (``A3.o2``).
    """
    blocks: list[str] = []
    for item in operations:
        if isinstance(item, EffectiveOp):
            target = item.paragraph_id
            if item.op == "insert_after":
                target = "start" if item.anchor is None else item.anchor[1]
        else:
            target = item.paragraph_id or item.operation_id
            if item.op == "insert_after" and target is None:
                target = "start"
        if item.op == "delete":
            blocks.append(f"delete {target}")
        elif item.op == "replace":
            blocks.append(f"replace {target}\n{item.text}")
        else:
            blocks.append(f"insert_after {target} {item.kind}\n{item.text}")
    return "\n\n".join(blocks)


# -- Conflicts and lapses --------------------------------------------------------------------------


def conflicts(touched: Mapping[K, frozenset[str]]) -> dict[K, list[K]]:
    """For each amendment, the others that replace or delete one of the same paragraphs (or operations)."""
    keys = list(touched)
    found: dict[K, list[K]] = {key: [] for key in keys}
    for i, first in enumerate(keys):
        for second in keys[i + 1:]:
            if touched[first] & touched[second]:
                found[first].append(second)
                found[second].append(first)
    return found


def lapses_after_adoption(label: str, adopted: frozenset[str], pending: Mapping[K, frozenset[str]],
                          what: str = "paragraph") -> dict[K, str]:
    """The pending amendments the adoption makes moot, each with the reason recorded (UN GA r.90)."""
    reasons: dict[K, str] = {}
    for key, touched in pending.items():
        common = sorted(adopted & touched, key=natural_key)
        if common:
            names = ", ".join(common)
            reasons[key] = f"moot: amendment {label} was adopted, which also changes {what} {names}"
    return reasons


# -- Voting order ----------------------------------------------------------------------------------


def voting_order_refusal(order: Sequence[K], awaiting: Mapping[K, K | None],
                         labels: Mapping[K, str]) -> Refusal | None:
    """Check the chair's order: every admitted amendment awaiting a vote exactly once, seconds before parents.

    ``awaiting`` maps each admitted amendment not yet voted on to its parent (None for the first
    degree). The order itself (which is furthest removed in substance) is the chair's judgement.
    """
    seen: dict[K, int] = {}
    for index, key in enumerate(order):
        if key not in awaiting:
            return _invalid("not_orderable", "not an admitted amendment of this motion awaiting a vote",
                            f"amendment_ids[{index}]")
        if key in seen:
            return _invalid("duplicate_amendment", "this amendment is listed twice", f"amendment_ids[{index}]")
        seen[key] = index
    missing = [labels[key] for key in awaiting if key not in seen]
    if missing:
        return _invalid("order_incomplete", "the order must place every admitted amendment awaiting a vote; "
                        f"missing: {', '.join(sorted(missing, key=natural_key))}", "amendment_ids")
    for index, key in enumerate(order):
        parent = awaiting[key]
        if parent is not None and parent in seen and seen[parent] < index:
            return _invalid("second_degree_after_parent", f"{labels[key]} amends {labels[parent]} and must be "
                            "voted before it", f"amendment_ids[{index}]")
    return None


# -- Consolidation ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Inserted:
    key: str
    text: str
    kind: str
    op: EffectiveOp


@dataclass(frozen=True, slots=True)
class Applied:
    """A consolidated text: the paragraphs (new ones numbered on), the lineage, the next free number."""

    paragraphs: list[Paragraph]
    lineage: dict[str, Any]
    next_paragraph_number: int


@dataclass(slots=True)
class _State:
    text: str
    kind: str
    replaced_by: EffectiveOp | None = None
    deleted_by: EffectiveOp | None = None


def _collect(base: Sequence[Paragraph], amendments: Sequence[Sequence[EffectiveOp]],
             ) -> tuple[dict[str, _State], dict[Anchor, list[_Inserted]]]:
    """What happens to each paragraph, and what is inserted where."""
    states = {p.id: _State(p.text, p.kind) for p in base}
    inserts: dict[Anchor, list[_Inserted]] = {}
    for ops in amendments:
        for op in ops:
            if op.op == "insert_after":
                assert op.key is not None
                assert op.text is not None
                inserts.setdefault(op.anchor, []).append(_Inserted(op.key, op.text, op.kind or "operative", op))
                continue
            assert op.paragraph_id is not None
            state = states.get(op.paragraph_id)
            if state is None:
                msg = f"paragraph {op.paragraph_id} is not in the version"
                raise ValueError(msg)
            if state.replaced_by or state.deleted_by:
                msg = f"paragraph {op.paragraph_id} is changed by two adopted amendments"
                raise ValueError(msg)
            if op.op == "replace":
                assert op.text is not None
                state.text, state.replaced_by = op.text, op
            else:
                state.deleted_by = op
    return states, inserts


def _origin(op: EffectiveOp) -> dict[str, Any]:
    return {**op.source.to_json(), "second_degree": [ref.to_json() for ref in op.second_degree]}


def apply_amendments(base: Sequence[Paragraph], amendments: Sequence[Sequence[EffectiveOp]], *,
                     based_on: int, next_paragraph_number: int) -> Applied:
    """Apply adopted amendments (in the order they were adopted) to ``base``; number new paragraphs on.

    Replacements and deletions act on their paragraph; an insertion goes right after its anchor (a
    deleted paragraph's insertions stay where it was), several insertions at one anchor in the order
    applied, a paragraph inserted after a new paragraph right after it. Raises ValueError if two
    operations replace or delete one paragraph (conflicting amendments lapse before that can happen).
    """
    states, inserts = _collect(base, amendments)
    out: list[Paragraph] = []
    lines: list[dict[str, Any]] = []
    deleted: list[dict[str, Any]] = []
    number = next_paragraph_number

    def emit_inserts(anchor: Anchor) -> None:
        nonlocal number
        for item in inserts.get(anchor, []):
            pid = f"p{number}"
            number += 1
            out.append(Paragraph(pid, item.kind, item.text))
            lines.append({"paragraph_id": pid, "change": "inserted", **_origin(item.op)})
            emit_inserts(("new", item.key))

    emit_inserts(None)
    for paragraph in base:
        state = states[paragraph.id]
        if state.deleted_by is not None:
            deleted.append({"paragraph_id": paragraph.id, **_origin(state.deleted_by)})
        else:
            out.append(Paragraph(paragraph.id, state.kind, state.text))
            if state.replaced_by is not None:
                lines.append({"paragraph_id": paragraph.id, "change": "replaced", **_origin(state.replaced_by)})
            else:
                lines.append({"paragraph_id": paragraph.id, "change": "unchanged"})
        emit_inserts(("p", paragraph.id))
    if number - next_paragraph_number != sum(len(items) for items in inserts.values()):
        msg = "an insertion is anchored on a paragraph that is not in the version"
        raise ValueError(msg)
    applied_refs: list[dict[str, Any]] = []
    for ops in amendments:
        if ops and ops[0].source.to_json() not in applied_refs:
            applied_refs.append(ops[0].source.to_json())
    lineage = {"based_on": based_on, "amendments": applied_refs, "paragraphs": lines, "deleted": deleted}
    return Applied(out, lineage, number)
