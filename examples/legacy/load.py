"""Load step: writes the raw data the dashboard reads."""
import csv
import os

DATA_DIR = os.environ.get("DATA_DIR", "/data")
os.makedirs(DATA_DIR, exist_ok=True)
rows = [("2021-05-01", 120), ("2021-05-02", 135), ("2021-05-03", 98)]
with open(os.path.join(DATA_DIR, "sales.csv"), "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["day", "sales"])
    writer.writerows(rows)
print(f"wrote {len(rows)} rows")
