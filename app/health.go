package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"reentrybot/store"
)

// healthCollector reports the service's state from the database at scrape
// time: open cases, the oldest unanswered one, what is waiting to be sent,
// and when the last update was handled.
type healthCollector struct {
	db  *store.DB
	log *slog.Logger

	open, oldest, deliveries, relays, lastUpdate, up *prometheus.Desc
}

func newHealthCollector(db *store.DB, log *slog.Logger) *healthCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("reentrybot_"+name, help, nil, nil)
	}
	return &healthCollector{
		db: db, log: log,
		open:       d("open_cases", "Cases not closed."),
		oldest:     d("oldest_unanswered_case_age_seconds", "Age of the oldest open case with no answer from a counsellor yet; 0 when none."),
		deliveries: d("pending_deliveries", "Announcement messages waiting to be sent (pending or being sent)."),
		relays:     d("pending_relays", "Case messages waiting to be relayed between a person and the staff group."),
		lastUpdate: d("last_update_timestamp_seconds", "Unix time the last Telegram update was handled; 0 when none is recorded."),
		up:         d("database_up", "1 when the figures above could be read from the database."),
	}
}

func (c *healthCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.oldest, c.deliveries, c.relays, c.lastUpdate, c.up} {
		ch <- d
	}
}

func (c *healthCollector) Collect(ch chan<- prometheus.Metric) {
	// A scrape must not hang on a stuck database: Prometheus' own timeout
	// defaults to 10 s.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h, err := c.db.Health(ctx)
	if err != nil {
		c.log.Warn("metrics: reading health figures", "err", err)
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	g := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	g(c.up, 1)
	g(c.open, float64(h.OpenCases))
	g(c.oldest, h.OldestUnanswered.Seconds())
	g(c.deliveries, float64(h.PendingDeliveries))
	g(c.relays, float64(h.PendingRelays))
	last := 0.0
	if !h.LastUpdate.IsZero() {
		last = float64(h.LastUpdate.UnixNano()) / 1e9
	}
	g(c.lastUpdate, last)
}
