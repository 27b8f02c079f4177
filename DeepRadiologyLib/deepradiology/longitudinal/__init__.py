"""LongitudinalMatch: follow every lesion across a patient's studies and score RECIST 1.1 response.

Pieces, one concept per module: `registration` (follow-up -> baseline alignment), `embedding`
(lesion vectors with explicit cue weights), `graph` (Algorithm 1 of Yan et al., CVPR 2018),
`recist11` (the response rules), `tracking` (the whole pipeline over `Study` records), `dls`
(DeepLesion tracking-pair evaluation) and `ssbr` (the self-supervised body-part regressor; torch).
Importing this package does not import torch or SimpleITK.
"""

from __future__ import annotations

__all__: list[str] = []
