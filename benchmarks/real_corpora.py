"""Real texts for benchmarks/word_count.py (issue 12), built from Debian packages.

    python benchmarks/real_corpora.py [DIRECTORY]      (default: /tmp/fastkernels-corpora)

Needs, once (as root):

    apt-get install -y --no-install-recommends diatheke sword-text-web sword-text-sparv \\
        bible-kjv bible-kjv-text debian-handbook fortunes fortunes-es fortunes-ru fortunes-zh \\
        linux-doc-6.12

(another linux-doc-X.Y works: the newest one installed is used). Writes:

- en-prose.txt: English prose, ~45 MB: the World English Bible (diatheke), the King James
  Bible (bible), the Debian Administrator's Handbook (HTML, tags stripped) and the fortune
  cookies, 15 MB of distinct text repeated three times (about 140K distinct words).
- es-prose.txt: Spanish prose, ~47 MB: the Reina-Valera 1909 Bible, the handbook in Spanish
  and the Spanish fortunes, repeated seven times (about 97K distinct words).
- ru-prose.txt: Russian prose (Cyrillic, two bytes a letter in UTF-8), ~40 MB: the handbook in
  Russian and the Russian fortunes, repeated.
- cjk-prose.txt: Chinese and Japanese prose (three bytes a character; a token runs from space
  to space, often a whole clause), ~40 MB: the handbook in simplified and traditional Chinese
  and in Japanese and the Chinese fortunes (classical poems), repeated.
- en-docs.txt: the Linux kernel's documentation sources (reStructuredText), ~45 MB, no
  repetition (about 440K distinct tokens: prose with code, option names, addresses).
- python-src.txt: the .py files of the interpreter's standard library and the project
  venv's site-packages, ~31 MB (about 450K distinct tokens).
"""
from __future__ import annotations

import glob
import gzip
import html.parser
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.skipping += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.skipping -= tag in ("script", "style")
        if tag in ("p", "div", "li", "h1", "h2", "h3", "pre", "tr", "br"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(directory: str) -> bytes:
    out = []
    for page in sorted(glob.glob(f"{directory}/*.html")):
        parser = _Text()
        parser.feed(Path(page).read_text(encoding="utf-8"))
        out.append("".join(parser.parts) + "\n")
    return "".join(out).encode()


def run(*command: str) -> bytes:
    return subprocess.run(command, check=True, capture_output=True).stdout


# fortunes-zh installs these beside the English fortunes.
CHINESE_FORTUNES = ("chinese", "tang300", "song100")


def fortunes(directory: str, leaving_out: tuple[str, ...] = ()) -> bytes:
    files = [f for f in sorted(glob.glob(f"{directory}/*"))
             if Path(f).is_file() and not f.endswith((".dat", ".u8")) and Path(f).name not in leaving_out]
    return b"".join(Path(f).read_bytes() for f in files)


def utf8_files(paths: list[str], limit: int, opener=open) -> bytes:
    out, size = [], 0
    for path in paths:
        with opener(path, "rb") as f:
            data = f.read()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        out.append(data)
        size += len(data)
        if size > limit:
            break
    return b"".join(out)


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/fastkernels-corpora")
    target.mkdir(parents=True, exist_ok=True)
    for tool in ("diatheke", "bible"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: see the apt-get line in this script's docstring")
    whole_bible = "Gen 1:1-Rev 22:21"
    web = run("diatheke", "-b", "engWEB2015eb", "-f", "plain", "-k", whole_bible)
    kjv = run("bible", "-f", "Gen1:1-Rev22:21")
    handbook = "/usr/share/doc/debian-handbook/html"
    english = web + kjv + html_text(f"{handbook}/en-US") + fortunes("/usr/share/games/fortunes", CHINESE_FORTUNES)
    (target / "en-prose.txt").write_bytes(english * 3)
    spanish = (run("diatheke", "-b", "spaRV1909eb", "-f", "plain", "-k", whole_bible)
               + html_text(f"{handbook}/es-ES") + fortunes("/usr/share/games/fortunes/es"))
    (target / "es-prose.txt").write_bytes(spanish * 7)
    russian = html_text(f"{handbook}/ru-RU") + fortunes("/usr/share/games/fortunes/ru")
    (target / "ru-prose.txt").write_bytes(russian * (40_000_000 // len(russian) + 1))
    cjk = b"".join(html_text(f"{handbook}/{language}") for language in ("zh-CN", "zh-TW", "ja-JP"))
    cjk += b"".join(Path(f"/usr/share/games/fortunes/{name}").read_bytes() for name in CHINESE_FORTUNES)
    (target / "cjk-prose.txt").write_bytes(cjk * (40_000_000 // len(cjk) + 1))
    docs = sorted(glob.glob("/usr/share/doc/linux-doc-*/Documentation"))[-1]
    sources = [p for p in sorted(glob.glob(f"{docs}/**/*.gz", recursive=True)) if "/translations/" not in p]
    (target / "en-docs.txt").write_bytes(utf8_files(sources, 1 << 62, gzip.open))
    python = sorted(glob.glob(f"{sysconfig.get_paths()['stdlib']}/**/*.py", recursive=True))
    python += sorted(glob.glob(f"{sysconfig.get_paths()['purelib']}/**/*.py", recursive=True))
    (target / "python-src.txt").write_bytes(utf8_files(python, 31_000_000))
    for name in ("en-prose.txt", "es-prose.txt", "ru-prose.txt", "cjk-prose.txt", "en-docs.txt", "python-src.txt"):
        print(f"{target / name}: {(target / name).stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
