"""c2d-runner: run Ocean Protocol Compute-to-Data jobs from declarative YAML specs."""
__version__ = "0.1.0"
