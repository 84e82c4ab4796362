package worker

import (
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueCollector exports asynq's queue state to Prometheus, read from Redis
// at scrape time through an asynq.Inspector (so the API process can serve it).
type QueueCollector struct {
	insp      *asynq.Inspector
	tasks     *prometheus.Desc
	latency   *prometheus.Desc
	processed *prometheus.Desc
	failed    *prometheus.Desc
	up        *prometheus.Desc
}

// NewQueueCollector returns a collector over insp.
func NewQueueCollector(insp *asynq.Inspector) *QueueCollector {
	return &QueueCollector{
		insp:      insp,
		tasks:     prometheus.NewDesc("intake_asynq_tasks", "Tasks in an asynq queue by state.", []string{"queue", "state"}, nil),
		latency:   prometheus.NewDesc("intake_asynq_queue_latency_seconds", "Age of the oldest pending task.", []string{"queue"}, nil),
		processed: prometheus.NewDesc("intake_asynq_processed_total", "Tasks processed (succeeded or failed).", []string{"queue"}, nil),
		failed:    prometheus.NewDesc("intake_asynq_failed_total", "Task runs that failed.", []string{"queue"}, nil),
		up:        prometheus.NewDesc("intake_asynq_up", "1 when the queue state could be read from Redis.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.tasks, c.latency, c.processed, c.failed, c.up} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	queues, err := c.insp.Queues()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for _, q := range queues {
		info, err := c.insp.GetQueueInfo(q)
		if err != nil {
			continue
		}
		for state, n := range map[string]int{"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived, "completed": info.Completed} {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(n), q, state)
		}
		ch <- prometheus.MustNewConstMetric(c.latency, prometheus.GaugeValue, info.Latency.Seconds(), q)
		ch <- prometheus.MustNewConstMetric(c.processed, prometheus.CounterValue, float64(info.ProcessedTotal), q)
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(info.FailedTotal), q)
	}
}
