"""Test helpers: generated videos with frame-index barcodes, and the sequential-decode oracle."""
