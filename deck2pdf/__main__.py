"""`python -m deck2pdf` runs the command line."""

from .launch import run

run()
