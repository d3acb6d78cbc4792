"""Where the SDK reads its context: the environment Berth gives every step.

Orchest read these once at import time into ``Config``; the class is kept for code that reads
it, but the SDK itself reads the environment at call time, so a long-lived kernel sees the
values of the step that is running now.
"""
import os


def _env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


class Config:
    SESSION_UUID = _env("ORCHEST_SESSION_UUID")
    SESSION_TYPE = _env("ORCHEST_SESSION_TYPE")
    PROJECT_UUID = _env("ORCHEST_PROJECT_UUID")
    PIPELINE_UUID = _env("ORCHEST_PIPELINE_UUID", "")
    PIPELINE_DEFINITION_PATH = _env("ORCHEST_PIPELINE_PATH")

    # Berth: the API that answers for interactive sessions, and the session-scoped token.
    BERTH_API_URL = _env("BERTH_API_URL")
    BERTH_RUNTIME = _env("BERTH_RUNTIME")

    # Seconds to wait for the Berth API before giving up with OrchestNetworkError.
    API_TIMEOUT = 10


def current(name):
    """The current value of one of Berth's step variables (read at call time)."""
    return _env(name)
