"""`SemanticGraph`: the persistent RDF plane (named graphs in one N-Quads file under `<data dir>/semantics/`)."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF

from fractalops import settings
from fractalops.errors import SemanticsError
from fractalops.planes.semantics import _store
from fractalops.planes.semantics.namespaces import (
    FO,
    ID_BASE,
    agent_iri,
    change_iri,
    commit_iri,
    project_iri,
    proposal_iri,
)
from fractalops.planes.semantics.turtle import parse_turtle
from fractalops.planes.semantics.validation import ValidationReport, require_valid
from fractalops.planes.semantics.validation import validate as validate_graph

__all__ = ["SemanticGraph", "open_semantics", "get_semantics", "PROPOSALS_GRAPH", "steward_graph_iri", "terms_graph_iri"]

PROPOSALS_GRAPH = URIRef(ID_BASE + "graph/proposals")
"""Named graph holding applied proposals and their lineage."""
_LOADED_GRAPH = URIRef(ID_BASE + "graph/loaded")

# Downstream lineage: X is downstream of Y when X prov:wasDerivedFrom / prov:wasGeneratedBy / prov:used Y.
_STEP = "(<http://www.w3.org/ns/prov#wasDerivedFrom>|<http://www.w3.org/ns/prov#wasGeneratedBy>|<http://www.w3.org/ns/prov#used>)"


def steward_graph_iri(project: str) -> URIRef:
    """Named graph holding the latest steward report of `project` (replaced on every run)."""
    return URIRef(ID_BASE + "graph/steward/" + project_iri(project).rsplit("/", 1)[-1])


def terms_graph_iri(project: str) -> URIRef:
    """Named graph holding the approved local→global term mappings of `project`."""
    return URIRef(ID_BASE + "graph/terms/" + project_iri(project).rsplit("/", 1)[-1])


@contextmanager
def _rdflib_quiet() -> Iterator[None]:
    """rdflib 7's own Dataset/N-Quads code calls its deprecated API; keep that noise out of our callers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def _iri(value: str) -> URIRef:
    if "://" not in value or any(c in value for c in " <>\"{}|\\^`"):
        raise SemanticsError(f"{value!r} is not an absolute IRI; pass a full IRI such as {ID_BASE}project/<name>")
    return URIRef(value)


class SemanticGraph:
    """The semantic plane on disk: `<root>/graph.nq` (one named graph per source), written atomically.

    Every write validates the incoming triples (with the existing description of the same subjects)
    against the SHACL shapes first, then rewrites the file via write-rename under an exclusive lock.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / "graph.nq"
        self._lock = self.root / ".graph.lock"
        self._stamp: tuple[int, int, int] | None = None
        self._ds = Dataset(default_union=True)
        self._mutex = threading.RLock()  # rdflib stores are not safe for concurrent writers in one process
        self._reload_if_changed()

    # -- persistence ---------------------------------------------------------------------------
    def _reload_if_changed(self) -> None:
        current = _store.stamp(self.path)
        if current == self._stamp:
            return
        ds = Dataset(default_union=True)
        if current is not None:
            try:
                with _rdflib_quiet():
                    ds.parse(self.path, format="nquads")
            except Exception as exc:
                raise SemanticsError(
                    f"semantic graph file {self.path} is unreadable ({exc}); restore it from backup or remove it"
                ) from exc
        self._ds, self._stamp = ds, current

    def _persist(self) -> None:
        with _rdflib_quiet():
            text = self._ds.serialize(format="nquads")
        _store.atomic_write_text(self.path, "".join(sorted(f"{ln}\n" for ln in text.splitlines() if ln.strip())))
        self._stamp = _store.stamp(self.path)

    @property
    def dataset(self) -> Dataset:
        """The live union view (read-only by convention; write through the methods)."""
        with self._mutex:
            self._reload_if_changed()
            return self._ds

    @property
    def version(self) -> tuple[int, int, int] | None:
        """A stamp of the graph file that changes with every write (by this handle or any other): a cache of
        what was read from the graph is fresh while the stamp is the same. None while the graph is empty."""
        return _store.stamp(self.path)

    def named_graph(self, iri: URIRef | str) -> Graph:
        """A read-only view of one named graph (e.g. `terms_graph_iri(project)`)."""
        with self._mutex, _rdflib_quiet():
            self._reload_if_changed()
            return self._ds.graph(URIRef(str(iri)))

    def __len__(self) -> int:
        return len(self.dataset)

    # -- writes --------------------------------------------------------------------------------
    def _validation_graph(self, incoming: Graph) -> Graph:
        with _rdflib_quiet():
            return self._validation_graph_unquiet(incoming)

    def _validation_graph_unquiet(self, incoming: Graph) -> Graph:
        check = Graph()
        for triple in incoming:
            check.add(triple)
        for subject in set(incoming.subjects()):
            for _s, p, o in self._ds.triples((subject, None, None)):
                check.add((subject, p, o))
            for obj in incoming.objects(subject, None):
                if isinstance(obj, URIRef):
                    for t in self._ds.triples((obj, RDF.type, None)):
                        check.add(t)
        return check

    def merge(self, graph: Graph, *, context: URIRef | str = _LOADED_GRAPH, replace: bool = False,
              where: str = "graph") -> int:
        """Validate `graph`, then add it to the named graph `context` (or replace that graph). Returns its size."""
        ctx = URIRef(str(context))
        with self._mutex, _store.file_lock(self._lock):
            self._reload_if_changed()
            if replace:
                require_valid(graph, where)
            else:
                require_valid(self._validation_graph(graph), where)
            with _rdflib_quiet():
                target = self._ds.graph(ctx)
                if replace:
                    target.remove((None, None, None))
                for triple in graph:
                    target.add(triple)
            self._persist()
        return len(graph)

    def load_turtle(self, text_or_path: str | Path, *, context: URIRef | str = _LOADED_GRAPH) -> int:
        """Parse Turtle (errors name the line), SHACL-validate it, and persist it. Returns the triple count."""
        graph = parse_turtle(text_or_path)
        return self.merge(graph, context=context, where=str(text_or_path)[:80])

    def record_applied_proposal(
        self,
        *,
        thread_id: str,
        proposal_id: str,
        agent: str,
        principal: str,
        content_hash: str,
        target: str,
        files: list[str],
        commit: str,
        project: str,
    ) -> str:
        """Record proposal → change → applied commit (PROV-O) and return the proposal's global IRI.

        Lineage: the change `prov:used` the proposal; the commit `prov:wasGeneratedBy` the change.
        """
        for name, value in (("thread_id", thread_id), ("proposal_id", proposal_id), ("agent", agent),
                            ("content_hash", content_hash), ("target", target), ("commit", commit),
                            ("project", project)):
            if not value:
                raise SemanticsError(f"record_applied_proposal: {name} is empty; pass the applied proposal's {name}")
        p, c, k = proposal_iri(proposal_id), change_iri(proposal_id), commit_iri(commit)
        a, pr = agent_iri(agent), project_iri(project)
        g = Graph()
        g.add((pr, RDF.type, FO.Project))
        g.add((pr, FO.name, Literal(project)))
        g.add((a, RDF.type, FO.Agent))
        g.add((a, RDF.type, PROV.Agent))
        g.add((a, FO.name, Literal(agent)))
        g.add((p, RDF.type, FO.Proposal))
        g.add((p, RDF.type, PROV.Entity))
        g.add((p, FO.proposalId, Literal(proposal_id)))
        g.add((p, FO.threadId, Literal(thread_id)))
        g.add((p, FO.contentHash, Literal(content_hash)))
        g.add((p, FO.target, Literal(target)))
        if principal:
            g.add((p, FO.principal, Literal(principal)))
        g.add((p, PROV.wasAttributedTo, a))
        g.add((p, FO.inProject, pr))
        g.add((c, RDF.type, FO.Change))
        g.add((c, RDF.type, PROV.Activity))
        g.add((c, PROV.used, p))
        g.add((c, PROV.wasAssociatedWith, a))
        g.add((c, FO.inProject, pr))
        for f in files:
            g.add((c, FO.changedFile, Literal(f)))
        g.add((k, RDF.type, FO.Commit))
        g.add((k, RDF.type, PROV.Entity))
        g.add((k, FO.commitRef, Literal(commit)))
        g.add((k, PROV.wasGeneratedBy, c))
        g.add((k, FO.inProject, pr))
        self.merge(g, context=PROPOSALS_GRAPH, where=f"applied proposal {proposal_id}")
        return str(p)

    def remove_identity(self, iri: str) -> int:
        """Remove every triple about `iri` (as subject or object). Returns how many were removed."""
        node = _iri(iri)
        with self._mutex, _store.file_lock(self._lock):
            self._reload_if_changed()
            with _rdflib_quiet():
                quads = list(self._ds.quads((node, None, None, None))) + list(self._ds.quads((None, None, node, None)))
            with _rdflib_quiet():
                for s, p, o, ctx in quads:
                    if ctx is not None:
                        self._ds.graph(ctx).remove((s, p, o))
                    else:
                        self._ds.remove((s, p, o))
            if quads:
                self._persist()
        return len({(s, p, o) for s, p, o, _ in quads})

    # -- reads ---------------------------------------------------------------------------------
    def has_identity(self, iri: str) -> bool:
        """True when the graph says anything about `iri` (it is the subject of at least one triple)."""
        node = _iri(iri)
        with _rdflib_quiet():
            return next(iter(self.dataset.triples((node, None, None))), None) is not None

    def describe(self, iri: str) -> list[tuple[str, str, str]]:
        """Every (subject, predicate, object) with `iri` as subject, sorted."""
        node = _iri(iri)
        with _rdflib_quiet():
            return sorted({(str(s), str(p), str(o)) for s, p, o in self.dataset.triples((node, None, None))})

    def resolve_dataset(self, name: str, project: str | None = None) -> str:
        """The IRI of the dataset called `name` (optionally `project/name`); errors on none or several."""
        if project is None and "/" in name:
            project, name = name.split("/", 1)
        ds = self.dataset
        with _rdflib_quiet():
            found = sorted(
                str(s) for s in ds.subjects(FO.name, Literal(name))
                if (s, RDF.type, FO.Dataset) in ds
                and (project is None or (s, FO.inProject, project_iri(project)) in ds)
            )
        if not found:
            raise SemanticsError(f"no dataset named {name!r} in the semantic graph; run `fractalops steward run` first")
        if len(found) > 1:
            raise SemanticsError(f"dataset name {name!r} is ambiguous ({', '.join(found)}); pass 'project/name' or an IRI")
        return found[0]

    def impact_paths(self, iri_or_dataset: str) -> list[list[str]]:
        """Downstream lineage paths from a node: every maximal path [start, ..., leaf] (SPARQL property paths)."""
        start = URIRef(iri_or_dataset) if "://" in iri_or_dataset else URIRef(self.resolve_dataset(iri_or_dataset))
        _iri(str(start))
        ds = self.dataset
        with _rdflib_quiet():
            rows = list(ds.query(
                "SELECT DISTINCT ?up ?down WHERE { ?down " + _STEP + "+ ?start . ?down " + _STEP + " ?up . }",
                initBindings={"start": start},
            ))
        reachable = {row[1] for row in rows} | {start}  # type: ignore[index]
        children: dict[URIRef, set[URIRef]] = {}
        for up, down in rows:  # type: ignore[misc]
            if up in reachable:
                children.setdefault(up, set()).add(down)
        paths: list[list[str]] = []

        def walk(node: URIRef, path: list[URIRef]) -> None:
            nexts = sorted(n for n in children.get(node, ()) if n not in path)
            if not nexts:
                if len(path) > 1:
                    paths.append([str(n) for n in path])
                return
            for n in nexts:
                walk(n, [*path, n])

        walk(start, [start])
        return paths

    def validate(self) -> ValidationReport:
        """Validate the whole union graph (every named graph together)."""
        g = Graph()
        with _rdflib_quiet():
            for t in self.dataset.triples((None, None, None)):
                g.add(t)
        return validate_graph(g)


def open_semantics(data_dir: Path | None = None) -> SemanticGraph:
    """A new handle on the semantic plane under `<data dir>/semantics/` (parses the file once)."""
    base = Path(data_dir) if data_dir is not None else settings.data_dir()
    return SemanticGraph(base / "semantics")


_shared: dict[Path, SemanticGraph] = {}
_shared_lock = threading.Lock()


def get_semantics(data_dir: Path | None = None) -> SemanticGraph:
    """The process's shared handle for a data dir (cheap to call per graph node; reloads when the file changes)."""
    given = Path(data_dir) if data_dir is not None else settings.data_dir()
    if given.is_absolute():  # the path as given first: resolving it costs a stat per component, per call
        with _shared_lock:
            handle = _shared.get(given)
        if handle is not None:
            return handle
    base = given.resolve()
    with _shared_lock:
        handle = _shared.get(base)
        if handle is None:
            handle = _shared[base] = SemanticGraph(base / "semantics")
        if given.is_absolute():  # a relative path names another directory once the working directory changes
            _shared[given] = handle
        return handle
