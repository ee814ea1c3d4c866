from __future__ import annotations

from rdflib import Graph
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, SH

from fractalops.planes.semantics import FO, global_terms, ontology_graph, shapes_graph, validate
from fractalops.planes.semantics.ontology import is_global_term, shapes_text

REQUIRED_CLASSES = ["Project", "Agent", "Proposal", "Change", "Commit", "Dataset", "SchemaField", "Owner",
                    "DomainTerm", "Event", "Evidence"]


def test_ontology_declares_every_required_class() -> None:
    onto = ontology_graph()
    for name in REQUIRED_CLASSES:
        assert (FO[name], RDF.type, OWL.Class) in onto, name


def test_every_required_class_has_a_shape_with_required_properties() -> None:
    shapes = Graph().parse(data=shapes_text(), format="turtle")  # the authored (nested) form
    targeted = set(shapes.objects(None, SH.targetClass))
    for name in REQUIRED_CLASSES:
        assert FO[name] in targeted, f"no SHACL shape targets fo:{name}"
    for shape in shapes.subjects(SH.targetClass, None):
        has_required = any(shapes.value(p, SH.minCount) for p in shapes.objects(shape, SH.property))
        assert has_required, f"{shape} requires nothing"


def test_shipped_ontology_conforms_to_its_own_shapes() -> None:
    report = validate(ontology_graph())
    assert report.conforms, report.text


def test_global_terms_are_domain_terms() -> None:
    terms = global_terms()
    assert FO.Customer in terms and FO.EmailAddress in terms
    assert FO.Dataset not in terms  # classes are not mapping targets
    assert is_global_term(str(FO.Revenue))
    assert not is_global_term(str(FO.NoSuchTerm))


def test_flattened_shapes_keep_every_property_shape_targeted() -> None:
    flat = shapes_graph()
    assert list(flat.subject_objects(SH.property)) == []
    or_members = {m for lst in flat.objects(None, SH["or"]) for m in Collection(flat, lst)}
    for prop in set(flat.subjects(RDF.type, SH.PropertyShape)) - or_members:
        assert flat.value(prop, SH.targetClass) is not None, prop
    assert validate(ontology_graph()).conforms
