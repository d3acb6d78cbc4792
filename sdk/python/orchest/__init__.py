"""Berth's Python SDK, compatible with Orchest's ``orchest`` package for services and parameters.

Standard library only. Steps that Berth runs find it on ``PYTHONPATH`` (no install needed)::

    import orchest

    redis = orchest.get_service("redis")
    host, port = redis["internal_hostname"], redis["ports"][0]
    step_params, pipeline_params = orchest.parameters.get_params()
"""
from orchest import parameters, services
from orchest._version import __version__
from orchest.config import Config
from orchest.error import (
    Error,
    OrchestNetworkError,
    PipelineDefinitionNotFoundError,
    ServiceNotFound,
    SessionNotFound,
    StepUUIDResolveError,
    UnrecognizedSessionType,
)
from orchest.parameters import get_params, get_pipeline_param, get_step_param
from orchest.services import get_service, get_services

__all__ = [
    "Config",
    "Error",
    "OrchestNetworkError",
    "PipelineDefinitionNotFoundError",
    "ServiceNotFound",
    "SessionNotFound",
    "StepUUIDResolveError",
    "UnrecognizedSessionType",
    "__version__",
    "get_params",
    "get_pipeline_param",
    "get_service",
    "get_services",
    "get_step_param",
    "parameters",
    "services",
]
