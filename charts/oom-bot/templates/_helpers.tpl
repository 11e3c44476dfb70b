{{/* Names and labels shared by every template. */}}
{{- define "oom-bot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "oom-bot.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "oom-bot.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "oom-bot.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The labels selectors use: the same as manifests/, so a kustomize install can be taken over. */}}
{{- define "oom-bot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "oom-bot.name" . }}
{{- end -}}

{{- define "oom-bot.labels" -}}
{{ include "oom-bot.selectorLabels" . }}
app.kubernetes.io/part-of: oom-bot
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "oom-bot.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{- define "oom-bot.secretName" -}}
{{- .Values.secret.existing | default (printf "%s-secrets" (include "oom-bot.fullname" .)) -}}
{{- end -}}

{{- define "oom-bot.redisUrl" -}}
{{- if .Values.redis.bundled.enabled -}}
redis://{{ include "oom-bot.fullname" . }}-redis.{{ .Release.Namespace }}.svc:6379
{{- else -}}
{{ required "redis.url is required (or redis.bundled.enabled=true)" .Values.redis.url }}
{{- end -}}
{{- end -}}

{{/* The pod-level and container-level security settings of every oom-bot pod. */}}
{{- define "oom-bot.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
seccompProfile: { type: RuntimeDefault }
{{- end -}}

{{- define "oom-bot.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities: { drop: [ALL] }
{{- end -}}

{{/* Checks of the values that a render cannot express in the schema. */}}
{{- define "oom-bot.validate" -}}
{{- if not (has .Values.slack.mode (list "http" "socket")) -}}
{{- fail (printf "slack.mode must be http or socket, got %q" .Values.slack.mode) -}}
{{- end -}}
{{- if not .Values.secret.existing -}}
{{- if not .Values.secret.values.SLACK_BOT_TOKEN -}}
{{- fail "secret.values.SLACK_BOT_TOKEN is required when secret.existing is empty" -}}
{{- end -}}
{{- if and (eq .Values.slack.mode "http") (not .Values.secret.values.SLACK_SIGNING_SECRET) -}}
{{- fail "slack.mode=http needs secret.values.SLACK_SIGNING_SECRET (or secret.existing)" -}}
{{- end -}}
{{- if and (eq .Values.slack.mode "socket") (not .Values.secret.values.SLACK_APP_TOKEN) -}}
{{- fail "slack.mode=socket needs secret.values.SLACK_APP_TOKEN (an xapp- token, or secret.existing)" -}}
{{- end -}}
{{- with .Values.secret.values.APPROVAL_SIGNING_KEY -}}
{{- if lt (len .) 32 -}}
{{- fail "secret.values.APPROVAL_SIGNING_KEY must be 32 characters or more (or leave it empty: the chart generates one and keeps it across upgrades)" -}}
{{- end -}}
{{- end -}}
{{- if and (eq .Values.slack.mode "http") .Values.secret.values.SLACK_APP_TOKEN -}}
{{- fail "slack.mode=http with secret.values.SLACK_APP_TOKEN set: the bot would use Socket Mode; set slack.mode=socket or drop the token" -}}
{{- end -}}
{{- end -}}
{{- end -}}
