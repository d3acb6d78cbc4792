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

    # Data passing (orchest.transfer), with Orchest's names.
    # Separator of the fields of an output's HEAD file ("<timestamp>; <serialization>; <name>").
    __METADATA_SEPARATOR__ = "; "
    # The key of get_inputs()'s list of unnamed outputs; a reserved output name.
    _RESERVED_UNNAMED_OUTPUTS_STR = "unnamed"
    # Calling get_inputs() twice, or outputting twice under different names, prints a warning
    # unless this is True.
    silence_multiple_data_transfer_calls_warning = False
    # Orchest's override of where a step's output goes ("{step_uuid}" is filled in). None: Berth's
    # place, the run's transfer directory (BERTH_TRANSFER_DIR); see get_step_data_dir.
    STEP_DATA_DIR = None

    @classmethod
    def get_step_data_dir(cls, step_uuid):
        """The directory holding the output of step ``step_uuid`` in the current run.

        Berth gives every step ``BERTH_TRANSFER_DIR``: a directory of the job run, or of the
        interactive session (removed when the session stops), so runs never see each other's data.
        Without it (code that Berth does not run as a step) the SDK falls back to Orchest's layout,
        ``<project dir>/.orchest/pipelines/<pipeline uuid>/data/<step uuid>``.
        """
        if cls.STEP_DATA_DIR:
            return cls.STEP_DATA_DIR.format(step_uuid=step_uuid)
        transfer_dir = _env("BERTH_TRANSFER_DIR")
        if transfer_dir:
            return os.path.join(transfer_dir, step_uuid)
        project_dir = _env("ORCHEST_PROJECT_DIR", "/project-dir")
        pipeline_uuid = _env("ORCHEST_PIPELINE_UUID", "")
        return os.path.join(project_dir, ".orchest", "pipelines", pipeline_uuid, "data", step_uuid)


def current(name):
    """The current value of one of Berth's step variables (read at call time)."""
    return _env(name)
