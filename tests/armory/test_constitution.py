from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fractalops.armory import APPROVAL_CLASSES, Constitution, class_rank
from fractalops.armory.constitution import DEFAULT_POLICY_DIR, policy_input
from fractalops.errors import ConfigError


@pytest.fixture(scope="module")
def constitution() -> Constitution:
    return Constitution.load()


@pytest.mark.parametrize(
    "proposal, expected",
    [
        ({"kind": "workspace_patch", "files": ["docs/guide.md", "tests/test_x.py"]}, "routine"),
        ({"kind": "workspace_patch", "files": ["README.md"]}, "routine"),
        ({"kind": "workspace_patch", "files": []}, "standard"),
        ({"kind": "workspace_patch", "files": ["fractalops/hud/model.py"]}, "standard"),
        ({"kind": "workspace_patch", "files": ["docs/a.md", "src/app.py"]}, "standard"),
        ({"kind": "ontology_mapping", "target": "ontology"}, "standard"),
        ({"kind": "workspace_patch", "files": [".github/workflows/ci.yml"]}, "elevated"),
        ({"kind": "workspace_patch", "files": ["infra/main.tf"]}, "elevated"),
        ({"kind": "workspace_patch", "files": ["deploy/values.yaml"]}, "elevated"),
        ({"kind": "workspace_patch", "files": ["config/.env.production"]}, "elevated"),
        ({"kind": "workspace_patch", "files": ["docs/secrets.md"]}, "elevated"),
        ({"kind": "workspace_patch", "files": ["fractalops/armory/policy/author.rego"]}, "elevated"),
        ({"kind": "workspace_patch", "files": ["fractalops/armory/armory.yaml"]}, "elevated"),
        ({"kind": "workspace_patch", "files": ["../outside.txt"]}, "elevated"),
        ({"kind": "workspace_patch", "files": ["src/a.py"], "target": "production"}, "elevated"),
        ({"kind": "workspace_patch", "files": ["src/a.py"], "target": "env:prod"}, "elevated"),
        ({"kind": "workspace_patch", "files": ["src/a.py"], "target": "repo:reproducer"}, "standard"),
        ({"kind": "workspace_patch", "files": "docs/a.md"}, "elevated"),
        ({"kind": "workspace_patch", "files": ["docs/a.md", 7]}, "elevated"),
        ({"kind": "constitution_change", "files": ["docs/a.md"]}, "restricted"),
        ({"kind": "secret_rotation"}, "restricted"),
        ({"kind": "workspace_patch", "files": ["docs/a.md"], "risk": "low"}, "routine"),
        ({"kind": "workspace_patch", "files": ["docs/a.md"], "risk": "high"}, "elevated"),
        ({"kind": "workspace_patch", "files": ["docs/a.md"], "risk": "made-up"}, "elevated"),
        ({"kind": "workspace_patch", "files": [".github/x"], "risk": "low"}, "elevated"),
        ({"kind": "workspace_patch", "files": [{"path": "docs/a.md", "op": "modify"}]}, "routine"),
        ({"kind": "tool_call", "target": "mcp://memory.mcp", "files": []}, "standard"),
        ({"kind": "tool_call", "target": "mcp://memory.mcp", "files": [], "declared_class": "elevated"}, "elevated"),
        ({"kind": "tool_call", "target": "mcp://memory.mcp", "files": [], "declared_class": "restricted"},
         "restricted"),
        ({"kind": "tool_call", "target": "mcp://memory.mcp", "files": [], "declared_class": "routine"}, "standard"),
        ({"kind": "tool_call", "target": "mcp://memory.mcp", "files": [], "declared_class": "made-up"}, "elevated"),
        ({"kind": "tool_call", "target": "mcp://memory.mcp", "files": [], "declared_class": 3}, "elevated"),
        ({"kind": "tool_call", "target": "mcp://prod.tickets", "files": []}, "elevated"),
    ],
)
def test_classify_examples(constitution: Constitution, proposal: dict, expected: str) -> None:
    assert constitution.classify(proposal) == expected


@pytest.mark.parametrize(
    ("target", "files", "expected"),
    [
        ("préprod", ["src/a.py"], "elevated"),  # was sent as "pr\\u00e9prod": no word boundary before `prod`
        ("env\tprod", ["src/a.py"], "elevated"),
        ("env\nstaging", ["src/a.py"], "elevated"),  # control characters are never judged further
        ('a"b', ["src/a.py"], "elevated"),
        ("\uff30\uff32\uff2f\uff24", ["src/a.py"], "elevated"),  # fullwidth PROD
        (None, ["\u212a8s/deploy.yaml"], "elevated"),  # Kelvin sign K
        (None, ["\u0130nfra/main.tf"], "elevated"),  # dotted capital I
        (None, ["docs/x\n.md"], "elevated"),
        (None, ["docs/back\\slash.md"], "elevated"),
        (None, ["docs/café.md"], "routine"),
    ],
)
def test_escapes_and_unicode_cannot_lower_the_class(
    constitution: Constitution, target: str | None, files: list[str], expected: str
) -> None:
    proposal = {"kind": "workspace_patch", "files": files, **({"target": target} if target else {})}
    assert constitution.classify(proposal) == expected


def test_policy_input_sends_only_the_judged_fields() -> None:
    doc = policy_input({"kind": "k", "files": [{"path": "a"}], "diff": "x" * 10_000, "risk": "low"})
    assert doc == {"kind": "k", "files": ["a"], "risk": "low"}
    tool_call = policy_input({"kind": "tool_call", "target": "mcp://m", "files": [], "declared_class": "elevated",
                              "arguments": {"secret": "not sent"}})
    assert tool_call == {"kind": "tool_call", "target": "mcp://m", "files": [], "declared_class": "elevated"}


@pytest.mark.parametrize("declared", [*APPROVAL_CLASSES, "made-up", None])
@pytest.mark.parametrize("files", [[], ["docs/a.md"], [".github/x.yml"]])
def test_a_declared_class_never_lowers_the_class(constitution: Constitution, declared: str | None, files: list) -> None:
    base = constitution.classify({"kind": "workspace_patch", "files": files})
    declared_doc = {"kind": "workspace_patch", "files": files, "declared_class": declared}
    # None is "nothing declared"; a name that is not a class is not trusted to mean anything low
    floor = 0 if declared is None else class_rank(declared) if declared in APPROVAL_CLASSES else 2
    assert class_rank(constitution.classify(declared_doc)) == max(class_rank(base), floor)


def test_a_tool_call_above_the_model_assets_ceiling_is_refused(constitution: Constitution) -> None:
    call = {"kind": "tool_call", "target": "mcp://tickets.mcp", "files": [], "declared_class": "elevated"}
    refused = constitution.check_author(call, "standard", "agent")
    assert not refused.allowed and "above the author's ceiling standard" in refused.reason
    assert constitution.check_author(call, "elevated", "agent").allowed


def test_author_above_ceiling_is_refused_not_downgraded(constitution: Constitution) -> None:
    decision = constitution.check_author({"kind": "workspace_patch", "files": ["infra/x.tf"]}, "standard", "agent")
    assert not decision.allowed
    assert decision.approval_class == "elevated"  # never downgraded to fit
    assert "ceiling standard" in decision.reason and "elevated" in decision.reason


def test_agents_may_not_propose_restricted(constitution: Constitution) -> None:
    proposal = {"kind": "constitution_change"}
    assert not constitution.check_author(proposal, "restricted", "agent").allowed
    human = constitution.check_author(proposal, "restricted", "human")
    assert human.allowed and human.required == 2


def test_unknown_ceiling_or_principal_is_refused(constitution: Constitution) -> None:
    proposal = {"kind": "workspace_patch", "files": ["a.py"]}
    assert "unknown ceiling" in constitution.check_author(proposal, "root", "agent").reason
    assert "unknown principal_kind" in constitution.check_author(proposal, "restricted", "robot").reason


def test_routine_is_a_recorded_policy_decision(constitution: Constitution) -> None:
    decision = constitution.check_approval("routine", "agent:forge", [])
    assert decision.allowed and decision.required == 0 and "policy decision" in decision.reason


def test_standard_needs_one_eligible_human(constitution: Constitution) -> None:
    assert not constitution.check_approval("standard", "agent:forge", []).allowed
    d = constitution.check_approval("standard", "agent:forge", [{"identity": "alice", "role": "approver"}])
    assert d.allowed and d.approvers == ("alice",)
    d = constitution.check_approval("standard", "agent:forge", [{"identity": "op", "role": "operator"}])
    assert not d.allowed and d.missing == 1 and d.rejected[0][0] == "op"


def test_self_approval_and_agent_approval_are_rejected_with_reasons(constitution: Constitution) -> None:
    d = constitution.check_approval(
        "standard",
        "alice",
        [
            {"identity": "alice", "role": "owner"},
            {"identity": "agent:sentinel", "role": "owner"},
            {"identity": "bob", "role": "agent"},
            {"identity": "carol", "roles": ["approver", "agent"]},
            {"identity": "dave", "role": "owner", "principal_kind": "agent"},
        ],
        author_agent="agent:forge",
    )
    assert not d.allowed and d.approvers == ()
    whys = {identity: why for identity, _role, why in d.rejected}
    assert "own proposal" in whys["alice"]
    assert all("agents can never approve" in whys[i] for i in ("agent:sentinel", "bob", "carol", "dave"))


def test_restricted_needs_two_owner_or_security_humans(constitution: Constitution) -> None:
    approvers = [{"identity": "a", "role": "approver"}, {"identity": "b", "role": "maintainer"}]
    assert not constitution.check_approval("restricted", "h", approvers).allowed
    approvers = [{"identity": "a", "role": "owner"}, {"identity": "b", "role": "security"}]
    assert constitution.check_approval("restricted", "h", approvers).allowed


def test_unknown_class_is_never_allowed(constitution: Constitution) -> None:
    d = constitution.check_approval("godmode", "x", [{"identity": "a", "role": "owner"}] * 3)
    assert not d.allowed and "unknown approval class" in d.reason


def test_broken_policy_fails_at_load(tmp_path: Path) -> None:
    (tmp_path / "bad.rego").write_text("package fractalops.constitution\nimport rego.v1\nx if {\n")
    with pytest.raises(ConfigError, match="constitution policy"):
        Constitution.load(tmp_path)
    with pytest.raises(ConfigError, match="no .rego files"):
        Constitution.load(tmp_path / "empty")


def test_policy_files_are_plain_opa_rego_v1() -> None:
    for path in sorted(DEFAULT_POLICY_DIR.glob("*.rego")):
        text = path.read_text()
        assert "package fractalops.constitution" in text and "import rego.v1" in text, path.name
        assert "future.keywords" not in text


def test_concurrent_decisions_match_sequential(constitution: Constitution) -> None:
    proposals = [{"kind": "workspace_patch", "files": [f"docs/{i}.md"] if i % 3 else [f"infra/{i}.tf"]}
                 for i in range(60)]
    expected = [constitution.classify(p) for p in proposals]
    results: dict[int, list[str]] = {}
    start = threading.Barrier(4)

    def worker(n: int) -> None:
        start.wait()
        results[n] = [constitution.classify(p) for p in proposals]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[n] == expected for n in range(4))


# --- properties -------------------------------------------------------------------------------------------

_paths = st.one_of(
    st.sampled_from(["docs/a.md", "tests/t.py", "README.md", "src/app.py", ".github/ci.yml", "infra/x.tf",
                     "deploy/k.yaml", "conf/.env", "fractalops/armory/policy/x.rego", "keys/id_rsa", "a/b.py"]),
    st.text(alphabet="abcdefghij/._-", min_size=1, max_size=20),
)
_proposals = st.fixed_dictionaries(
    {"kind": st.sampled_from(["workspace_patch", "docs_patch", "ontology_mapping", "constitution_change",
                              "secret_rotation", "infra_change", "advice", "whatever"]),
     "files": st.lists(_paths, max_size=5)},
    optional={"target": st.sampled_from(["workspace", "production", "ontology", "repo:main"]),
              "risk": st.sampled_from(["low", "medium", "high", "critical", "routine", "restricted", "??"])},
)
_classes = st.sampled_from(APPROVAL_CLASSES)
_FAST = settings(max_examples=120, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@_FAST
@given(proposal=_proposals, ceiling=_classes, principal_kind=st.sampled_from(["agent", "human"]))
def test_no_proposal_above_its_ceiling_is_allowed(
    constitution: Constitution, proposal: dict, ceiling: str, principal_kind: str
) -> None:
    decision = constitution.check_author(proposal, ceiling, principal_kind)
    cls = constitution.classify(proposal)
    assert decision.approval_class == cls
    within = class_rank(cls) <= class_rank(ceiling)
    agent_restricted = principal_kind == "agent" and cls == "restricted"
    assert decision.allowed == (within and not agent_restricted)


@_FAST
@given(proposal=_proposals, risk=st.sampled_from(["low", "none", "routine", "medium", "high", "critical", "x"]))
def test_risk_never_lowers_the_class(constitution: Constitution, proposal: dict, risk: str) -> None:
    base = constitution.classify({k: v for k, v in proposal.items() if k != "risk"})
    rated = constitution.classify({**proposal, "risk": risk})
    assert class_rank(rated) >= class_rank(base)


_identities = st.sampled_from(["alice", "bob", "carol", "dave", "agent:forge", "agent:sentinel", "user:zed"])
_roles = st.sampled_from(["approver", "owner", "maintainer", "security", "reviewer", "operator", "agent"])
_approvers = st.lists(st.fixed_dictionaries({"identity": _identities, "role": _roles}), max_size=6)


@_FAST
@given(cls=_classes, author=_identities, approvers=_approvers)
def test_no_agent_and_no_author_ever_counts_as_approver(
    constitution: Constitution, cls: str, author: str, approvers: list[dict]
) -> None:
    decision = constitution.check_approval(cls, author, approvers, author_agent="agent:forge")
    agents = {a["identity"] for a in approvers if a["role"] == "agent"}
    for identity in decision.approvers:
        assert identity != author and identity != "agent:forge"
        assert not identity.startswith("agent:") and identity not in agents
    eligible_humans = {a["identity"] for a in approvers
                       if a["identity"] not in agents and a["identity"] != author
                       and not a["identity"].startswith("agent:")}
    if cls != "routine" and not eligible_humans:
        assert not decision.allowed


@_FAST
@given(author=_identities, approvers=_approvers)
def test_elevated_needs_two_distinct_eligible_humans(
    constitution: Constitution, author: str, approvers: list[dict]
) -> None:
    decision = constitution.check_approval("elevated", author, approvers)
    agents = {a["identity"] for a in approvers if a["role"] == "agent"}
    eligible = {a["identity"] for a in approvers
                if a["role"] in {"approver", "owner", "maintainer", "security"} and a["identity"] not in agents
                and a["identity"] != author and not a["identity"].startswith("agent:")}
    assert decision.allowed == (len(eligible) >= 2)
    assert decision.required == 2 and decision.missing == max(0, 2 - len(eligible))


def test_an_identity_listed_as_agent_never_counts(constitution: Constitution) -> None:
    approvers = [{"identity": "x", "role": "owner"}, {"identity": "x", "role": "agent"},
                 {"identity": "y", "role": "owner"}]
    d = constitution.check_approval("standard", "agent:forge", approvers)
    assert d.approvers == ("y",)
    assert not constitution.check_approval("elevated", "agent:forge", approvers).allowed


def test_one_human_many_times_is_still_one(constitution: Constitution) -> None:
    d = constitution.check_approval("elevated", "agent:forge", [{"identity": "alice", "role": "owner"}] * 5)
    assert not d.allowed and d.approvers == ("alice",) and d.missing == 1
    assert d.to_dict() == {"allowed": False, "reason": d.reason, "approval_class": "elevated", "required": 2,
                           "missing": 1, "approvers": ["alice"], "rejected": []}


# --- the people: requester and editors --------------------------------------------------------------------------

_OWNER = "owner"  # a role eligible for every class, so only the people rules decide below


@pytest.mark.parametrize(
    ("cls", "approvers", "requester", "editors", "allowed", "counted"),
    [
        ("standard", ["alice"], "alice", [], True, ["alice"]),  # the normal HITL loop: launch, then approve
        ("standard", ["alice"], "alice", ["alice"], False, []),  # the requester edited it: now an author
        ("standard", ["bob"], "alice", ["bob"], False, []),  # an editor never approves, for any later hash
        ("standard", ["bob", "carol"], "alice", ["bob"], True, ["carol"]),
        ("elevated", ["alice"], "alice", [], False, ["alice"]),
        ("elevated", ["alice", "bob"], "alice", [], True, ["alice", "bob"]),  # bob is neither requester nor editor
        ("elevated", ["alice", "bob"], "alice", ["bob"], False, ["alice"]),
        ("elevated", ["alice", "bob", "carol"], "alice", ["bob"], True, ["alice", "carol"]),
        ("elevated", ["bob", "carol"], "alice", [], True, ["bob", "carol"]),
        ("restricted", ["alice", "bob"], "alice", [], False, ["bob"]),  # the requester never counts here
        ("restricted", ["bob", "carol"], "alice", ["carol"], False, ["bob"]),
        ("restricted", ["bob", "carol"], "alice", [], True, ["bob", "carol"]),
        ("routine", [], "alice", ["alice"], True, []),
    ],
)
def test_requester_and_editor_rules(
    constitution: Constitution, cls: str, approvers: list[str], requester: str, editors: list[str], allowed: bool,
    counted: list[str],
) -> None:
    d = constitution.check_approval(cls, "agent:forge", [{"identity": i, "role": _OWNER} for i in approvers],
                                    author_agent="forge", requester=requester, editors=editors)
    assert (d.allowed, list(d.approvers)) == (allowed, counted), d.reason


def test_people_rules_name_why_an_approval_did_not_count(constitution: Constitution) -> None:
    d = constitution.check_approval("restricted", "agent:forge",
                                    [{"identity": "alice", "role": "owner"}, {"identity": "bob", "role": "owner"}],
                                    requester="alice", editors=["bob"])
    whys = {identity: why for identity, _role, why in d.rejected}
    assert whys == {"alice": "the requester cannot approve a restricted proposal",
                    "bob": "an editor counts as an author of the edited proposal and cannot approve it"}
    d = constitution.check_approval("elevated", "agent:forge", [{"identity": "alice", "role": "owner"}],
                                    requester="alice")
    assert d.missing == 1 and "at least 1 of them neither the requester nor an editor" in d.reason


@pytest.mark.parametrize(("requester", "editors"), [(None, "alice"), (7, None), (None, ["alice", 7])])
def test_people_that_cannot_be_judged_allow_nothing(constitution: Constitution, requester, editors) -> None:
    d = constitution.check_approval("standard", "agent:forge", [{"identity": "bob", "role": "owner"}],
                                    requester=requester, editors=editors)
    assert not d.allowed and d.reason.startswith("cannot judge the approvers")
