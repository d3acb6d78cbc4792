"""The Streamlit dashboard the `streamlit` service runs."""
import json

import streamlit as st

with open("/data/totals.json") as f:
    totals = json.load(f)
st.title("Sales")
st.metric("Total", totals["total"])
