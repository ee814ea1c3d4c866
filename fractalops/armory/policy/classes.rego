# Approval classes and who may approve each. Pure data, OPA-compatible (rego.v1).
package fractalops.constitution

import rego.v1

classes := ["routine", "standard", "elevated", "restricted"]

rank := {"routine": 0, "standard": 1, "elevated": 2, "restricted": 3}

# Distinct human approvers each class needs. routine: 0 humans, approved by a recorded policy decision.
required_approvals := {"routine": 0, "standard": 1, "elevated": 2, "restricted": 2}

# Of those, how many must be neither the requester nor an editor (editors never count at all).
independent_approvals := {"routine": 0, "standard": 0, "elevated": 1, "restricted": 2}

# Classes whose requester may be one of the approvers (the normal HITL loop: launch, then approve).
requester_may_approve := {"routine", "standard", "elevated"}

# Human roles that may approve each class (`approver` is the portal's generic approver role).
approver_roles := {
	"routine": set(),
	"standard": {"approver", "reviewer", "maintainer", "owner", "security"},
	"elevated": {"approver", "maintainer", "owner", "security"},
	"restricted": {"owner", "security"},
}

# Only these principal kinds may author a restricted proposal.
restricted_authors := {"human"}

# A model's own risk rating maps onto a class; it can only raise the class, never lower it.
risk_rank := {
	"routine": 0, "low": 0, "none": 0,
	"standard": 1, "medium": 1, "moderate": 1,
	"elevated": 2, "high": 2,
	"restricted": 3, "critical": 3,
}
