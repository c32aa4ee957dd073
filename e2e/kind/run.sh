#!/usr/bin/env bash
# End-to-end test of nbsecrets on a real Kubernetes cluster (kind): build the image, install the
# chart, store a secret for a real (token-authenticated) user through the API, start a session
# that selects it, read the file inside the running session pod, rotate both keys with the chart's
# Job under the live session, prove that no Kubernetes object or log holds the plaintext, delete
# the session and watch the garbage collector remove what it owned.
#
# Usage:   e2e/kind/run.sh
# Env:     CLUSTER   kind cluster name           (default nbsecrets-e2e)
#          IMAGE     image repository:tag to build (default nbsecrets:e2e; not "latest", so the
#                    kubelet uses the loaded image instead of pulling)
#          KEEP=1    keep the cluster (and the port-forward's target) after the run
#          TIMEOUT   kubectl wait timeout        (default 300s)
#          KIND_NODE_IMAGE  optional kindest/node image (Kubernetes version)
set -euo pipefail

CLUSTER="${CLUSTER:-nbsecrets-e2e}"
IMAGE="${IMAGE:-nbsecrets:e2e}"
KEEP="${KEEP:-0}"
TIMEOUT="${TIMEOUT:-300s}"
KIND_NODE_IMAGE="${KIND_NODE_IMAGE:-}"
SYSTEM_NS=nbsecrets
USER_NS=alice
USER_NAME=alice
SESSION=notebook
SECRET_NAME=E2E_TOKEN

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Under the repository (not /tmp): kind mounts it into the control-plane node, and Docker Desktop
# shares the user's home by default.
WORK="${ROOT}/e2e/kind/.work"
KUBECONFIG_FILE="${WORK}/kubeconfig"
PF_PID=""
CREATED_CLUSTER=0

log() { printf '\n==> %s\n' "$*" >&2; }
fail() { printf '\nFAIL: %s\n' "$*" >&2; exit 1; }

cleanup() {
  local rc=$?
  if [[ -n "${PF_PID}" ]]; then
    kill "${PF_PID}" 2>/dev/null || true
    wait "${PF_PID}" 2>/dev/null || true
  fi
  if [[ ${rc} -ne 0 && -f "${KUBECONFIG_FILE}" ]]; then
    log "diagnostics (exit ${rc})"
    kubectl get nbs,statefulsets,pods,services,secrets -n "${USER_NS}" -o wide || true
    kubectl get nbs "${SESSION}" -n "${USER_NS}" -o yaml || true
    kubectl get events -n "${USER_NS}" --sort-by=.lastTimestamp || true
    kubectl get pods -n "${SYSTEM_NS}" -o wide || true
    for pod in $(kubectl get pods -n "${SYSTEM_NS}" -o name 2>/dev/null); do
      kubectl logs -n "${SYSTEM_NS}" "${pod}" --all-containers --prefix --tail=100 || true
    done
    kubectl logs -n "${USER_NS}" "${SESSION}-0" -c nbsecrets-init || true
  fi
  if [[ "${KEEP}" == "1" ]]; then
    log "KEEP=1: cluster ${CLUSTER} kept; KUBECONFIG=${KUBECONFIG_FILE}"
  elif [[ ${CREATED_CLUSTER} -eq 1 ]]; then
    log "deleting kind cluster ${CLUSTER}"
    kind delete cluster --name "${CLUSTER}" || true
    rm -rf "${WORK}"
  fi
  exit "${rc}"
}
trap cleanup EXIT

# ------------------------------------------------------------------------------------------------
log "checking tools"
for tool in docker kind kubectl helm curl base64 od; do
  command -v "${tool}" >/dev/null 2>&1 || fail "${tool} is required on the PATH"
done
docker info >/dev/null 2>&1 || fail "docker is installed but no Docker engine answers"
if kind get clusters 2>/dev/null | grep -qx "${CLUSTER}"; then
  fail "a kind cluster named ${CLUSTER} exists already (delete it or set CLUSTER)"
fi

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

rm -rf "${WORK}"
mkdir -p "${WORK}/auth"
chmod 0700 "${WORK}"

# ------------------------------------------------------------------------------------------------
# A real user for the secrets API. The API authenticates users with TokenReview, so the bearer
# token must be one the API server itself accepts for a *user* (not a service account: the API
# refuses service-account tokens on the user endpoints by default). kind's API server gets a
# static token file (--token-auth-file) naming the user "alice": TokenReview then answers
# exactly as it would for an OIDC user, and the product runs with its production settings.
USER_TOKEN="$(random_hex 24)"
printf '%s,%s,%s,%s\n' "${USER_TOKEN}" "${USER_NAME}" "e2e-${USER_NAME}" "e2e-users" \
  > "${WORK}/auth/tokens.csv"
chmod 0644 "${WORK}/auth/tokens.csv"

cat > "${WORK}/kind.yaml" <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    extraMounts:
      - hostPath: ${WORK}/auth
        containerPath: /etc/kubernetes/nbsecrets-e2e
        readOnly: true
    kubeadmConfigPatches:
      - |
        kind: ClusterConfiguration
        apiServer:
          extraArgs:
            token-auth-file: /etc/kubernetes/nbsecrets-e2e/tokens.csv
          extraVolumes:
            - name: nbsecrets-e2e-auth
              hostPath: /etc/kubernetes/nbsecrets-e2e
              mountPath: /etc/kubernetes/nbsecrets-e2e
              readOnly: true
              pathType: Directory
YAML

log "creating kind cluster ${CLUSTER}"
kind_args=(create cluster --name "${CLUSTER}" --config "${WORK}/kind.yaml"
  --kubeconfig "${KUBECONFIG_FILE}" --wait 120s)
if [[ -n "${KIND_NODE_IMAGE}" ]]; then
  kind_args+=(--image "${KIND_NODE_IMAGE}")
fi
CREATED_CLUSTER=1
kind "${kind_args[@]}"
export KUBECONFIG="${KUBECONFIG_FILE}"

# ------------------------------------------------------------------------------------------------
log "building ${IMAGE}"
docker build -f "${ROOT}/operator/Dockerfile" -t "${IMAGE}" "${ROOT}"
kind load docker-image "${IMAGE}" --name "${CLUSTER}"

log "installing the chart"
helm install nbsecrets "${ROOT}/charts/nbsecrets" -n "${SYSTEM_NS}" --create-namespace \
  --set "image.repository=${IMAGE%:*},image.tag=${IMAGE##*:}" \
  --wait --timeout 5m
kubectl wait --for=condition=Established crd/notebooksessions.nbsecrets.io --timeout="${TIMEOUT}"
kubectl -n "${SYSTEM_NS}" wait --for=condition=Available deployment --all --timeout="${TIMEOUT}"

log "binding namespace ${USER_NS} to user ${USER_NAME}"
kubectl create namespace "${USER_NS}"
kubectl annotate namespace "${USER_NS}" "nbsecrets.io/user=${USER_NAME}"

# ------------------------------------------------------------------------------------------------
log "storing ${SECRET_NAME} for ${USER_NAME} through the API"
LOCAL_PORT="${LOCAL_PORT:-18080}"
kubectl -n "${SYSTEM_NS}" port-forward svc/nbsecrets-api "${LOCAL_PORT}:8443" \
  > "${WORK}/port-forward.log" 2>&1 &
PF_PID=$!
# The API's own CA, as the API publishes it; curl verifies the Service's name through the
# port-forward (--connect-to), as an init container does in the cluster.
kubectl -n "${SYSTEM_NS}" get configmap nbsecrets-api-ca-bundle -o jsonpath='{.data.ca\.crt}' \
  > "${WORK}/ca.crt"
API_HOST="nbsecrets-api.${SYSTEM_NS}.svc"
API="https://${API_HOST}:8443"
curl() {
  command curl --cacert "${WORK}/ca.crt" --connect-to "${API_HOST}:8443:127.0.0.1:${LOCAL_PORT}" "$@"
}
for _ in $(seq 1 60); do
  if curl -fsS "${API}/readyz" >/dev/null 2>&1; then break; fi
  kill -0 "${PF_PID}" 2>/dev/null || fail "port-forward ended: $(cat "${WORK}/port-forward.log")"
  sleep 1
done
curl -fsS "${API}/readyz" >/dev/null || fail "the secrets API is not ready"

VALUE="e2e-$(random_hex 20)"
# The value travels in a request body read from a file (mode 0600), never on a command line.
umask 077
printf '{"value":"%s"}' "${VALUE}" > "${WORK}/body.json"
printf 'header = "Authorization: Bearer %s"\n' "${USER_TOKEN}" > "${WORK}/curl-auth"
umask 022
code="$(curl -sS -o "${WORK}/put.out" -w '%{http_code}' -X PUT -K "${WORK}/curl-auth" \
  -H 'Content-Type: application/json' --data-binary @"${WORK}/body.json" \
  "${API}/api/v1/secrets/${SECRET_NAME}")"
[[ "${code}" == "201" ]] || fail "PUT ${SECRET_NAME}: HTTP ${code}: $(cat "${WORK}/put.out")"
curl -fsS -K "${WORK}/curl-auth" "${API}/api/v1/secrets" > "${WORK}/list.json"
grep -q "\"${SECRET_NAME}\"" "${WORK}/list.json" || fail "the list does not show ${SECRET_NAME}"
if grep -qF "${VALUE}" "${WORK}/list.json"; then fail "the list shows the value"; fi
# A service-account token is not a user: refused on the user endpoints.
kubectl -n "${USER_NS}" create serviceaccount e2e-probe
SA_TOKEN="$(kubectl -n "${USER_NS}" create token e2e-probe --duration=10m)"
code="$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${SA_TOKEN}" \
  "${API}/api/v1/secrets")"
[[ "${code}" == "403" ]] || fail "a service-account token got HTTP ${code} on /api/v1/secrets"

# ------------------------------------------------------------------------------------------------
log "creating NotebookSession ${USER_NS}/${SESSION}"
kubectl apply -f - <<YAML
apiVersion: nbsecrets.io/v1alpha1
kind: NotebookSession
metadata:
  name: ${SESSION}
  namespace: ${USER_NS}
spec:
  user: ${USER_NAME}
  image: busybox:1.36
  command: [sh, -c, "sleep 3600"]
  secrets:
    items:
      - name: ${SECRET_NAME}
YAML
kubectl -n "${USER_NS}" wait "notebooksession/${SESSION}" --for=condition=Ready \
  --timeout="${TIMEOUT}"
kubectl -n "${USER_NS}" get nbs "${SESSION}"

generation="$(kubectl -n "${USER_NS}" get nbs "${SESSION}" -o jsonpath='{.metadata.generation}')"
observed="$(kubectl -n "${USER_NS}" get nbs "${SESSION}" -o jsonpath='{.status.observedGeneration}')"
[[ "${generation}" == "${observed}" ]] || fail "observedGeneration ${observed} != generation ${generation}"

log "reading /secrets/${SECRET_NAME} in the session pod"
got="$(kubectl -n "${USER_NS}" exec "${SESSION}-0" -c notebook -- cat "/secrets/${SECRET_NAME}")"
[[ "${got}" == "${VALUE}" ]] || fail "the file does not hold the stored value"
mounts="$(kubectl -n "${USER_NS}" exec "${SESSION}-0" -c notebook -- cat /proc/mounts)"
grep -E '[[:space:]]/secrets[[:space:]]+tmpfs[[:space:]]+ro[,[:space:]]' <<<"${mounts}" >/dev/null \
  || fail "/secrets is not a read-only tmpfs in the session container"
if kubectl -n "${USER_NS}" exec "${SESSION}-0" -c notebook -- \
  sh -c "echo x > /secrets/${SECRET_NAME}" 2>/dev/null; then
  fail "the session container could write to /secrets"
fi

# ------------------------------------------------------------------------------------------------
# Both key rotations through the chart's Job, under the live session: running replicas follow the
# new keys (no restart), the session's file keeps its value after a refresh, and new values work.
rotate() { # rotate <run> <platform: true|false>
  local run="$1" platform="$2" job="nbsecrets-rotate-keys-$1"
  log "rotating the $([[ "${platform}" == true ]] && echo platform key || echo session key pair) (Job ${job})"
  helm upgrade nbsecrets "${ROOT}/charts/nbsecrets" -n "${SYSTEM_NS}" --reuse-values \
    --set "rotation.enabled=true,rotation.run=${run},rotation.platform=${platform}" \
    --set "rotation.propagationWaitSeconds=10,rotation.keyAlgorithm=x25519" --wait --timeout 5m
  kubectl -n "${SYSTEM_NS}" wait --for=condition=Complete "job/${job}" --timeout="${TIMEOUT}" \
    || fail "rotation Job ${job} did not complete: $(kubectl -n "${SYSTEM_NS}" logs "job/${job}" --tail=20)"
  kubectl -n "${SYSTEM_NS}" logs "job/${job}" | tail -3 >&2
}
key_entries() { # the data keys of a key Secret, one per line
  # shellcheck disable=SC2016 # a Go template, not a shell expansion
  kubectl -n "${SYSTEM_NS}" get secret "$1" -o go-template='{{range $k, $v := .data}}{{$k}}{{"\n"}}{{end}}'
}
old_key="$(kubectl -n "${SYSTEM_NS}" get configmap nbsecrets-session-public-key -o jsonpath='{.data.keyId}')"
rotate e2e-session false
new_key="$(kubectl -n "${SYSTEM_NS}" get configmap nbsecrets-session-public-key -o jsonpath='{.data.keyId}')"
[[ -n "${new_key}" && "${new_key}" != "${old_key}" ]] || fail "the session public key did not change"
[[ "$(key_entries nbsecrets-session-keys | grep -c '\.pem$')" == 1 ]] \
  || fail "the old session key was not dropped: $(key_entries nbsecrets-session-keys)"
key_entries nbsecrets-session-keys | grep -qxF "${new_key}.pem" || fail "the new session key is not held"
kubectl -n "${USER_NS}" wait "notebooksession/${SESSION}" --for=condition=Ready --timeout="${TIMEOUT}"
stale="$(kubectl -n "${USER_NS}" get nbs "${SESSION}" -o jsonpath='{.status.secrets[*].stale}')"
[[ -z "${stale}" ]] || fail "re-wrapping made the session's secrets stale"
# A refresh takes a new snapshot from the re-wrapped records (the pod rolls): same value.
kubectl -n "${USER_NS}" annotate nbs "${SESSION}" nbsecrets.io/refresh=after-rotation --overwrite
kubectl -n "${USER_NS}" rollout status "statefulset/${SESSION}" --timeout="${TIMEOUT}"
kubectl -n "${USER_NS}" wait "notebooksession/${SESSION}" --for=condition=Ready --timeout="${TIMEOUT}"
got="$(kubectl -n "${USER_NS}" exec "${SESSION}-0" -c notebook -- cat "/secrets/${SECRET_NAME}")"
[[ "${got}" == "${VALUE}" ]] || fail "after the session key rotation the file does not hold the value"

rotate e2e-platform true
[[ "$(key_entries nbsecrets-platform-key | grep -vcx current)" == 1 ]] \
  || fail "the old platform key was not dropped"
# The running API unwraps the user's re-wrapped key: storing a new value works.
code="$(curl -sS -o "${WORK}/put.out" -w '%{http_code}' -X PUT -K "${WORK}/curl-auth" \
  -H 'Content-Type: application/json' --data-binary @"${WORK}/body.json" \
  "${API}/api/v1/secrets/${SECRET_NAME}-2")"
[[ "${code}" == "201" ]] || fail "PUT after the platform key rotation: HTTP ${code}: $(cat "${WORK}/put.out")"
# A re-created Job of a completed run does not rotate again.
kubectl -n "${SYSTEM_NS}" delete job nbsecrets-rotate-keys-e2e-platform --wait=true
helm upgrade nbsecrets "${ROOT}/charts/nbsecrets" -n "${SYSTEM_NS}" --reuse-values --wait --timeout 5m
kubectl -n "${SYSTEM_NS}" wait --for=condition=Complete job/nbsecrets-rotate-keys-e2e-platform \
  --timeout="${TIMEOUT}"
kubectl -n "${SYSTEM_NS}" logs job/nbsecrets-rotate-keys-e2e-platform | grep -q "already done" \
  || fail "a re-created rotation Job rotated again"

# ------------------------------------------------------------------------------------------------
log "checking that no Kubernetes object holds the plaintext"
VALUE_B64="$(printf '%s' "${VALUE}" | base64 | tr -d '\n')"
kubectl get secrets,configmaps,notebooksessions,pods,statefulsets,services,events -A -o json \
  > "${WORK}/objects.json"
if grep -qF -e "${VALUE}" -e "${VALUE_B64}" "${WORK}/objects.json"; then
  fail "an object holds the plaintext (or its base64)"
fi
# Secret data is base64: decode every value once and look again.
# shellcheck disable=SC2016 # a Go template, not a shell expansion
kubectl get secrets -A -o go-template='{{range .items}}{{range $k, $v := .data}}{{$v | base64decode}}{{"\n"}}{{end}}{{end}}' \
  > "${WORK}/secret-data.txt"
if grep -qF -e "${VALUE}" -e "${VALUE_B64}" "${WORK}/secret-data.txt"; then
  fail "a Secret's decoded data holds the plaintext"
fi
: > "${WORK}/logs.txt"
for pod in $(kubectl get pods -n "${SYSTEM_NS}" -o name); do
  kubectl logs -n "${SYSTEM_NS}" "${pod}" --all-containers --tail=-1 >> "${WORK}/logs.txt" 2>&1 || true
done
[[ -s "${WORK}/logs.txt" ]] || fail "no logs from the pods in ${SYSTEM_NS}"
kubectl logs -n "${USER_NS}" "${SESSION}-0" -c nbsecrets-init >> "${WORK}/logs.txt" 2>&1 || true
if grep -qF "${VALUE}" "${WORK}/logs.txt"; then fail "a log line holds the plaintext"; fi
rm -f "${WORK}/objects.json" "${WORK}/secret-data.txt" "${WORK}/logs.txt"

log "checking the owned objects before deletion"
session_secrets="$(kubectl -n "${USER_NS}" get secrets \
  --field-selector type=nbsecrets.io/session-secrets -o name)"
[[ -n "${session_secrets}" ]] || fail "no per-session Secret in ${USER_NS}"
kubectl -n "${USER_NS}" get "statefulset/${SESSION}" "service/${SESSION}" >/dev/null

# ------------------------------------------------------------------------------------------------
log "deleting the session; the garbage collector must remove what it owned"
kubectl -n "${USER_NS}" delete "notebooksession/${SESSION}" --wait=true --timeout="${TIMEOUT}"
kubectl -n "${USER_NS}" wait --for=delete "statefulset/${SESSION}" "service/${SESSION}" \
  --timeout="${TIMEOUT}" 2>/dev/null || true
deadline=$((SECONDS + 120))
while :; do
  left="$(kubectl -n "${USER_NS}" get statefulsets,services,pods -o name 2>/dev/null)
$(kubectl -n "${USER_NS}" get secrets --field-selector type=nbsecrets.io/session-secrets -o name)"
  left="$(sed '/^$/d' <<<"${left}")"
  [[ -z "${left}" ]] && break
  ((SECONDS < deadline)) || fail "left behind after deletion: ${left}"
  sleep 2
done

log "PASS: secret delivered to a real pod, both keys rotated under it, no plaintext in any object or log, owned objects collected"
