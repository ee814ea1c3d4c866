# (a) The approval class of a proposal from its kind, target, files and (raise-only) risk.
# Query: data.fractalops.constitution.approval_class with input {"proposal": {...}}.
package fractalops.constitution

import rego.v1

restricted_kinds := {"constitution_change", "secret_rotation", "access_grant"}

elevated_kinds := {"infra_change", "deploy", "dependency_change"}

routine_kinds := {"workspace_patch", "docs_patch"}

proposal := object.get(input, "proposal", {})

raw_files := object.get(proposal, "files", [])

files := [f | some f in raw_files; is_string(f)] if {
	is_array(raw_files)
} else := []

# Elevated paths: CI, infra, deploy, secrets-ish names, and the armory/policy itself.
elevated_prefixes := {".github/", "infra/", "deploy/", "deployment/", "terraform/", "helm/", "k8s/",
	".circleci/", ".gitlab-ci", "fractalops/armory/"}

secretish_fragments := {"secret", "credential", "password", "passwd", "token", ".env", ".pem", ".key",
	"id_rsa", "id_ed25519", ".p12", ".pfx", "kubeconfig", ".npmrc", ".pypirc", ".netrc"}

elevated_path(f) if {
	some prefix in elevated_prefixes
	startswith(lower(f), prefix)
}

elevated_path(f) if {
	some prefix in elevated_prefixes
	contains(lower(f), concat("", ["/", prefix]))
}

elevated_path(f) if {
	some fragment in secretish_fragments
	contains(lower(f), fragment)
}

elevated_path(f) if endswith(lower(f), ".rego")

elevated_path(f) if endswith(lower(f), "armory.yaml")

elevated_path(f) if {
	some segment in {"Dockerfile", "docker-compose", "Makefile", "pyproject.toml", "langgraph.json"}
	contains(f, segment)
}

routine_path(f) if startswith(f, "docs/")

routine_path(f) if startswith(f, "tests/")

routine_path(f) if endswith(lower(f), ".md")

routine_path(f) if endswith(lower(f), ".rst")

# Unsafe path text (absolute, parent escapes) is treated as elevated.
elevated_path(f) if startswith(f, "/")

# Text no path or target name should hold (control characters, double quotes, backslashes) is not judged
# further: it is elevated. An engine that sees such characters as their JSON escapes matches the backslash.
unusual_text(s) if regex.match(`[[:cntrl:]"\\]`, s)

elevated_path(f) if unusual_text(f)

elevated_path(f) if contains(f, "..")

docs_tests_only if {
	count(files) > 0
	every f in files {
		routine_path(f)
		not elevated_path(f)
	}
}

kind := object.get(proposal, "kind", "workspace_patch")

# A missing or non-string target is simply not considered.
target := lower(proposal.target) if {
	is_string(proposal.target)
} else := ""

base_rank := 0 if {
	kind in routine_kinds
	docs_tests_only
} else := 3 if {
	kind in restricted_kinds
} else := 2 if {
	kind in elevated_kinds
} else := 1

class_ranks contains base_rank

class_ranks contains 2 if {
	some f in files
	elevated_path(f)
}

# Files that are not a list of strings cannot be judged, so they raise the class.
class_ranks contains 2 if not is_array(raw_files)

class_ranks contains 2 if {
	is_array(raw_files)
	count(files) != count(raw_files)
}

# A target holding a control character, `"` or `\` (see `unusual_text`).
class_ranks contains 2 if {
	is_string(proposal.target)
	unusual_text(proposal.target)
}

# A target naming production, infra, secrets or the constitution (as a word, e.g. `env:prod`).
class_ranks contains 2 if regex.match(`(^|[^a-z0-9])(prod|production|infra|infrastructure|secrets?|constitution)([^a-z0-9]|$)`, target)

class_ranks contains risk_rank[lower(proposal.risk)] if is_string(proposal.risk)

# A class the Armory declares for this action (an MCP tool's `approval_class`, on its `tool_call` proposals): it
# only ever raises. A `tool_call` has no files, so it starts at standard like any other kind not listed above.
class_ranks contains rank[proposal.declared_class] if is_string(proposal.declared_class)

# A declared class that is not a class name (or not a string) is not trusted to mean anything low: elevated.
class_ranks contains 2 if {
	is_string(proposal.declared_class)
	not rank[proposal.declared_class]
}

class_ranks contains 2 if {
	proposal.declared_class != null
	not is_string(proposal.declared_class)
}

# An unrecognised risk rating is not trusted to mean "low": it raises to elevated.
class_ranks contains 2 if {
	is_string(proposal.risk)
	not risk_rank[lower(proposal.risk)]
}

class_ranks contains 2 if {
	proposal.risk != null
	not is_string(proposal.risk)
}

approval_class := classes[max(class_ranks)]
