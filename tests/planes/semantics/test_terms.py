from __future__ import annotations

from pathlib import Path

import pytest

from fractalops.errors import SemanticsError, UnmappedTermError
from fractalops.planes.semantics import FO, TermMap, open_semantics, parse_turtle


def test_unmapped_local_term_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    tm = TermMap("shop", open_semantics(tmp_path), {"Basket": (None, None)})
    with pytest.raises(UnmappedTermError) as err:
        tm.resolve("Basket")
    msg = str(err.value)
    assert "'Basket'" in msg and "'shop'" in msg and "propose_mapping" in msg and "exactMatch" in msg
    assert err.value.term == "Basket" and err.value.project == "shop"
    assert isinstance(err.value, SemanticsError)


def test_global_and_declared_terms_resolve(tmp_path: Path) -> None:
    tm = TermMap("shop", None, {"Kunde": ("exactMatch", "fo:Customer"), "Mail": ("broadMatch", "EmailAddress")})
    assert tm.resolve("Customer") == str(FO.Customer)
    assert tm.resolve("fo:Order") == str(FO.Order)
    assert tm.resolve("Kunde") == str(FO.Customer)
    assert tm.resolve("Mail") == str(FO.EmailAddress)
    with pytest.raises(UnmappedTermError):
        tm.resolve("fo:NotATerm")


def test_declared_mapping_to_a_non_global_term_is_not_reusable() -> None:
    tm = TermMap("shop", None, {"Gizmo": ("exactMatch", "fo:Gadget")})
    check = tm.check_term("Gizmo")
    assert not check.ok and "fo:Gadget" in check.reason
    with pytest.raises(UnmappedTermError, match="not a global fo:DomainTerm"):
        tm.resolve("Gizmo")


def test_mapping_proposal_payload_then_apply_after_approval(tmp_path: Path) -> None:
    sg = open_semantics(tmp_path)
    tm = TermMap("shop", sg)
    payload = tm.propose_mapping("Basket", "fo:Order", match="broadMatch")
    assert payload["kind"] == "ontology_mapping"
    assert payload["target"] == "semantics:terms/shop"
    assert payload["content"] == {"project": "shop", "local_term": "Basket", "global_iri": str(FO.Order),
                                  "match": "broadMatch"}
    assert payload["content_hash"].startswith("sha256:")
    turtle = parse_turtle(payload["turtle"])
    assert len(turtle) == 7
    # proposing writes nothing: still unmapped
    with pytest.raises(UnmappedTermError):
        tm.resolve("Basket")
    assert tm.apply_mapping(payload) == str(FO.Order)
    assert TermMap("shop", open_semantics(tmp_path)).resolve("Basket") == str(FO.Order)
    assert TermMap("other", open_semantics(tmp_path)).check_term("Basket").ok is False  # project isolation


def test_bad_ontology_terms_are_refused(tmp_path: Path) -> None:
    sg = open_semantics(tmp_path)
    tm = TermMap("shop", sg)
    with pytest.raises(SemanticsError, match="not a term of the global ontology"):
        tm.propose_mapping("Basket", "fo:Cart")
    with pytest.raises(SemanticsError, match="not allowed"):
        tm.propose_mapping("Basket", "fo:Order", match="relatedMatch")
    payload = tm.propose_mapping("Basket", "fo:Order")
    payload["content"]["global_iri"] = "https://evil.example/Thing"  # an edit during review
    before = sg.path.read_bytes() if sg.path.exists() else b""
    with pytest.raises(SemanticsError, match="not a term of the global ontology"):
        tm.apply_mapping(payload)
    assert (sg.path.read_bytes() if sg.path.exists() else b"") == before


def test_remapping_an_approved_term_elsewhere_is_refused(tmp_path: Path) -> None:
    tm = TermMap("shop", open_semantics(tmp_path))
    tm.apply_mapping(tm.propose_mapping("Basket", "fo:Order"))
    with pytest.raises(SemanticsError, match="already maps to"):
        tm.apply_mapping(tm.propose_mapping("Basket", "fo:Product"))


def test_term_map_from_yaml_and_turtle(tmp_path: Path) -> None:
    y = tmp_path / "vocab.yaml"
    y.write_text("project: shop\nterms:\n  Kunde: {exactMatch: fo:Customer}\n  Thing: {}\n  Teil: Product\n")
    tm = TermMap.from_file(y)
    assert tm.project == "shop"
    assert [(c.local_term, c.ok) for c in tm.check()] == [("Kunde", True), ("Teil", True), ("Thing", False)]
    t = tmp_path / "vocab.ttl"
    t.write_text(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n@prefix fo: <https://fractalops.dev/ontology#> .\n"
        '<https://example.org/t/Kunde> a skos:Concept ; skos:prefLabel "Kunde" ; skos:exactMatch fo:Customer .\n'
        '<https://example.org/t/Ding> a skos:Concept ; skos:prefLabel "Ding" .\n'
    )
    checks = {c.local_term: c.ok for c in TermMap.from_file(t, project="shop").check()}
    assert checks == {"Kunde": True, "Ding": False}
    bad = tmp_path / "bad.yaml"
    bad.write_text("terms:\n  Kunde: {closeMatch: fo:Customer}\n")
    with pytest.raises(SemanticsError, match="invalid mapping"):
        TermMap.from_file(bad)
