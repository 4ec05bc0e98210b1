"""Objectives: every loss is called ``loss_fn(output: ModelOutput, batch: Batch, step: int) -> LossOutput``.

Importing this package registers the losses in ``temporal_ssl.registry.LOSSES``. Each module also exposes its
pure functional core (``info_nce``, ``triplet_loss``, ``byol_loss``, ``coherence_loss``,
``classification_loss``) for use outside the engine. Losses are ``nn.Module``s: move them to the device with
the model, switch them with ``train()``/``eval()`` (the MoCo queue only fills in training mode) and save their
``state_dict`` in checkpoints.
"""

from temporal_ssl.losses.byol import BYOLLoss, byol_loss
from temporal_ssl.losses.coherence import CoherenceLoss, coherence_loss
from temporal_ssl.losses.cross_entropy import CrossEntropyLoss, classification_loss
from temporal_ssl.losses.info_nce import InfoNCELoss, info_nce
from temporal_ssl.losses.queue import MemoryQueue
from temporal_ssl.losses.triplet import TripletLoss, triplet_loss

__all__ = [
    "BYOLLoss",
    "CoherenceLoss",
    "CrossEntropyLoss",
    "InfoNCELoss",
    "MemoryQueue",
    "TripletLoss",
    "byol_loss",
    "classification_loss",
    "coherence_loss",
    "info_nce",
    "triplet_loss",
]
