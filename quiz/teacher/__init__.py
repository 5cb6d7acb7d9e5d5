"""The teacher's side of the quiz: score overrides and the class report (statistics, plots,
open answers to read). Students never need these modules."""
