"""Property: random decision sequences (approve / edit / reject) by the people around a proposal never approve it
unless the constitution's rule holds for its final hash and class.

Driven through `apply_decisions` with the gate's real constitution checks (`review_checks`). The oracle below is
written from the rules in the README, independently of the Rego; after every step the test also asks the Rego and
requires the same answer. A few sequences then go all the way through relay's `apply_workspace_patch` on a real git
repo: only approved proposals ever reach `applied`, and the commit names exactly the approvals that counted.
"""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from fractalops.agents.gate import review_checks
from fractalops.armory import Constitution
from fractalops.errors import DecisionError, IllegalTransitionError
from fractalops.identity import Principal
from fractalops.planes.proposals import (
    ExecutionRecord,
    Proposal,
    ProposalStatus,
    ProposalStore,
    apply_workspace_patch,
)
from fractalops.planes.proposals.model import ApprovalClass, ApprovalRecord
from fractalops.planes.proposals.review import apply_decisions, parse_decisions
from tests.conftest import make_git_repo

REQUESTER = Principal("rita", frozenset({"approver", "owner"}))
AMY = Principal("amy", frozenset({"approver", "owner"}))
BEN = Principal("ben", frozenset({"approver", "security"}))
BOT = Principal("bot", frozenset({"approver", "agent"}))
NOBODY = Principal("nora", frozenset())
PEOPLE = [REQUESTER, AMY, BEN, BOT, NOBODY]

CLASSES = ["routine", "standard", "elevated", "restricted"]
RANK = {c: i for i, c in enumerate(CLASSES)}
REQUIRED = {"routine": 0, "standard": 1, "elevated": 2, "restricted": 2}
ROLES = {"routine": set(), "standard": {"approver", "reviewer", "maintainer", "owner", "security"},
         "elevated": {"approver", "maintainer", "owner", "security"}, "restricted": {"owner", "security"}}
FILE_CLASS = {"docs/x.md": "routine", "src/x.py": "standard", ".github/workflows/evil.yml": "elevated",
              "infra/main.tf": "elevated"}
"""The files an edit may write, with the class classify.rego gives a workspace patch of only that file."""
START_FILE = {"routine": "docs/x.md", "standard": "src/x.py", "elevated": "infra/main.tf", "restricted": "src/x.py"}

CONSTITUTION = Constitution.load()
CHECK, CHECK_EDIT = review_checks(CONSTITUTION, lambda p: p.author_ceiling)


def diff_for(path: str, n: int) -> str:
    return f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+v{n}\n"


def counted(p: Proposal) -> set[str]:
    """Who counts for the current hash and class, from the rules (not from the Rego)."""
    cls = str(p.approval_class)
    out = set()
    for a in p.approvals:
        if a.decision != "approve" or a.content_hash != p.content_hash:
            continue
        who, roles = a.identity, set(a.roles)
        if "agent" in roles or who.startswith("agent:") or who in {p.author_agent, f"agent:{p.author_agent}"}:
            continue  # agents and the author never count
        if who in p.editors:
            continue  # an editor counts as an author, for every later hash
        if cls == "restricted" and who == p.requester:
            continue
        if roles & ROLES[cls]:
            out.add(who)
    return out


def rule_holds(p: Proposal) -> bool:
    cls = str(p.approval_class)
    if cls == "routine":
        return True
    who = counted(p)
    independent = who - {p.requester}
    return len(who) >= REQUIRED[cls] and (cls != "elevated" or len(independent) >= 1)


def rego_says(p: Proposal) -> bool:
    return CHECK(p, p.approvals_for_current_hash()).allowed


def new_proposal(store: ProposalStore, cls: str, ceiling: str, base_commit: str = "c", target: str = "/r") -> Proposal:
    path = START_FILE[cls]
    p = store.create(thread_id="t", author_agent="forge", requester=REQUESTER.identity, kind="workspace_patch",
                     target=target, title="change", payload={"diff": diff_for(path, 0), "base_commit": base_commit,
                                                             "files": [path]})
    store.set_approval_class(p.id, ApprovalClass(cls), author_ceiling=ceiling)
    return store.transition(p.id, ProposalStatus.IN_REVIEW)


def expected_refusal(p: Proposal, kind: str, who: Principal, path: str) -> str | None:
    """Why the oracle expects `apply_decisions` to refuse this decision outright (None: it is recorded)."""
    if not who.can_approve():
        return "may not decide"
    if kind == "edit" and RANK[FILE_CLASS[path]] > RANK[p.author_ceiling]:
        return "refused by the constitution"
    if kind == "approve" and who.identity not in p.approvers_for_current_hash():
        vote = ApprovalRecord(decision="approve", identity=who.identity, content_hash=p.content_hash, at="t",
                              roles=tuple(sorted(who.roles)))
        after = p.model_copy(update={"approvals": [*p.approvals, vote]})
        if who.identity not in counted(after) and not rule_holds(after):
            return "would not count"
    return None


def decide(store: ProposalStore, p: Proposal, kind: str, who: Principal, path: str, n: int) -> None:
    """One decision through the gate's code path, checked against the oracle before and after."""
    d: dict = {"type": kind, "message": "no"}
    if kind == "edit":
        d["edited_action"] = {"name": "workspace_patch", "args": {"diff": diff_for(path, n)}}
    why = expected_refusal(p, kind, who, path)
    try:
        apply_decisions(store, [p], parse_decisions({"decisions": [d]}, 1), who, check=CHECK, check_edit=CHECK_EDIT)
    except DecisionError as exc:
        assert why is not None and why in str(exc), f"refused unexpectedly: {exc}"
        assert store.get(p.id) == p, "a refused decision records nothing"
        return
    assert why is None, f"expected a refusal ({why}) for {kind} by {who.identity}"
    after = store.get(p.id)
    assert RANK[after.approval_class] >= RANK[p.approval_class], "the class never goes down"
    if kind == "edit":
        assert after.content_hash != p.content_hash and after.status == ProposalStatus.IN_REVIEW
        assert after.approval_class == max(p.approval_class, FILE_CLASS[path], key=RANK.__getitem__)
        assert who.identity in after.editors and after.editors[: len(p.editors)] == p.editors


def check_final(p: Proposal) -> None:
    assert rego_says(p) == rule_holds(p), f"the Rego and the rules disagree on {p.approval_class}: {p.approvals}"
    if p.status == ProposalStatus.APPROVED:
        assert rule_holds(p), "approved although the rule does not hold for its final hash and class"
        assert set(p.approved_by) == counted(p)
    elif p.status == ProposalStatus.IN_REVIEW and p.approval_class != ApprovalClass.ROUTINE:
        assert not rule_holds(p), "the rule holds but the proposal was not approved"


@pytest.fixture(scope="module")
def target_repo(tmp_path_factory) -> tuple[str, str]:
    """A real repo at its base commit: an edited diff is checked against the proposal's target."""
    repo = make_git_repo(tmp_path_factory.mktemp("target") / "repo")
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    return str(repo), head.stdout.strip()


_STEPS = st.lists(st.tuples(st.sampled_from(["approve", "approve", "approve", "edit", "edit", "reject"]), st.sampled_from(PEOPLE),
                            st.sampled_from(sorted(FILE_CLASS))), max_size=8)


@st.composite
def _class_and_ceiling(draw: st.DrawFn) -> tuple[str, str]:
    cls = draw(st.sampled_from(CLASSES))
    return cls, draw(st.sampled_from([c for c in CLASSES if RANK[c] >= RANK[cls]]))


_EVIL = ".github/workflows/evil.yml"
_RAISED_THEN_APPROVED = [("edit", AMY, _EVIL), ("approve", AMY, ""), ("approve", REQUESTER, ""), ("approve", BEN, "")]
"""The probe's path: an approver raises a standard proposal to elevated; it cannot approve it; two others can."""


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=_class_and_ceiling(), steps=_STEPS)
@example(start=("standard", "elevated"), steps=_RAISED_THEN_APPROVED)
@example(start=("standard", "standard"), steps=[("edit", AMY, _EVIL), ("approve", AMY, "")])
@example(start=("elevated", "elevated"), steps=[("approve", REQUESTER, ""), ("approve", REQUESTER, ""),
                                                ("approve", AMY, "")])
@example(start=("restricted", "restricted"), steps=[("approve", REQUESTER, ""), ("approve", AMY, ""),
                                                    ("edit", BEN, "src/x.py"), ("approve", BEN, ""),
                                                    ("approve", AMY, ""), ("approve", REQUESTER, "")])
@example(start=("restricted", "restricted"), steps=[("approve", AMY, ""), ("approve", BEN, "")])
def test_nothing_is_approved_unless_the_rule_holds_for_the_final_hash_and_class(tmp_path_factory, target_repo,
                                                                                 start, steps):
    store = ProposalStore(tmp_path_factory.mktemp("props") / "p.sqlite")
    cls, ceiling = start
    p = new_proposal(store, cls, ceiling, base_commit=target_repo[1], target=target_repo[0])
    for n, (kind, who, path) in enumerate(steps, start=1):
        p = store.get(p.id)
        if p.status != ProposalStatus.IN_REVIEW:
            break
        decide(store, p, kind, who, path, n)
        check_final(store.get(p.id))
    final = store.get(p.id)
    check_final(final)
    event(f"started {cls}, ended {final.approval_class} {final.status}")


# --- all the way through relay's apply, on a real git repo ----------------------------------------------------

def _relay(store: ProposalStore, p: Proposal, lock_dir) -> str:
    """What relay does with a proposal: publish and apply only if approved; returns the commit or ''."""
    if p.status != ProposalStatus.APPROVED:
        with pytest.raises(IllegalTransitionError):
            store.transition(p.id, ProposalStatus.PUBLISHED)
        return ""
    p = store.transition(p.id, ProposalStatus.PUBLISHED)
    outcome = apply_workspace_patch(p, lock_dir=lock_dir, approvers=p.approved_by)
    assert outcome.status == "applied", outcome.reason
    store.mark_applied(p.id, ExecutionRecord(commit=outcome.commit, applied_hash=p.content_hash, at="t"))
    return outcome.commit


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=_class_and_ceiling(), steps=_STEPS)
@example(start=("standard", "elevated"), steps=_RAISED_THEN_APPROVED)
@example(start=("standard", "elevated"), steps=_RAISED_THEN_APPROVED[:3])
def test_only_approved_proposals_are_applied_and_the_commit_names_who_counted(tmp_path_factory, start, steps):
    root = tmp_path_factory.mktemp("relay")
    repo = make_git_repo(root / "repo")
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    store = ProposalStore(root / "p.sqlite")
    p = new_proposal(store, *start, base_commit=head, target=str(repo))
    for n, (kind, who, path) in enumerate(steps, start=1):
        p = store.get(p.id)
        if p.status != ProposalStatus.IN_REVIEW:
            break
        decide(store, p, kind, who, path, n)
    final = store.get(p.id)
    commit = _relay(store, final, root / "locks")
    log = subprocess.run(["git", "-C", str(repo), "log", "--format=%B"], capture_output=True, text=True,
                         check=True).stdout
    if not commit:
        assert final.status != ProposalStatus.APPROVED and f"Fractalops-Proposal: {final.id}" not in log
        assert store.get(p.id).status != ProposalStatus.APPLIED
        return
    assert rule_holds(final) and store.get(p.id).status == ProposalStatus.APPLIED
    message = subprocess.run(["git", "-C", str(repo), "show", "-s", "--format=%B", commit], capture_output=True,
                             text=True, check=True).stdout
    trailers = dict(line.split(": ", 1) for line in message.splitlines() if line.startswith("Fractalops-"))
    assert trailers["Fractalops-Content-Hash"] == final.content_hash
    named = set(trailers["Fractalops-Approved-By"].split(", "))
    assert named == (counted(final) or {"policy"}), "exactly the approvals that counted for the final hash"
    assert trailers["Fractalops-Requested-By"] == REQUESTER.identity
    assert trailers.get("Fractalops-Edited-By", "") == ", ".join(final.editors)
