// Package model holds cxinbox's domain types and pure rules: channels and
// identities and their normalisation, contacts and their fields, generated
// visitor names. It does no I/O and imports nothing of ours.
package model

import (
	"fmt"
	"strings"
)

// Channel is one of the seven ways a customer writes in.
type Channel string

const (
	Email     Channel = "email"
	SMS       Channel = "sms"
	WhatsApp  Channel = "whatsapp"
	Facebook  Channel = "facebook"
	Instagram Channel = "instagram"
	Telegram  Channel = "telegram"
	WebChat   Channel = "webchat"
)

// Channels lists every channel in display order.
var Channels = []Channel{Email, SMS, WhatsApp, Facebook, Instagram, Telegram, WebChat}

// ParseChannel accepts a channel name in any case.
func ParseChannel(s string) (Channel, error) {
	c := Channel(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Channels {
		if c == k {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown channel %q (want one of email, sms, whatsapp, facebook, instagram, telegram, webchat)", s)
}

// IsInbox reports whether the channel is one of the spec's "Inbox channels",
// where the sender's identity alone decides the contact. Web chat has its own
// cookie rules.
func (c Channel) IsInbox() bool { return c != WebChat && c != "" }

// Label is the human name of the channel.
func (c Channel) Label() string {
	switch c {
	case Email:
		return "Email"
	case SMS:
		return "SMS"
	case WhatsApp:
		return "WhatsApp"
	case Facebook:
		return "Facebook"
	case Instagram:
		return "Instagram"
	case Telegram:
		return "Telegram"
	case WebChat:
		return "Web chat"
	}
	return string(c)
}
