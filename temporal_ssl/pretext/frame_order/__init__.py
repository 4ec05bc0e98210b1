"""Frame and clip order: Shuffle & Learn, OPN, VCOP, arrow of time, playback speed."""
