"""The statement model: how units split into statements, and what each statement says."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from agentmerge import parse_agent
from agentmerge.statements import statements_of
from agentmerge.statements.terms import analyse, lemma


def _statements(text):
    return statements_of(parse_agent(text, "s.md"))


def test_items_nested_items_and_sentences_are_statements():
    found = _statements("# Rules\n\n- Index foreign keys. Check the plan too.\n  - Use `EXPLAIN ANALYZE`\n\n"
                        "A paragraph. Its second sentence.\n")
    assert [(s.role, s.text) for s in found] == [
        ("item", "Index foreign keys."), ("sentence", "Check the plan too."), ("nested", "Use EXPLAIN ANALYZE"),
        ("sentence", "A paragraph."), ("sentence", "Its second sentence."),
    ]
    assert found[2].depth == 1 and found[2].code == ("EXPLAIN ANALYZE",)
    assert found[2].heads == ("explain analyze",)
    assert [s.line for s in found] == [3, 3, 4, 6, 6]
    assert found[0].section == ("Rules",)


def test_label_and_details_and_lead_in():
    found = _statements("Before merging:\n\n1. **Dependency scanning**: run pip-audit on every PR\n"
                        "2. [ ] done\n- [ ] No secrets in code\n")
    assert [(s.role, s.text) for s in found] == [
        ("lead-in", "Before merging:"), ("head", "Dependency scanning"), ("details", "run pip-audit on every PR"),
        ("item", "done"), ("item", "No secrets in code"),
    ]
    assert found[1].ordered and found[1].uid == found[2].uid
    assert found[4].checkbox and found[4].negated and found[4].modality == "prohibit"


def test_a_colon_paragraph_before_a_paragraph_is_no_lead_in():
    found = _statements("Note:\n\nSomething else.\n")
    assert [s.role for s in found] == ["sentence", "sentence"]


def test_negation_scope_is_the_action_not_any_negative_word():
    assert not analyse("Eliminate N+1 query problems").negated
    assert analyse("Eliminate N+1 query problems").modality == "require"
    never = analyse("Never run migrations by hand")
    assert never.negated and never.modality == "prohibit" and never.actions[:2] == ("run", "migration")
    assert analyse("Avoid N+1 queries").modality == "discourage"
    bound = analyse("No more than 3 retries")
    assert not bound.negated and bound.numbers == ("3",) and "no" not in bound.terms
    assert analyse("Retries may be skipped for reads").modality == "permit"
    assert analyse("Expertise in PostgreSQL").modality == "describe"


def test_terms_kept_whole_and_folded():
    a = analyse("Keep I/O out of os.path.join calls; watch p99 and 3NF")
    assert {"i/o", "os.path.join", "p99", "normalization"} <= set(a.terms)
    assert analyse("SSO integration").terms[0] == analyse("single sign-on").terms[0] == "sso"
    assert analyse("k8s manifests").terms == analyse("Kubernetes manifests").terms
    assert lemma("analysis") == lemma("analyze") == lemma("analyse") == lemma("analyzing")
    assert analyse("joinedload/selectinload").terms == ("eagerload", "eagerload")


def test_numbers_are_a_multiset_and_order_is_kept():
    assert analyse("rule number 3 about topic 3").numbers == ("3", "3")
    assert analyse("rule number 100 about topic 3").numbers == ("100", "3")
    assert analyse("Run the tests before merging").order == (("run test", "merg"),)
    (first, then), = analyse("Merge only after the tests pass").order
    assert first == "test pass" and then.split()[0] == "merg"


def test_the_prepared_term_data_is_fresh_and_the_same_as_the_yaml():
    """knowledge/terms.prepared.json is what `python -m agentmerge.statements.prepare` writes from
    terms.yaml now (run it after editing terms.yaml), and reads back as the same term data."""
    from agentmerge.statements import prepare
    from agentmerge.statements.terms import _builtin, load_terms

    assert prepare.PATH.read_text(encoding="utf-8") == prepare.build()
    assert _builtin() == load_terms()


def test_a_users_terms_section_extends_the_built_in_terms(tmp_path):
    from agentmerge.statements.terms import analyse, use_terms

    extra = tmp_path / "team.yaml"
    extra.write_text("terms:\n  synonyms:\n    feature store: [feast, tecton]\n", encoding="utf-8")
    try:
        use_terms((str(extra),))
        assert analyse("Register features in Feast").terms[-1] == "feature store"
    finally:
        use_terms(())
    assert analyse("Register features in Feast").terms[-1] == "feast"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["- ", "* ", "1. ", "2) ", "- [ ] ", "- [x] ", ""]),
       st.text(alphabet="ab #>`*_-+1.)[]x:|<~\\", min_size=1, max_size=12))
def test_one_line_units_read_the_same_without_parsing(marker, rest):
    """A one-line unit's pieces come without a markdown-it parse when its text cannot hold block syntax;
    they are exactly what the parse gives."""
    from agentmerge import statements

    text = marker + rest
    if "\n" in text or not text.strip():
        return
    kind = "item" if marker else "paragraph"
    fast = statements._pieces(text, kind, False)
    saved = statements._ONE_LINE_ITEM, statements._ONE_LINE_PARAGRAPH
    statements._ONE_LINE_ITEM = statements._ONE_LINE_PARAGRAPH = re.compile(r"(?!)")
    try:
        slow = statements._pieces(text, kind, False)
    finally:
        statements._ONE_LINE_ITEM, statements._ONE_LINE_PARAGRAPH = saved
    assert [vars(p) for p in fast] == [vars(p) for p in slow]


def test_plain_statements_of_any_markdown():
    """What a reader of prose patterns gets: every statement's plain text, in order, from the same reading
    as matching; code and table cells are not prose."""
    from agentmerge.statements import plain_statements

    text = ("# Rules\n\n- **Never** use `eval`. Prefer ast.\n  - nested one\n\nA paragraph. Two.\n\n"
            "```\ncode here.\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert plain_statements(text) == ["Rules", "Never use eval.", "Prefer ast.", "nested one", "A paragraph.", "Two."]


def test_a_merge_reads_each_body_with_markdown_it_once(monkeypatch):
    """The statements of a unit that needs markdown-it (several lines, emphasis or a link at its start, a
    lead-in) come from the tokens of its body's one reading (the split's), for matching and conflict detection
    alike: no unit is parsed a second time."""
    from agentmerge import merge, parse_agent
    from agentmerge import statements as S

    body = ("## Schema changes for the ledger service\n\n"
            "- Keep every ledger migration reversible:\n  write its down step before the up step.\n"
            "  - Name each ledger migration after the table it changes\n\n"
            "- **Ledger backfills**: run them in batches of a thousand rows\n"
            "- [Ledger runbook](docs/ledger.md) before any backfill\n\n"
            "**Posted entries** are never edited in place.\n\n"
            "Before a ledger release, check:\n\n- the ledger totals balance\n\n"
            "A ledger paragraph that runs\nover two lines, and says to review each ledger migration.\n\n"
            "> Quote the ledger owner's rule:\n> never rewrite a posted ledger entry.\n")
    parsed = []
    original = S._parsed_pieces
    monkeypatch.setattr(S, "_parsed_pieces", lambda text, lead_in: parsed.append(text) or original(text, lead_in))
    result = merge([parse_agent("---\nname: ledger-a\n---\n\n" + body, "ledger-a.md"),
                    parse_agent("---\nname: ledger-b\n---\n\n" + body.replace("reversible", "reversible, always"),
                                "ledger-b.md", index=1)])
    assert any("\n" in u.text for u in result.units.values())
    assert parsed == []
