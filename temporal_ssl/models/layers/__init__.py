"""Building blocks shared by the encoders (one definition of each, reused everywhere)."""
