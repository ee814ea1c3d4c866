from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fractalops.errors import SemanticsError
from fractalops.planes.semantics import get_semantics, open_semantics
from fractalops.planes.semantics.namespaces import FO, PROV

FIXTURES = Path(__file__).parent / "fixtures"
PROPOSAL: dict[str, Any] = dict(
    thread_id="thread-1", proposal_id="prop-1", agent="forge", principal="alice@example.com",
    content_hash="sha256:0f1e", target="repo:main", files=["src/app.py", "README.md"], commit="c0ffee12",
    project="shop",
)
P = "https://fractalops.dev/id/proposal/prop-1"
C = "https://fractalops.dev/id/proposal/prop-1/change"
K = "https://fractalops.dev/id/commit/c0ffee12"


def test_record_applied_proposal_records_prov_lineage(tmp_path: Path) -> None:
    sg = open_semantics(tmp_path)
    iri = sg.record_applied_proposal(**PROPOSAL)
    assert iri == P
    assert sg.has_identity(P) and sg.has_identity(C) and sg.has_identity(K)
    about_p = sg.describe(P)
    assert (P, str(FO.contentHash), "sha256:0f1e") in about_p
    assert (P, str(PROV.wasAttributedTo), "https://fractalops.dev/id/agent/forge") in about_p
    assert (C, str(PROV.used), P) in sg.describe(C)
    assert (K, str(PROV.wasGeneratedBy), C) in sg.describe(K)
    assert {o for _s, p, o in sg.describe(C) if p == str(FO.changedFile)} == {"src/app.py", "README.md"}
    assert sg.impact_paths(P) == [[P, C, K]]
    assert sg.impact_paths(K) == []


def test_persisted_format_is_frozen(tmp_path: Path) -> None:
    sg = open_semantics(tmp_path)
    sg.record_applied_proposal(**PROPOSAL)
    assert sg.path.read_text() == (FIXTURES / "applied_proposal.nq").read_text()


def test_graph_survives_reopen_and_is_idempotent(tmp_path: Path) -> None:
    open_semantics(tmp_path).record_applied_proposal(**PROPOSAL)
    again = open_semantics(tmp_path)
    size = len(again)
    again.record_applied_proposal(**PROPOSAL)
    assert len(again) == size
    assert again.impact_paths(P) == [[P, C, K]]


def test_conflicting_content_hash_is_refused_and_nothing_written(tmp_path: Path) -> None:
    sg = open_semantics(tmp_path)
    sg.record_applied_proposal(**PROPOSAL)
    before = sg.path.read_bytes()
    with pytest.raises(SemanticsError, match="exactly one fo:contentHash"):
        sg.record_applied_proposal(**{**PROPOSAL, "content_hash": "sha256:other"})
    assert sg.path.read_bytes() == before


def test_empty_required_value_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SemanticsError, match="commit is empty"):
        open_semantics(tmp_path).record_applied_proposal(**{**PROPOSAL, "commit": ""})


def test_remove_identity_breaks_the_identity_for_every_reader(tmp_path: Path) -> None:
    sg = open_semantics(tmp_path)
    sg.record_applied_proposal(**PROPOSAL)
    removed = sg.remove_identity(P)
    assert removed > 5
    assert not sg.has_identity(P)
    assert not open_semantics(tmp_path).has_identity(P)
    assert sg.impact_paths(P) == []
    assert sg.has_identity(K)  # other identities stay
    assert sg.remove_identity(P) == 0


def test_a_second_handle_sees_writes_of_the_first(tmp_path: Path) -> None:
    reader = open_semantics(tmp_path)
    assert not reader.has_identity(P)
    open_semantics(tmp_path).record_applied_proposal(**PROPOSAL)
    assert reader.has_identity(P)


def test_identity_calls_reject_non_iris(tmp_path: Path) -> None:
    with pytest.raises(SemanticsError, match="not an absolute IRI"):
        open_semantics(tmp_path).describe("prop-1")


def test_get_semantics_shares_one_handle_per_data_dir(tmp_path: Path) -> None:
    shared = get_semantics(tmp_path / "a")
    assert get_semantics(tmp_path / "a") is shared
    assert get_semantics(tmp_path / "b") is not shared
    open_semantics(tmp_path / "a").record_applied_proposal(**PROPOSAL)
    assert shared.has_identity(P)  # the shared handle reloads after another handle wrote
