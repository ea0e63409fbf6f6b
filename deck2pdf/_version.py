"""deck2pdf's version, in one place (read by the package, the CLI, the PDF metadata and the build)."""

__version__ = "0.1.0"
