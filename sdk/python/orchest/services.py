"""The services of the session the current step runs in.

Interactive sessions: the specs as the session started them, from the Berth API (with the
internal host name of the runtime filled in). Job runs: the run's pipeline file, keeping only the
services scoped to ``noninteractive`` (the ones the run started).
"""
import copy
import json
from typing import Any, Dict

from orchest.config import current
from orchest.error import ServiceNotFound, UnrecognizedSessionType
from orchest.utils import get_pipeline, request_json


def _session_services() -> Dict[str, Dict[str, Any]]:
    session_type = current("ORCHEST_SESSION_TYPE")
    if session_type == "noninteractive":
        specs = get_pipeline().properties.get("services") or {}
        return {
            name: _generate_urls(spec)
            for name, spec in specs.items()
            if "noninteractive" in spec.get("scope", [])
        }
    if session_type == "interactive":
        session_uuid = _session_uuid()
        services_file = current("BERTH_SERVICES_FILE")
        if services_file:
            # Steps of an interactive run get the session's services from Berth in a file
            # (step containers cannot reach the API on the host's loopback).
            with open(services_file, encoding="utf-8") as handle:
                data = json.load(handle)
        else:
            data = request_json("/api/sessions/" + session_uuid)
        return {name: _from_api(spec) for name, spec in (data.get("user_services") or {}).items()}
    raise UnrecognizedSessionType(
        f"ORCHEST_SESSION_TYPE is {session_type!r}, expected 'interactive' or 'noninteractive': "
        "this code is not running as a step of a Berth session or job run."
        if session_type
        else "ORCHEST_SESSION_TYPE is not set: this code is not running as a step of a Berth "
        "session or job run. Run it as a pipeline step (`berth pipeline run` or `berth job run`)."
    )


def _session_uuid() -> str:
    session_uuid = current("ORCHEST_SESSION_UUID")
    if not session_uuid:
        raise UnrecognizedSessionType("ORCHEST_SESSION_UUID is not set: this code is not running in a Berth session.")
    return session_uuid


def _internal_hostname(name: str, session_uuid: str) -> str:
    # Local processes listen on the host's loopback; containers, and the local runtime's isolated
    # sessions (their own hosts file), find each other by name.
    if current("BERTH_RUNTIME") == "local" and current("BERTH_LOCAL_ISOLATION") != "namespace":
        return "127.0.0.1"
    return name + "-" + session_uuid


def _generate_urls(service: Dict[str, Any]) -> Dict[str, Any]:
    session_uuid = _session_uuid()
    service = copy.deepcopy(service)
    service.pop("scope", None)
    pbp = "pbp-" if service.get("preserve_base_path", False) else ""
    prefix = f"{pbp}service-{service['name']}-{session_uuid}"
    # As the session did when it started the service: $BASE_PATH_PREFIX in any field.
    service = json.loads(json.dumps(service).replace("$BASE_PATH_PREFIX", prefix))
    external_urls = {}
    base_paths = {}
    for port in service.get("ports", []):
        base_path = f"/{prefix}_{port}"
        base_paths[port] = base_path
        external_urls[port] = f"http://{{host_name}}:{{port}}{base_path}"
    service["internal_hostname"] = _internal_hostname(service["name"], session_uuid)
    service["external_urls"] = external_urls
    service["base_paths"] = base_paths
    return service


def _from_api(service: Dict[str, Any]) -> Dict[str, Any]:
    if "internal_hostname" not in service:
        return _generate_urls(service)
    service = copy.deepcopy(service)
    service.pop("scope", None)
    # JSON object keys are strings; Orchest's SDK keyed these by the port number.
    for key in ("external_urls", "base_paths"):
        service[key] = {_port(p): v for p, v in (service.get(key) or {}).items()}
    return service


def _port(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def get_service(name) -> Dict[str, Any]:
    """Gets the service of the pipeline by name.

    Returns:
        The service's fields (without ``scope``) plus ``internal_hostname``,
        ``external_urls`` and ``base_paths``, the last two keyed by port::

            {
                "name": "redis", "image": "redis", "ports": [6379], ...,
                "internal_hostname": "redis-<session_uuid>",
                "external_urls": {6379: "http://{host_name}:{port}/service-redis-<session_uuid>_6379"},
                "base_paths": {6379: "/service-redis-<session_uuid>_6379"},
            }

    Raises:
        ServiceNotFound: The session has no service named ``name``.
    """
    services = _session_services()
    if name in services:
        return services[name]
    raise ServiceNotFound("Could not find service with name %s" % name)


def get_services() -> Dict[str, Dict[str, Any]]:
    """Gets the services of the session: ``{name: <same dict as get_service>}``."""
    return _session_services()
