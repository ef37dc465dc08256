// Command servicemonitor checks the ServiceMonitors of rendered manifests, which have no
// bundled Kubernetes schema: each must decode strictly into the Prometheus Operator's own
// Go type, and each endpoint's port must be a named port of a Service it selects.
//
//	go run ./cmd/servicemonitor ../bin/rendered/scaleout/agentobs.yaml
package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: servicemonitor MANIFESTS.yaml...")
		os.Exit(2)
	}
	for _, path := range os.Args[1:] {
		n, err := check(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "servicemonitor: %s: %v\n", path, err)
			os.Exit(1)
		}
		fmt.Printf("servicemonitor: %s: %d ServiceMonitors decode strictly and select a metrics port\n", path, n)
	}
}

func check(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var monitors []monitoringv1.ServiceMonitor
	var services []corev1.Service
	for _, doc := range bytes.Split(data, []byte("\n---")) {
		var head metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return 0, err
		}
		switch head.Kind {
		case "ServiceMonitor":
			var m monitoringv1.ServiceMonitor
			if err := yaml.UnmarshalStrict(doc, &m); err != nil {
				return 0, fmt.Errorf("ServiceMonitor: %w", err)
			}
			monitors = append(monitors, m)
		case "Service":
			var s corev1.Service
			if err := yaml.Unmarshal(doc, &s); err != nil {
				return 0, err
			}
			services = append(services, s)
		}
	}
	for _, m := range monitors {
		sel, err := metav1.LabelSelectorAsSelector(&m.Spec.Selector)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", m.Name, err)
		}
		if len(m.Spec.Endpoints) == 0 {
			return 0, fmt.Errorf("%s: no endpoints", m.Name)
		}
		for _, ep := range m.Spec.Endpoints {
			if ep.Port == "" {
				return 0, fmt.Errorf("%s: an endpoint names no port", m.Name)
			}
			var selected []string
			for _, s := range services {
				if s.Namespace != m.Namespace || !sel.Matches(labels.Set(s.Labels)) {
					continue
				}
				if !hasPort(s, ep.Port) {
					return 0, fmt.Errorf("%s: Service %s has no port %q", m.Name, s.Name, ep.Port)
				}
				selected = append(selected, s.Name)
			}
			if len(selected) == 0 {
				return 0, fmt.Errorf("%s: selects no Service", m.Name)
			}
			fmt.Printf("servicemonitor: %s scrapes port %s of %s\n", m.Name, ep.Port, strings.Join(selected, ", "))
		}
	}
	return len(monitors), nil
}

func hasPort(s corev1.Service, name string) bool {
	for _, p := range s.Spec.Ports {
		if p.Name == name {
			return true
		}
	}
	return false
}
