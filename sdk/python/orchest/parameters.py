"""Parameters of the current step and of its pipeline, read from the pipeline file.

In a job run the file is the run's copy with the job's parameters applied; in an interactive
session it is the project's pipeline file.
"""
from typing import Any, Optional, Tuple

from orchest.error import StepUUIDResolveError
from orchest.pipeline import Pipeline, PipelineStep
from orchest.utils import get_pipeline, get_step_uuid


def _get_current_step(pipeline: Pipeline) -> PipelineStep:
    try:
        step_uuid = get_step_uuid(pipeline)
    except StepUUIDResolveError as e:
        raise StepUUIDResolveError(f"Parameters could not be identified. {e}") from e
    return pipeline.get_step_by_uuid(step_uuid)


def get_params() -> Tuple[dict, dict]:
    """Gets the parameters of the current step and the pipeline.

    Returns:
        A tuple of two elements, where the first is the parameters of
        the current step, the second is the parameters of the pipeline.
    """
    pipeline = get_pipeline()
    step = _get_current_step(pipeline)
    return step.get_params(), pipeline.get_params()


def get_step_param(name: str, default: Optional[Any] = None) -> Any:
    """Gets a parameter of the current step by name, or ``default``."""
    pipeline = get_pipeline()
    step = _get_current_step(pipeline)
    return step.get_params().get(name, default)


def get_pipeline_param(name: str, default: Optional[Any] = None) -> Any:
    """Gets a pipeline parameter by name, or ``default``."""
    return get_pipeline().get_params().get(name, default)
