"""Evaluate step: reads the model Train wrote and caches the score in the Redis service."""
import json
import os

DATA_DIR = os.environ.get("DATA_DIR", "/data")

with open(os.path.join(DATA_DIR, "model.json")) as f:
    model = json.load(f)
score = 1.0 / (1.0 + model["history"][-1]["loss"])
print(f"score: {score:.4f}")

try:
    import orchest
    import redis

    service = orchest.get_service("redis")
    client = redis.Redis(host=service["internal_hostname"], port=6379)
    client.set("latest-score", score)
    print("stored latest-score in redis")
except ImportError:
    print("orchest/redis packages not installed: not caching the score")
