package model

import (
	"fmt"
	"strings"
	"time"
)

// StartedBy says who opened a web chat: the visitor, a workflow, or an agent's
// invitation. Only a visitor can have filled in the pre-chat form.
type StartedBy string

const (
	StartedByVisitor  StartedBy = "visitor"
	StartedByWorkflow StartedBy = "workflow"
	StartedByAgent    StartedBy = "agent"
)

// Prechat is what a web-chat visitor typed into the pre-chat form.
type Prechat struct {
	Name    string            `json:"name,omitempty"`
	Email   string            `json:"email,omitempty"`
	Phone   string            `json:"phone,omitempty"`
	Company string            `json:"company,omitempty"`
	Extra   map[string]string `json:"extra,omitempty"`
}

// Inbound is one customer message, parsed out of whatever its provider sent
// and reduced to what the rules need. Sender is already a normalised identity.
type Inbound struct {
	Sender     Identity
	SenderName string // display name the provider gave, if any
	MessageID  string // the provider's id: the idempotency key
	Text       string
	Subject    string    // email only
	InReplyTo  []string  // email: Message-IDs this one answers (In-Reply-To, then References)
	SentAt     time.Time // provider timestamp (UTC)

	// Web chat only.
	StartedBy StartedBy
	Prechat   *Prechat
	Country   string
	Timezone  string
	Language  string
}

// Validate checks the invariants every parser must deliver.
func (m *Inbound) Validate() error {
	if m.Sender.Channel == "" {
		return fmt.Errorf("inbound message has no channel")
	}
	if _, err := ParseChannel(string(m.Sender.Channel)); err != nil {
		return err
	}
	v, err := NormalizeIdentity(m.Sender.Channel, m.Sender.Value)
	if err != nil {
		return fmt.Errorf("sender: %w", err)
	}
	if v != m.Sender.Value {
		return fmt.Errorf("sender %q is not normalised (want %q)", m.Sender.Value, v)
	}
	if strings.TrimSpace(m.MessageID) == "" {
		return fmt.Errorf("inbound %s message has no message id", m.Sender.Channel)
	}
	if m.SentAt.IsZero() {
		return fmt.Errorf("inbound %s message %s has no timestamp", m.Sender.Channel, m.MessageID)
	}
	return nil
}

// Key is the message's idempotency key, unique across channels.
func (m *Inbound) Key() string { return string(m.Sender.Channel) + ":" + m.MessageID }
