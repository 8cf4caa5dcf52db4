"""cxrlabel_vision: an LSE-pooled ResNet trained on cxrlabel's labels, with heatmaps and boxes.

Needs the ``[vision]`` extra (torch, torchvision). torch is imported lazily.
"""

__version__ = "0.1.0"
