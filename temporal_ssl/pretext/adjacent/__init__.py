"""Adjacent-frame similarity: single-view time-contrastive (TCN) and temporal coherence."""
