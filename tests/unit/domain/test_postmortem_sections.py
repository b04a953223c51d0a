"""Which required postmortem sections hold only the template's text (domain/learning/postmortem_sections.py)."""

from domain.learning.postmortem_sections import template_lines, unfilled
from testkit.environment import POLICY_DIR

TEMPLATE = (POLICY_DIR / "postmortem-template.md").read_text(encoding="utf-8")
REQUIRED = ["Summary", "Root cause", "What went well", "What went poorly", "5 Whys"]
UNTOUCHED = """# Postmortem: x

## Summary
(2–3 sentences: what broke, for whom, how it was fixed)

## Root cause
(What made it happen. The category above is used for recurrence detection.)

## What went well

## What went poorly

## 5 Whys
1. Why?
2. Why?
3. Why?
4. Why?
5. Why?
"""


def test_the_shipped_template_names_its_hints():
    lines = template_lines(TEMPLATE)
    assert "(2–3 sentences: what broke, for whom, how it was fixed)" in lines["Summary"]
    assert "1. Why?" in lines["5 Whys"] and lines["What went well"] == set()


def test_an_untouched_draft_leaves_every_required_section():
    assert unfilled(UNTOUCHED, TEMPLATE, REQUIRED) == REQUIRED


def test_written_sections_count_and_a_missing_one_does_not():
    written = (UNTOUCHED.replace("## What went well\n", "## What went well\nFast rollback.\n")
               .replace("1. Why?", "1. Why? The canary was skipped.")
               .replace("(2–3 sentences: what broke, for whom, how it was fixed)", "Payments failed for 20 minutes."))
    assert unfilled(written, TEMPLATE, REQUIRED) == ["Root cause", "What went poorly"]
    assert unfilled(written.replace("## Root cause", "## Cause"), TEMPLATE, REQUIRED) == [
        "Root cause", "What went poorly"]  # a removed heading is a section still to write
    assert unfilled("## Root cause\n(my own note in brackets)\n", TEMPLATE, ["Root cause"]) == ["Root cause"]
