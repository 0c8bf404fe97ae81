{{/* Names and labels shared by every object. */}}

{{- define "chatproxy.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "chatproxy.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "chatproxy.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "chatproxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Every pod of the release (servers and the migration): the NetworkPolicy selects these. */}}
{{- define "chatproxy.podSelector" -}}
app.kubernetes.io/name: {{ include "chatproxy.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The server pods only (Service, PDB, topology spread, ServiceMonitor). */}}
{{- define "chatproxy.selectorLabels" -}}
{{ include "chatproxy.podSelector" . }}
app.kubernetes.io/component: server
{{- end -}}

{{- define "chatproxy.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "chatproxy.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{ .Values.serviceAccount.name | default (include "chatproxy.fullname" .) }}
{{- else -}}
{{ .Values.serviceAccount.name | default "default" }}
{{- end -}}
{{- end -}}

{{- define "chatproxy.terminationGracePeriodSeconds" -}}
{{ add .Values.shutdownTimeoutSeconds .Values.preStopSeconds 10 }}
{{- end -}}

{{/*
Environment of every chatproxy container. Secrets that chatproxy reads as NAME_FILE come from
the projected "secrets" volume; DATABASE_URL and REDIS_URL from secretKeyRef.
*/}}
{{- define "chatproxy.env" -}}
{{- $s := .Values.secrets -}}
- name: CHATPROXY_DATA_DIR
  value: /data
- name: CHATPROXY_PUBLIC_URL
  value: {{ .Values.publicURL | quote }}
- name: CHATPROXY_SHUTDOWN_TIMEOUT
  value: {{ printf "%ds" (int .Values.shutdownTimeoutSeconds) | quote }}
- name: TRUSTED_PROXIES
  value: {{ .Values.trustedProxies | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: JWT_SECRET_KEY_FILE
  value: /run/secrets/chatproxy/jwt_secret_key
- name: CHATPROXY_ENCRYPTION_KEYS_FILE
  value: /run/secrets/chatproxy/encryption_keys
{{- if $s.sessionSecretKey.existingSecret }}
- name: SESSION_SECRET_KEY_FILE
  value: /run/secrets/chatproxy/session_secret_key
{{- end }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.databaseURL.existingSecret is required" $s.databaseURL.existingSecret }}
      key: {{ $s.databaseURL.key }}
{{- if $s.redisURL.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ $s.redisURL.existingSecret }}
      key: {{ $s.redisURL.key }}
{{- end }}
{{- range $name, $value := .Values.extraEnv }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{- define "chatproxy.secretsVolume" -}}
{{- $s := .Values.secrets -}}
- name: secrets
  projected:
    defaultMode: 0440
    sources:
      - secret:
          name: {{ required "secrets.jwtSecretKey.existingSecret is required" $s.jwtSecretKey.existingSecret }}
          items: [{key: {{ $s.jwtSecretKey.key }}, path: jwt_secret_key}]
      - secret:
          name: {{ required "secrets.encryptionKeys.existingSecret is required" $s.encryptionKeys.existingSecret }}
          items: [{key: {{ $s.encryptionKeys.key }}, path: encryption_keys}]
      {{- if $s.sessionSecretKey.existingSecret }}
      - secret:
          name: {{ $s.sessionSecretKey.existingSecret }}
          items: [{key: {{ $s.sessionSecretKey.key }}, path: session_secret_key}]
      {{- end }}
- name: tmp
  emptyDir: {medium: Memory, sizeLimit: 64Mi}
- name: data
  emptyDir: {sizeLimit: 1Gi}
{{- end -}}

{{- define "chatproxy.secretsMounts" -}}
- name: secrets
  mountPath: /run/secrets/chatproxy
  readOnly: true
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /data
{{- end -}}
