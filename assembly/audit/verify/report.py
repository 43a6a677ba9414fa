"""The verification report: numbered steps, each passed, failed or not run, with its findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from assembly.audit.verify.model import Finding

__all__ = ("MAX_LISTED", "Report", "StepResult")

MAX_LISTED = 50
"""Findings listed per step in the text report; the rest are counted."""

Status = Literal["pass", "fail", "not run"]


@dataclass
class StepResult:
    number: int
    title: str
    status: Status
    summary: str = ""
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Report:
    bundle: str
    steps: list[StepResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(step.status == "pass" for step in self.steps)

    @property
    def first_failure(self) -> StepResult | None:
        return next((step for step in self.steps if step.status == "fail"), None)

    def render(self) -> str:
        """The report as numbered text lines, ending with a RESULT line."""
        lines = ["assembly audit log verifier (spec assembly-audit-log/1)", f"bundle: {self.bundle}", ""]
        width = max((len(step.title) for step in self.steps), default=0) + 4
        for step in self.steps:
            label = {"pass": "ok", "fail": "FAIL", "not run": "not run"}[step.status]
            head = f"{step.number:>2}. {step.title} ".ljust(width + 4, ".")
            lines.append(f"{head} {label}" + (f": {step.summary}" if step.summary else ""))
            for finding in step.findings[:MAX_LISTED]:
                lines.append(f"      {finding.code} {finding.message}")
            if len(step.findings) > MAX_LISTED:
                lines.append(f"      ... and {len(step.findings) - MAX_LISTED} more")
        lines.append("")
        lines.extend(f"note: {note}" for note in self.notes)
        failed = self.first_failure
        if failed is None:
            lines.append(f"RESULT: PASS ({len(self.steps)} of {len(self.steps)} steps passed)")
        else:
            codes = sorted({finding.code for finding in failed.findings})
            lines.append(f"RESULT: FAIL at step {failed.number} ({', '.join(codes)})")
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (``--json``)."""
        return {
            "bundle": self.bundle,
            "result": "pass" if self.passed else "fail",
            "steps": [
                {
                    "number": step.number,
                    "title": step.title,
                    "status": step.status,
                    "summary": step.summary,
                    "findings": [{"code": f.code, "message": f.message} for f in step.findings],
                }
                for step in self.steps
            ],
            "notes": self.notes,
        }
