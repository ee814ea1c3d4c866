"""Catalog plane: DataHub metadata change proposals (file-source JSON on disk, optional GMS REST emission).

A catalog entry aids search, lineage discovery and impact navigation; it never closes a proof path by itself.
"""

from fractalops.planes.catalog.datahub import (
    ASPECT_NAMES,
    MCP,
    build_mcps,
    datahub_path,
    dataset_urn,
    glossary_term_urn,
    owner_urn,
    validate_mcps,
    write_mcps,
)
from fractalops.planes.catalog.gms import GMS_URL_ENV, emit_to_gms, gms_url, to_rest_proposal

__all__ = [
    "ASPECT_NAMES",
    "GMS_URL_ENV",
    "MCP",
    "build_mcps",
    "datahub_path",
    "dataset_urn",
    "emit_to_gms",
    "glossary_term_urn",
    "gms_url",
    "owner_urn",
    "to_rest_proposal",
    "validate_mcps",
    "write_mcps",
]
