package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	bm "charm.land/wish/v2/bubbletea"

	"cxinbox/app"
	"cxinbox/storage"
	"cxinbox/ui"
)

// SSHConfig configures the SSH server.
type SSHConfig struct {
	Addr        string
	HostKeyPath string        // generated once, kept in the data directory
	IdleTimeout time.Duration // a session without a key press this long ends
	MaxSessions int           // in total
	MaxPerAgent int           // per agent
	Log         io.Writer     // one line per connect, refusal and leave; nil: none
}

// SSHServer serves the inbox program to agents over SSH: public-key login
// only, one Bubble Tea program per session running as the key's agent, each
// with its own change subscription so every session sees every other's
// writes at once.
type SSHServer struct {
	a   *app.App
	cfg SSHConfig
	srv *ssh.Server

	hostKey string // the host key's fingerprint

	// ctx is what sessions' loads and writes run under. It outlives each
	// session, so a write an agent started finishes even if the agent
	// disconnects; Shutdown ends it last.
	ctx    context.Context
	cancel context.CancelFunc

	noticeFor   time.Duration // how long a "shutting down"/"idle" notice shows before the program quits
	changeEvery time.Duration // a session's screens reload at most this often under a burst of changes
	frameEvery  time.Duration // and redraw at most this often but for the agent's own input

	mu       sync.Mutex
	ln       net.Listener
	closing  bool
	sessions map[ssh.Session]*session
	perAgent map[string]int
	wg       sync.WaitGroup // admitted sessions
}

// session is one agent's SSH session.
type session struct {
	agent string
	from  string
	last  atomic.Int64 // unix nanoseconds of the last key press, click or paste
	done  chan struct{}

	mu      sync.Mutex
	program *tea.Program
	ended   endReason
	unsub   func()
}

// endReason is why the server ended a session ("" when the agent quit).
type endReason string

const (
	endShutdown endReason = "shutdown"
	endIdle     endReason = "idle"
)

// NewSSHServer prepares the server: loads (or generates, once) the host key
// and sets up public-key authentication against the agents' stored keys.
func NewSSHServer(a *app.App, cfg SSHConfig) (*SSHServer, error) {
	if cfg.IdleTimeout <= 0 || cfg.MaxSessions < 1 || cfg.MaxPerAgent < 1 {
		return nil, errors.New("ssh: idle timeout and session caps must be positive")
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	signer, err := loadHostKey(cfg.HostKeyPath)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &SSHServer{a: a, cfg: cfg, ctx: ctx, cancel: cancel, noticeFor: time.Second, changeEvery: 500 * time.Millisecond, frameEvery: 400 * time.Millisecond,
		sessions: map[ssh.Session]*session{}, perAgent: map[string]int{}, hostKey: fingerprint(signer.PublicKey())}
	s.srv, err = wish.NewServer(
		wish.WithAddress(cfg.Addr),
		func(srv *ssh.Server) error { srv.AddHostKey(signer); return nil },
		wish.WithVersion("cxinbox"),
		// Public keys only: with no password or keyboard-interactive
		// handler, those methods are refused outright.
		wish.WithPublicKeyAuth(s.knownKey),
		// A connection that never gets as far as a session, or goes silent
		// both ways, does not linger. (Sessions have their own idle rule:
		// the live screen keeps the connection busy, so only the agent's
		// input counts there.)
		func(srv *ssh.Server) error {
			srv.HandshakeTimeout = 30 * time.Second
			srv.IdleTimeout = 2 * cfg.IdleTimeout // after the session rule, never before
			return nil
		},
		wish.WithMiddleware(
			bm.MiddlewareWithProgramHandler(s.newProgram), // runs last: the program
			s.guard, // runs first: who, what, how many
		),
	)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("ssh: %w", err)
	}
	return s, nil
}

// HostKeyFingerprint is the host key's SHA256 fingerprint, for agents to
// check on first connect.
func (s *SSHServer) HostKeyFingerprint() string { return s.hostKey }

// ListenAndServe listens on cfg.Addr and serves until Shutdown.
func (s *SSHServer) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ln)
}

// Serve serves on ln until Shutdown; it returns nil after a Shutdown.
func (s *SSHServer) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.ln = ln
	s.mu.Unlock()
	err := s.srv.Serve(ln)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		return nil
	}
	return err
}

// Shutdown stops taking connections, tells every connected agent the server
// is shutting down and ends their sessions, waits for writes in flight to
// commit, and returns when done or ctx ends (then it cuts what is left).
func (s *SSHServer) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	open := make([]*session, 0, len(s.sessions))
	for _, st := range s.sessions {
		open = append(open, st)
	}
	s.mu.Unlock()

	// Close the listeners now; the server's own wait for connections runs
	// beside ours and is cut by Close below.
	stopped := make(chan error, 1)
	go func() { stopped <- s.srv.Shutdown(ctx) }()

	for _, st := range open {
		s.end(st, endShutdown)
	}
	waited := make(chan struct{})
	go func() { s.wg.Wait(); close(waited) }()
	var err error
	select {
	case <-waited:
	case <-ctx.Done():
		err = fmt.Errorf("ssh: sessions still open at shutdown: %w", ctx.Err())
	}
	// Every program has ended, but a write its last key press started may
	// still be running: one empty write transaction queues behind it on the
	// single writer connection, so when it returns, those have committed.
	s.a.Store().Write(ctx, func(*storage.Tx) error { return errBarrier })
	s.cancel()
	s.srv.Close()
	select {
	case <-stopped:
	case <-time.After(time.Second):
	}
	return err
}

var errBarrier = errors.New("barrier: nothing to write")

// knownKey is the authentication handler: a key some agent registered.
func (s *SSHServer) knownKey(ctx ssh.Context, key ssh.PublicKey) bool {
	_, ok, err := s.a.AgentByKey(ctx, key)
	if err != nil {
		s.logf("ssh: key check for %s failed: %v", ctx.RemoteAddr(), err)
	}
	return err == nil && ok
}

// guard runs before any UI: it maps the key the connection finally
// authenticated with (not merely one it offered) to the agent, refuses what
// the inbox cannot serve, and enforces the session caps.
func (s *SSHServer) guard(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ag, ok, err := s.a.AgentByKey(sess.Context(), sess.PublicKey())
		switch {
		case err != nil:
			s.refuse(sess, "", "cannot check your key just now; try again")
			return
		case !ok:
			s.refuse(sess, "", "this key belongs to no agent (an admin adds it: cxinbox agents add NAME --ssh-key ...)")
			return
		case sess.RawCommand() != "" || sess.Subsystem() != "":
			s.refuse(sess, ag.Name, "this server runs the inbox only: connect without a command (ssh -p PORT HOST)")
			return
		}
		if _, _, isPty := sess.Pty(); !isPty {
			s.refuse(sess, ag.Name, "the inbox needs a terminal: connect with ssh -t")
			return
		}
		st, err := s.admit(sess, ag.Name)
		if err != nil {
			s.refuse(sess, ag.Name, err.Error())
			return
		}
		defer s.leave(sess, st)
		go s.watchIdle(st)
		next(sess)
		if bye := s.bye(st); bye != "" {
			fmt.Fprint(sess, bye+"\r\n")
		}
		// The exit status goes out before the session counts as gone, so
		// Shutdown never cuts a connection ahead of it.
		sess.Exit(0)
	}
}

// refuse ends a session before any UI with one clear line.
func (s *SSHServer) refuse(sess ssh.Session, agent, why string) {
	who := agent
	if who == "" {
		who = "unknown key"
	}
	s.logf("ssh: refused %s from %s: %s", who, sess.RemoteAddr(), why)
	wish.Fatalln(sess, "cxinbox: "+why)
}

// admit counts the session in, within the caps.
func (s *SSHServer) admit(sess ssh.Session, agent string) (*session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return nil, errors.New("the server is shutting down; try again when it is back")
	case len(s.sessions) >= s.cfg.MaxSessions:
		return nil, fmt.Errorf("the server has its most sessions open (%d); try again later", s.cfg.MaxSessions)
	case s.perAgent[agent] >= s.cfg.MaxPerAgent:
		return nil, fmt.Errorf("agent %s already has %s open, the most allowed; close one and try again", agent, sessionsN(s.perAgent[agent]))
	}
	st := &session{agent: agent, from: sess.RemoteAddr().String(), done: make(chan struct{})}
	st.last.Store(time.Now().UnixNano())
	s.sessions[sess] = st
	s.perAgent[agent]++
	s.wg.Add(1)
	s.logf("ssh: %s connected from %s (%s open)", agent, st.from, sessionsN(len(s.sessions)))
	return st, nil
}

// leave counts the session out and ends its subscription.
func (s *SSHServer) leave(sess ssh.Session, st *session) {
	close(st.done)
	st.mu.Lock()
	unsub, why := st.unsub, st.ended
	st.mu.Unlock()
	if unsub != nil {
		unsub()
	}
	s.mu.Lock()
	delete(s.sessions, sess)
	if s.perAgent[st.agent]--; s.perAgent[st.agent] <= 0 {
		delete(s.perAgent, st.agent)
	}
	n := len(s.sessions)
	s.mu.Unlock()
	if why == "" {
		why = "quit"
	}
	s.logf("ssh: %s from %s left (%s; %s open)", st.agent, st.from, why, sessionsN(n))
	s.wg.Done()
}

// newProgram builds the session's program: the inbox as the session's agent,
// on its own subscription, sized and coloured for the client's terminal.
func (s *SSHServer) newProgram(sess ssh.Session) *tea.Program {
	s.mu.Lock()
	st := s.sessions[sess]
	s.mu.Unlock()
	if st == nil {
		return nil
	}
	changes, unsub := s.a.Subscribe()
	m := newFramed(ui.New(s.ctx, s.a, st.agent, throttle(changes, s.changeEvery)), s.frameEvery, "cxinbox · "+st.agent)
	// MakeOptions: the session's input and output, its window size and the
	// colour profile its TERM (and NO_COLOR, COLORTERM…) call for. No
	// signal handler: a SIGTERM to the server is Shutdown's to handle, not
	// every session's to quit on.
	opts := append(bm.MakeOptions(sess), tea.WithoutSignalHandler(), tea.WithFilter(st.filter))
	p := tea.NewProgram(m, opts...)
	st.mu.Lock()
	st.program, st.unsub = p, unsub
	ended := st.ended
	st.mu.Unlock()
	if ended != "" { // ended before it started (a Shutdown just now)
		go p.Quit()
	}
	return p
}

// filter watches the session's input for the idle rule. (It replaces
// MakeOptions' filter, so it keeps that one's job: no suspending over SSH.)
func (st *session) filter(_ tea.Model, msg tea.Msg) tea.Msg {
	switch msg.(type) {
	case tea.KeyMsg, tea.MouseMsg, tea.PasteMsg:
		st.last.Store(time.Now().UnixNano())
	case tea.SuspendMsg:
		return tea.ResumeMsg{}
	}
	return msg
}

// watchIdle ends the session after IdleTimeout without input.
func (s *SSHServer) watchIdle(st *session) {
	every := min(max(s.cfg.IdleTimeout/10, 10*time.Millisecond), time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-st.done:
			return
		case <-t.C:
			if time.Since(time.Unix(0, st.last.Load())) >= s.cfg.IdleTimeout {
				s.end(st, endIdle)
				return
			}
		}
	}
}

// end makes the server end a session: the program shows why for a moment,
// then quits.
func (s *SSHServer) end(st *session, why endReason) {
	st.mu.Lock()
	if st.ended != "" {
		st.mu.Unlock()
		return
	}
	st.ended = why
	p := st.program
	st.mu.Unlock()
	if p == nil {
		return // newProgram sees ended and quits at once
	}
	notice := "The server is shutting down: your work is saved. Bye."
	if why == endIdle {
		notice = fmt.Sprintf("No key pressed for %s: ending this session.", shortDuration(s.cfg.IdleTimeout))
	}
	wait := s.noticeFor
	go func() {
		p.Send(ui.Notice(notice))
		select {
		case <-time.After(wait):
		case <-st.done:
		}
		p.Quit()
	}()
}

// bye is the line printed in the agent's terminal after the program ended,
// when the server ended it.
func (s *SSHServer) bye(st *session) string {
	st.mu.Lock()
	why := st.ended
	st.mu.Unlock()
	switch why {
	case endShutdown:
		return "cxinbox: the server is shutting down; your work is saved. Reconnect when it is back."
	case endIdle:
		return fmt.Sprintf("cxinbox: session ended after %s without a key press.", shortDuration(s.cfg.IdleTimeout))
	}
	return ""
}

func (s *SSHServer) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, "cxinbox: "+format+"\n", args...)
}

func sessionsN(n int) string {
	if n == 1 {
		return "1 session"
	}
	return fmt.Sprintf("%d sessions", n)
}

// shortDuration prints 30m rather than 30m0s.
func shortDuration(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
