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
