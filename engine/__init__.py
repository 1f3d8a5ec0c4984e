"""imgorg: a parallel batch engine that migrates photo archives into a year-sorted archive."""

__version__ = "0.1.0"
