"""One contract, every backend: local always; OpenBao when FRACTALOPS_OPENBAO_ADDR points at a server.

`openbao-kv2-stub` runs the OpenBao backend (hvac) against a 127.0.0.1 stub of the KV v2 HTTP API
(`_kv2_stub.py`), so its wire calls are exercised even where no OpenBao server exists.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fractalops.armory.secrets import LocalSecretBackend, SecretBackend, open_secret_backend, parse_secret_ref
from fractalops.errors import SecretError, SecretNotFoundError

from ._kv2_stub import running_kv2_stub

_OPENBAO_SKIP = "no OpenBao server package exists on this machine; set FRACTALOPS_OPENBAO_ADDR (+ token) to run"


@pytest.fixture(params=["local", "openbao-kv2-stub", "openbao"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SecretBackend, str]]:
    """(backend, a unique path prefix so runs against a shared server never collide)."""
    prefix = f"fractalops-test/{uuid.uuid4().hex[:12]}"
    if request.param == "local":
        yield LocalSecretBackend(tmp_path / "secrets" / "local.json"), prefix
        return
    if request.param == "openbao-kv2-stub":
        from fractalops.armory.secrets import OpenBaoSecretBackend

        with running_kv2_stub() as (addr, stub):
            yield OpenBaoSecretBackend(addr, role_id=stub.role_id, secret_id=stub.secret_id), prefix
        return
    addr = os.environ.get("FRACTALOPS_OPENBAO_ADDR")
    if not addr:
        pytest.skip(_OPENBAO_SKIP)
    from fractalops.armory.secrets import OpenBaoSecretBackend

    ob = OpenBaoSecretBackend(
        addr,
        token=os.environ.get("FRACTALOPS_OPENBAO_TOKEN"),
        role_id=os.environ.get("FRACTALOPS_OPENBAO_ROLE_ID"),
        secret_id=os.environ.get("FRACTALOPS_OPENBAO_SECRET_ID"),
        namespace=os.environ.get("FRACTALOPS_OPENBAO_NAMESPACE"),
        mounts=[os.environ.get("FRACTALOPS_OPENBAO_TEST_MOUNT", "kv")],
    )
    yield ob, prefix
    for ref in ob.list_refs():
        if ref.path.startswith(prefix):
            ob.delete(ref)


def _mount(backend: SecretBackend) -> str:
    return getattr(backend, "mounts", ("kv",))[0]


def test_put_get_overwrite(backend: tuple[SecretBackend, str]) -> None:
    b, prefix = backend
    ref = parse_secret_ref(f"openbao://{_mount(b)}/{prefix}/codex#api_key")
    b.ping()
    b.put(ref, "sk-first-value")
    assert b.get(ref) == "sk-first-value"
    b.put(str(ref), "sk-second-value")
    assert b.get(str(ref)) == "sk-second-value"


def test_fields_of_one_path_are_independent(backend: tuple[SecretBackend, str]) -> None:
    b, prefix = backend
    m = _mount(b)
    one = parse_secret_ref(f"openbao://{m}/{prefix}/svc#user")
    two = parse_secret_ref(f"openbao://{m}/{prefix}/svc#password")
    b.put(one, "alice")
    b.put(two, "hunter22")
    b.delete(one)
    assert b.get(two) == "hunter22"
    with pytest.raises(SecretNotFoundError):
        b.get(one)


def test_missing_secret_raises_not_found_carrying_the_ref(backend: tuple[SecretBackend, str]) -> None:
    b, prefix = backend
    ref = f"openbao://{_mount(b)}/{prefix}/absent#api_key"
    with pytest.raises(SecretNotFoundError) as info:
        b.get(ref)
    assert info.value.ref == ref
    assert f"fractalops secrets put {ref}" in str(info.value)
    with pytest.raises(SecretNotFoundError):
        b.delete(ref)


def test_list_refs_shows_refs_never_values(backend: tuple[SecretBackend, str]) -> None:
    b, prefix = backend
    m = _mount(b)
    refs = [parse_secret_ref(f"openbao://{m}/{prefix}/{name}#{field}")
            for name, field in [("a", "k"), ("deep/er/b", "token"), ("a", "z")]]
    for i, ref in enumerate(refs):
        b.put(ref, f"value-{i}-secret")
    listed = [r for r in b.list_refs() if r.path.startswith(prefix)]
    assert listed == sorted(refs)
    assert all("secret" not in str(r) for r in listed)
    assert "value-" not in repr(b)


def test_put_rejects_empty_value_and_malformed_ref(backend: tuple[SecretBackend, str]) -> None:
    b, prefix = backend
    with pytest.raises(SecretError):
        b.put(f"openbao://{_mount(b)}/{prefix}/x#y", "")
    with pytest.raises(SecretError, match="malformed"):
        b.put("openbao://kv/x", "v")


def test_local_file_and_dir_permissions(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "local.json"
    b = LocalSecretBackend(path)
    b.put("openbao://kv/a#b", "value-1234")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert "value-1234" not in repr(b)


def test_local_backend_tightens_wider_permissions(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "secrets" / "local.json"
    b = LocalSecretBackend(path)
    b.put("openbao://kv/a#b", "value-1234")
    path.chmod(0o644)
    path.parent.chmod(0o755)
    assert b.get("openbao://kv/a#b") == "value-1234"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert "tightened" in caplog.text and "value-1234" not in caplog.text


def test_local_backend_reports_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "local.json"
    path.parent.mkdir(mode=0o700)
    path.write_text("{not json")
    with pytest.raises(SecretError, match="unreadable"):
        LocalSecretBackend(path).list_refs()


def test_local_writes_are_atomic_no_temp_files_left(tmp_path: Path) -> None:
    b = LocalSecretBackend(tmp_path / "s" / "local.json")
    for i in range(5):
        b.put(f"openbao://kv/p#f{i}", f"value-{i}")
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["local.json", "local.json.lock"]


def test_open_secret_backend_defaults_to_local_under_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRACTALOPS_OPENBAO_ADDR", raising=False)
    b = open_secret_backend()
    assert isinstance(b, LocalSecretBackend)
    assert b.path == Path(os.environ["FRACTALOPS_DATA_DIR"]).resolve() / "secrets" / "local.json"


def test_open_secret_backend_picks_openbao_when_addr_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTALOPS_OPENBAO_ADDR", "http://127.0.0.1:9")
    monkeypatch.setenv("FRACTALOPS_OPENBAO_TOKEN", "t0ken-value")
    b = open_secret_backend()
    assert b.name == "openbao" and "t0ken-value" not in repr(b)
    with pytest.raises(SecretError, match="127.0.0.1:9"):
        b.ping()  # nothing listens on the discard port: a clear error, not a traceback


def test_openbao_without_credentials_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTALOPS_OPENBAO_ADDR", "http://127.0.0.1:9")
    monkeypatch.delenv("FRACTALOPS_OPENBAO_TOKEN", raising=False)
    monkeypatch.delenv("FRACTALOPS_OPENBAO_ROLE_ID", raising=False)
    with pytest.raises(SecretError, match="FRACTALOPS_OPENBAO_TOKEN"):
        open_secret_backend()


def test_openbao_bad_credentials_are_clear_errors() -> None:
    from fractalops.armory.secrets import OpenBaoSecretBackend

    with running_kv2_stub() as (addr, _stub):
        with pytest.raises(SecretError, match="AppRole login failed"):
            OpenBaoSecretBackend(addr, role_id="role-1", secret_id="wrong")
        bad = OpenBaoSecretBackend(addr, token="not-the-token")
        with pytest.raises(SecretError, match="not valid"):
            bad.ping()
        with pytest.raises(SecretError, match="reading kv/a failed") as info:
            bad.get("openbao://kv/a#b")
        assert not isinstance(info.value, SecretNotFoundError)
        assert "not-the-token" not in str(info.value)


def test_openbao_delete_last_field_removes_the_secret() -> None:
    from fractalops.armory.secrets import OpenBaoSecretBackend

    with running_kv2_stub() as (addr, stub):
        b = OpenBaoSecretBackend(addr, token=stub.token)
        b.put("openbao://kv/app/db#password", "pw-123456")
        assert stub.store == {("kv", "app/db"): {"password": "pw-123456"}}
        b.delete("openbao://kv/app/db#password")
        assert stub.store == {} and b.list_refs() == []


def test_openbao_list_scope_can_be_a_path_prefix() -> None:
    from fractalops.armory.secrets import OpenBaoSecretBackend

    with running_kv2_stub() as (addr, stub):
        everything = OpenBaoSecretBackend(addr, token=stub.token)
        everything.put("openbao://kv/fractalops/codex#api_key", "sk-1234")
        everything.put("openbao://kv/other-team/db#password", "pw-1234")
        scoped = OpenBaoSecretBackend(addr, token=stub.token, mounts=["kv/fractalops"])
        assert [str(r) for r in scoped.list_refs()] == ["openbao://kv/fractalops/codex#api_key"]
        assert len(everything.list_refs()) == 2
