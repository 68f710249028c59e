package bot

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the bot's Prometheus series, on a registry of their own so
// that several bots in one test process do not collide.
type Metrics struct {
	Registry *prometheus.Registry
	Updates  *prometheus.CounterVec   // by type and outcome
	Latency  *prometheus.HistogramVec // handling time, by type
	Sends    *prometheus.CounterVec   // by method and result
}

// NewMetrics registers the series.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reentrybot_updates_total",
			Help: "Updates received, by type and outcome (handled, duplicate, ignored, failed).",
		}, []string{"type", "outcome"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "reentrybot_update_handling_seconds",
			Help:    "Time from receiving an update to committing its handling and sending the replies.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"type"}),
		Sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reentrybot_sends_total",
			Help: "Outgoing Bot API calls, by method and result (ok, retried_429, paced_429: handed back to the announcements' pacing, retried_error, unreachable, failed).",
		}, []string{"method", "result"}),
	}
	m.Registry.MustRegister(m.Updates, m.Latency, m.Sends,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
