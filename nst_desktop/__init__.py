"""nst_desktop: neural style transfer on the desktop.

Layers (data flows one way, see ARCHITECTURE in the README):
  engine/  PyTorch only: network, losses, the optimisation loop as a generator.
  core/    Qt-free services: image I/O, the style gallery store, paths, settings.
  ui/      The only package that imports PySide6.
"""

__version__ = "0.1.0"
