"""Laptop tools beside the Lambda layer's package: the CLI, the local runner and emulated
stack, and the offline data-API simulator. Nothing here ships to Lambda."""
