"""Multi-view: synchronised cameras (multi-view TCN) and temporal views of one video (CVRL, ρ-clips)."""
