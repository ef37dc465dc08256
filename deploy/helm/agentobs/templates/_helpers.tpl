{{/* Names and labels shared by every object of the release. */}}
{{- define "agentobs.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "agentobs.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector of one component: dict "root" $ "component" "ingest". */}}
{{- define "agentobs.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "agentobs.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "agentobs.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "agentobs.secretName" -}}
{{- default (printf "%s-config" (include "agentobs.fullname" .)) .Values.secret.existingSecret -}}
{{- end -}}

{{- define "agentobs.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/*
The pod of one component: dict "root" $ "component" NAME "roles" ROLES "resources" {...}
"otlpGrpc" BOOL "data" VOLUME. Every component runs the same hardened container; only the
roles, resources and data volume differ.
*/}}
{{- define "agentobs.pod" -}}
{{- $root := .root -}}
metadata:
  labels:
    {{- include "agentobs.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    {{- with $root.Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
    {{- with $root.Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "agentobs.serviceAccountName" $root }}
  automountServiceAccountToken: false
  securityContext:
    {{- toYaml $root.Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: {{ $root.Values.terminationGracePeriodSeconds }}
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: agentobs
      image: {{ include "agentobs.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      args:
        - serve
        - --roles={{ .roles }}
        - --addr=:{{ $root.Values.service.port }}
        - --ops-addr=:{{ $root.Values.metrics.port }}
        - --data-dir=/var/lib/agentobs
        - --config=/etc/agentobs/{{ $root.Values.secret.key }}
        {{- if .otlpGrpc }}
        - --otlp-grpc-addr=:{{ $root.Values.service.otlpGrpcPort }}
        {{- else }}
        - --otlp-grpc-addr=
        {{- end }}
      env:
        {{- range $k, $v := $root.Values.config }}
        - name: {{ $k }}
          value: {{ $v | toString | quote }}
        {{- end }}
        {{- with .extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - name: http
          containerPort: {{ $root.Values.service.port }}
          protocol: TCP
        - name: metrics
          containerPort: {{ $root.Values.metrics.port }}
          protocol: TCP
        {{- if .otlpGrpc }}
        - name: otlp-grpc
          containerPort: {{ $root.Values.service.otlpGrpcPort }}
          protocol: TCP
        {{- end }}
      # /health answers while the process runs; /ready only once the store and queue answer.
      livenessProbe:
        httpGet: {path: /health, port: http}
        periodSeconds: 10
        failureThreshold: 6
      readinessProbe:
        httpGet: {path: /ready, port: http}
        periodSeconds: 5
        failureThreshold: 3
      startupProbe:
        httpGet: {path: /health, port: http}
        periodSeconds: 2
        failureThreshold: 60
      resources:
        {{- toYaml .resources | nindent 8 }}
      securityContext:
        {{- toYaml $root.Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/agentobs
          readOnly: true
        - name: data
          mountPath: /var/lib/agentobs
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: config
      secret:
        secretName: {{ include "agentobs.secretName" $root }}
        defaultMode: 0400
    - name: data
      {{- toYaml .data | nindent 6 }}
    - name: tmp
      emptyDir: {}
  {{- with $root.Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $root.Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $root.Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/*
The components this release runs, as YAML: the one embedded pod, or the scale-out roles.
*/}}
{{- define "agentobs.components" -}}
{{- if eq .Values.mode "embedded" -}}
embedded:
  roles: all
  replicas: 1
  otlpGrpc: true
  paths: []
  resources:
    {{- toYaml .Values.embedded.resources | nindent 4 }}
  hpa: {enabled: false}
  pdb: {}
{{- else if eq .Values.mode "scaleout" -}}
{{- required "mode scaleout needs components (use values-scaleout.yaml)" .Values.components | toYaml }}
{{- else -}}
{{- fail (printf "mode must be embedded or scaleout, not %q" .Values.mode) -}}
{{- end -}}
{{- end -}}
