"""Prep step: aggregates the sales for the Streamlit dashboard."""
import csv
import json
import os

DATA_DIR = os.environ.get("DATA_DIR", "/data")
with open(os.path.join(DATA_DIR, "sales.csv")) as f:
    total = sum(int(row["sales"]) for row in csv.DictReader(f))
with open(os.path.join(DATA_DIR, "totals.json"), "w") as f:
    json.dump({"total": total}, f)
print(f"total sales: {total}")
