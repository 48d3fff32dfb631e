"""Localizer page (placeholder until its nerlib module lands)."""

import streamlit as st

st.title("Localizer")
st.info("Coming soon.")
