"""Deterministic, realistic ``package-lock.json`` documents for the ``airlock`` sample data,
tests and benchmarks.

:func:`lockfile_v3` builds a lockfile v3 (``packages`` map) of any size with what real ones
have: the root entry ``""``, a workspace folder and its ``link: true`` symlink, scoped names
(``@babel/core``), nested installs (``node_modules/a/node_modules/b``), the same name@version
installed at several paths, npm aliases (an entry whose ``name`` differs from its path), and
``integrity`` / ``resolved`` / ``license`` fields. :func:`lockfile_v1` builds a lockfile v1
(recursive ``dependencies`` tree). :func:`expected_requests` computes, in Python, the set of
(name, version) pairs a lockfile should become (the tests compare it with the database's).
"""

from __future__ import annotations

import base64
import hashlib
import random
from typing import Any

#: Real package names (and a few scopes) the generated lockfiles start with.
POPULAR = (
    "react", "react-dom", "lodash", "express", "axios", "chalk", "commander", "debug",
    "semver", "uuid", "minimist", "yargs", "ms", "tslib", "glob", "rimraf", "mkdirp",
    "@babel/core", "@babel/parser", "@babel/traverse", "@babel/types", "@types/node",
    "@types/react", "@eslint/js", "@jest/core", "@typescript-eslint/parser", "typescript",
    "webpack", "postcss", "autoprefixer", "inherits", "safe-buffer", "readable-stream",
)
SCOPES = ("@acme", "@storefront", "@types", "@babel", "@vue", "@angular", "@aws-sdk")
#: SPDX expressions the generated entries carry (most allowed by the default allowlist).
LICENSES = (
    "MIT", "MIT", "MIT", "MIT", "ISC", "Apache-2.0", "BSD-3-Clause", "BSD-2-Clause",
    "(MIT OR Apache-2.0)", "0BSD", "MIT AND ISC", "GPL-3.0-only", "(MIT OR GPL-3.0-only)",
    "LGPL-2.1-or-later", "BlueOak-1.0.0",
)


def integrity(name: str, version: str) -> str:
    """A sha512 SRI string, as npm writes them (deterministic per name@version)."""
    digest = hashlib.sha512(f"{name}@{version}".encode()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def _entry(name: str, version: str, rng: random.Random) -> dict[str, Any]:
    tail = name.rsplit("/", 1)[-1]
    entry: dict[str, Any] = {
        "version": version,
        "resolved": f"https://registry.npmjs.org/{name}/-/{tail}-{version}.tgz",
        "integrity": integrity(name, version),
        "license": rng.choice(LICENSES),
    }
    if rng.random() < 0.3:
        entry["dev"] = True
    if rng.random() < 0.2:
        entry["dependencies"] = {rng.choice(POPULAR): f"^{rng.randint(1, 9)}.0.0"}
    return entry


def _version(rng: random.Random) -> str:
    return f"{rng.randint(0, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 20)}"


def lockfile_v3(
    entries: int = 1_500,
    *,
    name: str = "storefront-web",
    version: str = "3.4.1",
    seed: int = 2,
) -> dict[str, Any]:
    """A lockfile v3 whose ``packages`` map has exactly ``entries`` entries (root included)."""
    rng = random.Random(seed)
    packages: dict[str, Any] = {
        "": {
            "name": name,
            "version": version,
            "license": "UNLICENSED",
            "workspaces": ["packages/*"],
            "dependencies": {"react": "^18.2.0", "@storefront/ui-kit": "*"},
        },
        # a workspace folder and its symlink: the project's own code, never requested
        "packages/ui-kit": {"name": "@storefront/ui-kit", "version": "0.1.0", "license": "MIT"},
        "node_modules/@storefront/ui-kit": {"resolved": "packages/ui-kit", "link": True},
    }
    top: list[tuple[str, str]] = []
    n = 0
    while len(packages) < entries:
        n += 1
        kind = rng.random()
        if n <= len(POPULAR):
            pkg, ver = POPULAR[n - 1], _version(rng)
            packages[f"node_modules/{pkg}"] = _entry(pkg, ver, rng)
            top.append((pkg, ver))
        elif kind < 0.55 or not top:
            pkg = f"pkg-{n:05d}" if kind < 0.35 else f"{SCOPES[n % len(SCOPES)]}/lib-{n:05d}"
            ver = _version(rng)
            packages[f"node_modules/{pkg}"] = _entry(pkg, ver, rng)
            top.append((pkg, ver))
        elif kind < 0.85:
            # a nested install: another version of a top-level name under some parent
            parent, _ = rng.choice(top)
            child, child_ver = rng.choice(top)
            path = f"node_modules/{parent}/node_modules/{child}"
            if path in packages or child == parent:
                continue
            nested_ver = _version(rng) if rng.random() < 0.7 else child_ver  # same: a duplicate
            packages[path] = _entry(child, nested_ver, rng)
            if rng.random() < 0.15:  # two levels deep
                grand, _ = rng.choice(top)
                deep = f"{path}/node_modules/{grand}"
                if deep not in packages and len(packages) < entries:
                    packages[deep] = _entry(grand, _version(rng), rng)
        elif kind < 0.95:
            # the same name@version installed under another parent too (deduplicated)
            child, child_ver = rng.choice(top)
            parent, _ = rng.choice(top)
            path = f"node_modules/{parent}/node_modules/{child}"
            if path in packages or child == parent:
                continue
            packages[path] = _entry(child, child_ver, rng)
        else:
            # an npm alias: "string-width-cjs": "npm:string-width@4.2.3"
            alias = f"alias-{n:05d}"
            real, real_ver = rng.choice(top)
            entry = _entry(real, real_ver if rng.random() < 0.5 else _version(rng), rng)
            entry["name"] = real
            packages[f"node_modules/{alias}"] = entry
    return {
        "name": name,
        "version": version,
        "lockfileVersion": 3,
        "requires": True,
        "packages": packages,
    }


def lockfile_v1(
    *, name: str = "legacy-admin", version: str = "1.9.0", top: int = 60, seed: int = 1
) -> dict[str, Any]:
    """A lockfile v1 (npm 6): a ``dependencies`` tree, nested up to three levels."""
    rng = random.Random(seed)

    def node(pkg: str, depth: int) -> dict[str, Any]:
        ver = _version(rng)
        entry: dict[str, Any] = {
            "version": ver,
            "resolved": f"https://registry.npmjs.org/{pkg}/-/{pkg.rsplit('/', 1)[-1]}-{ver}.tgz",
            "integrity": integrity(pkg, ver),
            "requires": {rng.choice(POPULAR): f"^{rng.randint(1, 5)}.0.0"},
        }
        if depth < 3 and rng.random() < 0.35:
            kids = rng.sample(POPULAR, rng.randint(1, 3))
            entry["dependencies"] = {kid: node(kid, depth + 1) for kid in kids}
        return entry

    names = list(POPULAR) + [f"legacy-{i:03d}" for i in range(top)]
    deps = {pkg: node(pkg, 1) for pkg in names[:top]}
    return {"name": name, "version": version, "lockfileVersion": 1, "requires": True,
            "dependencies": deps}


def expected_requests(lock: dict[str, Any]) -> set[tuple[str, str]]:
    """The distinct (name, version) pairs npm would fetch for a lockfile, computed in Python.

    v2/v3: every ``packages`` key containing ``node_modules/`` that is not a ``link``; the name
    is the entry's ``name`` (an alias) or the path after the last ``node_modules/``. v1: every
    node of the ``dependencies`` tree, at every depth.
    """
    found: set[tuple[str, str]] = set()
    if "packages" in lock:
        for path, entry in lock["packages"].items():
            if "node_modules/" not in path or entry.get("link"):
                continue
            found.add((entry.get("name") or path.split("node_modules/")[-1], entry["version"]))
        return found
    stack = list(lock.get("dependencies", {}).items())
    while stack:
        pkg, entry = stack.pop()
        found.add((pkg, entry["version"]))
        stack.extend(entry.get("dependencies", {}).items())
    return found
