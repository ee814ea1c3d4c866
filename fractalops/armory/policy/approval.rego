# (c) Do these approvers satisfy the class? Distinct humans with an allowed role, never the author.
# Query: data.fractalops.constitution.approval_decision with input
# {"approval_class": "<class>", "author_principal": "<id>", "author_agent": "<id>"?,
#  "approvers": [{"identity": "<id>", "role": "<role>"}]}.
package fractalops.constitution

import rego.v1

requested_class := object.get(input, "approval_class", "")

author_ids contains id if {
	some key in ["author_principal", "author_agent"]
	id := object.get(input, key, "")
	is_string(id)
	id != ""
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
} else := "agents can never approve" if {
	approver_id(a) in agent_identities
} else := "agents can never approve" if {
	startswith(approver_id(a), "agent:")
} else := "agents can never approve" if {
	object.get(a, "principal_kind", "human") != "human"
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

approval_required := required_approvals[requested_class]

approval_missing := max([0, approval_required - count(counted)])

approval_reason := sprintf("unknown approval class %v; valid classes: %v", [requested_class, classes]) if {
	not required_approvals[requested_class]
} else := "routine: approved by a recorded policy decision; no human approval required" if {
	requested_class == "routine"
} else := sprintf("approved: %v distinct eligible approver(s) for %v", [count(counted), requested_class]) if {
	approval_missing == 0
} else := sprintf("needs %v more distinct eligible human approver(s) for %v (%v of %v)", [
	approval_missing, requested_class, count(counted), approval_required,
])

approval_allowed if requested_class == "routine"

approval_allowed if {
	requested_class in {"standard", "elevated", "restricted"}
	approval_missing == 0
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
