"""The pieces of ``docs/benchmarks.md``: sections of markdown and the targets they check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Target:
    """One measured number and the bound it should meet."""

    name: str
    measured: float
    #: ``"<="`` or ``">="``.
    relation: str
    bound: float
    unit: str = "x"

    @property
    def met(self) -> bool:
        if self.relation == "<=":
            return self.measured <= self.bound
        return self.measured >= self.bound

    def row(self) -> str:
        mark = "met" if self.met else "**missed**"
        measured = f"{self.measured:.3g}{self.unit}"
        return f"| {self.name} | {measured} | {self.relation} {self.bound:g}{self.unit} | {mark} |"


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    #: Numbers the findings refer to.
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.lines.append("| " + " | ".join(header) + " |")
        self.lines.append("|" + "|".join(" --- " for _ in header) + "|")
        for row in rows:
            self.lines.append("| " + " | ".join(row) + " |")
        self.lines.append("")

    def markdown(self) -> str:
        return "\n".join([f"## {self.title}", "", *self.lines]).rstrip() + "\n"
