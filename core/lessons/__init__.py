"""The computations behind individual lessons' charts (toy nets, gradient flow, BatchNorm, imaging, …)."""
