"""Turning evidence into documents: channels, assembly, rendering, bundles."""
