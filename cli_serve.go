package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"cxinbox/serve"
)

type serveCmd struct {
	SSH  string `name:"ssh" help:"Serve the inbox over SSH on this address (e.g. 127.0.0.1:2222)." placeholder:"ADDR"`
	HTTP string `name:"http" help:"Take webhooks and serve the web chat on this address (e.g. 127.0.0.1:8080)." placeholder:"ADDR"`

	liveFlags `embed:""`

	HostKey     string        `name:"host-key" help:"SSH host key file (default: ssh_host_ed25519_key beside the database; generated once)." placeholder:"PATH"`
	IdleTimeout time.Duration `name:"idle-timeout" help:"End an SSH session after this long without a key press." default:"30m"`
	MaxSessions int           `name:"max-sessions" help:"Most SSH sessions at once, in total." default:"200"`
	MaxPerAgent int           `name:"max-sessions-per-agent" help:"Most SSH sessions at once per agent." default:"5"`

	MetaAppSecret       string `name:"meta-app-secret" env:"CXINBOX_META_APP_SECRET" help:"Meta app secret: verifies X-Hub-Signature-256 (WhatsApp, Messenger, Instagram)."`
	MetaVerifyToken     string `name:"meta-verify-token" env:"CXINBOX_META_VERIFY_TOKEN" help:"Token Meta's GET verification handshake must present."`
	TwilioAuthToken     string `name:"twilio-auth-token" env:"CXINBOX_TWILIO_AUTH_TOKEN" help:"Twilio auth token: verifies X-Twilio-Signature."`
	TelegramSecretToken string `name:"telegram-secret-token" env:"CXINBOX_TELEGRAM_SECRET_TOKEN" help:"Telegram webhook secret: X-Telegram-Bot-Api-Secret-Token."`
	EmailSecret         string `name:"email-secret" env:"CXINBOX_EMAIL_SECRET" help:"Shared secret the mail relay presents to /webhooks/email."`
	PublicURL           string `name:"public-url" env:"CXINBOX_PUBLIC_URL" help:"The URL providers call (Twilio signs it); default: taken from each request."`
	MaxBody             int64  `name:"max-body" help:"Largest webhook body in bytes (larger: 413)." default:"1048576"`
}

func (c *serveCmd) Run(e *env) error {
	if c.SSH == "" && c.HTTP == "" {
		return errors.New("serve: give --ssh ADDR, --http ADDR or both")
	}
	if err := c.validate(); err != nil {
		return err
	}
	if c.MaxSessions < 1 || c.MaxPerAgent < 1 || c.IdleTimeout <= 0 || c.MaxBody < 1 {
		return errors.New("serve: --max-sessions, --max-sessions-per-agent, --idle-timeout and --max-body must be positive")
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	if err := c.loadDemo(e, a); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(e.ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	go a.WatchExternal(ctx, 500*time.Millisecond)
	crmDone := make(chan struct{})
	go func() { a.RunCRMSync(ctx); close(crmDone) }() // new customers to the connected CRM, if any (app/crm.go)
	defer func() { stop(); <-crmDone }()              // before a.Close: a push cut short hands its rows back
	errs := make(chan error, 3)
	if c.Feed {
		go func() {
			if err := a.RunFeed(ctx, c.FeedRate); err != nil && ctx.Err() == nil {
				errs <- fmt.Errorf("live feed: %w", err)
			}
		}()
	}

	var hs *http.Server
	if c.HTTP != "" {
		hc := serve.HTTPConfig{MetaAppSecret: c.MetaAppSecret, MetaVerifyToken: c.MetaVerifyToken,
			TwilioAuthToken: c.TwilioAuthToken, TelegramSecretToken: c.TelegramSecretToken, EmailSecret: c.EmailSecret,
			PublicURL: c.PublicURL, MaxBody: c.MaxBody}
		h, err := serve.NewHTTPHandler(a, hc)
		if err != nil {
			return err
		}
		if m := hc.Unconfigured(); len(m) > 0 {
			fmt.Fprintf(os.Stderr, "cxinbox: not configured, answering 503: %s\n", strings.Join(m, "; "))
		}
		ln, err := net.Listen("tcp", c.HTTP)
		if err != nil {
			return fmt.Errorf("serve --http: %w", err)
		}
		hs = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		if cs, ok := h.(interface{ CloseStreams() }); ok {
			hs.RegisterOnShutdown(cs.CloseStreams) // open chat pages must not hold up shutdown
		}
		fmt.Fprintf(os.Stderr, "cxinbox: webhooks and web chat on http://%s (web chat: http://%s/chat)\n", ln.Addr(), ln.Addr())
		go func() {
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("http: %w", err)
			}
		}()
	}
	var ss *serve.SSHServer
	if c.SSH != "" {
		key := c.HostKey
		if key == "" {
			key = filepath.Join(filepath.Dir(a.Path()), "ssh_host_ed25519_key")
		}
		ss, err = serve.NewSSHServer(a, serve.SSHConfig{Addr: c.SSH, HostKeyPath: key, IdleTimeout: c.IdleTimeout,
			MaxSessions: c.MaxSessions, MaxPerAgent: c.MaxPerAgent, Log: os.Stderr})
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "cxinbox: inbox over SSH on %s, host key %s (%s)\n", c.SSH, ss.HostKeyFingerprint(), key)
		if keys, err := a.AgentKeys(e.ctx); err == nil && len(keys) == 0 {
			fmt.Fprintln(os.Stderr, "cxinbox: no agent has an SSH key yet: cxinbox agents add NAME --ssh-key \"$(cat ~/.ssh/id_ed25519.pub)\"")
		}
		go func() {
			if err := ss.ListenAndServe(); err != nil {
				errs <- fmt.Errorf("ssh: %w", err)
			}
		}()
	}

	select {
	case <-ctx.Done():
		fmt.Fprintln(os.Stderr, "cxinbox: shutting down")
	case err = <-errs:
	}
	// Stop taking new work, let in-flight requests and sessions finish; the
	// writer commits what it holds when the app closes.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ss != nil {
		ss.Shutdown(sctx)
	}
	if hs != nil {
		hs.Shutdown(sctx)
	}
	return err
}
