{{/* Name prefix of every object: the release name, with "oomdoctor" once. */}}
{{- define "oomdoctor.fullname" -}}
{{- if contains "oomdoctor" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-oomdoctor" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "oomdoctor.labels" -}}
app.kubernetes.io/name: oomdoctor
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "oomdoctor.operator.selector" -}}
app.kubernetes.io/name: oomdoctor
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "oomdoctor.agent.selector" -}}
app.kubernetes.io/name: oomdoctor
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: agent
{{- end -}}

{{- define "oomdoctor.image" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- printf "%s/%s:%s" $root.Values.image.registry $name (default $root.Chart.AppVersion $root.Values.image.tag) -}}
{{- end -}}

{{- define "oomdoctor.agent.serviceAccount" -}}
{{ include "oomdoctor.fullname" . }}-agent
{{- end -}}

{{- define "oomdoctor.operator.serviceAccount" -}}
{{ include "oomdoctor.fullname" . }}-operator
{{- end -}}
