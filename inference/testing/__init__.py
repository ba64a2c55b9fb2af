"""Test and demo helpers for the inference layer (needs the dev extras: aiohttp, pytest)."""
