"""DeepRadiology in a web browser: the five module panels on trame-slicer, over the modules' own Logic.

``deepradiology serve`` starts it. The pieces, one job each:

- `security`: loopback by default, an access token for anything else, no patient data in logs.
- `session`: the broker; one worker process per browser tab, so tabs never share a scene or state.
- `default_data`: what a server opens (the user's images or the embedded synthetic patient).
- `app`: one tab's app (trame-slicer views, study list, panels); `viewer`, `studies`, `picking`,
  `jobs` and `scene_setup` are its managers.
- `panels`: one side-bar panel per module, each over ``deepradiology_mrml.logic.<module>``.

Importing this package imports neither trame nor VTK; the submodules that need them do.
"""

from __future__ import annotations

__all__: list[str] = []
