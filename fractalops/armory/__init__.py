"""The Armory: runtime assets agents bind to, the constitution (Rego), and secret refs/backends/redaction.

`armory` does not depend on how processes run; adapters read `RuntimeAsset` and call `resolve_asset_secrets`.
"""

from fractalops.armory.assets import (
    ARMORY_ENV,
    DEFAULT_ARMORY_PATH,
    NATIVE_ASSET,
    Armory,
    AssetKind,
    RuntimeAsset,
    WorkdirPolicy,
    armory_path,
    load_armory,
)
from fractalops.armory.classes import APPROVAL_CLASSES, ApprovalClass, class_rank
from fractalops.armory.constitution import Constitution, Decision

__all__ = [
    "ARMORY_ENV",
    "DEFAULT_ARMORY_PATH",
    "NATIVE_ASSET",
    "APPROVAL_CLASSES",
    "ApprovalClass",
    "AssetKind",
    "WorkdirPolicy",
    "Armory",
    "RuntimeAsset",
    "armory_path",
    "load_armory",
    "class_rank",
    "Constitution",
    "Decision",
]
