"""Render a laid-out deck to PDF bytes: WeasyPrint in chunks of slides, joined, imposed and finished."""
