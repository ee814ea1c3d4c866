"""`fractalops secrets` and `connectors reconcile-ssot` through a real server's operator-only routes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.server

CODEX = "openbao://kv/fractalops/codex#api_key"
ANTHROPIC = "openbao://kv/fractalops/anthropic#api_key"
ZAI = "openbao://kv/fractalops/zai#api_key"
OPENAI = "openbao://kv/fractalops/openai#api_key"  # model.default, the packaged chat model
DECLARED = sorted([CODEX, ANTHROPIC, ZAI, OPENAI])


@pytest.fixture(autouse=True)
def _empty_backend(server, cli) -> Iterator[None]:
    """The package's server is shared: every test starts and ends with no secrets."""

    def clear() -> None:
        for item in cli("secrets", "list", "--json", key="key-alice", url=server.url).json():
            assert cli("secrets", "delete", item["ref"]).code == 0

    clear()
    yield
    clear()


def test_put_reads_the_value_from_stdin_and_never_prints_it(server, cli) -> None:
    stored = cli("secrets", "put", CODEX, "--json", key="key-alice", url=server.url, input="sk-from-stdin-123\n")
    assert stored.code == 0 and stored.json() == {"ok": True, "ref": CODEX, "backend": "local"}
    human = cli("secrets", "put", ZAI, input="zai-value-999")
    assert human.code == 0 and human.stdout == f"stored {ZAI} in the server's local backend\n"
    listed = cli("secrets", "list", "--json")
    assert [item["ref"] for item in listed.json()] == sorted([CODEX, ZAI])
    table = cli("secrets", "list")
    assert CODEX in table.stdout and ZAI in table.stdout
    everything = "".join(r.stdout + r.stderr for r in (stored, human, listed, table)) + server.dev.tail(100_000)
    assert "sk-from-stdin-123" not in everything and "zai-value-999" not in everything
    # The server's backend holds it, without the trailing newline of `echo`.
    from fractalops.armory.secrets.local import LocalSecretBackend

    assert LocalSecretBackend(server.data_dir / "secrets" / "local.json").get(CODEX) == "sk-from-stdin-123"


def test_put_takes_no_value_argument_and_refuses_empty_stdin(server, cli) -> None:
    assert cli("secrets", "put", CODEX, "sk-on-argv", key="key-alice", url=server.url, input="x").code == 2
    empty = cli("secrets", "put", CODEX, "--json", input="")
    assert empty.code == 1 and "no value on stdin" in empty.json()["error"]


def test_a_malformed_ref_is_refused_by_the_server(server, cli) -> None:
    result = cli("secrets", "put", "vault://kv/x#y", "--json", key="key-alice", url=server.url, input="value-1")
    assert result.code == 1
    assert result.json()["error_type"] == "SecretError" and "malformed secret ref" in result.json()["error"]


def test_delete(server, cli) -> None:
    cli("secrets", "put", CODEX, key="key-alice", url=server.url, input="sk-codex-value")
    assert cli("secrets", "delete", CODEX).stdout == f"deleted {CODEX}\n"
    assert cli("secrets", "list", "--json").json() == []
    again = cli("secrets", "delete", CODEX, "--json")
    assert again.code == 1 and again.json()["error_type"] == "SecretNotFoundError"


@pytest.mark.parametrize("argv", [["put", CODEX], ["list"], ["delete", CODEX]], ids=lambda a: a[0])
@pytest.mark.parametrize("key", ["key-bob", "key-bot", "key-carol"])
def test_only_operators_may_touch_secrets(server, cli, argv: list[str], key: str) -> None:
    result = cli("secrets", *argv, "--json", key=key, url=server.url, input="a-value")
    assert result.code == 1 and result.json()["error_type"] == "Forbidden"
    assert "allowed: operator" in result.json()["error"]


def test_reconcile_reports_drift_and_exit_codes(server, cli) -> None:
    result = cli("connectors", "reconcile-ssot", "--json", key="key-alice", url=server.url)
    assert result.code == 1
    report = result.json()
    assert report["present"] == [] and report["unused"] == [] and report["missing"] == DECLARED
    assert report["declared_by"][CODEX] == ["codex.default"]
    for ref in DECLARED:
        cli("secrets", "put", ref, input=f"value-for-{ref}")
    result = cli("connectors", "reconcile-ssot", "--json")
    assert result.code == 0 and result.json()["present"] == DECLARED and result.json()["ok"] is True
    assert "value-for" not in result.stdout
    cli("secrets", "put", "openbao://kv/old/thing#token", input="stale-value")
    result = cli("connectors", "reconcile-ssot", "--json")
    assert result.code == 1 and result.json()["unused"] == ["openbao://kv/old/thing#token"]
    human = cli("connectors", "reconcile-ssot")
    assert human.code == 1 and "unused" in human.stdout and "stale-value" not in human.stdout
    assert "fractalops secrets delete openbao://kv/old/thing#token" in human.stdout


def test_reconcile_is_operator_only_and_errors_exit_2(server, cli) -> None:
    result = cli("connectors", "reconcile-ssot", "--json", key="key-bob", url=server.url)
    assert result.code == 2 and result.json()["error_type"] == "Forbidden"
