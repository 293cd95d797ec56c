"""Qt-free services: image loading/saving, the style gallery store, paths, settings."""
