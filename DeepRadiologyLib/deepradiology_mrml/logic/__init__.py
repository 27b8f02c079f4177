"""Each DeepRadiology module's Logic: one file per module (``recist.py`` -> ``RECISTAssistLogic``).

A Logic takes a scene in its constructor, converts nodes to core objects with the bridge
(`deepradiology_mrml.volumes`, `.segmentations`, `.markups`, ...), calls the core, and writes the results
back as nodes. It is shared by the Slicer module (whose thin ``ScriptedLoadableModuleLogic`` delegates to
it) and by the web app (trame-slicer), so both front ends do exactly the same work and the tests exercise
that work on the ``slicer-core`` wheel. A Logic never opens dialogs: it raises
`deepradiology.errors.DeepRadiologyError` subclasses with a clear sentence, reports progress through a
callback, and leaves no half-made nodes behind when it fails.
"""

from __future__ import annotations

__all__: list[str] = []
