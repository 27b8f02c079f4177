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

__all__ = ["ParameterNodeGuiMixin", "add_load_model_button"]


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


def add_load_model_button(widget, task: str, on_loaded=None):
    """Add a "Load model..." button to a module Widget's panel (inside Slicer only).

    The button opens a file dialog for a checkpoint (``.pt``), imports it through
    `deepradiology_mrml.model_import.import_model_file` (verified, task ``task``), asks before replacing
    an installed model of the same name, shows the model's training data and licence, then calls
    ``on_loaded(card)`` (e.g. to refill the model list). Returns the button.
    """
    import qt
    import slicer

    from deepradiology.errors import OutputExistsError
    from deepradiology_mrml.model_import import import_model_file

    button = qt.QPushButton("Load model...")
    button.toolTip = "Install a DeepRadiology model checkpoint (.pt) from a file: it is verified first"

    def on_click():
        path = qt.QFileDialog.getOpenFileName(widget.parent, "DeepRadiology model", "",
                                              "Model checkpoints (*.pt);;All files (*)")
        if not path:
            return
        with slicer.util.tryWithErrorDisplay("The model could not be installed.", waitCursor=True):
            try:
                card, sentence = import_model_file(path, task=task)
            except OutputExistsError:
                if not slicer.util.confirmOkCancelDisplay("A model of that name is installed. Replace it?"):
                    return
                card, sentence = import_model_file(path, task=task, replace=True)
            slicer.util.infoDisplay(sentence, windowTitle="DeepRadiology model installed")
            if on_loaded is not None:
                on_loaded(card)

    button.connect("clicked(bool)", lambda _checked=False: on_click())
    widget.layout.addWidget(button)
    return button
