"""Training: data sets, devices, the engine (config in, records out) and the shared job registry."""
