#!/usr/bin/env python3
"""The Chinese edition's catalogs: extract the English messages, update the .po files, check.

    .venv/bin/python .ci/translation.py update   # English text changed: refresh the catalogs
    .venv/bin/python .ci/translation.py check [NAME ...]   # every message translated, none
                                                 # fuzzy, markup kept (NAME: 04_pooling, ...)
    .venv/bin/python .ci/translation.py stat     # counts per catalog (as `sphinx-intl stat`)

`update` runs Sphinx's gettext builder over the book (`jupyter-book build --builder custom
--custom-builder gettext`, into _build/i18n/) and merges the new messages into
book/locale/zh_CN/LC_MESSAGES/book/*.po with sphinx-intl. A changed English message comes back
"fuzzy" with its old translation as a suggestion; a new one comes back empty. Translate them
(remove the `#, fuzzy` line once a translation is right), then run `check`:
tests/test_translation.py runs the same check, so CI fails while any message is untranslated
or fuzzy, and the two editions cannot drift apart.

`check` also compares each translation's markup with its English message: the same inline
math ($...$), code spans, roles ({term}, {numref}, ...) with the same targets, and link
targets; a chapter title such as "2. ..." must be written "2\\. ..." (else it is read as a
list and dropped); and a translation must contain Chinese unless a translator's comment
`# english: <why>` says why not (a reference entry, a name).
"""

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LANGUAGE = "zh_CN"
LOCALE = REPO / "book" / "locale"
CATALOGS = LOCALE / LANGUAGE / "LC_MESSAGES"
BUILD = REPO / "_build" / "i18n"
POT_DIR = BUILD / "_build" / "gettext"

MATH = re.compile(r"(?<![\\$])\$(?!\$)(?:[^$\\]|\\.)+?\$")
CODE = re.compile(r"(?<![`{])`(?!`)([^`]+)`")
ROLE = re.compile(r"\{([a-z:]+)\}`([^`]*)`")
LINK = re.compile(r"\]\(([^)\s]+)\)|<(https?://[^>]+)>")
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def role_targets(text):
    """(role, target) for each role: {term}`卷积核 <kernel>` and {term}`kernel` -> kernel."""
    out = []
    for role, body in ROLE.findall(text):
        match = re.search(r"<([^<>]+)>\s*$", body)
        out.append((role, (match.group(1) if match else body).strip().lower()
                    if role == "term" else (match.group(1) if match else body).strip()))
    return Counter(out)


def _strip_markup(text):
    for pattern in (ROLE, MATH, CODE, LINK):
        text = pattern.sub(" ", text)
    return re.sub(r"https?://\S+", " ", text)


def problems(msgid, msgstr, comments=()):
    """What is wrong with one translation (an empty list when it is fine)."""
    found = []
    if not msgstr.strip():
        return ["untranslated"]
    if Counter(MATH.findall(msgid)) != Counter(MATH.findall(msgstr)):
        missing = Counter(MATH.findall(msgid)) - Counter(MATH.findall(msgstr))
        extra = Counter(MATH.findall(msgstr)) - Counter(MATH.findall(msgid))
        found.append(f"inline math differs: missing {sorted(missing)}, extra {sorted(extra)}")
    code_id = Counter(CODE.findall(ROLE.sub(" ", msgid)))
    code_str = Counter(CODE.findall(ROLE.sub(" ", msgstr)))
    if code_id != code_str:
        found.append(f"code spans differ: missing {sorted(code_id - code_str)}, "
                     f"extra {sorted(code_str - code_id)}")
    if role_targets(msgid) != role_targets(msgstr):
        found.append(f"roles differ: {sorted(role_targets(msgid).items())} -> "
                     f"{sorted(role_targets(msgstr).items())}")
    links_id = Counter(a or b for a, b in LINK.findall(msgid))
    links_str = Counter(a or b for a, b in LINK.findall(msgstr))
    if links_id != links_str:
        found.append(f"link targets differ: {sorted(links_id.elements())} -> "
                     f"{sorted(links_str.elements())}")
    if re.match(r"\d+\.\s", msgstr):
        found.append('starts like a numbered list ("2. "): write "2\\. "')
    english = ENGLISH_WORD.findall(_strip_markup(msgid))
    waived = any(c.strip().startswith("english:") for c in comments)
    if english and not CJK.search(msgstr) and not waived:
        found.append("no Chinese in the translation (add '# english: <why>' if that is right)")
    return found


def read_catalogs():
    from babel.messages.pofile import read_po

    catalogs = {}
    for path in sorted(CATALOGS.rglob("*.po")):
        with open(path, "rb") as handle:
            catalogs[path] = read_po(handle)
    return catalogs


def expected_catalogs():
    """One catalog per page of the book (book/intro.po, book/01_dense_to_conv.po, ...)."""
    import yaml

    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]] + [entry["file"] for entry in toc.get("chapters", [])]
    return [CATALOGS / f"{page}.po" for page in pages]


def check(only=()):
    """Every message translated, none fuzzy, markup kept; returns the list of failures.

    `only`: catalog names to check (``01_dense_to_conv``), all of them when empty.
    """
    failures = []
    catalogs = read_catalogs()
    if only:
        catalogs = {p: c for p, c in catalogs.items() if p.stem in only}
    for path in expected_catalogs():
        if not only and path not in catalogs:
            failures.append(f"{path.relative_to(REPO)}: missing (run `translation.py update`)")
    for path, catalog in catalogs.items():
        name = path.relative_to(REPO)
        for message in catalog:
            if not message.id:
                continue
            where = f"{name}:{message.lineno}"
            if message.fuzzy:
                failures.append(f"{where}: fuzzy (the English changed; check the translation "
                                f"and remove '#, fuzzy'): {message.id[:70]!r}")
            for problem in problems(message.id, message.string or "", message.user_comments):
                failures.append(f"{where}: {problem}: {message.id[:70]!r}")
    return failures


def stat():
    for path, catalog in read_catalogs().items():
        messages = [m for m in catalog if m.id]
        translated = sum(1 for m in messages if m.string and not m.fuzzy)
        fuzzy = sum(1 for m in messages if m.fuzzy)
        print(f"{path.relative_to(REPO)}: {translated} translated, {fuzzy} fuzzy, "
              f"{len(messages) - translated - fuzzy} untranslated")


def extract(path_output=BUILD, **run):
    """Run Sphinx's gettext builder over the book into path_output; the .pot files land in
    path_output/_build/gettext/book/. Returns the finished subprocess (``run`` goes to
    subprocess.run). The notebooks' executions come from the book build's cache."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    # a fresh environment: otherwise pages read before are not read again
    shutil.rmtree(Path(path_output) / "_build" / ".doctrees", ignore_errors=True)
    return subprocess.run([str(jupyter_book), "build", ".", "--all", "--path-output",
                           str(path_output), "--builder", "custom", "--custom-builder",
                           "gettext", "-W", "--keep-going"], cwd=REPO, **run)


def update():
    extract(check=True)
    subprocess.run([str(Path(sys.executable).with_name("sphinx-intl")), "update", "-p",
                    str(POT_DIR), "-l", LANGUAGE, "-d", str(LOCALE), "-w", "0",
                    "--no-obsolete"], cwd=REPO, check=True)
    stat()


def main(argv):
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "stat":
        stat()
    elif command == "check":
        failures = check(argv[2:])
        for failure in failures:
            print(failure)
        print(f"{len(failures)} problem(s)" if failures else "every message translated")
        return 1 if failures else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
