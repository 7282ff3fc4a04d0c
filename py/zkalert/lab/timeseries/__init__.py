"""Lab tooling of time-series mode: demo, bench, alarm agreement, cell counts, reports, fixtures."""

__all__ = ["agreement", "bench", "cells", "demo", "fixtures", "report"]
