"""The version of mmris."""

__version__ = '0.1.0'
