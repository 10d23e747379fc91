package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"strings"
	"sync"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"cxinbox/model"
)

func sshKey(t *testing.T) (gossh.PublicKey, string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k, strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k))) + " ann@laptop"
}

func TestAgentKeys(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	k1, line1 := sshKey(t)
	k2, line2 := sshKey(t)

	created, added, err := a.AddAgentKeys(ctx, " ann ", false, []string{line1})
	if err != nil || !created || len(added) != 1 {
		t.Fatalf("add ann with a key: %v %v %+v", err, created, added)
	}
	if added[0].Fingerprint != gossh.FingerprintSHA256(k1) || added[0].Type != "ssh-ed25519" || added[0].Comment != "ann@laptop" || added[0].Agent != "ann" {
		t.Errorf("added key: %+v", added[0])
	}
	// A second key for the same agent; the first again changes nothing.
	created, added, err = a.AddAgentKeys(ctx, "ann", true, []string{line1, line2})
	if err != nil || created || len(added) != 1 || added[0].Fingerprint != gossh.FingerprintSHA256(k2) {
		t.Fatalf("second key: %v %v %+v", err, created, added)
	}
	ag, ok, err := a.AgentByKey(ctx, k2)
	if err != nil || !ok || ag.Name != "ann" || !ag.Admin {
		t.Fatalf("AgentByKey: %+v %v %v", ag, ok, err)
	}
	// A key belongs to one agent.
	if _, _, err := a.AddAgentKeys(ctx, "bob", false, []string{line1}); err == nil || !strings.Contains(err.Error(), "already belongs to agent ann") {
		t.Errorf("ann's key for bob: %v", err)
	}
	if ags, _ := a.Agents(ctx); len(ags) != 1 {
		t.Errorf("a refused key left agent bob behind: %+v", ags)
	}
	unknown, _ := sshKey(t)
	if _, ok, err := a.AgentByKey(ctx, unknown); ok || err != nil {
		t.Errorf("unknown key: %v %v", ok, err)
	}
	keys, err := a.AgentKeys(ctx)
	if err != nil || len(keys) != 2 {
		t.Fatalf("AgentKeys: %+v %v", keys, err)
	}
}

func TestAgentKeysRefuseBadInput(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	_, good := sshKey(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weak, err := gossh.NewPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, key, want string }{
		{"empty", " ", "ssh key is empty"},
		{"garbage", "ssh-ed25519 AAAAnot-base64", "not an SSH public key"},
		{"private key", "-----BEGIN OPENSSH PRIVATE KEY-----", "that is a private key"},
		{"options", `command="rm -rf /" ` + good, "authorized_keys options"},
		{"two keys", good + "\n" + good, "one ssh key per --ssh-key"},
		{"short rsa", strings.TrimSpace(string(gossh.MarshalAuthorizedKey(weak))), "RSA key of 1024 bits is too short"},
	} {
		_, _, err := a.AddAgentKeys(ctx, "ann", false, []string{tc.key})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, _, err := a.AddAgentKeys(ctx, "ann", false, nil); err == nil {
		t.Error("no key accepted")
	}
	if _, _, err := a.AddAgentKeys(ctx, "", false, []string{good}); err == nil {
		t.Error("empty agent name accepted")
	}
	// All or nothing: one bad key of two stores neither, nor the agent.
	if _, _, err := a.AddAgentKeys(ctx, "ann", false, []string{good, "nope"}); err == nil || !strings.HasPrefix(err.Error(), "ssh key 2: ") {
		t.Errorf("second key bad: %v", err)
	}
	if ags, _ := a.Agents(ctx); len(ags) != 0 {
		t.Errorf("refused input registered agents: %+v", ags)
	}
}

// Two agents (two SSH sessions) edit one contact at the same moment: each
// field ends with the last write, and the timeline records both agents'.
func TestConcurrentContactEditsKeepBothAgentsWrites(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	ingest(t, a, in(model.Email, "lee@example.com", "Lee", "hello"))
	cs, err := a.ListContacts(ctx, ContactPage{Limit: 1})
	if err != nil || len(cs) != 1 {
		t.Fatal(cs, err)
	}
	id := cs[0].ID
	const rounds = 20
	var wg sync.WaitGroup
	errs := make(chan error, 4*rounds)
	for _, agent := range []string{"ann", "bob"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				field := "company" // ann's own field; both agents write "plan"
				if agent == "bob" {
					field = "language"
				}
				value := fmt.Sprintf("%s-%d", agent, i)
				if field == "language" {
					value = []string{"de", "fr"}[i%2]
				}
				if err := a.SetField(ctx, agent, id, field, value); err != nil {
					errs <- err
				}
				if err := a.SetField(ctx, agent, id, "plan", fmt.Sprintf("%s-%d", agent, i)); err != nil {
					errs <- err
				}
				if err := a.AddNote(ctx, agent, id, fmt.Sprintf("note %d by %s", i, agent)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	d, err := a.ContactDetails(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// Different fields: neither agent's write is lost.
	if d.Company != fmt.Sprintf("ann-%d", rounds-1) || d.Language != "fr" {
		t.Errorf("fields after both agents: company %q, language %q", d.Company, d.Language)
	}
	// The same field: the last write wins, and every change is in the
	// timeline under its agent.
	last := ""
	byAgent := map[string]int{}
	for _, act := range d.Activity {
		if act.Kind == model.ActPropertyChanged && strings.HasPrefix(act.Detail, "plan:") {
			byAgent[act.Agent]++
			last = act.Detail // oldest first: the last one is the newest
		}
	}
	if !strings.HasSuffix(last, fmt.Sprintf("%q", d.Properties["plan"])) {
		t.Errorf("plan is %q but the newest timeline entry is %q", d.Properties["plan"], last)
	}
	if byAgent["ann"] == 0 || byAgent["bob"] == 0 {
		t.Errorf("timeline entries for plan by agent: %v", byAgent)
	}
	notes := map[string]int{}
	for _, n := range d.Notes {
		notes[n.Author]++
	}
	if notes["ann"] != rounds || notes["bob"] != rounds {
		t.Errorf("notes by agent: %v", notes)
	}
}

func TestAssignedBy(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	ingest(t, a, in(model.Email, "lee@example.com", "Lee", "hello"))
	tks, err := a.ListTickets(ctx, TicketQuery{})
	if err != nil || len(tks) != 1 {
		t.Fatal(tks, err)
	}
	id := tks[0].ID
	if by, err := a.AssignedBy(ctx, id); by != "" || err != nil {
		t.Errorf("never assigned: %q %v", by, err)
	}
	if err := a.Assign(ctx, "carol", id, "bob"); err != nil {
		t.Fatal(err)
	}
	if by, _ := a.AssignedBy(ctx, id); by != "carol" {
		t.Errorf("after carol's assign: %q", by)
	}
	if err := a.BatchAssign(ctx, "dave", []int64{id}, "erin"); err != nil {
		t.Fatal(err)
	}
	if by, _ := a.AssignedBy(ctx, id); by != "dave" {
		t.Errorf("after dave's batch assign: %q", by)
	}
}
