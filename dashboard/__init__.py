"""The Dash pages: one sub-package per page (``wall``, ``dispatch``,
``coverage``, ``overview``), each split into layout, callbacks, pure figures
and sources; the frame (``app``, ``pages``), ids and base map are shared here.
"""
