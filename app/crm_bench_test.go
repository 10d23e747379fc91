package app_test

import (
	"context"
	"testing"
	"time"

	"cxinbox/app/crm"
	"cxinbox/app/crm/fake"
)

// BenchmarkCRMSync syncs 10,000 new customers to each fake CRM (local HTTP,
// no faults, no latency, rate limit out of the way) and reports contacts/s
// and HTTP requests per contact: the batching (HubSpot and Zoho 100 a call,
// Salesforce 200) and the two transactions per batch (claim, record).
//
//	go test ./app -run '^$' -bench CRMSync -benchtime 1x -count 5
func BenchmarkCRMSync(b *testing.B) {
	const n = 10000
	for _, p := range crm.Providers {
		b.Run(string(p), func(b *testing.B) {
			var elapsed time.Duration
			var requests int64
			for range b.N {
				b.StopTimer()
				a := crmApp(b)
				srv, url := startFake(b, p, fake.Options{RateMax: 1 << 30})
				connectFake(b, a, p, url, false)
				for from := 0; from < n; from += 1000 {
					ingest(b, a, customers(from, 1000))
				}
				b.StartTimer()
				start := time.Now()
				sum, err := a.SyncCRM(context.Background())
				elapsed += time.Since(start)
				b.StopTimer()
				if err != nil || sum.Synced != n || sum.Pending != 0 {
					b.Fatalf("sync: %+v %v", sum, err)
				}
				if got := len(srv.Records()); got != n {
					b.Fatalf("%d records, want %d", got, n)
				}
				requests += sum.Requests
			}
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "contacts/s")
			b.ReportMetric(float64(requests)/float64(b.N), "requests")
			b.ReportMetric(float64(requests)/float64(n*b.N), "requests/contact")
		})
	}
}
