"""Berth's Python SDK, compatible with Orchest's ``orchest`` package: services, parameters and data passing.

Standard library only. Steps that Berth runs find it on ``PYTHONPATH`` (no install needed)::

    import orchest

    redis = orchest.get_service("redis")
    host, port = redis["internal_hostname"], redis["ports"][0]
    step_params, pipeline_params = orchest.parameters.get_params()
    orchest.output(data, name="features")     # the next steps: orchest.get_inputs()["features"]
"""
from orchest import parameters, services, transfer
from orchest._version import __version__
from orchest.config import Config
from orchest.error import (
    DataInvalidNameError,
    DeserializationError,
    DiskOutputNotFoundError,
    Error,
    InputNameCollisionError,
    InvalidMetaDataError,
    MemoryOutputNotFoundError,
    ObjectNotFoundError,
    OrchestNetworkError,
    OutputNotFoundError,
    PipelineDefinitionNotFoundError,
    SerializationError,
    ServiceNotFound,
    SessionNotFound,
    StepUUIDResolveError,
    UnrecognizedSessionType,
)
from orchest.parameters import get_params, get_pipeline_param, get_step_param
from orchest.services import get_service, get_services
from orchest.transfer import Serialization, get_inputs, output, output_to_disk, output_to_memory

__all__ = [
    "Config",
    "DataInvalidNameError",
    "DeserializationError",
    "DiskOutputNotFoundError",
    "Error",
    "InputNameCollisionError",
    "InvalidMetaDataError",
    "MemoryOutputNotFoundError",
    "ObjectNotFoundError",
    "OrchestNetworkError",
    "OutputNotFoundError",
    "PipelineDefinitionNotFoundError",
    "Serialization",
    "SerializationError",
    "ServiceNotFound",
    "SessionNotFound",
    "StepUUIDResolveError",
    "UnrecognizedSessionType",
    "__version__",
    "get_inputs",
    "get_params",
    "get_pipeline_param",
    "get_service",
    "get_services",
    "get_step_param",
    "output",
    "output_to_disk",
    "output_to_memory",
    "parameters",
    "services",
    "transfer",
]
