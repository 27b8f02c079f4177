"""The parameter-node lifecycle every DeepRadiology module Widget shares (Slicer's scripted-module template).

A module Widget lists `ParameterNodeGuiMixin` first among its bases, before ``ScriptedLoadableModuleWidget``
and ``slicer.util.VTKObservationMixin``, sets ``self.ui`` and ``self.logic`` in ``setup``, and may define
``_updateButtons()``, which runs whenever the parameter node changes. What differs between modules
(``enter``, ``initializeParameterNode``, ``onSceneEndClose``) stays in the module; a module that needs more
on scene close or clean-up overrides the method and calls ``super()``.

Only ``vtk`` is imported here, so module files can import this at load time inside Slicer.
"""

from __future__ import annotations

import vtk

__all__ = ["ParameterNodeGuiMixin"]


class ParameterNodeGuiMixin:
    """Binds the Widget's ``.ui`` to its ``@parameterNodeWrapper`` node and observes it."""

    _parameterNode = None
    _parameterNodeGuiTag = None

    def cleanup(self) -> None:
        """Called when the application closes and the module widget is destroyed."""
        self.removeObservers()

    def exit(self) -> None:
        """Called each time the user leaves the module: stop the GUI <-> parameter-node binding."""
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self._parameterNodeGuiTag = None

    def onSceneStartClose(self, caller, event) -> None:
        """Drop the parameter node before the scene it lives in is closed."""
        self.setParameterNode(None)

    def setParameterNode(self, inputParameterNode) -> None:
        """Bind ``inputParameterNode`` (or None) to the ``.ui``, moving the observer from the previous one."""
        update = getattr(self, "_updateButtons", None)
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            if update is not None:
                self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, update)
        self._parameterNode = inputParameterNode
        if self._parameterNode:
            self._parameterNodeGuiTag = self._parameterNode.connectGui(self.ui)
            if update is not None:
                self.addObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, update)
        if update is not None:
            update()
