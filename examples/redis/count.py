"""Count visits: increments a counter in the pipeline's Redis service and prints it.

Finds Redis through the Orchest SDK when it is installed, else through REDIS_HOST/REDIS_PORT.
Talks the Redis protocol (RESP) over a plain socket, so it needs no third-party client.
"""
import os
import socket


def redis_address():
    try:
        import orchest

        service = orchest.get_service("redis")
        return service["internal_hostname"], 6379
    except Exception:
        return os.environ.get("REDIS_HOST", "127.0.0.1"), int(os.environ.get("REDIS_PORT", "6379"))


def command(sock, *parts):
    payload = f"*{len(parts)}\r\n" + "".join(f"${len(p.encode())}\r\n{p}\r\n" for p in parts)
    sock.sendall(payload.encode())
    reply = sock.recv(4096).decode()
    if reply.startswith("-"):
        raise RuntimeError(reply.strip())
    return reply.strip().lstrip(":+")


host, port = redis_address()
with socket.create_connection((host, port), timeout=5) as sock:
    visits = command(sock, "INCR", "berth:visits")
print(f"visits: {visits} (redis at {host}:{port})")
