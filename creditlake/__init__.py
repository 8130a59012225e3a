"""creditlake: a credit-information lakehouse for small and micro enterprise lending."""

__version__ = "0.1.0"
