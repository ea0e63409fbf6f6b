"""`python -m deck2pdf` runs the command line."""

from .cli import run

run()
