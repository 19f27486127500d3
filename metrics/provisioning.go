package metrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-idp/gatehouse/provision"
)

// Sample is one value of a gauge family, with its label values in the order of the family's label names.
type Sample struct {
	Labels []string
	Value  float64
}

// gaugeVecFunc is a gauge family whose samples a function returns at every scrape.
type gaugeVecFunc struct {
	desc *prometheus.Desc
	f    func() []Sample
}

func (g *gaugeVecFunc) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *gaugeVecFunc) Collect(ch chan<- prometheus.Metric) {
	for _, s := range g.f() {
		if m, err := prometheus.NewConstMetric(g.desc, prometheus.GaugeValue, s.Value, s.Labels...); err == nil {
			ch <- m
		}
	}
}

// GaugeVecFunc adds a gauge family named gatehouse_<name> with the given label names, whose samples f returns at
// every scrape (one per app, for example). f must be quick and safe for concurrent use; label values must come
// from a bounded set.
func (m *Metrics) GaugeVecFunc(name, help string, labels []string, f func() []Sample) error {
	if !nameRE.MatchString(name) || help == "" {
		return fmt.Errorf("metrics: gauge %q: want a name of a-z, 0-9 and _, and a help text", name)
	}
	for _, l := range labels {
		if !nameRE.MatchString(l) {
			return fmt.Errorf("metrics: gauge %q: label %q: want a-z, 0-9 and _", name, l)
		}
	}
	g := &gaugeVecFunc{desc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, nil), f: f}
	if err := m.reg.Register(g); err != nil {
		return fmt.Errorf("metrics: gauge %q: %w", name, err)
	}
	return nil
}

// provisioningObserver counts provisioning actions.
type provisioningObserver struct{ actions *Family }

func (o provisioningObserver) ProvisioningAction(appID, action, result string) {
	o.actions.Add(1, appID, action, result)
}

// WatchProvisioning adds the metrics of the provisioning engine e: gatehouse_provisioning_actions_total by app,
// action and result (the actions this node did), gatehouse_provisioning_queue_depth (changes waiting to be pushed,
// of every node) and gatehouse_provisioning_last_success_timestamp_seconds by app (when the app's last full cycle
// without a failure finished; 0 before the first).
func (m *Metrics) WatchProvisioning(e *provision.Engine) error {
	actions, err := m.Counter("provisioning_actions_total",
		"Provisioning actions on apps' accounts (create, update, disable, delete, skip) this node did since it started, by app ID, action and result (success, failure, skipped).",
		"app", "action", "result")
	if err != nil {
		return err
	}
	e.SetObserver(provisioningObserver{actions})
	if err := m.GaugeFunc("provisioning_queue_depth", "Changes of users and groups queued to be pushed to apps, of every node.",
		func() float64 { return float64(e.QueueDepth()) }); err != nil {
		return err
	}
	return m.GaugeVecFunc("provisioning_last_success_timestamp_seconds",
		"When the last full provisioning cycle of each app that is on finished without a failure (Unix time; 0 before the first).",
		[]string{"app"}, func() []Sample {
			var out []Sample
			for app, t := range e.LastSuccess() {
				v := 0.0
				if !t.IsZero() {
					v = float64(t.UnixNano()) / 1e9
				}
				out = append(out, Sample{Labels: []string{app}, Value: v})
			}
			return out
		})
}
