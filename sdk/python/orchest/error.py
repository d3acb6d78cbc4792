"""Orchest's error classes (same names and hierarchy), with messages that say what to do."""


class Error(Exception):
    pass


class PipelineDefinitionNotFoundError(Error):
    """Error when the pipeline definition cannot be found.

    Essentially a wrapper around FileNotFoundError.
    """


class OrchestNetworkError(Error):
    """Resource fails to respond or is unable to fulfil the request."""


class StepUUIDResolveError(Error):
    """Step UUID could not be resolved."""


class ServiceNotFound(Error):
    """Error when a service could not be found by name."""


class UnrecognizedSessionType(Error):
    """Error when a session type not in interactive, noninteractive."""


class SessionNotFound(Error):
    """Error when a session wasn't found through the API."""


# Data passing (orchest.transfer): Orchest's classes, same names and hierarchy.


class SerializationError(Error):
    """Error when an object cannot be serialized.

    Essentially a wrapper around pickle.PicklingError.
    """


class DeserializationError(Error):
    """Error when an object cannot be deserialized."""


class ObjectNotFoundError(Error):
    """Error when the object cannot be found in the in-memory store.

    Berth has no in-memory store; kept for code that catches it.
    """


class OutputNotFoundError(Error):
    """Error when the output from a previous step cannot be found."""


class DiskOutputNotFoundError(OutputNotFoundError):
    """OutputNotFoundError for disk specifically."""


class MemoryOutputNotFoundError(OutputNotFoundError):
    """OutputNotFoundError for memory specifically (never raised by Berth: outputs live on disk)."""


class InputNameCollisionError(Error):
    """Multiple input data objects have the same name."""


class DataInvalidNameError(Error):
    """Data has an invalid name."""


class InvalidMetaDataError(Error):
    """Metadata is invalid."""
