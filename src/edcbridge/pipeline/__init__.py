"""The batch pipeline: load -> map -> validate -> (seal) -> write, journaled and resumable."""

from edcbridge.pipeline.runner import Job, RunOptions, RunResult, run

__all__ = ["Job", "RunOptions", "RunResult", "run"]
