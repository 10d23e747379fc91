package model

import (
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// Identity is one (channel, value) pair of a contact. Value is always in
// normalised form; two identities are the same customer iff they are equal.
type Identity struct {
	Channel Channel `json:"channel"`
	Value   string  `json:"value"`
}

func (i Identity) String() string { return string(i.Channel) + ":" + i.Value }

// NewIdentity normalises raw for the channel and returns the identity, or an
// error naming what is wrong with raw.
func NewIdentity(ch Channel, raw string) (Identity, error) {
	v, err := NormalizeIdentity(ch, raw)
	if err != nil {
		return Identity{}, err
	}
	return Identity{Channel: ch, Value: v}, nil
}

// NormalizeIdentity turns a raw sender id into the form identities are matched
// in. Facebook and Instagram values are page-scoped ("<page id>:<sender id>",
// see MetaIdentity) because Meta hands the same person a different id per page.
func NormalizeIdentity(ch Channel, raw string) (string, error) {
	switch ch {
	case Email:
		return NormalizeEmail(raw)
	case SMS, WhatsApp:
		return NormalizePhone(raw, "")
	case Facebook, Instagram:
		page, sender, ok := strings.Cut(strings.TrimSpace(raw), ":")
		if !ok {
			return "", fmt.Errorf("%s identity %q: want <page id>:<sender id>", ch, raw)
		}
		return MetaIdentity(page, sender)
	case Telegram:
		return NormalizeTelegramID(raw)
	case WebChat:
		return NormalizeVisitorID(raw)
	}
	return "", fmt.Errorf("unknown channel %q", ch)
}

// NormalizeEmail trims an address, drops a display name or mailto: prefix and
// lower-cases it. The domain is case-insensitive by RFC 5321; every mailbox
// provider customers actually use treats the local part so too, and two
// contacts for "Ann@x.com" and "ann@x.com" would be the bug, not the rule.
func NormalizeEmail(raw string) (string, error) {
	if v, ok := emailCache.get(raw, ""); ok {
		return v, nil
	}
	v, err := normalizeEmail(raw)
	if err == nil {
		emailCache.put(raw, "", v)
		emailCache.put(v, "", v) // it reads back as itself (checked below)
	}
	return v, err
}

func normalizeEmail(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "mailto:"), "MAILTO:")
	if s == "" {
		return "", fmt.Errorf("email address is empty")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("email address %q is not valid: %v", raw, strings.TrimPrefix(err.Error(), "mail: "))
	}
	if strings.ContainsAny(a.Address, " \"\\") || strings.Count(a.Address, "@") != 1 {
		// A quoted local part ("a b"@x.com) is legal but no customer has one;
		// refusing it keeps every stored address re-parseable. Unquoting
		// "a@b"@x.com would leave two @, which is refused for the same reason.
		return "", fmt.Errorf("email address %q is not valid: quoted local part", raw)
	}
	local, domain, ok := strings.Cut(a.Address, "@")
	if !ok || local == "" || domain == "" {
		return "", fmt.Errorf("email address %q is not valid: no domain", raw)
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", fmt.Errorf("email address %q is not valid: bad domain %q", raw, domain)
	}
	out := strings.ToLower(a.Address)
	if b, err := mail.ParseAddress(out); err != nil || b.Address != out {
		// An unquoted "(" or the like from a quoted local part: the
		// stored form must read back as itself.
		return "", fmt.Errorf("email address %q is not valid: local part %q needs quotes", raw, local)
	}
	return out, nil
}

// NormalizePhone parses a phone number to E.164 with libphonenumber's rules.
// region is the ISO country used when raw has no international prefix; with
// no region, raw must be international ("+44…", "0044…" or the bare digits
// WhatsApp sends). Brazilian mobiles written without the ninth digit are
// given it, so the WhatsApp and SMS forms of one number meet.
func NormalizePhone(raw, region string) (string, error) {
	if v, ok := phoneCache.get(raw, region); ok {
		return v, nil
	}
	v, err := normalizePhone(raw, region)
	if err == nil {
		phoneCache.put(raw, region, v)
		// normalizePhone checked that v reads back as itself: checking the
		// stored form again (Inbound.Validate does) need not parse it.
		phoneCache.put(v, "", v)
	}
	return v, err
}

func normalizePhone(raw, region string) (string, error) {
	v, err := parsePhone(raw, region)
	if err != nil || v == raw || v == "+"+digitsInOrder(raw) {
		// Read as written, digit for digit: reading v is the same parse.
		return v, err
	}
	// libphonenumber strips one national prefix per parse, so junk like
	// "+81 00000000000" loses a 0 each time it is read; a stored identity
	// must read back as itself.
	if again, err := parsePhone(v, ""); err != nil || again != v {
		return "", fmt.Errorf("phone number %q is not valid: %s does not read back as itself", raw, v)
	}
	return v, nil
}

func parsePhone(raw, region string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("phone number is empty")
	}
	for _, r := range s {
		if unicode.IsLetter(r) {
			return "", fmt.Errorf("phone number %q is not valid: contains letters", raw)
		}
	}
	digits := digitsInOrder(s)
	if len(digits) < 6 || len(digits) > 17 {
		return "", fmt.Errorf("phone number %q is not valid: %d digits", raw, len(digits))
	}
	region = strings.ToUpper(strings.TrimSpace(region))
	switch {
	case strings.HasPrefix(s, "+"):
	case strings.HasPrefix(digits, "00"):
		s = "+" + digits[2:]
	case region == "" || region == "ZZ":
		s = "+" + digits
	}
	if region == "" {
		region = "ZZ"
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", fmt.Errorf("phone number %q is not valid: %v", raw, err)
	}
	if n.GetCountryCode() == 55 {
		brazilNinthDigit(n)
	}
	if !phonenumbers.IsPossibleNumber(n) {
		return "", fmt.Errorf("phone number %q is not valid: not a possible number", raw)
	}
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	if len(e164) > 16 {
		// libphonenumber counts a national number's leading zeros apart and
		// can call a 16-digit result possible; E.164 allows at most 15.
		return "", fmt.Errorf("phone number %q is not valid: %s is longer than E.164 allows", raw, e164)
	}
	return e164, nil
}

// brazilNinthDigit adds the 9 that Brazilian mobile numbers gained in 2012–16
// and that WhatsApp ids still often lack (area code + 8 digits starting 6–9).
func brazilNinthDigit(n *phonenumbers.PhoneNumber) {
	nat := strconv.FormatUint(n.GetNationalNumber(), 10)
	if len(nat) == 10 && nat[2] >= '6' && nat[2] <= '9' {
		v, _ := strconv.ParseUint(nat[:2]+"9"+nat[2:], 10, 64)
		n.NationalNumber = &v
	}
}

// MetaIdentity scopes a Messenger PSID or Instagram IGSID by the page or
// account that received it: "<page id>:<sender id>".
func MetaIdentity(pageID, senderID string) (string, error) {
	pageID, senderID = strings.TrimSpace(pageID), strings.TrimSpace(senderID)
	if pageID == "" {
		return "", fmt.Errorf("meta identity: page id is empty")
	}
	if senderID == "" {
		return "", fmt.Errorf("meta identity: sender id is empty")
	}
	for _, p := range []string{pageID, senderID} {
		if !isDigits(p) {
			return "", fmt.Errorf("meta identity: id %q is not numeric", p)
		}
	}
	return pageID + ":" + senderID, nil
}

// NormalizeTelegramID checks a Telegram user id: a positive integer of up to
// 52 bits, kept as its decimal string.
func NormalizeTelegramID(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return "", fmt.Errorf("telegram user id %q is not a positive integer", raw)
	}
	if n >= 1<<52 {
		return "", fmt.Errorf("telegram user id %q is out of range", raw)
	}
	return strconv.FormatInt(n, 10), nil
}

// NormalizeVisitorID checks a web-chat cookie value: 1–128 printable
// characters with no spaces. It is opaque; only equality matters.
func NormalizeVisitorID(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("web-chat visitor id is empty")
	}
	if len(s) > 128 {
		return "", fmt.Errorf("web-chat visitor id is %d bytes long (at most 128)", len(s))
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || !unicode.IsPrint(r) {
			return "", fmt.Errorf("web-chat visitor id %q contains a space or control character", s)
		}
	}
	return s, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// phoneCache and emailCache remember recent successful normalisations:
// libphonenumber's parse is regex-heavy, net/mail's allocates, the same
// customers write again and again, and every parsed message is validated
// once more. They are bounded by dropping everything when full, which costs
// only a re-parse.
var (
	phoneCache = &boundedCache{m: map[[2]string]string{}, max: 1 << 16}
	emailCache = &boundedCache{m: map[[2]string]string{}, max: 1 << 16}
)

type boundedCache struct {
	mu  sync.Mutex
	m   map[[2]string]string
	max int
}

func (c *boundedCache) get(raw, region string) (string, bool) {
	c.mu.Lock()
	v, ok := c.m[[2]string{raw, region}]
	c.mu.Unlock()
	return v, ok
}

func (c *boundedCache) put(raw, region, v string) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[[2]string{raw, region}] = v
	c.mu.Unlock()
}
