"""Public evidence URLs come only from, and are accepted only for, the configured hosts."""

from __future__ import annotations

import pytest

from fractalops.errors import EvidenceError
from fractalops.planes.evidence import ArtifactRef, EvidenceRef, check_public_url, public_evidence_url

HEX = "ab" * 32
VARS = ("FRACTALOPS_EVIDENCE_PUBLIC_BASE_URL", "FRACTALOPS_SUPABASE_STORAGE_PUBLIC_URL", "FRACTALOPS_PORTAL_PUBLIC_URL")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in VARS:
        monkeypatch.delenv(var, raising=False)


def test_first_configured_base_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTALOPS_PORTAL_PUBLIC_URL", "https://portal.example.org")
    assert public_evidence_url(ArtifactRef(HEX)) == f"https://portal.example.org/sha256/{HEX}"
    monkeypatch.setenv("FRACTALOPS_SUPABASE_STORAGE_PUBLIC_URL", "https://xyz.supabase.co/storage/v1/object/public/ev/")
    assert public_evidence_url(f"sha256:{HEX}") == f"https://xyz.supabase.co/storage/v1/object/public/ev/sha256/{HEX}"
    monkeypatch.setenv("FRACTALOPS_EVIDENCE_PUBLIC_BASE_URL", "https://evidence.example.org/e")
    url = public_evidence_url(EvidenceRef("main", 3, HEX))
    assert url == f"https://evidence.example.org/e/chronicle/main/3?leaf=sha256:{HEX}"


def test_no_base_configured_is_a_clear_error() -> None:
    with pytest.raises(EvidenceError, match="FRACTALOPS_EVIDENCE_PUBLIC_BASE_URL"):
        public_evidence_url(ArtifactRef(HEX))


def test_check_public_url_accepts_only_configured_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTALOPS_EVIDENCE_PUBLIC_BASE_URL", "https://evidence.example.org")
    monkeypatch.setenv("FRACTALOPS_PORTAL_PUBLIC_URL", "http://127.0.0.1:8123/portal")
    assert check_public_url("https://evidence.example.org/x.png") == "https://evidence.example.org/x.png"
    assert check_public_url("https://EVIDENCE.example.org/x.png")
    assert check_public_url("http://127.0.0.1:8123/other")
    for bad in (
        "https://cdn.github.com/x.png",
        "https://evidence.example.org.evil.com/x.png",
        "https://evidence.example.org@evil.com/x.png",
        "http://evidence.example.org/x.png",
        "http://127.0.0.1:9999/other",
        "javascript:alert(1)",
        "/relative/path.png",
        "https://user:pw@evidence.example.org/x.png",
    ):
        with pytest.raises(EvidenceError, match="public evidence URL|refusing"):
            check_public_url(bad)


def test_nothing_configured_refuses_everything() -> None:
    with pytest.raises(EvidenceError, match="none configured"):
        check_public_url("https://evidence.example.org/x.png")
