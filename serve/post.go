package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"cxinbox/app/provider"
	"cxinbox/model"
)

// PostConfig says where and how to deliver feed events over HTTP, signed as
// each provider signs them (the client side of the webhooks: `cxinbox feed
// --url`, and the HTTP tests).
type PostConfig struct {
	URL                 string // the server's base URL, e.g. http://127.0.0.1:8080
	MetaAppSecret       string
	TwilioAuthToken     string
	TelegramSecretToken string
	EmailSecret         string
	Client              *http.Client  // default: keep-alive client with a 30 s timeout
	MaxAttempts         int           // deliveries tried per event (default 8)
	Backoff             time.Duration // first retry wait, doubled each retry (default 100 ms)
}

// Poster delivers events like their providers do: the real body, content
// type and signature, retried on network errors, 429 and 5xx.
type Poster struct {
	cfg  PostConfig
	base string
}

// NewPoster checks the URL and fills in defaults.
func NewPoster(cfg PostConfig) (*Poster, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("--url %q: want http(s)://host:port of a running `cxinbox serve --http`", cfg.URL)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			Proxy:               nil, // the server is ours; never route webhooks through a proxy
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 1024,
			IdleConnTimeout:     90 * time.Second,
		}}
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 100 * time.Millisecond
	}
	return &Poster{cfg: cfg, base: strings.TrimSuffix(cfg.URL, "/")}, nil
}

// Missing names the flags of the secrets not given, without which those
// channels' events cannot be signed.
func (p *Poster) Missing() []string {
	var out []string
	for _, s := range []struct{ v, flag string }{
		{p.cfg.MetaAppSecret, "--meta-app-secret"}, {p.cfg.TwilioAuthToken, "--twilio-auth-token"},
		{p.cfg.TelegramSecretToken, "--telegram-secret-token"}, {p.cfg.EmailSecret, "--email-secret"},
	} {
		if s.v == "" {
			out = append(out, s.flag)
		}
	}
	return out
}

// EndpointURL is where an event of channel ch is posted.
func (p *Poster) EndpointURL(ch model.Channel) string {
	if ch == model.WebChat {
		return p.base + "/chat/messages"
	}
	return p.base + "/webhooks/" + string(ch)
}

// Request builds the signed request a provider would send for ev. Web-chat
// events go to /chat/messages as the chat page sends them, with the
// visitor's cookie.
func (p *Poster) Request(ctx context.Context, ev provider.Event) (*http.Request, error) {
	target := p.EndpointURL(ev.Channel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(ev.Body))
	if err != nil {
		return nil, err
	}
	h := req.Header
	need := func(secret, flag string) error {
		if secret == "" {
			return fmt.Errorf("cannot sign a %s event: no %s", ev.Channel, flag)
		}
		return nil
	}
	switch ev.Channel {
	case model.WhatsApp, model.Facebook, model.Instagram:
		if err := need(p.cfg.MetaAppSecret, "--meta-app-secret"); err != nil {
			return nil, err
		}
		h.Set("Content-Type", "application/json")
		h.Set(HeaderMetaSignature, SignMeta(p.cfg.MetaAppSecret, ev.Body))
	case model.Telegram:
		if err := need(p.cfg.TelegramSecretToken, "--telegram-secret-token"); err != nil {
			return nil, err
		}
		h.Set("Content-Type", "application/json")
		h.Set(HeaderTelegramSecret, p.cfg.TelegramSecretToken)
	case model.SMS:
		if err := need(p.cfg.TwilioAuthToken, "--twilio-auth-token"); err != nil {
			return nil, err
		}
		form, err := url.ParseQuery(string(ev.Body))
		if err != nil {
			return nil, fmt.Errorf("sms event: %w", err)
		}
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		h.Set(HeaderTwilioSig, SignTwilio(p.cfg.TwilioAuthToken, target, form))
	case model.Email:
		if err := need(p.cfg.EmailSecret, "--email-secret"); err != nil {
			return nil, err
		}
		h.Set("Content-Type", "message/rfc822")
		h.Set(HeaderEmailSecret, p.cfg.EmailSecret)
	case model.WebChat:
		var b struct {
			VisitorID string `json:"visitor_id"`
		}
		if err := json.Unmarshal(ev.Body, &b); err != nil || !validVisitorID(b.VisitorID) {
			return nil, fmt.Errorf("webchat event: no usable visitor_id")
		}
		h.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: VisitorCookie, Value: b.VisitorID})
	default:
		return nil, fmt.Errorf("no endpoint for channel %q", ev.Channel)
	}
	return req, nil
}

// Delivery is how one event's delivery ended.
type Delivery struct {
	Status   int           // the last HTTP status (0: no answer)
	Attempts int           // requests sent
	Latency  time.Duration // of the request that got the final answer
	Err      error         // nil when the server acknowledged (2xx)
}

// Deliver posts ev until the server acknowledges it, refuses it for good
// (a 4xx other than 429), or MaxAttempts requests went unanswered or got
// 429/5xx. Retries send the identical request: the server ignores the
// repeat of a message it already committed.
func (p *Poster) Deliver(ctx context.Context, ev provider.Event) Delivery {
	var d Delivery
	wait := p.cfg.Backoff
	for d.Attempts < p.cfg.MaxAttempts {
		if d.Attempts > 0 {
			select {
			case <-ctx.Done():
				d.Err = ctx.Err()
				return d
			case <-time.After(wait):
			}
			wait = min(2*wait, 5*time.Second)
		}
		req, err := p.Request(ctx, ev)
		if err != nil {
			d.Err = err
			return d
		}
		d.Attempts++
		start := time.Now()
		resp, err := p.cfg.Client.Do(req)
		if err != nil {
			d.Status, d.Err = 0, err
			if ctx.Err() != nil {
				return d
			}
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		d.Latency, d.Status = time.Since(start), resp.StatusCode
		switch {
		case resp.StatusCode/100 == 2:
			d.Err = nil
			return d
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			d.Err = fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
		default:
			d.Err = fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
			return d
		}
	}
	return d
}

// LoadConfig paces a run of deliveries.
type LoadConfig struct {
	Rate        float64       // events per second; 0: as fast as Concurrency allows
	Count       int           // stop after this many events (0: no limit)
	Duration    time.Duration // stop starting new events after this long (0: no limit)
	Concurrency int           // deliveries in flight at most (default 256)
}

// LoadReport sums up a run.
type LoadReport struct {
	Events    int             // events started
	Acked     int             // acknowledged (2xx)
	Failed    int             // given up on
	Retries   int             // extra requests beyond one per event
	Elapsed   time.Duration   // from the first event to the last answer
	Latencies []time.Duration // of the acknowledging requests, sorted
	Errors    map[string]int  // failure reasons (status line or error), counted
	MaxBehind time.Duration   // how late the pacer started an event at worst
}

// Percentile of the acknowledged requests' latencies (p in 0–100).
func (r LoadReport) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies))*p/100+0.5) - 1
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

// String is the one-line summary `feed --url` prints.
func (r LoadReport) String() string {
	rate := 0.0
	if r.Elapsed > 0 {
		rate = float64(r.Events) / r.Elapsed.Seconds()
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
	return fmt.Sprintf("events %d in %.1fs (%.0f/s): acknowledged %d, failed %d, retries %d; latency p50 %s, p90 %s, p99 %s, max %s",
		r.Events, r.Elapsed.Seconds(), rate, r.Acked, r.Failed, r.Retries,
		ms(r.Percentile(50)), ms(r.Percentile(90)), ms(r.Percentile(99)), ms(r.Percentile(100)))
}

// Load delivers the events next returns (false: no more), paced at
// cfg.Rate, until Count, Duration, the events or ctx end, and waits for the
// deliveries in flight. onDone, if set, is called for every event (one call
// at a time).
func (p *Poster) Load(ctx context.Context, next func() (provider.Event, bool), cfg LoadConfig, onDone func(provider.Event, Delivery)) LoadReport {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 256
	}
	var (
		rep  = LoadReport{Errors: map[string]int{}}
		mu   sync.Mutex
		wg   sync.WaitGroup
		sem  = make(chan struct{}, cfg.Concurrency)
		gap  time.Duration
		stop <-chan time.Time
	)
	if cfg.Rate > 0 {
		gap = time.Duration(float64(time.Second) / cfg.Rate)
	}
	if cfg.Duration > 0 {
		t := time.NewTimer(cfg.Duration)
		defer t.Stop()
		stop = t.C
	}
	start := time.Now()
loop:
	for i := 0; cfg.Count <= 0 || i < cfg.Count; i++ {
		if gap > 0 {
			due := start.Add(time.Duration(i) * gap)
			if d := time.Until(due); d > 0 {
				select {
				case <-ctx.Done():
					break loop
				case <-stop:
					break loop
				case <-time.After(d):
				}
			} else if -d > rep.MaxBehind {
				rep.MaxBehind = -d
			}
		}
		select {
		case <-ctx.Done():
			break loop
		case <-stop:
			break loop
		case sem <- struct{}{}:
		}
		ev, ok := next()
		if !ok {
			<-sem
			break
		}
		rep.Events++
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := p.Deliver(context.WithoutCancel(ctx), ev) // an event started is seen through
			<-sem
			mu.Lock()
			defer mu.Unlock()
			rep.Retries += max(d.Attempts-1, 0)
			if d.Err == nil {
				rep.Acked++
				rep.Latencies = append(rep.Latencies, d.Latency)
			} else {
				rep.Failed++
				reason := d.Err.Error()
				var ne net.Error
				if errors.As(d.Err, &ne) {
					reason = "network: " + reason
				}
				if len(rep.Errors) < 20 || rep.Errors[reason] > 0 {
					rep.Errors[reason]++
				}
			}
			if onDone != nil {
				onDone(ev, d)
			}
		}()
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	slices.Sort(rep.Latencies)
	return rep
}
