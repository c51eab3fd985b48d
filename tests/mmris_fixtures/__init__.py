"""The fixtures tests/conftest.py shares, one module per what they build."""
