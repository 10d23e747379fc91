package serve

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"cxinbox/app"
	"cxinbox/model"
)

// HTTPConfig holds the webhook secrets and limits.
type HTTPConfig struct {
	MetaAppSecret       string // X-Hub-Signature-256 (WhatsApp, Messenger, Instagram)
	MetaVerifyToken     string // GET hub.verify_token handshake
	TwilioAuthToken     string // X-Twilio-Signature
	TelegramSecretToken string // X-Telegram-Bot-Api-Secret-Token
	EmailSecret         string // shared secret for /webhooks/email (header X-Cxinbox-Email-Secret)
	PublicURL           string // the URL providers call, for Twilio's signature (default: from the request)
	MaxBody             int64  // bytes; larger bodies get 413
}

// Unconfigured lists the webhooks that answer 503 for want of their
// secret, each with the flag that sets it ("sms (--twilio-auth-token)").
func (c HTTPConfig) Unconfigured() []string {
	var out []string
	for _, x := range []struct{ v, what string }{
		{c.MetaAppSecret, "whatsapp, facebook, instagram (--meta-app-secret)"},
		{c.MetaVerifyToken, "Meta's verification handshake (--meta-verify-token)"},
		{c.TelegramSecretToken, "telegram (--telegram-secret-token)"},
		{c.TwilioAuthToken, "sms (--twilio-auth-token)"},
		{c.EmailSecret, "email (--email-secret)"},
	} {
		if x.v == "" {
			out = append(out, x.what)
		}
	}
	return out
}

// DefaultMaxBody is the webhook body limit when HTTPConfig.MaxBody is 0.
const DefaultMaxBody = 1 << 20

// server is the HTTP side of team mode: webhooks and the web chat.
type server struct {
	a    *app.App
	cfg  HTTPConfig
	chat *chatHub
}

// NewHTTPHandler returns the webhook endpoints and the web-chat page:
//
//	POST /webhooks/whatsapp|facebook|instagram   X-Hub-Signature-256 (GET: Meta's verification handshake)
//	POST /webhooks/telegram                      X-Telegram-Bot-Api-Secret-Token
//	POST /webhooks/sms                           X-Twilio-Signature
//	POST /webhooks/email                         X-Cxinbox-Email-Secret, raw RFC 5322 body
//	GET  /chat, /chat/chat.js, /chat/chat.css    the chat page (sets the visitor cookie)
//	POST /chat/messages                          a visitor's message (JSON, same origin, cookie)
//	GET  /chat/events                            the visitor's conversation, live (server-sent events)
//
// A 200 from a webhook means its messages are committed. A channel whose
// secret is not configured answers 503 and takes nothing, so unsigned
// traffic is never accepted.
func NewHTTPHandler(a *app.App, cfg HTTPConfig) (http.Handler, error) {
	if a == nil {
		return nil, errors.New("http: no app")
	}
	if cfg.MaxBody < 0 {
		return nil, fmt.Errorf("http: max body %d is negative", cfg.MaxBody)
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("--public-url %q: want http(s)://host[:port][/prefix]", cfg.PublicURL)
		}
		cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	}
	s := &server{a: a, cfg: cfg, chat: newChatHub(a)}
	mux := http.NewServeMux()
	for _, ch := range []model.Channel{model.WhatsApp, model.Facebook, model.Instagram} {
		mux.Handle("POST /webhooks/"+string(ch), s.webhook(ch))
		mux.HandleFunc("GET /webhooks/"+string(ch), s.metaHandshake)
	}
	for _, ch := range []model.Channel{model.Telegram, model.SMS, model.Email} {
		mux.Handle("POST /webhooks/"+string(ch), s.webhook(ch))
	}
	mux.HandleFunc("GET /chat", s.chatPage)
	mux.HandleFunc("GET /chat/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/chat", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /chat/chat.js", s.chatAsset("chat.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /chat/chat.css", s.chatAsset("chat.css", "text/css; charset=utf-8"))
	mux.HandleFunc("POST /chat/messages", s.chatMessage)
	mux.HandleFunc("GET /chat/events", s.chatEvents)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "cxinbox: webhooks at /webhooks/<channel>, web chat at /chat\n")
	})
	return &handler{Handler: headers(mux), chat: s.chat}, nil
}

// handler is what NewHTTPHandler returns.
type handler struct {
	http.Handler
	chat *chatHub
}

// CloseStreams ends the open web-chat event streams (the pages reconnect
// by themselves). Register it with http.Server.RegisterOnShutdown: without
// it, a graceful Shutdown waits for every open chat page.
func (h *handler) CloseStreams() { h.chat.shutdown() }

// headers sets what every answer carries.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// fail answers with a status and a one-line plain-text reason.
func fail(w http.ResponseWriter, status int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, format+"\n", args...)
}
