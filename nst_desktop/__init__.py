"""nst_desktop: neural style transfer on the desktop.

Layers (data flows one way, see ARCHITECTURE in the README):
  engine/  PyTorch only: network, losses, the optimisation loop as a generator.
  core/    Qt-free services: image I/O, the style gallery store, paths, settings.
  ui/      The only package that imports PySide6.
"""

import os

__version__ = "0.1.0"

# Reproducible CPU maths: Intel's MKL (torch's BLAS on x86, the Gram matrices' matrix products)
# picks its reduction order per call when it runs on several threads, so on an Intel CPU two
# runs with the same seed differed (by 0.06 of full scale after 16 L-BFGS steps at 48 px,
# measured on a 2-core Xeon). Its Conditional Numerical Reproducibility mode AUTO keeps the
# fastest code path for the CPU but a fixed order: the same seed gives the same image on the
# same machine (and thread count), for 5-10 % on those products and no step time measurable
# above this machine's noise (512 px: 1.90 and 2.12 s with it, 2.19 and 1.90 s without).
# MKL reads it once, when torch loads, so it is set here, before anything in the package
# imports torch; a value the person set wins.
os.environ.setdefault("MKL_CBWR", "AUTO")
