"""Stand-ins for the few Slicer pieces the ``slicer-core`` MRML wheel lacks, so that each module file's
own ``*Test`` class can run under pytest on the real MRML library.

What this provides (and nothing else; everything MRML-related is the wheel's own):

- ``slicer.ScriptedLoadableModule``: the four base classes. The Logic's ``getParameterNode`` makes (once
  per scene) a ``vtkMRMLScriptedModuleNode`` tagged with the module's name, as Slicer's does;
  ``ScriptedLoadableModuleTest`` is a ``unittest.TestCase`` whose ``delayDisplay`` only logs.
- ``slicer.parameterNodeWrapper.parameterNodeWrapper``: typed attributes of a parameter node
  (``str``/``int``/``float``/``bool`` as node parameters, MRML nodes and ``Optional[Union[...]]`` of
  node classes as node references), defaults applied.
- ``slicer.i18n``: ``tr`` and ``translate`` returning the text unchanged.
- ``qt``: an empty module, so that module files import; the Test classes drive the Logic, not the GUI.
- ``slicer.mrmlScene``: a scene from `deepradiology_mrml.scene.create_scene` (no ``slicer.app``, so
  the code still knows it is not inside the Slicer application and installs nothing).

It is a test harness, not an emulator: Widget code (``setup()``, Qt signals) is not exercised here.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import types
import unittest
from pathlib import Path

MODULES_DIR = Path(__file__).resolve().parents[2] / "DeepRadiology"
MODULE_NAMES = ("RECISTAssist", "LongitudinalMatch", "LesionRetrieval", "PancreasSegment", "CXRTriage")


class ScriptedLoadableModule:
    def __init__(self, parent=None):
        self.parent = parent if parent is not None else types.SimpleNamespace()
        self.moduleName = type(self).__name__


class ScriptedLoadableModuleWidget:
    def __init__(self, parent=None):
        self.parent = parent
        self.moduleName = type(self).__name__[: -len("Widget")]


class ScriptedLoadableModuleLogic:
    def __init__(self, parent=None):
        self.moduleName = type(self).__name__[: -len("Logic")] if type(self).__name__.endswith("Logic") else type(self).__name__

    def getParameterNode(self):
        import slicer

        scene = slicer.mrmlScene
        node = scene.GetSingletonNode(self.moduleName, "vtkMRMLScriptedModuleNode")
        if node is None:
            node = slicer.vtkMRMLScriptedModuleNode()
            node.SetSingletonTag(self.moduleName)
            node.SetParameter("ModuleName", self.moduleName)
            node = scene.AddNode(node)
        return node


class ScriptedLoadableModuleTest(unittest.TestCase):
    def __init__(self, methodName: str = "runTest"):
        super().__init__(methodName)

    def runTest(self):  # overridden by each module's test
        pass

    def delayDisplay(self, message, msec=None):
        logging.info(message)


class Choice:
    """``Annotated[str, Choice([...])]`` marker (only the value type matters here)."""

    def __init__(self, choices):
        self.choices = list(choices)


class WithinRange:
    """``Annotated[float, WithinRange(lo, hi)]`` marker."""

    def __init__(self, minimum, maximum):
        self.minimum, self.maximum = minimum, maximum


def _value_type(annotation):
    import typing

    if typing.get_origin(annotation) is typing.Annotated:
        return typing.get_args(annotation)[0]
    return annotation


def _is_node_type(annotation) -> bool:
    """A node class, or a Union of node classes (optionally with None), as Slicer's wrapper takes them."""
    import typing

    if typing.get_origin(annotation) is typing.Union:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(members) and all(_is_node_type(a) for a in members)
    return isinstance(annotation, type) and hasattr(annotation, "GetClassName")


def parameterNodeWrapper(cls):
    """Typed attributes of ``cls`` (its annotations) read and written on the wrapped parameter node."""
    annotations = {k: _value_type(v) for k, v in getattr(cls, "__annotations__", {}).items()}
    defaults = {name: getattr(cls, name) for name in annotations if hasattr(cls, name)}

    def __init__(self, node):
        object.__setattr__(self, "parameterNode", node)
        for name, value in defaults.items():
            if not node.GetParameter(name) and not _is_node_type(annotations[name]):
                setattr(self, name, value)

    def make_property(name, kind):
        def get(self):
            node = self.parameterNode
            if _is_node_type(kind):
                return node.GetNodeReference(name)
            text = node.GetParameter(name)
            if kind is bool:
                return text == "True"
            if kind in (int, float):
                return kind(text) if text else kind(defaults.get(name, 0))
            return text

        def set_(self, value):
            node = self.parameterNode
            if _is_node_type(kind):
                node.SetNodeReferenceID(name, value.GetID() if value is not None else None)
            else:
                node.SetParameter(name, str(value))

        return property(get, set_)

    namespace = {"__init__": __init__, "__doc__": cls.__doc__,
                 "allParameters": staticmethod(lambda: dict(annotations))}
    for name, kind in annotations.items():
        namespace[name] = make_property(name, kind)
    return type(cls.__name__, (object,), namespace)


def install() -> None:
    """Put the stand-ins in place (idempotent) and give ``slicer`` a fresh ``mrmlScene``."""
    import slicer

    from deepradiology_mrml.scene import create_scene

    if "qt" not in sys.modules:
        sys.modules["qt"] = types.ModuleType("qt")
    slm = types.ModuleType("slicer.ScriptedLoadableModule")
    for base in (ScriptedLoadableModule, ScriptedLoadableModuleWidget, ScriptedLoadableModuleLogic,
                 ScriptedLoadableModuleTest):
        setattr(slm, base.__name__, base)
    wrapper = types.ModuleType("slicer.parameterNodeWrapper")
    wrapper.parameterNodeWrapper = parameterNodeWrapper
    wrapper.Choice, wrapper.WithinRange = Choice, WithinRange
    i18n = types.ModuleType("slicer.i18n")
    i18n.tr = lambda text: text
    i18n.translate = lambda context, text: text
    for name, module in (("ScriptedLoadableModule", slm), ("parameterNodeWrapper", wrapper), ("i18n", i18n)):
        sys.modules[f"slicer.{name}"] = module
        setattr(slicer, name, module)
    slicer.mrmlScene = create_scene()


def load_module_file(name: str):
    """Import ``DeepRadiology/<name>/<name>.py`` as Slicer would (after `install`)."""
    path = MODULES_DIR / name / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
