"""The package version, in one place: the package and the command line both read it."""

__version__ = "0.1.0"
