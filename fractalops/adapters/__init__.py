"""Process adapters: run an Armory asset on a task in an isolated workspace, contained and redacted.

Public API (everything else in this package is an adapter implementation or an underscore helper):
`run_asset` / `AdapterRun` (adapters.run), `isolated_workspace` / `Workspace` (adapters.workspace),
`run_process` / `ProcessSpec` / `ProcessResult` (adapters.process), and the extension point
`ProcessAdapter` / `AdapterTask` / `adapter_for` / `register_adapter` (adapters.protocol).
"""

from fractalops.adapters.process import ProcessResult, ProcessSpec, run_process
from fractalops.adapters.protocol import (
    AdapterTask,
    ProcessAdapter,
    adapter_for,
    adapter_kinds,
    register_adapter,
)
from fractalops.adapters.run import AdapterRun, run_asset
from fractalops.adapters.workspace import Workspace, isolated_workspace

__all__ = [
    "AdapterRun",
    "AdapterTask",
    "ProcessAdapter",
    "ProcessResult",
    "ProcessSpec",
    "Workspace",
    "adapter_for",
    "adapter_kinds",
    "isolated_workspace",
    "register_adapter",
    "run_asset",
    "run_process",
]
