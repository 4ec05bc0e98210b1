"""Speed benchmarks and corpus studies of temporal_ssl, kept outside the library.

Run each from the repository root as ``python -m benchmarks.<name>``; every one takes the folder of videos it
runs on (``--videos DIR``; without it, a generated Kinetics-like set) or the corpus it studies, and prints its
figures beside a baseline measured in the same run:

- ``decode``: the io reader against decord, torchcodec and PyAV used clip by clip;
- ``loader``: the training loader against raw decoding of the same clips, and its decode / augment /
  collate split;
- ``plans``: each pretext's planning and example building against decoding the same samples;
- ``train``: training steps fed by the real loader against the model alone on tensors;
- ``tracking``: track mining against real time, the tracking pretext against decoding, the tracker's accuracy;
- ``pretexts``: every pretext family pretrained and probed against random init and supervised baselines;
- ``time_dependence``: order-free against temporal supervised models on the synthetic corpus;
- ``diagnose_pretext``: why a pretrained encoder does or does not beat its randomly initialised copy;
- ``index_scale``: probing and index loading at corpus scale, against demuxing and decoding;
- ``gpu``: every pretraining config with AMP, NVDEC against CPU decoding and the data wait on one GPU.

``docs/benchmarks.md`` gives each protocol and the figures it printed.
"""
