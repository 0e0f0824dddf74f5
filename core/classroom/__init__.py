"""What a class shares beyond training: polls on a lesson's prediction (no streamlit)."""
