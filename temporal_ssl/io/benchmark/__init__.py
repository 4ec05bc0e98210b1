"""Decoding benchmark: temporal_ssl's reader against raw decoding libraries on the same files and clips."""

from temporal_ssl.io.benchmark.kinetics_like import write_kinetics_like, write_kinetics_like_video
from temporal_ssl.io.benchmark.patterns import PATTERNS
from temporal_ssl.io.benchmark.runner import DecodeBenchmark, Measurement, run_decode_benchmark

__all__ = ["PATTERNS", "DecodeBenchmark", "Measurement", "run_decode_benchmark", "write_kinetics_like",
           "write_kinetics_like_video"]
