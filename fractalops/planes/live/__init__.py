"""Live plane: the `portal_live_events` outbox and the `harness-projection` read model."""

from fractalops.planes.live.outbox import (
    OUTBOX_TABLE,
    PROJECTION_NAME,
    STEP_KIND,
    LiveEvent,
    LiveOutbox,
    ProjectionRow,
    StepData,
    StepRow,
)

__all__ = ["LiveEvent", "LiveOutbox", "OUTBOX_TABLE", "PROJECTION_NAME", "ProjectionRow", "STEP_KIND", "StepData",
           "StepRow"]
