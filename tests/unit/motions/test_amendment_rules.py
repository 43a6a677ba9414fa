"""Amendment rules: checks of both degrees, rebasing, effective operations, consolidation, conflicts, lapses,
the voting order, the canonical text of an amendment."""

from __future__ import annotations

import pytest

from assembly.motions.rules import (
    AmendmentRef,
    Operation,
    OperationInput,
    Paragraph,
    apply_amendments,
    build_operations,
    canonical_operations,
    conflicts,
    effective_operations,
    first_degree_refusal,
    lapses_after_adoption,
    rebase_blockers,
    second_degree_refusal,
    touched_operations,
    touched_paragraphs,
    voting_order_refusal,
)

TEXT = [Paragraph("p1", "preambular", "Recalling,"), Paragraph("p2", "operative", "Calls on cities;"),
        Paragraph("p3", "operative", "Invites a report;"), Paragraph("p4", "operative", "Decides to stay seized.")]
A1 = AmendmentRef("a1", 1)
A2 = AmendmentRef("a2", 2)


def ops(*items: OperationInput) -> list[Operation]:
    return build_operations(items)


def test_operations_are_numbered_and_inserted_paragraphs_default_to_operative() -> None:
    built = ops(OperationInput("insert_after", paragraph_id="p1", text="New;"), OperationInput("delete", "p2"))
    assert built == [Operation("o1", "insert_after", "p1", None, "New;", "operative"),
                     Operation("o2", "delete", "p2", None, None, None)]
    assert [Operation.from_json(o.to_json()) for o in built] == built


@pytest.mark.parametrize(("items", "code", "field"), [
    ([OperationInput("replace", "p9", text="x")], "unknown_paragraph", "operations[0].paragraph_id"),
    ([OperationInput("delete")], "paragraph_required", "operations[0].paragraph_id"),
    ([OperationInput("replace", "p2", text="")], "empty_text", "operations[0].text"),
    ([OperationInput("insert_after", "p2")], "empty_text", "operations[0].text"),
    ([OperationInput("delete", "p2", text="x")], "text_not_allowed", "operations[0].text"),
    ([OperationInput("replace", "p2", text="x", kind="operative")], "kind_not_allowed", "operations[0].kind"),
    ([OperationInput("replace", "p2", text="Calls on cities;")], "no_change", "operations[0].text"),
    ([OperationInput("replace", "p2", text="x"), OperationInput("delete", "p2")], "paragraph_touched_twice",
     "operations[1].paragraph_id"),
    ([OperationInput("replace", operation_id="o1", text="x")], "operation_id_not_allowed",
     "operations[0].operation_id"),
    ([OperationInput("delete", p) for p in ("p1", "p2", "p3", "p4")], "deletes_whole_motion", "operations"),
])
def test_first_degree_refusals(items: list[OperationInput], code: str, field: str) -> None:
    refusal = first_degree_refusal(ops(*items), TEXT)
    assert refusal is not None
    assert (refusal.code, refusal.kind, refusal.field) == (code, "invalid", field)


def test_first_degree_accepted() -> None:
    assert first_degree_refusal(ops(OperationInput("insert_after", None, text="First;", kind="preambular"),
                                    OperationInput("delete", "p2"),
                                    OperationInput("insert_after", "p2", text="Instead;")), TEXT) is None
    # Deleting everything while inserting is a rewrite, which is allowed.
    every = [OperationInput("delete", p) for p in ("p1", "p2", "p3", "p4")]
    assert first_degree_refusal(ops(*every, OperationInput("insert_after", "p4", text="x")), TEXT) is None


PARENT = ops(OperationInput("replace", "p2", text="Calls on regions;"), OperationInput("delete", "p4"))


@pytest.mark.parametrize(("items", "code", "field"), [
    ([OperationInput("replace", text="x")], "operation_required", "operations[0].operation_id"),
    ([OperationInput("replace", operation_id="o7", text="x")], "unknown_operation", "operations[0].operation_id"),
    ([OperationInput("replace", "p2", operation_id="o1", text="x")], "paragraph_id_not_allowed",
     "operations[0].paragraph_id"),
    ([OperationInput("replace", operation_id="o2", text="x")], "nothing_to_replace", "operations[0].operation_id"),
    ([OperationInput("replace", operation_id="o1", text="Calls on regions;")], "no_change", "operations[0].text"),
    ([OperationInput("delete", operation_id="o1"), OperationInput("delete", operation_id="o1")],
     "operation_touched_twice", "operations[1].operation_id"),
    ([OperationInput("delete", operation_id="o1"), OperationInput("delete", operation_id="o2")],
     "deletes_whole_amendment", "operations"),
])
def test_second_degree_refusals(items: list[OperationInput], code: str, field: str) -> None:
    refusal = second_degree_refusal(ops(*items), PARENT)
    assert refusal is not None
    assert (refusal.code, refusal.field) == (code, field)


def test_rebase_blockers() -> None:
    current = [TEXT[0], Paragraph("p2", "operative", "Calls on all cities;"), TEXT[2], TEXT[3]]
    assert rebase_blockers(ops(OperationInput("replace", "p3", text="x")), TEXT, current) == []
    assert rebase_blockers(ops(OperationInput("insert_after", "p2", text="x")), TEXT, current) == ["p2"]
    assert rebase_blockers(ops(OperationInput("delete", "p4")), TEXT, current[:3]) == ["p4"]
    assert rebase_blockers(ops(OperationInput("insert_after", None, text="x")), TEXT, current) == []


def test_effective_operations_apply_the_second_degree_in_order() -> None:
    parent = ops(OperationInput("replace", "p2", text="Calls on regions;"),
                 OperationInput("insert_after", "p3", text="Asks for data;"),
                 OperationInput("delete", "p4"))
    second = ops(OperationInput("replace", operation_id="o1", text="Calls on cities and regions;"),
                 OperationInput("delete", operation_id="o3"),
                 OperationInput("insert_after", operation_id="o2", text="Asks for open data;"))
    effective = effective_operations(A1, parent, [(A2, second)])
    assert [(e.op, e.paragraph_id, e.anchor, e.key, e.text, e.second_degree) for e in effective] == [
        ("replace", "p2", None, None, "Calls on cities and regions;", (A2,)),
        ("insert_after", None, ("p", "p3"), "A1.o2", "Asks for data;", ()),
        ("insert_after", None, ("new", "A1.o2"), "A1.o3@A2", "Asks for open data;", (A2,)),
    ]
    assert touched_paragraphs(effective) == {"p2"}
    assert touched_operations(second) == {"o1", "o3"}


def test_striking_out_an_insertion_keeps_what_was_to_follow_it() -> None:
    parent = ops(OperationInput("insert_after", "p1", text="Inserted;"))
    follow = ops(OperationInput("insert_after", operation_id="o1", text="Follows;"))
    strike = ops(OperationInput("delete", operation_id="o1"))
    effective = effective_operations(A1, parent, [(A2, follow), (AmendmentRef("a3", 3), strike)])
    applied = apply_amendments(TEXT, [effective], based_on=1, next_paragraph_number=5)
    assert [(p.id, p.text) for p in applied.paragraphs][:3] == [
        ("p1", "Recalling,"), ("p5", "Follows;"), ("p2", "Calls on cities;")]


def test_consolidation_places_insertions_and_numbers_new_paragraphs() -> None:
    first = effective_operations(A1, ops(OperationInput("insert_after", None, text="Noting,", kind="preambular"),
                                         OperationInput("delete", "p3"),
                                         OperationInput("insert_after", "p3", text="Instead of p3;")))
    second = effective_operations(A2, ops(OperationInput("replace", "p2", text="Calls on regions;"),
                                          OperationInput("insert_after", "p3", text="Also;")))
    applied = apply_amendments(TEXT, [first, second], based_on=1, next_paragraph_number=5)
    assert [(p.id, p.text) for p in applied.paragraphs] == [
        ("p5", "Noting,"), ("p1", "Recalling,"), ("p2", "Calls on regions;"), ("p6", "Instead of p3;"),
        ("p7", "Also;"), ("p4", "Decides to stay seized.")]
    assert applied.next_paragraph_number == 8
    assert applied.lineage["amendments"] == [A1.to_json(), A2.to_json()]
    assert applied.lineage["deleted"] == [{"paragraph_id": "p3", **A1.to_json(), "second_degree": []}]
    assert [line["change"] for line in applied.lineage["paragraphs"]] == [
        "inserted", "unchanged", "replaced", "inserted", "inserted", "unchanged"]


def test_consolidation_refuses_two_changes_of_one_paragraph() -> None:
    one = effective_operations(A1, ops(OperationInput("replace", "p2", text="x")))
    two = effective_operations(A2, ops(OperationInput("delete", "p2")))
    with pytest.raises(ValueError, match="two adopted amendments"):
        apply_amendments(TEXT, [one, two], based_on=1, next_paragraph_number=5)


def test_conflicts_and_lapses() -> None:
    touched = {"a1": frozenset({"p2"}), "a2": frozenset({"p2", "p3"}), "a3": frozenset({"p4"}), "a4": frozenset()}
    assert conflicts(touched) == {"a1": ["a2"], "a2": ["a1"], "a3": [], "a4": []}
    assert lapses_after_adoption("A2", frozenset({"p3", "p10", "p2"}), {"a1": frozenset({"p2", "p10"}),
                                                                        "a3": frozenset({"p4"})}) == {
        "a1": "moot: amendment A2 was adopted, which also changes paragraph p2, p10"}


def test_voting_order() -> None:
    awaiting = {"a1": None, "a2": "a1", "a3": None}
    labels = {"a1": "A1", "a2": "A2", "a3": "A3"}
    assert voting_order_refusal(["a2", "a1", "a3"], awaiting, labels) is None
    assert voting_order_refusal(["a3", "a2", "a1"], awaiting, labels) is None
    refusal = voting_order_refusal(["a1", "a2", "a3"], awaiting, labels)
    assert refusal is not None
    assert (refusal.code, refusal.field) == ("second_degree_after_parent", "amendment_ids[1]")
    missing = voting_order_refusal(["a1"], awaiting, labels)
    assert missing is not None
    assert (missing.code, missing.message.endswith("missing: A2, A3")) == ("order_incomplete", True)
    unknown = voting_order_refusal(["a1", "a9"], awaiting, labels)
    assert unknown is not None
    assert (unknown.code, unknown.field) == ("not_orderable", "amendment_ids[1]")


def test_canonical_text_of_an_amendment() -> None:
    first = ops(OperationInput("replace", "p2", text="Calls on <em>all</em>;"), OperationInput("delete", "p4"),
                OperationInput("insert_after", None, text="Noting,", kind="preambular"))
    assert canonical_operations(first) == (
        "replace p2\nCalls on <em>all</em>;\n\ndelete p4\n\ninsert_after start preambular\nNoting,")
    second = ops(OperationInput("insert_after", operation_id="o1", text="Also;"))
    assert canonical_operations(second) == "insert_after o1 operative\nAlso;"
    amended = effective_operations(A1, ops(OperationInput("insert_after", "p3", text="New;")), [(A2, second)])
    assert canonical_operations(amended) == (
        "insert_after p3 operative\nNew;\n\ninsert_after A1.o1 operative\nAlso;")
