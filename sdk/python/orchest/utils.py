"""Reading the pipeline file and asking the Berth API, with errors that say what to fix."""
import json
import urllib.error
import urllib.request
from typing import Any, Dict

from orchest.config import Config, current
from orchest.error import OrchestNetworkError, PipelineDefinitionNotFoundError, StepUUIDResolveError
from orchest.pipeline import Pipeline


def get_pipeline() -> Pipeline:
    path = current("ORCHEST_PIPELINE_PATH")
    if not path:
        raise PipelineDefinitionNotFoundError(
            "ORCHEST_PIPELINE_PATH is not set: this code is not running as a step of a Berth "
            "session or job run. Run it as a pipeline step (`berth pipeline run` or `berth job run`)."
        )
    try:
        with open(path, "r", encoding="utf-8") as f:
            definition = json.load(f)
    except FileNotFoundError as e:
        raise PipelineDefinitionNotFoundError(
            f"The pipeline file {path} (ORCHEST_PIPELINE_PATH) does not exist."
        ) from e
    except ValueError as e:
        raise PipelineDefinitionNotFoundError(f"The pipeline file {path} is not valid JSON: {e}") from e
    return Pipeline.from_json(definition)


def get_step_uuid(pipeline: Pipeline) -> str:
    step_uuid = current("ORCHEST_STEP_UUID")
    if step_uuid:
        return step_uuid
    raise StepUUIDResolveError(
        'Environment variable "ORCHEST_STEP_UUID" not present: the current step is only known '
        "when Berth runs this code as a step."
    )


def request_json(path: str) -> Dict[str, Any]:
    """GET a Berth API path with the session token Berth gave this step."""
    base = current("BERTH_API_URL")
    if not base:
        raise OrchestNetworkError(
            "BERTH_API_URL is not set, so the Berth API cannot be asked about this session. "
            "Run this code as a step of a Berth session (`berth pipeline run`)."
        )
    url = base.rstrip("/") + path
    headers = {"Accept": "application/json"}
    token = current("BERTH_SESSION_TOKEN")
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=Config.API_TIMEOUT) as response:
            charset = response.headers.get_content_charset() or "utf-8"
            return json.loads(response.read().decode(charset))
    except urllib.error.HTTPError as e:
        raise _http_error(url, e) from e
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise OrchestNetworkError(
            f"Failed to fetch data from {url}: the Berth server is unreachable ({reason}). "
            "Check that `berth serve` is running and that BERTH_API_URL points at it."
        ) from e
    except ValueError as e:
        raise OrchestNetworkError(f"Failed to fetch data from {url}: the answer is not JSON ({e}).") from e


def _http_error(url: str, e: "urllib.error.HTTPError") -> Exception:
    from orchest.error import SessionNotFound

    try:
        body = json.loads(e.read().decode("utf-8"))
        message = body.get("error", {}).get("message", "")
    except Exception:
        message = ""
    if e.code == 404:
        return SessionNotFound(
            f"The Berth server has no session at {url}{': ' + message if message else ''}. "
            "The session may have been stopped; start it again with `berth session start`."
        )
    if e.code in (401, 403):
        return OrchestNetworkError(
            f"The Berth server refused the request to {url} ({e.code}{': ' + message if message else ''}). "
            "BERTH_SESSION_TOKEN is missing or no longer valid (tokens end when their session stops)."
        )
    return OrchestNetworkError(
        f"Failed to fetch data from {url}. The server could not fulfil the request ({e.code}{': ' + message if message else ''})."
    )
