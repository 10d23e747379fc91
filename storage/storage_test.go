package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"cxinbox/model"
)

// open opens a fresh store in the test's temp folder, closed at cleanup.
func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "cx.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// migrationCount is the number of migration files shipped.
func migrationCount(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found: %v", err)
	}
	return len(files)
}

// addContact creates a contact in its own write and returns its id.
func addContact(t *testing.T, s *Store, name string) int64 {
	t.Helper()
	c := model.Contact{Name: name}
	if err := s.Write(context.Background(), func(tx *Tx) error { return tx.CreateContact(&c) }); err != nil {
		t.Fatalf("create contact %q: %v", name, err)
	}
	return c.ID
}

// rowCount counts a table's rows through the read pool.
func rowCount(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestOpenAppliesMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "cx.db") // the folder is created too
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := migrationCount(t)
	if v, err := s.Version(); err != nil || v != want {
		t.Fatalf("Version() = %d, %v; want %d (one per migration file)", v, err, want)
	}
	if s.Path() != path {
		t.Fatalf("Path() = %q, want %q", s.Path(), path)
	}
	if got, err := s.IntegrityCheck(); err != nil || got != "ok" {
		t.Fatalf("IntegrityCheck() = %q, %v; want ok", got, err)
	}
	id := addContact(t, s, "Ann")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Reopening applies nothing and keeps the data.
	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if v, err := s.Version(); err != nil || v != want {
		t.Fatalf("Version() after reopen = %d, %v; want %d", v, err, want)
	}
	c, err := s.Contact(ctx, id)
	if err != nil || c.Name != "Ann" || c.LeadStage != model.StageLead {
		t.Fatalf("contact after reopen = %+v, %v", c, err)
	}
	if n, _ := s.CountContacts(ctx); n != 1 {
		t.Fatalf("%d contacts after reopen, want 1", n)
	}
	if got, err := s.IntegrityCheck(); err != nil || got != "ok" {
		t.Fatalf("IntegrityCheck() after reopen = %q, %v", got, err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cx.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	known := migrationCount(t)
	newer := known + 3
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, newer)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err = Open(path)
	if err == nil {
		s.Close()
		t.Fatalf("Open of a schema-%d database succeeded; this build knows %d", newer, known)
	}
	msg := err.Error()
	for _, want := range []string{"version " + strconv.Itoa(newer), "(" + strconv.Itoa(known) + ")", path} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}

	// The refusal changed nothing.
	db, err = sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != newer {
		t.Fatalf("user_version after refused Open = %d, %v; want %d", v, err, newer)
	}
}

func TestOpenEmptyPath(t *testing.T) {
	if _, err := Open(""); err == nil || !strings.Contains(err.Error(), "path is empty") {
		t.Fatalf("Open(\"\") = %v, want an error saying the path is empty", err)
	}
}

func TestForeignKeysEnforced(t *testing.T) {
	s := open(t)
	id := model.Identity{Channel: model.Email, Value: "ghost@x.com"}
	err := s.Write(context.Background(), func(tx *Tx) error { return tx.AddIdentity(424242, id) })
	if err == nil {
		t.Fatal("AddIdentity for a missing contact succeeded; foreign keys are off")
	}
	if !strings.Contains(err.Error(), "email:ghost@x.com") || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Fatalf("error %q should name the identity and the foreign key", err)
	}
	if n := rowCount(t, s, "identities"); n != 0 {
		t.Fatalf("%d identities stored after the failed write", n)
	}
	// A ticket for a missing contact is refused as well.
	err = s.Write(context.Background(), func(tx *Tx) error {
		return tx.CreateTicket(&model.Ticket{ContactID: 424242, Channel: model.Email})
	})
	if err == nil || !strings.Contains(err.Error(), "create ticket") {
		t.Fatalf("CreateTicket for a missing contact = %v, want a foreign key error", err)
	}
}

func TestIdentityUnique(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	a, b := addContact(t, s, "Ann"), addContact(t, s, "Bob")
	id := model.Identity{Channel: model.WhatsApp, Value: "+16315551181"}
	if err := s.Write(ctx, func(tx *Tx) error { return tx.AddIdentity(a, id) }); err != nil {
		t.Fatalf("first AddIdentity: %v", err)
	}
	err := s.Write(ctx, func(tx *Tx) error { return tx.AddIdentity(b, id) })
	if err == nil {
		t.Fatal("one identity was given to two contacts")
	}
	if !strings.Contains(err.Error(), "whatsapp:+16315551181") || !strings.Contains(err.Error(), "already belongs") {
		t.Fatalf("error %q should name the identity and say it is taken", err)
	}
	// Same value on another channel is a different identity.
	if err := s.Write(ctx, func(tx *Tx) error {
		return tx.AddIdentity(b, model.Identity{Channel: model.SMS, Value: id.Value})
	}); err != nil {
		t.Fatalf("the same number on SMS is another identity: %v", err)
	}
	var owner int64
	var ok bool
	if err := s.Write(ctx, func(tx *Tx) (err error) { owner, ok, err = tx.ContactByIdentity(id); return err }); err != nil || !ok || owner != a {
		t.Fatalf("ContactByIdentity = %d, %v, %v; want contact %d", owner, ok, err, a)
	}
	ca, _ := s.Contact(ctx, a)
	cb, _ := s.Contact(ctx, b)
	if len(ca.Identities) != 1 || ca.Identities[0] != id || len(cb.Identities) != 1 || cb.Identities[0].Channel != model.SMS {
		t.Fatalf("identities: Ann %v, Bob %v", ca.Identities, cb.Identities)
	}
}

func TestListTicketsKeysetPaging(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	cid := addContact(t, s, "Ann")
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 250
	trashed := map[int64]bool{}
	var all []model.Ticket
	if err := s.Write(ctx, func(tx *Tx) error {
		for i := range n + 10 {
			// Only 17 distinct times: most tickets tie with others on
			// last_message_at, and the ties cross page boundaries.
			at := base.Add(time.Duration((i*7)%17) * time.Minute)
			tk := model.Ticket{ContactID: cid, Channel: model.Email, CreatedAt: at, LastMessageAt: at}
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
			if i >= n { // ten in the trash: not on the live walk
				if ok, err := tx.SetTicketDeleted(tk.ID, true); err != nil || !ok {
					return fmt.Errorf("trash %d: %v %v", tk.ID, ok, err)
				}
				trashed[tk.ID] = true
				continue
			}
			all = append(all, tk)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(all, func(a, b model.Ticket) int {
		if c := b.LastMessageAt.Compare(a.LastMessageAt); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})

	walk := func(q TicketQuery) []model.Ticket {
		var got []model.Ticket
		for page := 0; ; page++ {
			if page > 100 {
				t.Fatal("paging does not end")
			}
			rows, err := s.ListTickets(ctx, q)
			if err != nil {
				t.Fatalf("ListTickets page %d: %v", page, err)
			}
			if len(rows) > q.Limit {
				t.Fatalf("page %d has %d rows, limit %d", page, len(rows), q.Limit)
			}
			got = append(got, rows...)
			if len(rows) < q.Limit {
				return got
			}
			c := CursorOf(rows[len(rows)-1])
			q.After = &c
		}
	}

	got := walk(TicketQuery{Limit: 7})
	if len(got) != n {
		t.Fatalf("walked %d tickets, want %d", len(got), n)
	}
	seen := map[int64]bool{}
	for i, tk := range got {
		if seen[tk.ID] {
			t.Fatalf("ticket %d seen twice", tk.ID)
		}
		seen[tk.ID] = true
		if trashed[tk.ID] {
			t.Fatalf("trashed ticket %d on the live list", tk.ID)
		}
		if tk.ID != all[i].ID || !tk.LastMessageAt.Equal(all[i].LastMessageAt) {
			t.Fatalf("position %d: ticket %d at %v, want ticket %d at %v (last_message_at desc, id desc)",
				i, tk.ID, tk.LastMessageAt, all[i].ID, all[i].LastMessageAt)
		}
		if tk.ContactName != "Ann" || tk.Status != model.StatusOpen {
			t.Fatalf("ticket %d: contact %q status %q", tk.ID, tk.ContactName, tk.Status)
		}
	}

	// The trash pages the same way and holds exactly the trashed tickets.
	tr := walk(TicketQuery{Limit: 3, Trash: true})
	if len(tr) != len(trashed) {
		t.Fatalf("trash holds %d tickets, want %d", len(tr), len(trashed))
	}
	for _, tk := range tr {
		if !trashed[tk.ID] || !tk.Deleted {
			t.Fatalf("ticket %d in the trash walk (deleted=%v)", tk.ID, tk.Deleted)
		}
	}
}

func TestEscapeLike(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain text unchanged", "ann", "ann"},
		{"percent escaped", "100%", `100\%`},
		{"underscore escaped", "a_b", `a\_b`},
		{"escape character escaped first", `a\b`, `a\\b`},
		{"all together", `\%_`, `\\\%\_`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := EscapeLike(c.in); got != c.want {
				t.Fatalf("EscapeLike(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestListContactsSearch(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	ids := map[string]int64{}
	for _, name := range []string{"ÖDÖN Kovács", "ödön Nagy", "Odon Plain", "100% Cotton", "100 Cotton",
		"snake_case", "snakeXcase", `back\slash`, "backslash"} {
		ids[name] = addContact(t, s, name)
	}
	if err := s.Write(ctx, func(tx *Tx) error {
		return tx.AddIdentity(ids["Odon Plain"], model.Identity{Channel: model.Telegram, Value: "777"})
	}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, search string
		want         []string
	}{
		{"Unicode case folded", "ödön", []string{"ÖDÖN Kovács", "ödön Nagy"}},
		{"search in upper case", "ÖDÖN", []string{"ÖDÖN Kovács", "ödön Nagy"}},
		{"percent is literal", "%", []string{"100% Cotton"}},
		{"percent inside a word is literal", "0% c", []string{"100% Cotton"}},
		{"underscore is literal", "_", []string{"snake_case"}},
		{"underscore does not match any character", "e_c", []string{"snake_case"}},
		{"backslash is literal", `\`, []string{`back\slash`}},
		{"substring in the middle", "cotton", []string{"100% Cotton", "100 Cotton"}},
		{"exact identity value", "777", []string{"Odon Plain"}},
		{"no match", "zzz", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := s.ListContacts(ctx, ContactPage{Search: c.search})
			if err != nil {
				t.Fatalf("ListContacts(%q): %v", c.search, err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Name)
			}
			want := slices.Clone(c.want)
			slices.SortFunc(want, func(a, b string) int { return int(ids[a] - ids[b]) })
			if !slices.Equal(got, want) {
				t.Fatalf("search %q found %q, want %q", c.search, got, want)
			}
		})
	}

	// Keyset pages of contacts walk every contact once, in id order.
	var walked []int64
	for after := int64(0); ; {
		rows, err := s.ListContacts(ctx, ContactPage{After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			walked = append(walked, r.ID)
		}
		after = rows[len(rows)-1].ID
	}
	if len(walked) != len(ids) || !slices.IsSorted(walked) {
		t.Fatalf("contact walk = %v, want %d ids in order", walked, len(ids))
	}
}

func TestWriteRollsBackOnError(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seq0, err := s.ChangeSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	var c model.Contact
	err = s.Write(ctx, func(tx *Tx) error {
		c = model.Contact{Name: "Ann"}
		if err := tx.CreateContact(&c); err != nil {
			return err
		}
		if err := tx.AddIdentity(c.ID, model.Identity{Channel: model.Email, Value: "ann@x.com"}); err != nil {
			return err
		}
		if err := tx.Activity(model.Activity{ContactID: c.ID, Kind: model.ActContactCreated}); err != nil {
			return err
		}
		tk := model.Ticket{ContactID: c.ID, Channel: model.Email}
		if err := tx.CreateTicket(&tk); err != nil {
			return err
		}
		if _, err := tx.AddNote(c.ID, "agent", "note"); err != nil {
			return err
		}
		if err := tx.SetSetting("k", "v"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write returned %v, want fn's error", err)
	}
	if c.ID == 0 {
		t.Fatal("the contact was never created inside the transaction")
	}
	for _, table := range []string{"contacts", "identities", "activity", "tickets", "notes"} {
		if n := rowCount(t, s, table); n != 0 {
			t.Errorf("%d rows left in %s after a rolled-back write", n, table)
		}
	}
	if v, _ := s.Setting(ctx, "k"); v != "" {
		t.Errorf("setting k = %q after rollback", v)
	}
	if acts, err := s.ActivityOf(ctx, c.ID, 0, 0); err != nil || len(acts) != 0 {
		t.Errorf("activity after rollback = %v, %v", acts, err)
	}
	if seq, _ := s.ChangeSeq(ctx); seq != seq0 {
		t.Errorf("ChangeSeq moved from %d to %d on a rolled-back write", seq0, seq)
	}

	// A panic rolls back too, and the writer is free afterwards.
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Write swallowed fn's panic")
			}
		}()
		s.Write(ctx, func(tx *Tx) error {
			c := model.Contact{Name: "Panic"}
			tx.CreateContact(&c)
			panic("fn panicked")
		})
	}()
	if n := rowCount(t, s, "contacts"); n != 0 {
		t.Errorf("%d contacts after a panicking write", n)
	}
	addContact(t, s, "After") // the writer connection was released
	if n := rowCount(t, s, "contacts"); n != 1 {
		t.Errorf("%d contacts after a good write, want 1", n)
	}
}

func TestChangeSeqIncreases(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	prev, err := s.ChangeSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := s.Write(ctx, func(tx *Tx) error { return tx.SetSetting("n", strconv.Itoa(i)) }); err != nil {
			t.Fatal(err)
		}
		seq, err := s.ChangeSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if seq <= prev {
			t.Fatalf("write %d: ChangeSeq %d, not above %d", i, seq, prev)
		}
		if s.LocalSeq() != seq {
			t.Fatalf("write %d: LocalSeq %d, ChangeSeq %d", i, s.LocalSeq(), seq)
		}
		prev = seq
	}
	// An empty write is still a write.
	if err := s.Write(ctx, func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if seq, _ := s.ChangeSeq(ctx); seq <= prev {
		t.Fatalf("ChangeSeq %d after an empty write, not above %d", seq, prev)
	}
}
