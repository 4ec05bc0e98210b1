"""Importing this module imports every installed decoding backend, once.

A ``forkserver`` names it in its preload list, so the processes it forks (probing workers) start with the
decoders already imported instead of each importing them on its first file (seconds for some libraries).
"""

from temporal_ssl.io.backends import available_backends

INSTALLED = tuple(available_backends())
