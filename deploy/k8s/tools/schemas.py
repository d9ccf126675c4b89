"""Schema plumbing for validate.sh; runs in the tools venv (it has PyYAML), not in the project's venv.

kubernetes <out> <version>...  copy the Kubernetes JSON schemas that the kubernetes-validate wheel
                               ships into <out>/v<version>-local-strict/, made loadable from files
crds <out> <crd.yaml>...       turn CustomResourceDefinitions into kubeconform schemas,
                               <out>/<group>/<kind>_<version>.json, closed like the strict core schemas
yaml2json                      a YAML stream on stdin to a JSON list on stdout
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

yaml: Any = importlib.import_module("yaml")

DEFINITIONS = "_definitions.json"


def copy_kubernetes_schemas(out: Path, versions: list[str]) -> None:
    """Write each version's strict schemas as self-contained files kubeconform can load.

    The wheel's schemas refer to one shared `/api/_definitions.json` under `$id`s at
    https://kubernetes.io, which only its own loader resolves. Each schema here carries the
    definitions it reaches in its own `$defs` instead, so it loads from a plain file and compiles
    without parsing every definition of the API for every kind.
    """
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or spec.origin is None:
        raise SystemExit("kubernetes-validate is not installed in this interpreter")
    shipped = Path(spec.origin).parent / "kubernetes-json-schema"
    for version in versions:
        source = shipped / f"v{version}-local-strict"
        if not source.is_dir():
            raise SystemExit(f"kubernetes-validate ships no schemas for Kubernetes {version}")
        definitions: dict[str, Any] = json.loads((source / DEFINITIONS).read_text())["$defs"]
        target = out / source.name
        target.mkdir(parents=True, exist_ok=True)
        for path in source.glob("*.json"):
            if path.name != DEFINITIONS:
                schema = _local_refs(json.loads(path.read_text()))
                schema.pop("$id", None)
                schema["$defs"] = {name: definitions[name] for name in _reachable(schema, definitions)}
                (target / path.name).write_text(json.dumps(schema))


def _local_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: value.replace(f"/api/{DEFINITIONS}#", "#")
            if key == "$ref" and isinstance(value, str)
            else _local_refs(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_local_refs(item) for item in node]
    return node


def _reachable(schema: Any, definitions: dict[str, Any]) -> set[str]:
    """Names of the definitions that `schema` refers to, directly or through other definitions."""
    seen: set[str] = set()
    pending = _refs(schema)
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            pending |= _refs(definitions[name])
    return seen


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {name for sub in node.values() for name in _refs(sub)}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            found.add(ref.removeprefix("#/$defs/"))
        return found
    if isinstance(node, list):
        return {name for sub in node for name in _refs(sub)}
    return set()


def write_crd_schemas(out: Path, crd_files: list[Path]) -> None:
    """Write one JSON schema per served version of every CRD found in the files."""
    for crd in _documents(crd_files):
        if crd.get("kind") != "CustomResourceDefinition":
            continue
        group = crd["spec"]["group"]
        kind = crd["spec"]["names"]["kind"].lower()
        for version in crd["spec"]["versions"]:
            schema = version.get("schema", {}).get("openAPIV3Schema")
            if schema is None:
                continue
            target = out / group / f"{kind}_{version['name']}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(_strict(schema)))


def _documents(files: list[Path]) -> Iterator[dict[str, Any]]:
    for path in files:
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict):
                yield document


def _strict(node: Any) -> Any:
    """OpenAPI v3 (as CRDs write it) to JSON Schema, with unknown fields rejected as kubectl would.

    An object that declares its properties and does not preserve unknown fields gets
    `additionalProperties: false`, so a misspelt field fails here instead of being pruned silently
    by the API server.
    """
    if not isinstance(node, dict):
        return node
    schema: dict[str, Any] = {}
    for key, value in node.items():
        if key == "nullable":
            continue
        if key in ("properties", "patternProperties", "definitions"):
            schema[key] = {name: _strict(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            schema[key] = [_strict(sub) for sub in value] if isinstance(value, list) else _strict(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            schema[key] = [_strict(sub) for sub in value]
        else:
            schema[key] = value
    if node.get("x-kubernetes-int-or-string") and "anyOf" not in schema:
        schema.pop("type", None)
        schema["type"] = ["integer", "string"]
    if node.get("nullable") and isinstance(schema.get("type"), str):
        schema["type"] = [schema["type"], "null"]
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        schema["additionalProperties"] = False
    return schema


def yaml_to_json() -> None:
    """Print every non-empty document of the YAML stream on stdin as one JSON list."""
    documents = [d for d in yaml.safe_load_all(sys.stdin) if d is not None]
    json.dump(documents, sys.stdout, default=str)


def main(argv: list[str]) -> None:
    """Dispatch one subcommand (see the module docstring)."""
    match argv:
        case ["kubernetes", out, *versions] if versions:
            copy_kubernetes_schemas(Path(out), versions)
        case ["crds", out, *files] if files:
            write_crd_schemas(Path(out), [Path(f) for f in files])
        case ["yaml2json"]:
            yaml_to_json()
        case _:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
