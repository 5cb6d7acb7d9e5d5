"""Grading profiles: which conventions a submission is written for, and what its sandbox needs.

`plain` is this repository's contract (assignment/CONTRACT.md: TAXI_* variables, DuckDB, the
course's dbt project). `template` is the course's Astro project template (issue #13): the TLC's
CDN URL, the `azure_pg` connection, dbt through `uvx` on `include/dbt_project/`, Astro paths.
Parent side: nothing here imports the student's code.

    choice.py     which profile grades a submission (asked for, or detected from its shape)
    cdn.py        the throwaway CA and the CDN host's certificate the sandbox trusts
    uvx_shim.py   the `uvx` on the sandbox's PATH that runs the installed dbt, offline
    dbt_project.py  the student's dbt project or the course's, and the note that says why
"""

from autograder.profiles.choice import PROFILES, ProfileChoice, choose_profile, detect_profile

__all__ = ["PROFILES", "ProfileChoice", "choose_profile", "detect_profile"]
