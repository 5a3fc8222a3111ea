"""Adapters that plug declutter into other projects' pipelines.

Each lives in its own module and imports its host project only when used:
:mod:`declutter.integrations.datatrove` (HuggingFace datatrove).
"""
