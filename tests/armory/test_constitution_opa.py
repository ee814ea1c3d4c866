"""Differential test: the constitution decides the same on the real OPA engine as on regopy.

The product evaluates `fractalops/armory/policy/*.rego` in-process with `regopy` (rego-cpp); the module
docstring of `fractalops.armory.constitution` promises the same files run unchanged on OPA. This runs every
decision twice — through the product's `Constitution` and through OPA's Go engine embedded by
`opa-golib-python-bindings` — on the very same modules and the very same input document, and requires
byte-identical JSON output.

The bindings evaluate with OPA's `StrictBuiltinErrors(true)`: a built-in called with a wrongly typed operand
is an evaluation error here, not a silently undefined expression, so the policy must also stay total under
`opa eval --strict-builtin-errors`.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fractalops.armory import APPROVAL_CLASSES
from fractalops.armory.constitution import DEFAULT_POLICY_DIR, ENTRYPOINTS, PACKAGE, Constitution

_MISSING_OPA = (
    "opa_bindings (PyPI: opa-golib-python-bindings>=0.4.4, OPA's Go engine) is not importable; `make test` "
    "installs it (its wheels declare Requires-Python >=3.14 but run on 3.11; Linux/macOS c-shared libraries only)"
)
try:
    import opa_bindings
except ImportError:
    if os.environ.get("CI"):  # `make test` installs it: on CI a missing engine is a broken setup, not a skip
        raise
    pytest.skip(_MISSING_OPA, allow_module_level=True)

_OPA_PACKAGE = PACKAGE.removeprefix("data.")
"""`eval_document` takes the document path below `data`."""


class _Recorded(Constitution):
    """The product's `Constitution`, also keeping the exact (rule, input, output) of every regopy query.

    Recording at `_query` means OPA is fed the document the product built (via `policy_input`, `author`,
    optional `author_agent`, ...), not a re-implementation of it.
    """

    queries: list[tuple[str, dict[str, Any], Any]]

    def _query(self, rule: str, document: dict[str, Any]) -> Any:
        output = super()._query(rule, document)
        self.__dict__.setdefault("queries", []).append((rule, document, output))
        return output


@pytest.fixture(scope="module")
def constitution() -> _Recorded:
    return _Recorded.load()


@pytest.fixture(scope="module")
def opa(constitution: _Recorded) -> Any:
    """An OPA engine holding exactly the modules `Constitution.load()` read, under the same names."""
    engine = opa_bindings.OpaEngine()
    for name in constitution.modules:
        engine.add_policy(name, (constitution.policy_dir / name).read_text(encoding="utf-8"))
    yield engine
    engine.close()


def _canonical(value: Any) -> str:
    # JSON text, so that True/1/1.0 and "1"/1 stay distinct.
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _agree(constitution: _Recorded, opa: Any, call: Any) -> None:
    """Run `call(constitution)`, then replay every regopy query it made on OPA and compare the outputs."""
    constitution.queries = []
    call(constitution)
    assert constitution.queries, "the call made no policy query"
    for rule, document, by_regopy in constitution.queries:
        sent = json.loads(json.dumps(document, default=str))  # what `Constitution._query` serialises
        try:
            by_opa = opa.eval_document(f"{_OPA_PACKAGE}.{rule}", sent)
        except opa_bindings.OpaError as exc:
            pytest.fail(f"OPA failed on {rule} with input {_canonical(sent)}: {exc}\nregopy: {_canonical(by_regopy)}")
        assert _canonical(by_opa) == _canonical(by_regopy), f"{rule} differs on input {_canonical(sent)}"


def test_opa_gets_the_modules_the_product_loads(constitution: _Recorded, opa: Any) -> None:
    assert constitution.policy_dir == DEFAULT_POLICY_DIR
    assert constitution.modules == tuple(sorted(p.name for p in DEFAULT_POLICY_DIR.glob("*.rego")))
    assert constitution.modules
    for rule in ENTRYPOINTS:  # every entrypoint the harness queries is defined on OPA too
        opa.eval_document(f"{_OPA_PACKAGE}.{rule}", {})


# --- the explicit cases of test_constitution.py ----------------------------------------------------------

_EXAMPLE_PROPOSALS = [
    {"kind": "workspace_patch", "files": ["docs/guide.md", "tests/test_x.py"]},
    {"kind": "workspace_patch", "files": ["README.md"]},
    {"kind": "workspace_patch", "files": []},
    {"kind": "workspace_patch", "files": ["fractalops/hud/model.py"]},
    {"kind": "workspace_patch", "files": ["docs/a.md", "src/app.py"]},
    {"kind": "ontology_mapping", "target": "ontology"},
    {"kind": "workspace_patch", "files": [".github/workflows/ci.yml"]},
    {"kind": "workspace_patch", "files": ["infra/main.tf"]},
    {"kind": "workspace_patch", "files": ["deploy/values.yaml"]},
    {"kind": "workspace_patch", "files": ["config/.env.production"]},
    {"kind": "workspace_patch", "files": ["docs/secrets.md"]},
    {"kind": "workspace_patch", "files": ["fractalops/armory/policy/author.rego"]},
    {"kind": "workspace_patch", "files": ["fractalops/armory/armory.yaml"]},
    {"kind": "workspace_patch", "files": ["../outside.txt"]},
    {"kind": "workspace_patch", "files": ["src/a.py"], "target": "production"},
    {"kind": "workspace_patch", "files": ["src/a.py"], "target": "env:prod"},
    {"kind": "workspace_patch", "files": ["src/a.py"], "target": "repo:reproducer"},
    {"kind": "workspace_patch", "files": "docs/a.md"},
    {"kind": "workspace_patch", "files": ["docs/a.md", 7]},
    {"kind": "constitution_change", "files": ["docs/a.md"]},
    {"kind": "secret_rotation"},
    {"kind": "workspace_patch", "files": ["docs/a.md"], "risk": "low"},
    {"kind": "workspace_patch", "files": ["docs/a.md"], "risk": "high"},
    {"kind": "workspace_patch", "files": ["docs/a.md"], "risk": "made-up"},
    {"kind": "workspace_patch", "files": [".github/x"], "risk": "low"},
    {"kind": "workspace_patch", "files": [{"path": "docs/a.md", "op": "modify"}]},
    {"kind": "workspace_patch", "files": ["infra/x.tf"]},
    {"kind": "constitution_change"},
    {"kind": "workspace_patch", "files": ["a.py"]},
    {"kind": "tool_call", "target": "mcp://memory.mcp", "files": []},
    {"kind": "tool_call", "target": "mcp://memory.mcp", "files": [], "declared_class": "elevated"},
    {"kind": "tool_call", "target": "mcp://memory.mcp", "files": [], "declared_class": "routine"},
    {"kind": "tool_call", "target": "mcp://memory.mcp", "files": [], "declared_class": "made-up"},
    {"kind": "tool_call", "target": "mcp://memory.mcp", "files": [], "declared_class": 3},
    {"kind": "tool_call", "target": "mcp://secrets.mcp", "files": [], "declared_class": None},
]

_EXAMPLE_AUTHORS = [
    ("standard", "agent"), ("restricted", "agent"), ("restricted", "human"), ("root", "agent"),
    ("restricted", "robot"), ("routine", "human"), ("elevated", "agent"),
]

_EXAMPLE_APPROVALS: list[tuple[str, str, list[dict[str, Any]], str | None]] = [
    ("routine", "agent:forge", [], None),
    ("standard", "agent:forge", [], None),
    ("standard", "agent:forge", [{"identity": "alice", "role": "approver"}], None),
    ("standard", "agent:forge", [{"identity": "op", "role": "operator"}], None),
    ("standard", "alice", [
        {"identity": "alice", "role": "owner"},
        {"identity": "agent:sentinel", "role": "owner"},
        {"identity": "bob", "role": "agent"},
        {"identity": "carol", "roles": ["approver", "agent"]},
        {"identity": "dave", "role": "owner", "principal_kind": "agent"},
    ], "agent:forge"),
    ("restricted", "h", [{"identity": "a", "role": "approver"}, {"identity": "b", "role": "maintainer"}], None),
    ("restricted", "h", [{"identity": "a", "role": "owner"}, {"identity": "b", "role": "security"}], None),
    ("godmode", "x", [{"identity": "a", "role": "owner"}] * 3, None),
    ("standard", "agent:forge", [{"identity": "x", "role": "owner"}, {"identity": "x", "role": "agent"},
                                 {"identity": "y", "role": "owner"}], None),
    ("elevated", "agent:forge", [{"identity": "x", "role": "owner"}, {"identity": "x", "role": "agent"},
                                 {"identity": "y", "role": "owner"}], None),
    ("elevated", "agent:forge", [{"identity": "alice", "role": "owner"}] * 5, None),
]


@pytest.mark.parametrize("proposal", _EXAMPLE_PROPOSALS)
def test_examples_classify_and_author_alike(constitution: _Recorded, opa: Any, proposal: dict) -> None:
    _agree(constitution, opa, lambda c: c.classify(proposal))
    for ceiling, principal_kind in _EXAMPLE_AUTHORS:
        _agree(constitution, opa, lambda c, ceiling=ceiling, kind=principal_kind: c.check_author(proposal, ceiling, kind))


@pytest.mark.parametrize("approval_class, author, approvers, author_agent", _EXAMPLE_APPROVALS)
def test_examples_approve_alike(
    constitution: _Recorded, opa: Any, approval_class: str, author: str, approvers: list, author_agent: str | None
) -> None:
    _agree(constitution, opa, lambda c: c.check_approval(approval_class, author, approvers, author_agent=author_agent))


_ALICE, _BOB, _CAROL = ({"identity": i, "role": "owner"} for i in ("alice", "bob", "carol"))
_EXAMPLE_PEOPLE: list[tuple[str, list[dict[str, Any]], str | None, list[Any] | None]] = [
    # (class, approvers, requester, editors): the requester and editor rules of every class
    ("standard", [_ALICE], "alice", None),
    ("standard", [_ALICE], "alice", ["alice"]),
    ("standard", [_ALICE, _BOB], "carol", ["bob"]),
    ("elevated", [_ALICE], "alice", []),
    ("elevated", [_ALICE, _BOB], "alice", []),
    ("elevated", [_ALICE, _BOB], "alice", ["bob"]),
    ("elevated", [_ALICE, _BOB, _CAROL], "alice", ["bob"]),
    ("restricted", [_ALICE, _BOB], "alice", None),
    ("restricted", [_ALICE, _BOB, _CAROL], "alice", []),
    ("restricted", [_BOB, _CAROL], "alice", ["carol"]),
    ("routine", [_ALICE], "alice", ["alice"]),
    ("godmode", [_ALICE], "alice", ["bob"]),
    ("standard", [_ALICE], "", [""]),
    ("standard", [_ALICE], None, "alice"),  # editors not a list: no editor is known
    ("elevated", [_ALICE, _BOB], None, [7, None, "bob", ["alice"]]),
]


@pytest.mark.parametrize("approval_class, approvers, requester, editors", _EXAMPLE_PEOPLE)
def test_requester_and_editor_examples_alike(
    constitution: _Recorded, opa: Any, approval_class: str, approvers: list, requester: str | None, editors: Any
) -> None:
    _agree(constitution, opa, lambda c: c.check_approval(approval_class, "agent:forge", approvers,
                                                         author_agent="forge", requester=requester, editors=editors))


# --- strings that need care: JSON escapes, non-ASCII, compatibility forms ----------------------------------------

# rego-cpp (regopy 1.5.2) keeps a string's JSON escapes as literal text, so `Constitution._query` sends raw
# UTF-8 and classify.rego elevates the characters JSON must escape (controls, `"`, `\`) whichever way an engine
# sees them; `policy_input` folds compatibility forms (NFKC) because rego-cpp's `lower` is ASCII-only.
_CAREFUL_PROPOSALS = [  # (proposal, the class both engines must give)
    ({"kind": "workspace_patch", "files": ["src/a.py"], "target": "préprod"}, "elevated"),
    ({"kind": "workspace_patch", "files": ["src/a.py"], "target": "env\tprod"}, "elevated"),
    ({"kind": "workspace_patch", "files": ["src/a.py"], "target": "env\nstaging"}, "elevated"),
    ({"kind": "workspace_patch", "files": ["src/a.py"], "target": 'say "hi"'}, "elevated"),
    ({"kind": "workspace_patch", "files": ["src/a.py"], "target": "C:\\work"}, "elevated"),
    ({"kind": "workspace_patch", "files": ["src/a.py"], "target": "\uff30\uff32\uff2f\uff24"}, "elevated"),  # ＰＲＯＤ
    ({"kind": "workspace_patch", "files": ["\u212a8s/deploy.yaml"]}, "elevated"),  # Kelvin sign K
    ({"kind": "workspace_patch", "files": ["\u0130nfra/main.tf"]}, "elevated"),  # Go lowercases İ to i
    ({"kind": "workspace_patch", "files": ["docs/café.md", "tests/ünïcode_test.py"]}, "routine"),
    ({"kind": "workspace_patch", "files": ["docs/a\u2028b.md"]}, "routine"),  # a separator, not a control
    ({"kind": "workspace_patch", "files": ["docs/a\x7fb.md"]}, "elevated"),
    ({"kind": "workspace_patch", "files": ['docs/"quoted".md']}, "elevated"),
    ({"kind": "workspace_patch", "files": ["docs/back\\slash.md"]}, "elevated"),
]
_CAREFUL_APPROVERS = [
    [{"identity": "zoë", "role": "owner"}, {"identity": "zoa", "role": "owner"}],
    [{"identity": "zoé", "role": "Ownér"}],
    [{"identity": 'q"uote', "role": "owner"}, {"identity": "back\\slash", "role": "approver"}],
]


@pytest.mark.parametrize(("proposal", "expected"), _CAREFUL_PROPOSALS)
def test_escaped_and_unicode_proposals_classify_alike(
    constitution: _Recorded, opa: Any, proposal: dict, expected: str
) -> None:
    _agree(constitution, opa, lambda c: c.classify(proposal))
    assert constitution.classify(proposal) == expected


@pytest.mark.parametrize("approvers", _CAREFUL_APPROVERS)
def test_escaped_and_unicode_approvals_alike(constitution: _Recorded, opa: Any, approvers: list) -> None:
    _agree(constitution, opa, lambda c: c.check_approval("standard", "agent:forge", approvers))


# --- generated inputs ----------------------------------------------------------------------------------------

# Free text is any Unicode (controls, quotes, backslashes, compatibility forms, U+0130 included).
# Path segments that hit every clause of classify.rego (prefixes, nested prefixes, secret-ish fragments, build
# files, routine docs/tests, `..`, case variants) plus free text.
_ANY_CHAR = st.characters(exclude_categories=("Cs",))
_SEGMENTS = st.one_of(
    st.sampled_from([
        "docs", "tests", "src", "a", ".github", "workflows", "infra", "Infra", "deploy", "deployment", "terraform",
        "helm", "k8s", ".circleci", ".gitlab-ci.yml", "fractalops", "armory", "policy", "hud", "..", ".", "",
        "README.md", "guide.MD", "notes.rst", "x.py", "ci.yml", "main.tf", "values.yaml", ".env", ".env.production",
        "secrets.md", "Credentials.json", "token", "id_rsa", "id_ed25519", "cert.pem", "server.key", "a.p12",
        "kubeconfig", ".npmrc", ".pypirc", ".netrc", "policy.rego", "X.REGO", "armory.yaml", "Dockerfile",
        "dockerfile", "docker-compose.yml", "Makefile", "pyproject.toml", "langgraph.json",
    ]),
    st.text(alphabet="abcdefghijDMRS._-", min_size=1, max_size=12),
    st.text(_ANY_CHAR, min_size=1, max_size=8),
)
_PATH = st.one_of(
    st.lists(_SEGMENTS, min_size=1, max_size=4).map("/".join),
    st.lists(_SEGMENTS, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts)),
)
_FILE_ITEM = st.one_of(
    _PATH,
    _PATH.map(lambda p: {"path": p, "op": "modify"}),  # `policy_input` reduces these to the path
    st.sampled_from([7, None, True, {"op": "delete"}, ["docs/a.md"]]),  # non-string entries raise the class
)
_FILES = st.one_of(
    st.lists(_FILE_ITEM, max_size=5),
    st.lists(_PATH, max_size=5),
    st.sampled_from(["docs/a.md", None, 3, {"path": "docs/a.md"}]),  # not a list at all
)
_KINDS = st.sampled_from([
    "workspace_patch", "docs_patch", "ontology_mapping", "constitution_change", "secret_rotation", "access_grant",
    "infra_change", "deploy", "dependency_change", "advice", "whatever", "Deploy", "", 7, "tool_call",
])
_TARGETS = st.one_of(
    st.sampled_from([
        "workspace", "production", "ontology", "repo:main", "env:prod", "repo:reproducer", "PROD", "prod2",
        "infra-east", "infrastructure", "secret", "secrets", "vault/secrets/x", "constitution", "the_constitution",
        "", 5, None, ["prod"],
    ]),
    st.text(alphabet="abcdefprodinfrasecretsconstitution:-_/ .", max_size=20),
    st.lists(st.sampled_from(["prod", "infra", "secret", ":", " ", "/"]) | st.text(_ANY_CHAR, max_size=3),
             max_size=6).map("".join),
)
_RISKS = st.sampled_from([
    "low", "none", "routine", "medium", "moderate", "standard", "high", "elevated", "critical", "restricted",
    "LOW", "High", "Critical", "??", "made-up", "", None, 3, True, ["high"], {"level": "low"},
])
_PROPOSALS = st.fixed_dictionaries(
    {},
    optional={"kind": _KINDS, "files": _FILES, "target": _TARGETS, "risk": _RISKS, "declared_class": _RISKS,
              "diff": st.just("not sent to the policy")},
)
_CEILINGS = st.sampled_from([*APPROVAL_CLASSES, "root", "", "Standard"])
_PRINCIPAL_KINDS = st.sampled_from(["agent", "human", "robot", "", "Human"])

_IDENTITIES = st.sampled_from(["alice", "bob", "carol", "dave", "agent:forge", "agent:sentinel", "user:zed",
                               "h", "x", "y", "Agent:forge", "", "zoë", 'q"t', "b\\s", "t\tab"])
_ROLES = st.sampled_from(["approver", "owner", "maintainer", "security", "reviewer", "operator", "agent", "",
                          "Owner"])
_APPROVER = st.one_of(
    st.fixed_dictionaries(
        {"identity": _IDENTITIES},
        optional={"role": _ROLES, "roles": st.lists(_ROLES, max_size=3),
                  "principal_kind": st.sampled_from(["human", "agent", "service", ""])},
    ),
    st.fixed_dictionaries({"identity": _IDENTITIES, "roles": st.sampled_from(["owner", None, 1, {"a": 1}])}),
    st.fixed_dictionaries({"identity": _IDENTITIES, "role": st.sampled_from([None, 7, ["owner"]])}),
    st.sampled_from([{}, {"role": "owner"}, {"identity": 5, "role": "owner"}, {"identity": None}]),
    st.sampled_from(["alice", 7, None, ["owner"]]),  # not even an object
)
_APPROVAL_CLASSES = st.sampled_from([*APPROVAL_CLASSES, "godmode", "", "Standard"])

_SETTINGS = settings(max_examples=500, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(proposal=_PROPOSALS, ceiling=_CEILINGS, principal_kind=_PRINCIPAL_KINDS)
def test_generated_proposals_classify_and_author_alike(
    constitution: _Recorded, opa: Any, proposal: dict, ceiling: str, principal_kind: str
) -> None:
    _agree(constitution, opa, lambda c: c.classify(proposal))
    _agree(constitution, opa, lambda c: c.check_author(proposal, ceiling, principal_kind))


_REQUESTERS = st.one_of(st.none(), _IDENTITIES, st.sampled_from([7, ["alice"], {"identity": "alice"}]))
_EDITORS = st.one_of(
    st.none(),
    st.lists(_IDENTITIES, max_size=4),
    st.lists(st.one_of(_IDENTITIES, st.sampled_from([7, None, ["bob"], {"identity": "bob"}])), max_size=4),
    st.sampled_from(["alice", 3, {"alice": True}]),  # not a list at all
)


@_SETTINGS
@given(approval_class=_APPROVAL_CLASSES, author=_IDENTITIES, approvers=st.lists(_APPROVER, max_size=6),
       author_agent=st.one_of(st.none(), _IDENTITIES), requester=_REQUESTERS, editors=_EDITORS)
def test_generated_approvals_alike(
    constitution: _Recorded, opa: Any, approval_class: str, author: str, approvers: list, author_agent: str | None,
    requester: Any, editors: Any,
) -> None:
    _agree(constitution, opa, lambda c: c.check_approval(approval_class, author, approvers, author_agent=author_agent,
                                                         requester=requester, editors=editors))
