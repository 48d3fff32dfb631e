"""Errors page (placeholder until its nerlib module lands)."""

import streamlit as st

st.title("Errors")
st.info("Coming soon.")
