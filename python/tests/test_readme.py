"""The README's examples run as written (doctest), and the relative links of the README and of
docs/ lead to files of the repository: the README and the docs stay true."""
import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def test_readme_examples():
    failures, tried = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0


def test_relative_links_lead_to_files_of_the_repository():
    # Each kernel's page links its Swift sources and its tests: a file moved or renamed must take
    # its links along.
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    links = [(page, target) for page in pages
             for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8"))
             if not re.match(r"[a-z][a-z0-9+.-]*:", target) and not target.startswith("#")]
    assert len(links) > 20  # the pattern finds them
    assert [f"{page.name}: {target}" for page, target in links
            if not (page.parent / target.split("#")[0]).exists()] == []
