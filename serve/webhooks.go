package serve

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"cxinbox/app/provider"
	"cxinbox/model"
)

// secretFor names the secret a channel's webhook is verified with and the
// flag and variable that set it.
func (s *server) secretFor(ch model.Channel) (secret, flag, env string) {
	switch ch {
	case model.WhatsApp, model.Facebook, model.Instagram:
		return s.cfg.MetaAppSecret, "--meta-app-secret", "CXINBOX_META_APP_SECRET"
	case model.Telegram:
		return s.cfg.TelegramSecretToken, "--telegram-secret-token", "CXINBOX_TELEGRAM_SECRET_TOKEN"
	case model.SMS:
		return s.cfg.TwilioAuthToken, "--twilio-auth-token", "CXINBOX_TWILIO_AUTH_TOKEN"
	case model.Email:
		return s.cfg.EmailSecret, "--email-secret", "CXINBOX_EMAIL_SECRET"
	}
	return "", "", ""
}

// webhook is one provider's endpoint: size limit (413), signature (401),
// provider parser (400), then the group-commit ingest; 200 only once the
// messages are committed. A re-delivery is ignored by message id and still
// answered 200, so the provider stops retrying.
func (s *server) webhook(ch model.Channel) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, flag, env := s.secretFor(ch)
		if secret == "" {
			fail(w, http.StatusServiceUnavailable, "%s webhook is not configured: start the server with %s or %s (unsigned requests are never accepted)", ch, flag, env)
			return
		}
		body, status, err := readBody(w, r, s.cfg.MaxBody)
		if err != nil {
			fail(w, status, "%s webhook: %v", ch, err)
			return
		}
		if ok, why := s.verify(ch, r, body); !ok {
			fail(w, http.StatusUnauthorized, "%s webhook: %s; nothing was stored", ch, why)
			return
		}
		msgs, err := provider.Parse(ch, body)
		if err != nil {
			fail(w, http.StatusBadRequest, "malformed %s body: %v", ch, err)
			return
		}
		res, err := s.ingest(r.Context(), msgs)
		if err != nil {
			// 503 makes the provider deliver again later; nothing it sent is lost.
			w.Header().Set("Retry-After", "1")
			fail(w, http.StatusServiceUnavailable, "%s webhook: not stored, try again: %v", ch, err)
			return
		}
		if ch == model.SMS {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Response/>`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(struct {
			Messages   int `json:"messages"`
			Duplicates int `json:"duplicates_ignored"`
		}{res.Messages, res.Duplicates})
	})
}

// ingestResult is what the webhooks report back.
type ingestResult struct{ Messages, Duplicates int }

// ingest commits msgs; it returns once they are durable.
func (s *server) ingest(ctx context.Context, msgs []model.Inbound) (ingestResult, error) {
	if len(msgs) == 0 { // a delivery receipt, an echo: nothing to store
		return ingestResult{}, nil
	}
	// The commit outlives a provider that hung up: the verdict is what
	// matters, and the writer holds the request until then anyway.
	res, err := s.a.Ingest(context.WithoutCancel(ctx), msgs)
	return ingestResult{res.Messages, res.Duplicates}, err
}

// bodyReadTimeout bounds reading one request body.
const bodyReadTimeout = 30 * time.Second

// readBody reads at most limit bytes; a larger body is 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, int, error) {
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, errBodyTooLarge(limit)
	}
	// A client that trickles its body must not hold a connection for ever.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, http.StatusRequestEntityTooLarge, errBodyTooLarge(limit)
	case err != nil:
		return nil, http.StatusBadRequest, errors.New("could not read the body: " + err.Error())
	case len(body) == 0:
		return nil, http.StatusBadRequest, errors.New("empty body")
	}
	return body, 0, nil
}

type errBodyTooLarge int64

func (e errBodyTooLarge) Error() string {
	return "body larger than " + strconv.FormatInt(int64(e), 10) + " bytes"
}

// verify checks the provider's signature of the raw body.
func (s *server) verify(ch model.Channel, r *http.Request, body []byte) (bool, string) {
	switch ch {
	case model.WhatsApp, model.Facebook, model.Instagram:
		h := r.Header.Get(HeaderMetaSignature)
		if h == "" {
			return false, "missing " + HeaderMetaSignature
		}
		if !VerifyMeta(s.cfg.MetaAppSecret, body, h) {
			return false, HeaderMetaSignature + " does not match the body"
		}
	case model.Telegram:
		h := r.Header.Get(HeaderTelegramSecret)
		if h == "" {
			return false, "missing " + HeaderTelegramSecret
		}
		if !equalSecret(s.cfg.TelegramSecretToken, h) {
			return false, "wrong " + HeaderTelegramSecret
		}
	case model.SMS:
		h := r.Header.Get(HeaderTwilioSig)
		if h == "" {
			return false, "missing " + HeaderTwilioSig
		}
		form, _ := url.ParseQuery(string(body)) // a malformed form fails the check below, or the parser after it
		if !VerifyTwilio(s.cfg.TwilioAuthToken, s.requestURL(r), form, h) {
			return false, HeaderTwilioSig + " does not match the URL and parameters (behind a proxy? set --public-url)"
		}
	case model.Email:
		h := r.Header.Get(HeaderEmailSecret)
		if h == "" {
			return false, "missing " + HeaderEmailSecret
		}
		if !equalSecret(s.cfg.EmailSecret, h) {
			return false, "wrong " + HeaderEmailSecret
		}
	default:
		return false, "no signature scheme"
	}
	return true, ""
}

// requestURL is the URL the provider called, as Twilio signs it: the
// configured public URL (a base, with an optional path prefix) plus the
// request's path and query, or else what the request itself says.
func (s *server) requestURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL + r.URL.RequestURI()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

// metaHandshake answers Meta's GET subscription check: the challenge is
// echoed when hub.verify_token is ours.
func (s *server) metaHandshake(w http.ResponseWriter, r *http.Request) {
	if s.cfg.MetaVerifyToken == "" {
		fail(w, http.StatusServiceUnavailable, "verification is not configured: start the server with --meta-verify-token or CXINBOX_META_VERIFY_TOKEN")
		return
	}
	q := r.URL.Query()
	if q.Get("hub.mode") != "subscribe" {
		fail(w, http.StatusBadRequest, "hub.mode must be subscribe")
		return
	}
	if !equalSecret(s.cfg.MetaVerifyToken, q.Get("hub.verify_token")) {
		fail(w, http.StatusForbidden, "wrong hub.verify_token")
		return
	}
	c := q.Get("hub.challenge")
	if c == "" || len(c) > 256 {
		fail(w, http.StatusBadRequest, "hub.challenge must be 1 to 256 characters")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, c)
}
