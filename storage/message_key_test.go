package storage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"cxinbox/model"
)

// Two keys may share a hash: a lookup answers only for the key itself, so a
// new message whose hash collides with a stored one is not taken for it.
func TestMessageKeyHashCollision(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	const stored, fresh = "sms:SM-stored", "sms:SM-fresh"
	err := s.Write(ctx, func(tx *Tx) error {
		tk, err := smsTicket(tx)
		if err != nil {
			return err
		}
		if err := tx.AddMessage(&model.Message{TicketID: tk, Direction: model.In, Body: "hi", ExternalID: stored, SentAt: time.Now()}); err != nil {
			return err
		}
		// Forge the collision: the stored row carries the fresh key's hash.
		_, err = tx.exec(`UPDATE messages SET external_hash = ? WHERE external_id = ?`, keyHash(fresh), stored)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Write(ctx, func(tx *Tx) error {
		got, err := tx.ExistingMessages([]string{fresh})
		if err != nil {
			return err
		}
		if got[fresh] {
			t.Errorf("ExistingMessages(%q) = stored; only its hash is (held by %q)", fresh, stored)
		}
		refs, err := tx.TicketsByMessage([]string{fresh})
		if err != nil {
			return err
		}
		if len(refs) != 0 {
			t.Errorf("TicketsByMessage(%q) = %v, want none", fresh, refs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Re-adding a stored key is refused by name, though the index is not unique.
func TestAddMessageRefusesStoredKey(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	err := s.Write(ctx, func(tx *Tx) error {
		tk, err := smsTicket(tx)
		if err != nil {
			return err
		}
		m := model.Message{TicketID: tk, Direction: model.In, Body: "hi", ExternalID: "sms:SM1", SentAt: time.Now()}
		if err := tx.AddMessage(&m); err != nil {
			return err
		}
		again := m
		if err := tx.AddMessage(&again); err == nil || err.Error() != "message sms:SM1 is already stored" {
			t.Errorf("second AddMessage = %v, want 'message sms:SM1 is already stored'", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A database from before migration 0007 gets every stored key hashed, so
// re-deliveries of old messages are still recognised.
func TestMigrationHashesStoredKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open(driverName, "file:"+path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 6; i++ {
		names, _ := filepath.Glob(filepath.Join("migrations", fmt.Sprintf("%04d_*.sql", i)))
		if len(names) != 1 {
			t.Fatalf("migration %d: %v", i, names)
		}
		body, err := migrationFiles.ReadFile("migrations/" + filepath.Base(names[0]))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", names[0], err)
		}
	}
	for _, q := range []string{
		`PRAGMA user_version = 6`,
		`INSERT INTO contacts(id, name, name_fold, created_at, updated_at) VALUES (1, 'Ann', 'ann', 0, 0)`,
		`INSERT INTO tickets(id, contact_id, channel, identity, status, created_at, last_message_at) VALUES (1, 1, 'sms', '+4915112345678', 'open', 0, 0)`,
		`INSERT INTO messages(ticket_id, direction, body, external_id, sent_at) VALUES (1, 'in', 'hi', 'sms:SM-old', 0), (1, 'out', 'hello', NULL, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var hashed, unhashed int
	s.r.QueryRow(`SELECT COUNT(*) FILTER (WHERE external_hash = ?), COUNT(*) FILTER (WHERE external_hash IS NULL) FROM messages`, keyHash("sms:SM-old")).Scan(&hashed, &unhashed)
	if hashed != 1 || unhashed != 1 {
		t.Fatalf("after migration: %d rows with the key's hash, %d without; want 1 and 1 (the outbound one)", hashed, unhashed)
	}
	err = s.Write(context.Background(), func(tx *Tx) error {
		got, err := tx.ExistingMessages([]string{"sms:SM-old"})
		if err == nil && !got["sms:SM-old"] {
			t.Error("a message stored before the migration is not found by its key")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// smsTicket creates a contact with an open SMS ticket and returns the ticket.
func smsTicket(tx *Tx) (int64, error) {
	c := &model.Contact{Name: "Ann", LeadStage: model.StageLead}
	if err := tx.CreateContact(c); err != nil {
		return 0, err
	}
	tk := &model.Ticket{ContactID: c.ID, Channel: model.SMS, Status: model.StatusOpen, CreatedAt: time.Now(), LastMessageAt: time.Now()}
	err := tx.CreateTicket(tk)
	return tk.ID, err
}
