"""ficoba-sandbox: a faithful sandbox of the DGFiP FICOBA API v2."""

__version__ = "0.1.0"
