"""Residual Lab's engine: real PyTorch blocks and models, and the analysis behind every chart.

Plain Python + PyTorch; nothing here imports streamlit, so it runs from a notebook or a shell.
"""
