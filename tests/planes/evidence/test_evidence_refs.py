"""EvidenceRef / ArtifactRef parsing."""

from __future__ import annotations

import pytest

from fractalops.errors import EvidenceError, FractalOpsError
from fractalops.planes.evidence import ArtifactRef, EvidenceRef

HEX = "0123456789abcdef" * 4


def test_evidence_ref_round_trip() -> None:
    ref = EvidenceRef.parse(f"chronicle://main/42#sha256:{HEX}")
    assert ref == EvidenceRef("main", 42, HEX)
    assert ref.uri == f"chronicle://main/42#sha256:{HEX}" == str(ref)
    assert EvidenceRef.parse(ref.uri) == ref


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "main/1",
        f"chronicle://main/1#sha256:{HEX[:-1]}",
        f"chronicle://main/1#sha256:{HEX.upper()}",
        f"chronicle://main/01#sha256:{HEX}",
        f"chronicle://main/-1#sha256:{HEX}",
        f"chronicle://Main/1#sha256:{HEX}",
        f"chronicle://../1#sha256:{HEX}",
        f"chronicle://main/1#sha1:{HEX}",
        f"chronicle://main/1#sha256:{HEX} ",
        f"https://main/1#sha256:{HEX}",
    ],
)
def test_malformed_evidence_refs_say_what_the_form_is(uri: str) -> None:
    with pytest.raises(EvidenceError, match=r"expected chronicle://<log>/<index>#sha256:") as info:
        EvidenceRef.parse(uri)
    assert isinstance(info.value, FractalOpsError)


def test_evidence_ref_fields_are_validated() -> None:
    with pytest.raises(EvidenceError):
        EvidenceRef("main", -1, HEX)
    with pytest.raises(EvidenceError):
        EvidenceRef("bad/name", 0, HEX)
    with pytest.raises(EvidenceError):
        EvidenceRef("main", 0, "xyz")


def test_artifact_ref() -> None:
    ref = ArtifactRef.parse(f"sha256:{HEX}")
    assert ref.sha256 == HEX and ref.uri == f"sha256:{HEX}"
    with pytest.raises(EvidenceError, match="malformed artifact ref"):
        ArtifactRef.parse(HEX)
