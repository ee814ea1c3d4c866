# (b) May this author propose this proposal? Ceiling and principal checks; never downgrades the class.
# Query: data.fractalops.constitution.author_decision
# with input {"proposal": {...}, "author": {"ceiling": "<class>", "principal_kind": "agent"|"human"}}.
package fractalops.constitution

import rego.v1

author := object.get(input, "author", {})

author_ceiling := object.get(author, "ceiling", "")

author_kind := object.get(author, "principal_kind", "")

author_reason := sprintf("unknown ceiling %v; valid ceilings: %v", [author_ceiling, classes]) if {
	not rank[author_ceiling]
} else := sprintf("unknown principal_kind %v; valid: agent, human", [author_kind]) if {
	not author_kind in {"agent", "human"}
} else := sprintf("principal kind %v may not propose a restricted proposal; only humans may", [author_kind]) if {
	approval_class == "restricted"
	not author_kind in restricted_authors
} else := sprintf("refused: proposal class %v is above the author's ceiling %v (never downgraded)", [
	approval_class, author_ceiling,
]) if {
	rank[approval_class] > rank[author_ceiling]
} else := sprintf("allowed: proposal class %v is within the author's ceiling %v", [approval_class, author_ceiling])

author_allowed if startswith(author_reason, "allowed:")

default author_allowed := false

author_decision := {
	"allowed": author_allowed,
	"reason": author_reason,
	"approval_class": approval_class,
	"ceiling": author_ceiling,
	"required": required_approvals[approval_class],
}
