package serve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"cxinbox/app"
	"cxinbox/model"
)

// Wide enough for all four panes: the views rail, the list, the
// conversation and the contact pane.
const wideW, wideH = 160, 40

func TestSSHServesTheInboxToARegisteredKey(t *testing.T) {
	e := newSSHEnv(t, 40, nil)
	ann := e.agent("ann")
	tm, err := e.open(ann, wideW, wideH, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := tm.waitText("Identities", wait)
	for _, want := range []string{"Views", "All", "Mine", "Unassigned", "? help"} {
		if !strings.Contains(s, want) {
			t.Errorf("inbox screen lacks %q:\n%s", want, s)
		}
	}
	// Sized to the client's terminal: the frame spans the full width.
	if lines := strings.Split(s, "\n"); len([]rune(lines[0])) != wideW {
		t.Errorf("first line is %d cells wide, want %d: %q", len([]rune(lines[0])), wideW, lines[0])
	}
	// A narrower terminal gets the narrow layout: no rail.
	bob := e.agent("bob")
	narrow, err := e.open(bob, 80, 24, nil)
	if err != nil {
		t.Fatal(err)
	}
	s = narrow.waitText("? help", wait)
	if strings.Contains(s, "Views") {
		t.Errorf("80×24 shows the rail:\n%s", s)
	}
	if !strings.Contains(e.log.String(), "cxinbox: ssh: ann connected from 127.0.0.1") {
		t.Errorf("server log: %q", e.log.String())
	}
	tm.press("q")
	if err := tm.waitEnd(wait); err != nil {
		t.Errorf("quit: exit %v", err)
	}
}

func TestSSHRefusesUnknownKeysPasswordsAndKeyboardInteractive(t *testing.T) {
	e := newSSHEnv(t, 0, nil)
	ann := e.agent("ann")

	if _, err := e.dial(gossh.PublicKeys(newKey(t))); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := e.dial(gossh.Password("hunter2")); err == nil {
		t.Error("password login accepted")
	}
	asked := false
	_, err := e.dial(gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
		asked = true
		return []string{"hunter2"}, nil
	}))
	if err == nil || asked {
		t.Errorf("keyboard-interactive: err %v, server asked questions: %v", err, asked)
	}
	// The server offers public keys and nothing else.
	_, err = e.dial(gossh.Password("x"))
	if err == nil || !strings.Contains(err.Error(), "no supported methods remain") {
		t.Errorf("password: %v", err)
	}
	// An unknown key offered before a known one: the session runs as the
	// known key's agent.
	c, err := e.dial(gossh.PublicKeys(newKey(t), ann))
	if err != nil {
		t.Fatal(err)
	}
	tm, err := openOn(t, c, wideW, wideH, nil)
	if err != nil {
		t.Fatal(err)
	}
	tm.waitText("Views", wait)
	if !strings.Contains(e.log.String(), "ssh: ann connected") {
		t.Errorf("server log: %q", e.log.String())
	}
}

func TestSSHRefusesWhatTheInboxCannotServe(t *testing.T) {
	e := newSSHEnv(t, 0, nil)
	ann := e.agent("ann")
	for _, tc := range []struct {
		name string
		run  func(*gossh.Session) error
		want string
	}{
		{"no terminal", func(s *gossh.Session) error { return s.Shell() }, "the inbox needs a terminal"},
		{"a command", func(s *gossh.Session) error { return s.Start("cat /etc/passwd") }, "runs the inbox only"},
	} {
		c, err := e.dial(gossh.PublicKeys(ann))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := c.NewSession()
		var stderr lockedBuffer
		s.Stderr = &stderr
		if err := tc.run(s); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		err = s.Wait()
		var exit *gossh.ExitError
		if !errors.As(err, &exit) || exit.ExitStatus() != 1 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%s: exit %v, stderr %q", tc.name, err, stderr.String())
		}
		c.Close()
	}
}

func TestSSHSessionRunsAsItsAgent(t *testing.T) {
	e := newSSHEnv(t, 40, nil)
	ann, bob := e.agent("ann"), e.agent("bob")
	ctx := context.Background()
	cond, err := model.ParseCondition("contact_name contains a")
	if err != nil {
		t.Fatal(err)
	}
	f := model.Filter{Conditions: []model.Condition{cond}}
	for _, v := range []struct {
		owner, name string
		public      bool
	}{{"ann", "AnnPriv", false}, {"bob", "BobPriv", false}, {"ann", "TeamPub", true}} {
		if _, err := e.a.CreateView(ctx, v.owner, app.View{Name: v.name, Public: v.public, Filter: f}); err != nil {
			t.Fatal(err)
		}
	}
	ta, err := e.open(ann, wideW, wideH, nil)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := e.open(bob, wideW, wideH, nil)
	if err != nil {
		t.Fatal(err)
	}
	sa := ta.waitText("TeamPub", wait)
	sb := tb.waitText("TeamPub", wait)
	if !strings.Contains(sa, "AnnPriv") || strings.Contains(sa, "BobPriv") {
		t.Errorf("ann's rail:\n%s", sa)
	}
	if strings.Contains(sb, "AnnPriv") || !strings.Contains(sb, "BobPriv") {
		t.Errorf("bob's rail:\n%s", sb)
	}
	// Nor by name or id through the app as bob (what the CLI calls).
	if _, err := e.a.ViewByRef(ctx, "bob", "AnnPriv"); !errors.Is(err, app.ErrNoSuchView) {
		t.Errorf("bob opens ann's private view: %v", err)
	}

	// "m" (assign to me) in bob's session assigns to bob, and the note he
	// writes is his.
	tb.press("\tm") // the conversation: assign to me
	tb.waitText("assigned to bob", wait)
	tb.press("\tn") // the contact pane: add a note
	tb.waitText("ctrl+s", wait)
	tb.press("written by bob over ssh")
	tb.press("\x13") // ctrl+s
	tb.waitText("note added", wait)
	tickets, err := e.a.ListTickets(ctx, app.TicketQuery{Assignee: "bob"})
	if err != nil || len(tickets) != 1 {
		t.Fatalf("bob's tickets: %v %v", tickets, err)
	}
	det, err := e.a.ContactDetails(ctx, tickets[0].ContactID)
	if err != nil {
		t.Fatal(err)
	}
	if len(det.Notes) != 1 || det.Notes[0].Author != "bob" {
		t.Errorf("notes: %+v", det.Notes)
	}
	// Ann's "Mine" is not bob's.
	mine, err := e.a.ListTickets(ctx, app.TicketQuery{Assignee: "ann"})
	if err != nil || len(mine) != 0 {
		t.Errorf("ann's tickets: %v %v", mine, err)
	}
}

func TestSSHChangesShowInOtherSessionsWithinASecond(t *testing.T) {
	e := newSSHEnv(t, 40, nil)
	ann, bob := e.agent("ann"), e.agent("bob")
	ta, err := e.open(ann, wideW, wideH, nil)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := e.open(bob, wideW, wideH, nil)
	if err != nil {
		t.Fatal(err)
	}
	ta.waitText("Identities", wait)
	tb.waitText("Identities", wait)

	// Ann tags the contact both screens show; bob's screen has it within 1 s.
	ta.press("\t\tt") // the contact pane: add a tag
	ta.waitText("Add a tag to", wait)
	ta.press("sshlive")
	ta.waitText(`Create tag "sshlive"`, wait)
	sent := time.Now()
	ta.press("\r")
	tb.waitText("sshlive", wait)
	ta.waitText("tag sshlive added", wait)
	within(t, "bob sees ann's tag", time.Since(sent), time.Second)

	// Ann takes the ticket bob is looking at: bob is told.
	sent = time.Now()
	ta.press("\x1b[Zm")               // shift+tab: back to the conversation; assign to me
	tb.waitText("Taken by ann", wait) // in the conversation's header
	within(t, "bob sees the ticket taken", time.Since(sent), time.Second)
	tb.waitText("was taken by ann", wait) // and once in the status line
	if s := ta.waitText("assigned to ann", wait); strings.Contains(s, "Taken by") {
		t.Errorf("ann is told she took her own ticket:\n%s", s)
	}
}

func TestSSHSessionCaps(t *testing.T) {
	e := newSSHEnv(t, 0, func(c *SSHConfig) { c.MaxSessions, c.MaxPerAgent = 2, 1 })
	ann, bob, carol := e.agent("ann"), e.agent("bob"), e.agent("carol")
	ta, err := e.open(ann, 80, 24, nil)
	if err != nil {
		t.Fatal(err)
	}
	ta.waitText("? help", wait)

	again, err := e.open(ann, 80, 24, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.waitEnd(wait); err == nil || !strings.Contains(again.stderr.String(), "agent ann already has 1 session open, the most allowed") {
		t.Errorf("second session of ann: exit %v, stderr %q", err, again.stderr.String())
	}

	tb, err := e.open(bob, 80, 24, nil)
	if err != nil {
		t.Fatal(err)
	}
	tb.waitText("? help", wait)
	tc, err := e.open(carol, 80, 24, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := tc.waitEnd(wait); err == nil || !strings.Contains(tc.stderr.String(), "the server has its most sessions open (2)") {
		t.Errorf("third session: exit %v, stderr %q", err, tc.stderr.String())
	}
	if strings.Contains(tc.output(), "? help") {
		t.Error("a refused session saw the inbox")
	}

	// A session that ends frees its place.
	tb.press("q")
	tb.waitEnd(wait)
	deadline := time.Now().Add(5 * time.Second)
	for {
		tc, err = e.open(carol, 80, 24, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tc.await(wait, func(s string) bool { return strings.Contains(s, "? help") }); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("carol never got in after bob left: %q", tc.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSSHIdleSessionsEnd(t *testing.T) {
	e := newSSHEnv(t, 0, func(c *SSHConfig) { c.IdleTimeout = 600 * time.Millisecond })
	ann, bob := e.agent("ann"), e.agent("bob")
	busy, err := e.open(ann, 80, 24, nil)
	if err != nil {
		t.Fatal(err)
	}
	idle, err := e.open(bob, 80, 24, nil)
	if err != nil {
		t.Fatal(err)
	}
	busy.waitText("? help", wait)
	// Ann keeps pressing keys; bob does nothing.
	stop := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(stop) {
		busy.press("j")
		time.Sleep(100 * time.Millisecond)
	}
	if err := idle.waitEnd(wait); err != nil {
		t.Errorf("idle session: exit %v", err)
	}
	if !strings.Contains(idle.output(), "session ended after 600ms without a key press") {
		t.Errorf("idle session's last words: %q", tail(idle.output(), 200))
	}
	select {
	case <-busy.ended:
		t.Fatal("a busy session ended")
	default:
	}
	if err := busy.waitEnd(wait); err != nil {
		t.Errorf("busy session, idle at last: exit %v", err)
	}
}

func TestSSHShutdownTellsAgentsAndRefusesNewOnes(t *testing.T) {
	e := newSSHEnv(t, 40, nil)
	ann, bob := e.agent("ann"), e.agent("bob")
	ta, err := e.open(ann, wideW, wideH, nil)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := e.open(bob, 80, 24, nil)
	if err != nil {
		t.Fatal(err)
	}
	ta.waitText("Identities", wait)
	tb.waitText("? help", wait)
	e.s.noticeFor = 300 * time.Millisecond

	// Ann's last write goes out as the shutdown begins.
	ta.press("\t\tn")
	ta.waitText("ctrl+s", wait)
	ta.press("last words before the shutdown")
	ta.waitText("last words before the shutdown", wait)
	ta.press("\x13") // ctrl+s

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.s.Shutdown(ctx) }()
	for _, tm := range []*terminal{ta, tb} {
		if err := tm.waitEnd(wait); err != nil {
			t.Errorf("exit at shutdown: %v", err)
		}
		// The inbox said so on its status line, then the terminal, after
		// the inbox left the screen.
		out := tm.output()
		if !strings.Contains(out, "The server is shutting down: your work is saved. Bye.") {
			t.Errorf("no notice in the inbox: %q", tail(out, 300))
		}
		if !strings.HasSuffix(out, "cxinbox: the server is shutting down; your work is saved. Reconnect when it is back.\r\n") {
			t.Errorf("last words: %q", tail(out, 300))
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := e.open(ann, 80, 24, nil); err == nil {
		t.Error("connected after shutdown")
	}
	// The note committed.
	found := false
	tickets, _ := e.a.ListTickets(context.Background(), app.TicketQuery{Limit: 1})
	if len(tickets) == 1 {
		det, err := e.a.ContactDetails(context.Background(), tickets[0].ContactID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range det.Notes {
			found = found || (n.Body == "last words before the shutdown" && n.Author == "ann")
		}
	}
	if !found {
		t.Error("ann's note sent as the server shut down is not stored")
	}
}

func TestSSHColoursFollowTheClientsTerminal(t *testing.T) {
	e := newSSHEnv(t, 40, nil)
	ann, bob := e.agent("ann"), e.agent("bob")
	colour, err := e.open(ann, wideW, wideH, map[string]string{"TERM": "xterm-256color"})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := e.open(bob, wideW, wideH, map[string]string{"TERM": "xterm-256color", "NO_COLOR": "1"})
	if err != nil {
		t.Fatal(err)
	}
	colour.waitText("Identities", wait)
	plain.waitText("Identities", wait)
	if n := colouredCells(colour); n == 0 {
		t.Error("an xterm-256color client got no colour")
	}
	if n := colouredCells(plain); n != 0 {
		t.Errorf("a NO_COLOR client got %d coloured cells", n)
	}
}

// colouredCells counts cells drawn with a foreground or background colour.
func colouredCells(tm *terminal) int {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	n := 0
	for y := range tm.emu.Height() {
		for x := range tm.emu.Width() {
			if c := tm.emu.CellAt(x, y); c != nil && (c.Style.Fg != nil || c.Style.Bg != nil) {
				n++
			}
		}
	}
	return n
}

func TestSSHHostKeyIsMadeOnceAndKeptPrivate(t *testing.T) {
	dir := t.TempDir()
	a, err := app.Open(filepath.Join(dir, "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	path := filepath.Join(dir, "keys", "ssh_host_ed25519_key")
	cfg := SSHConfig{Addr: "127.0.0.1:0", HostKeyPath: path, IdleTimeout: time.Minute, MaxSessions: 1, MaxPerAgent: 1}
	s1, err := NewSSHServer(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("host key file: %v %v", fi, err)
	}
	s2, err := NewSSHServer(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s1.HostKeyFingerprint() != s2.HostKeyFingerprint() || !strings.HasPrefix(s1.HostKeyFingerprint(), "SHA256:") {
		t.Errorf("host key changed between starts: %s %s", s1.HostKeyFingerprint(), s2.HostKeyFingerprint())
	}
	if pub, err := os.ReadFile(path + ".pub"); err != nil || !strings.HasPrefix(string(pub), "ssh-ed25519 ") {
		t.Errorf("public half: %q %v", pub, err)
	}
	os.Chmod(path, 0o644)
	if _, err := NewSSHServer(a, cfg); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable host key: %v", err)
	}
}

// wait bounds waits for a screen to show something (a machine busy with
// other tests can be slow); timing requirements are checked with within.
const wait = 10 * time.Second

// within checks a timing requirement. Under the race detector, which slows
// everything several times, it only logs.
func within(t *testing.T, what string, got, limit time.Duration) {
	t.Helper()
	switch {
	case got <= limit:
		t.Logf("%s: %v", what, got.Round(time.Millisecond))
	case raceDetector:
		t.Logf("%s: %v, over %v (race detector on)", what, got.Round(time.Millisecond), limit)
	default:
		t.Errorf("%s: %v, over %v", what, got.Round(time.Millisecond), limit)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
