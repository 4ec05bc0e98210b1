"""Adjacent-frame similarity: single-view time-contrastive (TCN) and temporal coherence (METHODS.md §2)."""
