package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"cxinbox/app"
	"cxinbox/app/crm"
	"cxinbox/app/crm/fake"
)

// The CRM sync on the command line (app/crm.go does the work). Secrets come
// from flags or, better (shell history, ps), from the CXINBOX_CRM_*
// environment variables; no command ever prints them.

type crmCmd struct {
	Connect    crmConnectCmd    `cmd:"" help:"Connect HubSpot, Salesforce or Zoho (one at a time): the credentials are checked with the vendor, then stored in the database, made readable by you only (0600)."`
	Disconnect crmDisconnectCmd `cmd:"" help:"Forget the CRM connection and its secrets (queued changes stay for a later connect)."`
	Status     crmStatusCmd     `cmd:"" help:"The connection and the outbox: contacts pending, failed and synced, and the last error."`
	Sync       crmSyncCmd       `cmd:"" help:"Push everything waiting to the CRM once, then exit (the inbox and the server do it in the background)."`
	Retry      crmRetryCmd      `cmd:"" help:"Queue the contacts the CRM refused again (after fixing them, or the CRM)."`
	Fake       crmFakeCmd       `cmd:"" help:"Serve a local imitation of a CRM's API to watch the sync without an account."`
}

type crmConnectCmd struct {
	Provider     string `arg:"" enum:"hubspot,salesforce,zoho" help:"hubspot, salesforce or zoho."`
	Token        string `name:"token" env:"CXINBOX_CRM_TOKEN" help:"HubSpot private-app token (instead of OAuth)." placeholder:"TOKEN"`
	ClientID     string `name:"client-id" env:"CXINBOX_CRM_CLIENT_ID" help:"OAuth 2.0 client id of your app." placeholder:"ID"`
	ClientSecret string `name:"client-secret" env:"CXINBOX_CRM_CLIENT_SECRET" help:"OAuth 2.0 client secret." placeholder:"SECRET"`
	RefreshToken string `name:"refresh-token" env:"CXINBOX_CRM_REFRESH_TOKEN" help:"OAuth 2.0 refresh token (from the vendor's authorization flow)." placeholder:"TOKEN"`
	BaseURL      string `name:"base-url" help:"API host instead of the vendor's (HubSpot: https://api.hubapi.com; Salesforce and Zoho: the token answer's instance_url / api_domain)." placeholder:"URL"`
	AuthURL      string `name:"auth-url" help:"OAuth token host or URL instead of the vendor's (Salesforce sandbox: https://test.salesforce.com; Zoho EU: https://accounts.zoho.eu)." placeholder:"URL"`
	Backfill     bool   `help:"Also queue every existing contact not yet in the CRM (by default only customers arriving from now on are synced)."`
}

func (c *crmConnectCmd) Run(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := a.ConnectCRM(e.ctx, app.CRMConnect{Provider: c.Provider, Token: c.Token, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		RefreshToken: c.RefreshToken, BaseURL: c.BaseURL, AuthURL: c.AuthURL, Backfill: c.Backfill})
	if err != nil {
		return err
	}
	fmt.Printf("connected: %s\n", res.Describe)
	if c.Backfill {
		fmt.Printf("new customers are synced from now on; %d existing contacts queued\n", res.Backfilled)
	} else {
		fmt.Println("new customers are synced from now on (--backfill also queues the existing ones)")
	}
	return nil
}

type crmDisconnectCmd struct{}

func (c *crmDisconnectCmd) Run(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := a.DisconnectCRM(e.ctx)
	if err != nil {
		return err
	}
	if p == "" {
		return errors.New("no CRM is connected")
	}
	fmt.Printf("disconnected from %s; its secrets are erased\n", crm.Provider(p).Label())
	return nil
}

type crmStatusCmd struct {
	JSON bool `name:"json" help:"Print {\"provider\", \"pending\", \"failed\", \"synced\", \"last_error\", …} as JSON."`
}

func (c *crmStatusCmd) Run(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	s, err := a.CRMStatus(e.ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		return writeJSON(os.Stdout, s)
	}
	if s.Provider == "" {
		fmt.Println("no CRM connected")
	} else {
		fmt.Printf("%s at %s (%s: set), connected %s\n", crm.Provider(s.Provider).Label(), s.API, s.Auth, s.ConnectedAt.Local().Format("2006-01-02 15:04"))
	}
	fmt.Printf("pending %d, failed %d, synced %d\n", s.Pending, s.Failed, s.Synced)
	if s.LastError != "" {
		fmt.Printf("last error: %s\n", s.LastError)
	}
	return nil
}

type crmSyncCmd struct {
	JSON bool `name:"json" help:"Print the summary as JSON: {\"provider\", \"synced\", \"created\", \"merged\", \"failed\", \"deferred\", \"pending\", \"requests\", \"seconds\", \"error\"}."`
}

func (c *crmSyncCmd) Run(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	s, err := a.SyncCRM(e.ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		if err := writeJSON(os.Stdout, s); err != nil {
			return err
		}
	} else {
		fmt.Printf("synced %d (%d new), merged %d, failed %d, deferred %d; pending %d; %d requests in %.1fs\n",
			s.Synced, s.Created, s.Merged, s.Failed, s.Deferred, s.Pending, s.Requests, s.Seconds)
	}
	if s.Error != "" {
		return fmt.Errorf("stopped: %s (the rest stays queued)", s.Error)
	}
	return nil
}

type crmRetryCmd struct{}

func (c *crmRetryCmd) Run(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.RetryCRM(e.ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%d failed change(s) queued again\n", n)
	return nil
}

type crmFakeCmd struct {
	Provider string  `arg:"" enum:"hubspot,salesforce,zoho" help:"hubspot, salesforce or zoho."`
	Listen   string  `help:"Address to listen on." default:"127.0.0.1:8089" placeholder:"HOST:PORT"`
	Faults   float64 `help:"Share of calls answered with a random fault — 429, 500, 401 or a timeout — from 0 to 1." default:"0"`
	Quiet    bool    `help:"Do not log each request to stderr."`
}

func (c *crmFakeCmd) Run(e *env) error {
	if c.Faults < 0 || c.Faults > 1 {
		return fmt.Errorf("--faults %g: want a share from 0 to 1", c.Faults)
	}
	p, err := crm.ParseProvider(c.Provider)
	if err != nil {
		return err
	}
	opt := fake.Options{FaultRate: c.Faults, Seed: uint64(time.Now().UnixNano()), Hang: 2 * time.Minute}
	if !c.Quiet {
		opt.Log = os.Stderr
	}
	s := fake.New(p, opt)
	l, hs, err := s.Listen(c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	u := "http://" + l.Addr().String()
	fmt.Printf("fake %s API on %s (what it holds: %s/_fake/records)\n", p.Label(), u, u)
	fmt.Println("connect a database to it with:")
	oauth := fmt.Sprintf("--client-id %s --client-secret %s --refresh-token %s", fake.ClientID, fake.ClientSecret, fake.RefreshToken)
	switch p {
	case crm.HubSpot:
		fmt.Printf("  cxinbox crm connect hubspot --token %s --base-url %s\n", fake.PrivateToken, u)
		fmt.Printf("  (or OAuth: cxinbox crm connect hubspot %s --base-url %s)\n", oauth, u)
	default:
		fmt.Printf("  cxinbox crm connect %s %s --auth-url %s\n", p, oauth, u)
	}
	fmt.Println(strings.Repeat("-", 40))
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case <-e.ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	s.Close()
	hs.Close()
	return nil
}
