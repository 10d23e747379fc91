package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Credentials are what authenticates cxinbox to a CRM: a HubSpot private-app
// token, or an OAuth 2.0 client with its refresh token and the current
// access token. They are secrets: nothing here prints them, and errors never
// carry them.
type Credentials struct {
	PrivateToken                         string
	ClientID, ClientSecret, RefreshToken string
	AccessToken                          string
	Expiry                               time.Time // zero: unknown, refresh on 401
	APIBase                              string    // where API calls go
	AuthURL                              string    // the token endpoint ("" = the vendor's)
}

// TokenStore keeps refreshed tokens where every process sees them (the
// database), so a token refreshed by one process is not refreshed again by
// the next.
type TokenStore interface {
	LoadTokens(ctx context.Context) (Credentials, error)
	SaveTokens(ctx context.Context, c Credentials) error
}

// TokenURL is the OAuth token endpoint: authURL as given when it has a path,
// else authURL (or the vendor's host) plus the vendor's token path. HubSpot
// defaults to v3 (/oauth/v1/token is being retired); its host defaults to
// the API host.
func TokenURL(p Provider, authURL, apiBase string) string {
	if authURL != "" {
		if u, err := url.Parse(authURL); err == nil && u.Path != "" && u.Path != "/" {
			return authURL
		}
	}
	base := strings.TrimRight(authURL, "/")
	if base == "" {
		switch p {
		case HubSpot:
			base = strings.TrimRight(apiBase, "/")
			if base == "" {
				base = HubSpotDefaultBase
			}
		case Salesforce:
			base = SalesforceLoginBase
		case Zoho:
			base = ZohoAccountsBase
		}
	}
	switch p {
	case HubSpot:
		return base + "/oauth/v3/token"
	case Salesforce:
		return base + "/services/oauth2/token"
	}
	return base + "/oauth/v2/token"
}

// tokenResponse covers the three vendors' token answers, success and error.
type tokenResponse struct {
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
	ExpiresIn    json.RawMessage `json:"expires_in"`
	InstanceURL  string          `json:"instance_url"` // Salesforce
	APIDomain    string          `json:"api_domain"`   // Zoho
	// Errors: OAuth's error/error_description (Salesforce, and Zoho inside
	// an HTTP 200), HubSpot's status/message.
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Status      string `json:"status"`
	Message     string `json:"message"`
}

// Exchange trades the refresh token for an access token (the connect step
// and every later refresh) and returns the credentials with the new token,
// its expiry, a rotated refresh token if the vendor sent one, and — for
// Salesforce and Zoho — the API host from the answer (instance_url,
// api_domain) unless apiOverride is set.
func Exchange(ctx context.Context, p Provider, hc *http.Client, pol Policy, stats *Stats, c Credentials, apiOverride string) (Credentials, error) {
	pol = pol.withDefaults()
	if stats == nil {
		stats = &Stats{}
	}
	if hc == nil {
		hc = &http.Client{Timeout: pol.Timeout}
	}
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {c.ClientID},
		"client_secret": {c.ClientSecret},
		"refresh_token": {c.RefreshToken},
	}.Encode()
	endpoint := TokenURL(p, c.AuthURL, c.APIBase)
	var last *Error
	for attempt := 0; attempt < pol.Tries; attempt++ {
		if attempt > 0 {
			stats.Retries.Add(1)
			if err := Sleep(ctx, max(last.RetryAfter, pol.Backoff(attempt-1))); err != nil {
				return c, err
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form))
		if err != nil {
			return c, fmt.Errorf("%s token endpoint: %w", p.Label(), err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		stats.Requests.Add(1)
		stats.Refresh.Add(1)
		status, h, body, err := roundTrip(hc, req)
		if err != nil {
			if ctx.Err() != nil {
				return c, ctx.Err()
			}
			last = &Error{Provider: p, Code: "network", Message: "token endpoint: " + netReason(err), Retryable: true}
			continue
		}
		if status == http.StatusTooManyRequests || status >= 500 {
			last = &Error{Provider: p, Status: status, Message: "token endpoint: " + http.StatusText(status), Retryable: true}
			if d, ok := retryAfter(h, time.Now()); ok {
				last.RetryAfter = d
			}
			continue
		}
		var tr tokenResponse
		jerr := json.Unmarshal(body, &tr)
		// Zoho answers a refused refresh with HTTP 200 and {"error": …}:
		// the body decides, not the status.
		if status/100 != 2 || jerr != nil || tr.Error != "" || tr.AccessToken == "" {
			msg := firstOf(tr.Error, tr.Status)
			if d := firstOf(tr.Description, tr.Message); d != "" {
				msg = strings.TrimSpace(msg + " (" + d + ")")
			}
			if msg == "" {
				msg = http.StatusText(status)
			}
			return c, &Error{Provider: p, Status: status, Code: "token refused", Message: "the refresh token was refused: " + msg + "; reconnect with `cxinbox crm connect " + string(p) + "`", Auth: true}
		}
		c.AccessToken = tr.AccessToken
		if tr.RefreshToken != "" {
			c.RefreshToken = tr.RefreshToken
		}
		c.Expiry = time.Time{}
		if n := expiresIn(tr.ExpiresIn); n > 0 {
			c.Expiry = time.Now().Add(time.Duration(n) * time.Second)
		}
		switch {
		case apiOverride != "":
			c.APIBase = apiOverride
		case p == Salesforce && tr.InstanceURL != "":
			c.APIBase = tr.InstanceURL
		case p == Zoho && tr.APIDomain != "":
			c.APIBase = tr.APIDomain
		}
		return c, nil
	}
	return c, last
}

func expiresIn(raw json.RawMessage) int64 {
	s := strings.Trim(string(raw), `"`)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// auth hands out access tokens: the stored one while it is valid, a fresh
// one when it expired or the CRM said 401.
type auth struct {
	provider Provider
	hc       *http.Client
	store    TokenStore
	stats    *Stats
	policy   Policy

	mu    sync.Mutex
	creds Credentials
}

// early is how long before its expiry a token is refreshed.
const early = time.Minute

func (a *auth) valid(c Credentials) bool {
	return c.AccessToken != "" && (c.Expiry.IsZero() || time.Now().Add(early).Before(c.Expiry))
}

// token is the token to send now.
func (a *auth) token(ctx context.Context) (string, error) {
	a.mu.Lock()
	c := a.creds
	a.mu.Unlock()
	if c.PrivateToken != "" {
		return c.PrivateToken, nil
	}
	if a.valid(c) {
		return c.AccessToken, nil
	}
	return a.refresh(ctx, c.AccessToken)
}

// refresh replaces stale (the token the CRM just refused, or an expired
// one) — unless someone already did: this process, or another one whose
// refreshed token is in the store.
func (a *auth) refresh(ctx context.Context, stale string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.store != nil {
		if s, err := a.store.LoadTokens(ctx); err == nil {
			if s.PrivateToken != a.creds.PrivateToken || s.AccessToken != a.creds.AccessToken {
				a.creds.PrivateToken, a.creds.AccessToken, a.creds.Expiry = s.PrivateToken, s.AccessToken, s.Expiry
				if s.RefreshToken != "" {
					a.creds.RefreshToken = s.RefreshToken
				}
			}
		}
	}
	if a.creds.PrivateToken != "" {
		if a.creds.PrivateToken != stale {
			return a.creds.PrivateToken, nil // reconnected meanwhile
		}
		return "", &Error{Provider: a.provider, Status: http.StatusUnauthorized, Code: "token refused",
			Message: "the private-app token was refused; reconnect with `cxinbox crm connect hubspot --token …`", Auth: true}
	}
	if a.creds.AccessToken != stale && a.valid(a.creds) {
		return a.creds.AccessToken, nil
	}
	if a.creds.RefreshToken == "" {
		return "", &Error{Provider: a.provider, Code: "token refused", Message: "no refresh token; reconnect with `cxinbox crm connect " + string(a.provider) + "`", Auth: true}
	}
	c, err := Exchange(ctx, a.provider, a.hc, a.policy, a.stats, a.creds, a.creds.APIBase)
	if err != nil {
		return "", err
	}
	a.creds = c
	if a.store != nil {
		if err := a.store.SaveTokens(ctx, c); err != nil {
			return "", fmt.Errorf("save refreshed %s token: %w", a.provider.Label(), err)
		}
	}
	return c.AccessToken, nil
}

// sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
