"""worker: a background service that writes a heartbeat file into the data directory.

It is not exposed to the browser. Orchest requires every service to declare at least one port, so
the worker also answers GET / on STATUS_PORT with its last heartbeat, which other services and
steps can read at http://<internal hostname>:9000/.
"""
import http.server
import os
import signal
import sys
import threading
import time
from datetime import datetime, timezone

heartbeat_file = os.environ.get("HEARTBEAT_FILE", "/data/worker-heartbeat.txt")
interval = float(os.environ.get("HEARTBEAT_SECONDS", "2"))
status_port = int(os.environ.get("STATUS_PORT", "9000"))
last_beat = {"at": None, "count": 0}


class StatusHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"heartbeats={last_beat['count']} last={last_beat['at']}\n".encode()
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # keep the service log for heartbeats


def beat():
    now = datetime.now(timezone.utc).isoformat()
    tmp = heartbeat_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(now + "\n")
    os.replace(tmp, heartbeat_file)
    last_beat["at"] = now
    last_beat["count"] += 1


def main():
    os.makedirs(os.path.dirname(heartbeat_file) or ".", exist_ok=True)
    server = http.server.ThreadingHTTPServer(("0.0.0.0", status_port), StatusHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    beat()
    print(f"worker ready: heartbeat every {interval}s into {heartbeat_file}", flush=True)
    while True:
        time.sleep(interval)
        beat()


if __name__ == "__main__":
    main()
