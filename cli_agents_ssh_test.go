package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

var agentSSHKeyKeys = map[string]kind{"agent": kString, "fingerprint": kString, "type": kString, "created_at": kTime}

func newPublicKey(t *testing.T, comment string) (line, fp string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k))) + " " + comment, gossh.FingerprintSHA256(k)
}

func TestCLIAgentsSSHKeys(t *testing.T) {
	r := newRunner(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "cx.db")
	k1, fp1 := newPublicKey(t, "ann@laptop")
	k2, fp2 := newPublicKey(t, "ann@desktop")
	k3, fp3 := newPublicKey(t, "bob@home")

	res := r.run("--db", db, "agents", "add", "ann", "--ssh-key", k1)
	if !strings.Contains(res.stderr, "agent ann registered") || !strings.Contains(res.stderr, "ssh key "+fp1+" (ssh-ed25519) added to agent ann") {
		t.Fatalf("add ann with a key: %s", res)
	}
	// A key file (a .pub, or authorized_keys with comments and blank lines)
	// adds to an existing agent.
	file := filepath.Join(dir, "keys")
	os.WriteFile(file, []byte("# ann's desktop\n\n"+k2+"\n"), 0o644)
	if res := r.run("--db", db, "agents", "add", "ann", "--ssh-key-file", file); !strings.Contains(res.stderr, fp2) || strings.Contains(res.stderr, "registered") {
		t.Fatalf("second key from a file: %s", res)
	}
	r.run("--db", db, "agents", "add", "bob", "--ssh-key", k3, "--admin")

	// Refusals name the problem and change nothing.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"agents", "add", "carol", "--ssh-key", k1}, "already belongs to agent ann"},
		{[]string{"agents", "add", "carol", "--ssh-key", "ssh-ed25519 AAAAnope"}, "not an SSH public key"},
		{[]string{"agents", "add", "carol", "--ssh-key-file", filepath.Join(dir, "missing.pub")}, "--ssh-key-file"},
	} {
		if res := r.fail(append([]string{"--db", db}, tc.args...)...); !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: %s", tc.args, res)
		}
	}

	// The list shows fingerprints, never the keys.
	res = r.run("--db", db, "agents", "list")
	for _, want := range []string{"SSH KEYS", fp1 + " " + fp2, fp3} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("agents list lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "carol") || strings.Contains(res.stdout, "AAAA") {
		t.Errorf("agents list:\n%s", res.stdout)
	}
	res = r.run("--db", db, "agents", "list", "--json")
	if strings.Contains(res.stdout, "AAAA") {
		t.Errorf("agents list --json holds a whole key:\n%s", res.stdout)
	}
	raws := checkArray(t, "agents list --json", []byte(res.stdout))
	if len(raws) != 2 {
		t.Fatalf("agents: %s", res.stdout)
	}
	for i, raw := range raws {
		obj := checkObject(t, fmt.Sprintf("agents[%d]", i), raw, agentKeys, nil)
		keys := checkArray(t, fmt.Sprintf("agents[%d].ssh_keys", i), obj["ssh_keys"])
		if want := []int{2, 1}[i]; len(keys) != want {
			t.Errorf("agents[%d] has %d keys, want %d", i, len(keys), want)
		}
		for j, k := range keys {
			checkObject(t, fmt.Sprintf("agents[%d].ssh_keys[%d]", i, j), k, agentSSHKeyKeys, map[string]kind{"comment": kString})
		}
	}
}
