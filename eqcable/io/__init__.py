"""Saving and loading models (a JSON spec plus the serialised leaves)."""

from .models import ModelFileError as ModelFileError, load as load, save as save
