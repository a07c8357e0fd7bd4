"""The Alembic revisions of the job store's schema, ``vNNNN_*.py``, revision ``NNNN`` each (see the package)."""
