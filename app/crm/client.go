package crm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// client sends one vendor's API calls: the access token in the vendor's
// header, a refresh and one retry on 401, waits and retries on 429
// (Retry-After, else the vendor's rate-limit window), 5xx, timeouts and
// network errors with exponential back-off and jitter, and pacing from the
// vendor's rate-limit headers so that 429s stay rare.
type client struct {
	provider Provider
	base     string
	hc       *http.Client
	auth     *auth
	policy   Policy
	stats    *Stats

	// Vendor specifics, set by the adapter.
	authScheme string                                              // "Bearer" or "Zoho-oauthtoken"
	vendorErr  func(status int, h http.Header, body []byte) *Error // classify a non-2xx answer
	pace       func(h http.Header) (wait time.Duration)            // from rate-limit headers: pause before the next call

	mu        sync.Mutex
	notBefore time.Time
}

// maxBody caps what is read of an answer.
const maxBody = 32 << 20

// roundTrip sends req and reads the whole answer.
func roundTrip(hc *http.Client, req *http.Request) (int, http.Header, []byte, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, body, nil
}

// netReason describes a transport error without the request URL's details.
func netReason(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			err = inner
		}
	}
	return err.Error()
}

// call sends method path (relative to the API base) with in as JSON (nil:
// no body), decodes a 2xx answer into out (if not nil) and returns the
// status. Errors are *Error.
func (c *client) call(ctx context.Context, method, path string, in, out any) (int, error) {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return 0, fmt.Errorf("encode %s request: %w", c.provider.Label(), err)
		}
	}
	refreshed := false
	var last *Error
	for attempt := 0; attempt < c.policy.Tries; {
		if err := c.wait(ctx); err != nil {
			return 0, err
		}
		token, err := c.auth.token(ctx)
		if err != nil {
			return 0, c.tokenErr(err)
		}
		var body io.Reader
		if payload != nil {
			body = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
		if err != nil {
			return 0, &Error{Provider: c.provider, Message: err.Error()}
		}
		req.Header.Set("Authorization", c.authScheme+" "+token)
		req.Header.Set("Accept", "application/json")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		c.stats.Requests.Add(1)
		status, h, respBody, err := roundTrip(c.hc, req)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			last = &Error{Provider: c.provider, Code: "network", Message: netReason(err), Retryable: true}
		} else {
			if c.pace != nil && status != http.StatusTooManyRequests { // a 429 says its own wait
				c.paceFor(c.pace(h))
			}
			if status/100 == 2 {
				if out != nil && len(respBody) > 0 {
					if err := json.Unmarshal(respBody, out); err != nil {
						return status, &Error{Provider: c.provider, Status: status, Message: "unreadable answer: " + err.Error(), Retryable: true}
					}
				}
				return status, nil
			}
			last = c.vendorErr(status, h, respBody)
			if last.Auth && status == http.StatusUnauthorized && !refreshed {
				// The token expired or was revoked: refresh once, retry.
				refreshed = true
				if _, err := c.auth.refresh(ctx, token); err != nil {
					return 0, c.tokenErr(err)
				}
				continue
			}
			if last.Auth {
				last.Retryable = true // a refreshed token refused too: keep the rows, wait, tell the user
				return status, last
			}
			if !last.Retryable {
				return status, last
			}
			if last.RetryAfter > c.policy.Max {
				return status, last // too long to wait inside a call: the rows wait instead
			}
		}
		attempt++
		if attempt < c.policy.Tries {
			c.stats.Retries.Add(1)
			if err := Sleep(ctx, max(last.RetryAfter, c.policy.Backoff(attempt-1))); err != nil {
				return 0, err
			}
		}
	}
	return 0, last
}

// tokenErr marks a failed refresh: transient ones are retryable, a refused
// refresh token keeps the rows waiting too (reconnecting fixes it) but says so.
func (c *client) tokenErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	e := AsError(c.provider, err)
	e.Retryable = true
	return e
}

// paceFor delays the next call by d (rate-limit pacing).
func (c *client) paceFor(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	if t := time.Now().Add(d); t.After(c.notBefore) {
		c.notBefore = t
	}
	c.mu.Unlock()
}

func (c *client) wait(ctx context.Context) error {
	c.mu.Lock()
	d := time.Until(c.notBefore)
	c.mu.Unlock()
	return Sleep(ctx, d)
}

// statusError is the generic classification of a non-2xx status.
func statusError(p Provider, status int, h http.Header, code, msg string) *Error {
	e := &Error{Provider: p, Status: status, Code: code, Message: strings.TrimSpace(msg)}
	switch {
	case status == http.StatusUnauthorized:
		e.Auth = true
	case status == http.StatusTooManyRequests, status >= 500, status == http.StatusRequestTimeout:
		e.Retryable = true
	case status == http.StatusNotFound:
		e.Gone = true
	}
	if d, ok := retryAfter(h, time.Now()); ok {
		e.RetryAfter = d
	}
	if e.Message == "" && e.Code == "" {
		e.Message = http.StatusText(status)
	}
	return e
}
