# (c) Do these approvers satisfy the class? Distinct humans with an allowed role, never the author or an editor;
# the requester may be the one approver of a standard proposal, one of the two of an elevated one (the other is
# neither requester nor editor), and none of a restricted one.
# Query: data.fractalops.constitution.approval_decision with input
# {"approval_class": "<class>", "author_principal": "<id>", "author_agent": "<id>"?, "requester": "<id>"?,
#  "editors": ["<id>"]?, "approvers": [{"identity": "<id>", "role": "<role>"}]}.
package fractalops.constitution

import rego.v1

requested_class := object.get(input, "approval_class", "")

author_ids contains id if {
	some key in ["author_principal", "author_agent"]
	id := object.get(input, key, "")
	is_string(id)
	id != ""
}

# Who launched the run the proposal came from ("" when unknown).
requester := r if {
	r := object.get(input, "requester", "")
	is_string(r)
} else := ""

raw_editors := object.get(input, "editors", [])

# Everyone who edited the proposal: each counts as an author of what they edited, for every later hash.
editor_ids contains e if {
	is_array(raw_editors)
	some e in raw_editors
	is_string(e)
	e != ""
}

# People that cannot be judged are not guessed at: no decision is allowed until they are well-formed.
malformed_people contains "requester must be an identity string" if not is_string(object.get(input, "requester", ""))

malformed_people contains "editors must be a list of identity strings" if not is_array(raw_editors)

malformed_people contains "editors must be a list of identity strings" if {
	is_array(raw_editors)
	some e in raw_editors
	not is_string(e)
}

raw_approvers := object.get(input, "approvers", [])

approvers := raw_approvers if {
	is_array(raw_approvers)
} else := []

approver_id(a) := id if {
	is_object(a)
	id := object.get(a, "identity", "")
	is_string(id)
	id != ""
} else := ""

approver_role(a) := r if {
	is_object(a)
	r := object.get(a, "role", "")
	is_string(r)
} else := ""

# Every role an approver holds: `role` (string) plus `roles` (list), for identities with several roles.
approver_role_set(a) := {r | some r in array.concat([approver_role(a)], listed_roles(a)); is_string(r); r != ""}

listed_roles(a) := object.get(a, "roles", []) if {
	is_object(a)
	is_array(object.get(a, "roles", []))
} else := []

rejection(a) := "no identity" if {
	approver_id(a) == ""
} else := "the author or its principal cannot approve its own proposal" if {
	approver_id(a) in author_ids
} else := "an editor counts as an author of the edited proposal and cannot approve it" if {
	approver_id(a) in editor_ids
} else := "agents can never approve" if {
	approver_id(a) in agent_identities
} else := "agents can never approve" if {
	startswith(approver_id(a), "agent:")
} else := "agents can never approve" if {
	object.get(a, "principal_kind", "human") != "human"
} else := sprintf("the requester cannot approve a %v proposal", [requested_class]) if {
	requester != ""
	approver_id(a) == requester
	not requested_class in requester_may_approve
} else := sprintf("roles %v may not approve %v (allowed: %v)", [
	sort([r | some r in approver_role_set(a)]), requested_class, sort([r | some r in approver_roles[requested_class]]),
]) if {
	not eligible_role(a)
}

eligible_role(a) if count(approver_role_set(a) & approver_roles[requested_class]) > 0

# An identity listed with role `agent` anywhere is an agent everywhere in this check.
agent_identities contains approver_id(a) if {
	some a in approvers
	"agent" in approver_role_set(a)
}

# `is_object` first: object.get on a non-object entry is a type error, which OPA with strict built-in errors
# raises instead of treating as undefined.
agent_identities contains approver_id(a) if {
	some a in approvers
	is_object(a)
	object.get(a, "principal_kind", "human") != "human"
}

counted contains id if {
	some a in approvers
	not rejection(a)
	id := approver_id(a)
}

rejected contains {"identity": approver_id(a), "role": approver_role(a), "why": why} if {
	some a in approvers
	why := rejection(a)
}

# Counted approvers who are neither the requester nor an editor (editors never count at all).
independent := {id | some id in counted; id != requester}

approval_required := required_approvals[requested_class]

independent_required := object.get(independent_approvals, requested_class, 0)

approval_missing := max([0, approval_required - count(counted), independent_required - count(independent)])

# Malformed people are joined with concat, not sprintf: rego-cpp's sprintf quotes a string that concat produced.
approval_reason := sprintf("unknown approval class %v; valid classes: %v", [requested_class, classes]) if {
	not required_approvals[requested_class]
} else := concat("", ["cannot judge the approvers: ", concat("; ", sort(malformed_people))]) if {
	count(malformed_people) > 0
} else := "routine: approved by a recorded policy decision; no human approval required" if {
	requested_class == "routine"
} else := sprintf("approved: %v distinct eligible approver(s) for %v", [count(counted), requested_class]) if {
	approval_missing == 0
} else := sprintf("needs %v more distinct eligible human approver(s) for %v (%v of %v%v)", [
	approval_missing, requested_class, count(counted), approval_required, independence_note,
])

independence_note := sprintf(", at least %v of them neither the requester nor an editor", [independent_required]) if {
	independent_required > 0
} else := ""

approval_allowed if {
	requested_class == "routine"
	count(malformed_people) == 0
}

approval_allowed if {
	requested_class in {"standard", "elevated", "restricted"}
	approval_missing == 0
	count(malformed_people) == 0
}

default approval_allowed := false

approval_decision := {
	"allowed": approval_allowed,
	"reason": approval_reason,
	"approval_class": requested_class,
	"required": approval_required,
	"missing": approval_missing,
	"approvers": sort(counted),
	"rejected": rejected,
} if required_approvals[requested_class] >= 0 else := {
	"allowed": false,
	"reason": approval_reason,
	"approval_class": requested_class,
	"required": 0,
	"missing": 0,
	"approvers": [],
	"rejected": rejected,
}
