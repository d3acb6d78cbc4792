"""Prepare step: computes a small summary and leaves it for the Report step.

Runs with the python3 of the machine, no third-party packages needed: Berth puts its
Orchest-compatible SDK (`import orchest`) on every step's PYTHONPATH.
"""
import json
import os
import statistics

import orchest

readings = [12.5, 13.1, 12.9, 14.2, 13.7, 12.8]
summary = {
    "count": len(readings),
    "mean": round(statistics.mean(readings), 3),
    "max": max(readings),
    # The pipeline parameter, as Orchest's SDK reads it: a job's --param greeting=hola wins.
    "greeting": orchest.get_pipeline_param("greeting", "hello"),
}

os.makedirs("output", exist_ok=True)
with open(os.path.join("output", "summary.json"), "w") as f:
    json.dump(summary, f, indent=2)

print(f"wrote output/summary.json: {summary}")
