"""The README starts with the two commands, and CI runs the second one."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = readme.index("```sh")
    serve, test = readme[start + 1], readme[start + 2]
    assert readme[start + 3] == "```"
    assert serve.endswith("spotcheck serve --demo")
    assert test.endswith("tests/run.py")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == test
