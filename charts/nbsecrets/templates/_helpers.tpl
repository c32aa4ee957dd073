{{/* Name prefix of every object. */}}
{{- define "nbsecrets.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else if contains "nbsecrets" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-nbsecrets" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Kubernetes' recommended labels; pass (dict "ctx" $ "component" "api"). */}}
{{- define "nbsecrets.labels" -}}
app.kubernetes.io/name: nbsecrets
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: nbsecrets
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version }}
{{- end -}}

{{- define "nbsecrets.selectorLabels" -}}
app.kubernetes.io/name: nbsecrets
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "nbsecrets.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{- /* The log's format and level, for every container of the chart. */}}
{{- define "nbsecrets.logEnv" -}}
- name: NBSECRETS_LOG_FORMAT
  value: {{ .Values.logging.format | quote }}
- name: NBSECRETS_LOG_LEVEL
  value: {{ .Values.logging.level | quote }}
{{- end -}}

{{- define "nbsecrets.apiUrl" -}}
{{- .Values.operator.apiUrl | default (printf "%s://%s.%s.svc:%d" (include "nbsecrets.apiScheme" .) (include "nbsecrets.apiService" .) .Release.Namespace (int .Values.api.port)) -}}
{{- end -}}

{{- define "nbsecrets.apiService" -}}
{{- include "nbsecrets.fullname" . }}-api
{{- end -}}

{{- define "nbsecrets.apiScheme" -}}
{{- if eq .Values.api.tls.mode "none" }}http{{ else }}https{{ end -}}
{{- end -}}

{{/* The names the API's certificate carries: its Service, short and qualified. */}}
{{- define "nbsecrets.apiDnsNames" -}}
{{- $svc := include "nbsecrets.apiService" . -}}
{{- $ns := .Release.Namespace -}}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | join "," -}}
{{- end -}}

{{/* Component holding the API (api in split mode, server in combined mode). */}}
{{- define "nbsecrets.apiComponent" -}}
{{- if eq .Values.mode "combined" }}server{{ else }}api{{ end -}}
{{- end -}}

{{- define "nbsecrets.operatorComponent" -}}
{{- if eq .Values.mode "combined" }}server{{ else }}operator{{ end -}}
{{- end -}}

{{- /* ServiceAccount names: serviceAccount.names.<role>, else <fullname>-<role>; in combined mode
       one account (names.operator, else <fullname>) serves both roles. */}}
{{- define "nbsecrets.operatorServiceAccount" -}}
{{- if eq .Values.mode "combined" }}{{ .Values.serviceAccount.names.operator | default (include "nbsecrets.fullname" .) }}{{ else }}{{ .Values.serviceAccount.names.operator | default (printf "%s-operator" (include "nbsecrets.fullname" .)) }}{{ end -}}
{{- end -}}

{{- define "nbsecrets.apiServiceAccount" -}}
{{- if eq .Values.mode "combined" }}{{ include "nbsecrets.operatorServiceAccount" . }}{{ else }}{{ .Values.serviceAccount.names.api | default (printf "%s-api" (include "nbsecrets.fullname" .)) }}{{ end -}}
{{- end -}}

{{- define "nbsecrets.rotationServiceAccount" -}}
{{- .Values.serviceAccount.names.rotation | default (printf "%s-rotation" (include "nbsecrets.fullname" .)) -}}
{{- end -}}

{{/* The rotate-keys Job of rotation.run: "<fullname>-rotate-keys-<run>" as a DNS label. When the
     run had to be changed to fit (upper case, "." or "_", too long), a hash of the run as given
     keeps two runs from sharing a name (a shared name would mean no new Job, so no rotation). */}}
{{- define "nbsecrets.rotationJobName" -}}
{{- $run := .Values.rotation.run | toString -}}
{{- $label := regexReplaceAll "[^a-z0-9-]+" ($run | lower) "-" -}}
{{- $name := printf "%s-rotate-keys-%s" (include "nbsecrets.fullname" .) $label -}}
{{- if or (ne $label $run) (gt (len $name) 63) -}}
{{- $name = printf "%s-%s" ($name | trunc 54 | trimSuffix "-") (sha256sum $run | trunc 8) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{- define "nbsecrets.leaderElection" -}}
{{- if gt (int .Values.operator.replicas) 1 }}true{{ end -}}
{{- end -}}

{{- define "nbsecrets.podSecurityContext" -}}
{{- $defaults := fromYaml (include "nbsecrets.podSecurityContextDefaults" .) }}
{{- toYaml (mergeOverwrite $defaults (deepCopy (.Values.podSecurityContext | default dict))) }}
{{- end -}}

{{- define "nbsecrets.podSecurityContextDefaults" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "nbsecrets.containerSecurityContext" -}}
{{- $defaults := fromYaml (include "nbsecrets.containerSecurityContextDefaults" .) }}
{{- toYaml (mergeOverwrite $defaults (deepCopy (.Values.containerSecurityContext | default dict))) }}
{{- end -}}

{{- define "nbsecrets.containerSecurityContextDefaults" -}}
runAsNonRoot: true
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Where the kubernetes store keeps its records: apart from the key Secrets. */}}
{{- define "nbsecrets.storeNamespace" -}}
{{- .Values.store.kubernetes.namespace | default (printf "%s-store" (.Release.Namespace | default "default")) -}}
{{- end -}}

{{/* Settings of the store, as environment variables: NBSECRETS_ + the setting's name in upper
     case with dots as underscores (the program's own rule). Secrets only by reference. */}}
{{- define "nbsecrets.storeEnv" -}}
- name: NBSECRETS_STORE_TYPE
  value: {{ .Values.store.type | quote }}
{{- if eq .Values.store.type "kubernetes" }}
- name: NBSECRETS_STORE_KUBERNETES_NAMESPACE
  value: {{ include "nbsecrets.storeNamespace" . | quote }}
{{- else if eq .Values.store.type "database" }}
{{- with .Values.store.database }}
- name: NBSECRETS_STORE_DATABASE_URL
  value: {{ .url | quote }}
- name: NBSECRETS_STORE_DATABASE_USERNAME
  value: {{ .username | quote }}
{{- if .existingSecret }}
- name: NBSECRETS_STORE_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .passwordKey }}
{{- end }}
{{- end }}
{{- else if eq .Values.store.type "vault" }}
{{- with .Values.store.vault }}
- name: NBSECRETS_STORE_VAULT_ADDRESS
  value: {{ .address | quote }}
- name: NBSECRETS_STORE_VAULT_KVMOUNT
  value: {{ .kvMount | quote }}
- name: NBSECRETS_STORE_VAULT_PATHPREFIX
  value: {{ .pathPrefix | quote }}
- name: NBSECRETS_STORE_VAULT_AUTH_METHOD
  value: {{ .auth.method | quote }}
- name: NBSECRETS_STORE_VAULT_AUTH_ROLE
  value: {{ .auth.role | quote }}
- name: NBSECRETS_STORE_VAULT_AUTH_KUBERNETESMOUNTPATH
  value: {{ .auth.kubernetesMountPath | quote }}
{{- if .auth.existingSecret }}
- name: NBSECRETS_STORE_VAULT_AUTH_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .auth.existingSecret }}
      key: {{ .auth.tokenKey }}
{{- end }}
{{- if .transit.key }}
- name: NBSECRETS_STORE_VAULT_TRANSIT_KEY
  value: {{ .transit.key | quote }}
- name: NBSECRETS_STORE_VAULT_TRANSIT_MOUNT
  value: {{ .transit.mount | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The operator container; pass the root context. */}}
{{- define "nbsecrets.operatorContainer" -}}
- name: operator
  image: {{ include "nbsecrets.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args:
    - operator
    - --namespace=$(POD_NAMESPACE)
    {{- with .Values.rbac.watchNamespaces }}
    - {{ printf "--watch-namespaces=%s" (join "," .) | quote }}
    {{- end }}
    - {{ printf "--api-url=%s" (include "nbsecrets.apiUrl" .) | quote }}
    {{- if eq .Values.api.tls.mode "none" }}
    - --insecure-api-http
    - --api-ca-configmap=
    {{- else }}
    - --api-ca-configmap=nbsecrets-api-ca-bundle
    {{- end }}
    - {{ printf "--pod-token-audience=%s" .Values.api.podTokenAudience | quote }}
    - {{ printf "--init-image=%s" (.Values.operator.initImage | default (include "nbsecrets.image" .)) | quote }}
    - --session-uid={{ int64 .Values.operator.sessionUid }}
    - --session-gid={{ int64 .Values.operator.sessionGid }}
    {{- with .Values.keys.algorithm }}
    - {{ printf "--key-algorithm=%s" . | quote }}
    {{- end }}
    - --management-port={{ int .Values.operator.managementPort }}
    {{- if include "nbsecrets.leaderElection" . }}
    - --leader-election
    {{- end }}
    {{- if .Values.keys.session.existingSecret }}
    {{- range .Values.keys.session.privateKeyItems }}
    - --session-key-file=/etc/nbsecrets/session-keys/{{ . }}
    {{- end }}
    {{- end }}
    {{- with .Values.operator.extraArgs }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  env:
    - name: POD_NAMESPACE
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    {{- include "nbsecrets.storeEnv" . | nindent 4 }}
    {{- include "nbsecrets.logEnv" . | nindent 4 }}
    {{- with .Values.operator.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  ports:
    - name: management
      containerPort: {{ int .Values.operator.managementPort }}
      protocol: TCP
  livenessProbe:
    httpGet: {path: /healthz, port: management}
    initialDelaySeconds: 10
    periodSeconds: 10
    failureThreshold: 6
  readinessProbe:
    httpGet: {path: /readyz, port: management}
    periodSeconds: 5
  startupProbe:
    httpGet: {path: /healthz, port: management}
    periodSeconds: 5
    failureThreshold: 60
  securityContext:
    {{- include "nbsecrets.containerSecurityContext" . | nindent 4 }}
  resources:
    {{- toYaml .Values.operator.resources | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
    {{- if .Values.keys.session.existingSecret }}
    - name: session-keys
      mountPath: /etc/nbsecrets/session-keys
      readOnly: true
    {{- end }}
    {{- with .Values.operator.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{- define "nbsecrets.apiContainer" -}}
- name: api
  image: {{ include "nbsecrets.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args:
    - api
    - --namespace=$(POD_NAMESPACE)
    {{- with .Values.rbac.watchNamespaces }}
    - {{ printf "--watch-namespaces=%s" (join "," .) | quote }}
    {{- end }}
    - --host=0.0.0.0
    - --port={{ int .Values.api.port }}
    - --max-value-bytes={{ int .Values.api.maxValueBytes }}
    - --max-secrets-per-user={{ int .Values.api.maxSecretsPerUser }}
    - {{ printf "--pod-token-audience=%s" .Values.api.podTokenAudience | quote }}
    {{- if eq .Values.api.tls.mode "certManager" }}
    - --tls=files
    - --tls-dir=/etc/nbsecrets/tls
    {{- else if eq .Values.api.tls.mode "none" }}
    - --tls=none
    {{- else }}
    - --tls=generate
    - {{ printf "--tls-dns-name=%s" (include "nbsecrets.apiDnsNames" .) | quote }}
    {{- end }}
    {{- with .Values.api.usernamePrefix }}
    - {{ printf "--username-prefix=%s" . | quote }}
    {{- end }}
    {{- if .Values.api.allowServiceAccountUsers }}
    - --allow-service-account-users
    {{- end }}
    {{- with .Values.api.trustedProxies }}
    - {{ printf "--trusted-proxies=%s" (join "," .) | quote }}
    {{- end }}
    {{- if .Values.keys.platform.existingSecret }}
    - --platform-key-file=/etc/nbsecrets/platform-key/{{ .Values.keys.platform.item }}
    {{- end }}
    {{- if .Values.keys.session.existingPublicKeyConfigMap }}
    - --session-public-key-file=/etc/nbsecrets/session-public-key/{{ .Values.keys.session.publicKeyItem }}
    {{- end }}
    {{- with .Values.api.extraArgs }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  env:
    - name: POD_NAMESPACE
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    {{- include "nbsecrets.storeEnv" . | nindent 4 }}
    {{- include "nbsecrets.logEnv" . | nindent 4 }}
    {{- with .Values.api.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- $scheme := include "nbsecrets.apiScheme" . | upper }}
  ports:
    - name: {{ include "nbsecrets.apiScheme" . }}
      containerPort: {{ int .Values.api.port }}
      protocol: TCP
  livenessProbe:
    httpGet: {path: /healthz, port: {{ include "nbsecrets.apiScheme" . }}, scheme: {{ $scheme }}}
    initialDelaySeconds: 10
    periodSeconds: 10
    failureThreshold: 6
  readinessProbe:
    httpGet: {path: /readyz, port: {{ include "nbsecrets.apiScheme" . }}, scheme: {{ $scheme }}}
    periodSeconds: 5
  startupProbe:
    httpGet: {path: /healthz, port: {{ include "nbsecrets.apiScheme" . }}, scheme: {{ $scheme }}}
    periodSeconds: 5
    failureThreshold: 72
  securityContext:
    {{- include "nbsecrets.containerSecurityContext" . | nindent 4 }}
  resources:
    {{- toYaml .Values.api.resources | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
    {{- if .Values.keys.platform.existingSecret }}
    - name: platform-key
      mountPath: /etc/nbsecrets/platform-key
      readOnly: true
    {{- end }}
    {{- if .Values.keys.session.existingPublicKeyConfigMap }}
    - name: session-public-key
      mountPath: /etc/nbsecrets/session-public-key
      readOnly: true
    {{- end }}
    {{- if eq .Values.api.tls.mode "certManager" }}
    - name: api-tls
      mountPath: /etc/nbsecrets/tls
      readOnly: true
    {{- end }}
    {{- with .Values.api.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{- define "nbsecrets.operatorVolumes" -}}
{{- if .Values.keys.session.existingSecret }}
- name: session-keys
  secret:
    secretName: {{ .Values.keys.session.existingSecret }}
    defaultMode: 0400
{{- end }}
{{- with .Values.operator.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "nbsecrets.apiVolumes" -}}
{{- if eq .Values.api.tls.mode "certManager" }}
- name: api-tls
  secret:
    secretName: {{ include "nbsecrets.fullname" . }}-api-tls
    defaultMode: 0400
{{- end }}
{{- if .Values.keys.platform.existingSecret }}
- name: platform-key
  secret:
    secretName: {{ .Values.keys.platform.existingSecret }}
    defaultMode: 0400
{{- end }}
{{- if .Values.keys.session.existingPublicKeyConfigMap }}
- name: session-public-key
  configMap:
    name: {{ .Values.keys.session.existingPublicKeyConfigMap }}
{{- end }}
{{- with .Values.api.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Fails on combinations the schema cannot express. */}}
{{- define "nbsecrets.validate" -}}
{{- if not (has .Values.api.tls.mode (list "generate" "certManager" "none")) -}}
{{- fail (printf "api.tls.mode must be generate, certManager or none, not %q" .Values.api.tls.mode) -}}
{{- end -}}
{{- if and (eq .Values.api.tls.mode "certManager") (not .Values.api.tls.certManager.issuerRef.name) -}}
{{- fail "api.tls.mode certManager needs api.tls.certManager.issuerRef.name (a CA Issuer or ClusterIssuer)" -}}
{{- end -}}
{{- if and .Values.keys.session.existingSecret (not .Values.keys.session.existingPublicKeyConfigMap) -}}
{{- fail "keys.session.existingSecret needs keys.session.existingPublicKeyConfigMap (the API must not mount the private key)" -}}
{{- end -}}
{{- if and (eq .Values.store.type "database") (not .Values.store.database.url) -}}
{{- fail "store.type database needs store.database.url" -}}
{{- end -}}
{{- if and (eq .Values.store.type "vault") (not .Values.store.vault.address) -}}
{{- fail "store.type vault needs store.vault.address" -}}
{{- end -}}
{{- if and .Values.store.vault.transit.key (ne .Values.store.type "vault") -}}
{{- fail "store.vault.transit.key needs store.type vault (Transit uses the store's Vault)" -}}
{{- end -}}
{{- if .Values.rotation.enabled -}}
{{- if and .Values.rotation.transit .Values.rotation.platform -}}
{{- fail "rotation.transit and rotation.platform rotate different keys: set one of them (one run per key)" -}}
{{- end -}}
{{- if and .Values.rotation.transit (not .Values.store.vault.transit.key) -}}
{{- fail "rotation.transit needs store.vault.transit.key (the Transit key to rotate, with store.type vault)" -}}
{{- end -}}
{{- if and .Values.rotation.newTransitVersion (not .Values.rotation.transit) -}}
{{- fail "rotation.newTransitVersion needs rotation.transit" -}}
{{- end -}}
{{- if and .Values.rotation.platform .Values.keys.platform.existingSecret -}}
{{- fail "rotation.platform rotates the platform key the API generated; with keys.platform.existingSecret, rotate the key where it comes from" -}}
{{- end -}}
{{- if and (not .Values.rotation.platform) (not .Values.rotation.transit) (or .Values.keys.session.existingSecret .Values.keys.session.existingPublicKeyConfigMap) -}}
{{- fail "rotation of the session key pair needs the pair the operator generated (keys.session.existingSecret and keys.session.existingPublicKeyConfigMap empty): the API must read the public key it publishes" -}}
{{- end -}}
{{- else if .Values.rotation.run -}}
{{- fail "rotation.run needs rotation.enabled (the Job's ServiceAccount and Roles)" -}}
{{- end -}}
{{- end -}}

{{- /* Where a pod runs and how it is labelled, from a component's values (operator, api, rotation):
       call with (dict "ctx" $ "values" .Values.operator "component" "operator"). */}}
{{- define "nbsecrets.podScheduling" -}}
{{- $v := .values }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- range . }}
  {{- $constraint := deepCopy . }}
  {{- if not (hasKey $constraint "labelSelector") }}
  {{- $_ := set $constraint "labelSelector" (dict "matchLabels" (fromYaml (include "nbsecrets.selectorLabels" (dict "ctx" $.ctx "component" $.component)))) }}
  {{- end }}
  - {{ toYaml $constraint | nindent 4 | trim }}
  {{- end }}
{{- end }}
{{- end -}}

{{- /* A pod template's labels: the user's podLabels, under the chart's own (which win). */}}
{{- define "nbsecrets.podLabels" -}}
{{- $chart := fromYaml (include "nbsecrets.labels" (dict "ctx" .ctx "component" .component)) }}
{{- toYaml (mergeOverwrite (deepCopy (.extra | default dict)) $chart) }}
{{- end -}}
