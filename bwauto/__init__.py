"""bwauto: network automation for the Batam Kominfo bandwidth-increase SOP."""

__version__ = "0.1.0"
