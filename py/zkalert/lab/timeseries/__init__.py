"""Lab tooling of time-series mode: demo, bench, alarm agreement, detection rates, cell counts,
reports, fixtures."""

__all__ = ["agreement", "bench", "cells", "demo", "detection", "fixtures", "report"]
