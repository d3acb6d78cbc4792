"""Fixtures for the SDK tests: a pipeline file, a step environment and a fake Berth API."""
import json
import os
import socket
import sys
import tempfile
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

SESSION = "0f1e2d3c-4b5a-4697-8877-665544332211"
PROJECT = "11111111-2222-4333-8444-555555555555"
PIPELINE = "99999999-8888-4777-8666-555555555555"
STEP = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

PIPELINE_FILE = {
    "name": "sdk-test",
    "uuid": PIPELINE,
    "version": "1.2.3",
    "parameters": {"greeting": "hello", "count": 3},
    "settings": {},
    "steps": {
        STEP: {
            "uuid": STEP,
            "title": "Load",
            "file_path": "load.py",
            "incoming_connections": [],
            "environment": "",
            "parameters": {"rows": 10},
        }
    },
    "services": {
        "redis": {
            "name": "redis",
            "image": "redis",
            "scope": ["interactive", "noninteractive"],
            "ports": [6379],
            "exposed": False,
            "order": 0,
        },
        "app": {
            "name": "app",
            "image": "streamlit",
            "scope": ["noninteractive"],
            "ports": [8501],
            "exposed": True,
            "preserve_base_path": True,
            "env_variables": {"BASE": "$BASE_PATH_PREFIX_8501"},
            "order": 1,
        },
        "notebook": {
            "name": "notebook",
            "image": "jupyter",
            "scope": ["interactive"],
            "ports": [8888],
            "exposed": True,
            "order": 2,
        },
    },
}


class StepTestCase(unittest.TestCase):
    """Runs each test with a clean step environment and a pipeline file in a temp dir."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.pipeline_path = os.path.join(self.tmp.name, "pipeline.orchest")
        with open(self.pipeline_path, "w") as f:
            json.dump(PIPELINE_FILE, f)
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("ORCHEST_", "BERTH_"))}
        patcher = mock.patch.dict(os.environ, clean, clear=True)
        patcher.start()
        self.addCleanup(patcher.stop)

    def job_env(self, runtime="local"):
        os.environ.update(
            {
                "ORCHEST_SESSION_TYPE": "noninteractive",
                "ORCHEST_SESSION_UUID": SESSION,
                "ORCHEST_PROJECT_UUID": PROJECT,
                "ORCHEST_PIPELINE_UUID": PIPELINE,
                "ORCHEST_PIPELINE_PATH": self.pipeline_path,
                "ORCHEST_STEP_UUID": STEP,
                "BERTH_RUNTIME": runtime,
            }
        )

    def interactive_env(self, api_url, token="session-token"):
        os.environ.update(
            {
                "ORCHEST_SESSION_TYPE": "interactive",
                "ORCHEST_SESSION_UUID": SESSION,
                "ORCHEST_PROJECT_UUID": PROJECT,
                "ORCHEST_PIPELINE_UUID": PIPELINE,
                "ORCHEST_PIPELINE_PATH": self.pipeline_path,
                "ORCHEST_STEP_UUID": STEP,
                "BERTH_RUNTIME": "local",
                "BERTH_API_URL": api_url,
                "BERTH_SESSION_TOKEN": token,
            }
        )


class FakeApi:
    """A Berth API on 127.0.0.1 that answers GET /api/sessions/<sid> like the real server."""

    def __init__(self, sessions, token="session-token"):
        self.requests = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                api.requests.append((self.path, self.headers.get("Authorization")))
                if self.headers.get("Authorization") != "Bearer " + token:
                    return self._send(401, {"error": {"code": "BERTH_AUTH_REQUIRED", "message": "log in first"}})
                sid = self.path.rsplit("/", 1)[-1]
                if sid not in sessions:
                    return self._send(404, {"error": {"code": "BERTH_SESSION_NOT_FOUND", "message": f"no session {sid}"}})
                return self._send(200, {"session": {"uuid": sid}, "user_services": sessions[sid]})

            def _send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port_url():
    """A loopback URL nothing listens on (the port was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
