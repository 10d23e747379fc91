package main

// End-to-end tests of `contacts duplicates` and `contacts not-duplicate`.

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestCLIDuplicates(t *testing.T) {
	r := newRunner(t)
	db, sum := r.ingested()
	var pairs []map[string]json.RawMessage
	r.runJSON(&pairs, "--db", db, "contacts", "duplicates", "--json")
	if len(pairs) == 0 || sum.PotentialDuplicates == 0 {
		t.Fatalf("the fixture holds potential duplicates (%+v), the list is empty", sum)
	}
	keys := map[string]kind{"a": kInt, "b": kInt, "score": kNumber, "reasons": kArray}
	var prev float64 = 2
	for i, raw := range pairs {
		b, _ := json.Marshal(raw)
		obj := checkObject(t, "duplicates["+strconv.Itoa(i)+"]", b, keys, nil)
		var score float64
		json.Unmarshal(obj["score"], &score)
		if score > prev || score < 0.8 || score > 1 {
			t.Fatalf("pair %d score %v after %v: want best first, within [0.8, 1]", i, score, prev)
		}
		prev = score
	}

	// Dismiss the best pair: it leaves the list, for good, rescan included.
	var a, b int64
	json.Unmarshal(pairs[0]["a"], &a)
	json.Unmarshal(pairs[0]["b"], &b)
	res := r.run("--db", db, "contacts", "not-duplicate", strconv.FormatInt(b, 10), strconv.FormatInt(a, 10))
	if !strings.Contains(res.stderr, "different people") {
		t.Fatalf("not-duplicate said %q", res.stderr)
	}
	var after []map[string]json.RawMessage
	r.runJSON(&after, "--db", db, "contacts", "duplicates", "--rescan", "--json")
	if len(after) != len(pairs)-1 {
		t.Fatalf("%d pairs after dismissing one of %d", len(after), len(pairs))
	}
	for _, p := range after {
		if string(p["a"]) == strconv.FormatInt(a, 10) && string(p["b"]) == strconv.FormatInt(b, 10) {
			t.Fatal("the dismissed pair came back after a rescan")
		}
	}

	// Bad input: a clear message, a non-zero exit.
	for _, args := range [][]string{
		{"contacts", "not-duplicate", "1", "1"},
		{"contacts", "not-duplicate", "1", "999999"},
		{"contacts", "not-duplicate", "x", "2"},
		{"contacts", "duplicates", "--limit", "-1"},
		{"contacts", "list", "--limit=-1"},
		{"tickets", "list", "--limit=-1"},
		{"contacts", "merge", strconv.FormatInt(a, 10), strconv.FormatInt(b, 10), "--field", "name=keep", "--field", "name=other"},
	} {
		res := r.fail(append([]string{"--db", db}, args...)...)
		if res.stderr == "" {
			t.Fatalf("%v: no message", args)
		}
	}
	text := r.run("--db", db, "contacts", "duplicates", "--limit", "3").stdout
	if lines := strings.Split(strings.TrimSpace(text), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], "SCORE") {
		t.Fatalf("text table:\n%s", text)
	}
}
