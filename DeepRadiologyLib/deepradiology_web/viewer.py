"""The slice views and the 3D view of one tab, served by trame-slicer as remote-rendered images.

trame-slicer renders Slicer's own MRML views (with their displayable managers: markups lines,
segmentations, overlays) offscreen and streams them to the page. VTK renders through EGL on Mesa
(``VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow``), so no display or GPU is needed.
"""

from __future__ import annotations

from deepradiology.frames import lps_to_ras

__all__ = ["ViewerManager", "LAYOUTS", "RADIOGRAPH_LAYOUT"]

#: The view arrangements a radiologist can pick for a volume; "Axial Primary" is the reading default.
LAYOUTS = ("Axial Primary", "Axial Only", "Quad View", "3D Primary")
#: A radiograph's only layout: one large 2D view, with no slice slider and no 3D button (a film has
#: one slice and no other orientation to choose).
RADIOGRAPH_LAYOUT = "Radiograph"


def _slice_view_ui(server, view_id: str, view) -> None:
    """trame-slicer's slice view controls (reset camera, show in 3D, slice slider), with those that
    mean nothing for a radiograph hidden while one is read (state ``viewer_radiograph``)."""
    from trame.widgets import html
    from trame_slicer.app.ui.view_gutter import create_slice_buttons, create_vertical_view_gutter_ui
    from trame_slicer.app.ui.slider import Slider
    from trame_slicer.app.logic.slice_view_logic import connect_slice_view_slider_to_state

    def volume_only_buttons(server_, view_id_, view_) -> None:
        with html.Div(v_if="!viewer_radiograph"):
            create_slice_buttons(server_, view_id_, view_)

    from .line_labels import label_overlay_ui

    label_overlay_ui(view.get_singleton_tag())
    create_vertical_view_gutter_ui(server, view_id, view, volume_only_buttons)
    with html.Div(v_if="!viewer_radiograph", classes="slice-slider-gutter",
                  style="position: absolute; bottom: 0; left: 0; background-color: transparent; width: 100%;"):
        Slider(classes="slice-slider", typed_state=connect_slice_view_slider_to_state(server, view), theme="dark",
               dense=True)


class ViewerManager:
    """Creates the views, shows volumes in them, moves them to a point, pauses them during jobs.

    Args:
        server: the tab's trame server.
        slicer_app: trame-slicer's `SlicerApp` (scene, view manager, display manager).
    """

    def __init__(self, server, slicer_app) -> None:
        from trame_slicer.core import LayoutManager
        from trame_slicer.rca_view import register_rca_factories

        self._server = server
        self._app = slicer_app
        register_rca_factories(slicer_app.view_manager, server, slice_view_ui_f=_slice_view_ui)
        self._layouts = LayoutManager(slicer_app.scene, slicer_app.view_manager, server)
        grid = LayoutManager.default_grid_configuration()
        layouts = {name: grid[name] for name in LAYOUTS}
        layouts[RADIOGRAPH_LAYOUT] = grid["Axial Only"]
        self._layouts.register_layout_dict(layouts)
        self._layouts.set_layout(LAYOUTS[0])
        server.state.viewer_layout = LAYOUTS[0]
        server.state.viewer_layouts = list(LAYOUTS)
        server.state.viewer_radiograph = False
        server.state.change("viewer_layout")(self._on_layout)
        self._busy = False
        self._render_listeners = []
        self._fitted: set[str] = set()
        for view in self.slice_views():
            view.interactor().AddObserver("WindowResizeEvent", lambda *_, v=view: self._fit_once(v))

    @property
    def scene(self):
        return self._app.scene

    def place_views(self, ui) -> None:
        """Put the view grid into the page at the caller's position in the UI tree."""
        self._layouts.initialize_layout_grid(ui)

    def read_as_radiograph(self, radiograph: bool) -> None:
        """Switch between the radiograph layout (one 2D view, nothing else to choose) and the volume
        layouts (back to the reading default when leaving a radiograph)."""
        state = self._server.state
        with state:
            state.viewer_radiograph = bool(radiograph)
            state.viewer_layouts = [RADIOGRAPH_LAYOUT] if radiograph else list(LAYOUTS)
            if radiograph:
                state.viewer_layout = RADIOGRAPH_LAYOUT
            elif state.viewer_layout not in LAYOUTS:
                state.viewer_layout = LAYOUTS[0]

    def _on_layout(self, viewer_layout, **_):
        if viewer_layout in LAYOUTS or viewer_layout == RADIOGRAPH_LAYOUT:
            # The views change size with the layout: fit their images again once they have it.
            self._fitted.clear()
            self._layouts.set_layout(viewer_layout)

    def slice_views(self):
        return self._app.view_manager.get_slice_views()

    def views(self):
        return self._app.view_manager.get_views()

    def show_volume(self, volume_node, *, reset: bool = True, volume_rendering: bool = False) -> None:
        """Show a volume in every slice view (background layer) and, optionally, volume-rendered in 3D.

        Volume rendering is off by default: on Mesa's CPU renderer it costs far more than the slices,
        which are shown as planes in the 3D view instead.
        """
        display = self._app.display_manager
        display.show_volume_in_slice_background(volume_node)
        display.show_volume_in_slice_foreground(None)
        if volume_rendering:
            display.show_volume(volume_node, vr_preset="CT-AAA")
        for view in self.slice_views():
            view.set_visible_in_3d(True)
        if reset:
            display.reset_views()
            for view in self._app.view_manager.get_threed_views():
                # An oblique look shows the three slice planes as a 3D cross, not one flat plane.
                camera = view.first_renderer().GetActiveCamera()
                camera.Azimuth(35)
                camera.Elevation(25)
                camera.OrthogonalizeViewUp()
                view.first_renderer().ResetCamera()
        self.schedule_render()

    def _fit_once(self, view) -> None:
        """Fit a slice view to its volume the first time the browser gives it a real size.

        Views are made before any browser is connected, at a default size; fitting then would leave
        the image cropped once the page lays the view out.
        """
        tag = view.get_singleton_tag()
        width, height = view.render_window().GetSize()
        if tag in self._fitted or width < 50 or height < 50 or not view.get_background_volume_id():
            return
        self._fitted.add(tag)
        view.fit_view_to_content()
        view.schedule_render()

    def show_overlay(self, volume_node, *, opacity: float = 0.4) -> None:
        """Blend ``volume_node`` (a probability or heat map) over the background in every slice view."""
        for view in self.slice_views():
            view.set_foreground_volume_id(volume_node.GetID() if volume_node else None)
            view.set_foreground_opacity(opacity)
        self.schedule_render()

    def centre_on(self, lps_mm) -> None:
        """Move every slice view to the point (world LPS mm) and centre it there."""
        from slicer import vtkMRMLSliceNode

        r, a, s = lps_to_ras(lps_mm)
        vtkMRMLSliceNode.JumpAllSlices(self.scene, float(r), float(a), float(s), vtkMRMLSliceNode.CenteredJumpSlice)
        self.schedule_render()

    def set_busy(self, busy: bool) -> None:
        """Stop rendering while a background job may change the scene; render again afterwards."""
        self._busy = busy
        for view in self.views():
            view.set_render_blocked(busy)
        if not busy:
            self.schedule_render()

    def on_render(self, listener) -> None:
        """Call ``listener()`` whenever the views are asked to render (not while a job runs), e.g. to
        keep page overlays in step with the scene."""
        self._render_listeners.append(listener)

    def schedule_render(self) -> None:
        if self._busy:
            return
        for listener in self._render_listeners:
            listener()
        for view in self.views():
            view.schedule_render()
