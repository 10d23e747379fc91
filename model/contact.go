package model

import (
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // time zones validate the same on machines without /usr/share/zoneinfo

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
)

// LeadStage is where a contact stands in the sales funnel. The spec creates
// every new inbox customer as a Lead.
type LeadStage string

const (
	StageLead        LeadStage = "lead"
	StageQualified   LeadStage = "qualified"
	StageOpportunity LeadStage = "opportunity"
	StageCustomer    LeadStage = "customer"
	StageChurned     LeadStage = "churned"
)

// LeadStages lists the stages in funnel order.
var LeadStages = []LeadStage{StageLead, StageQualified, StageOpportunity, StageCustomer, StageChurned}

// Contact is a customer with one ID, whatever identities it has.
type Contact struct {
	ID                int64
	Name              string
	NameGenerated     bool // a web-chat visitor named by us ("Rich Key"), not by themselves
	LeadStage         LeadStage
	Email             string
	Phone             string
	Company           string
	Country           string // ISO 3166-1 alpha-2
	Timezone          string // IANA name
	Language          string // BCP 47
	EmailUnsubscribed bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Fields are the standard contact properties an agent can set, in form order.
var Fields = []string{"name", "email", "phone", "company", "country", "timezone", "language", "lead_stage"}

// IsField reports whether name is a standard field (custom properties are
// any other name).
func IsField(name string) bool {
	for _, f := range Fields {
		if f == name {
			return true
		}
	}
	return false
}

// NormalizeField validates value for a standard field and returns the form it
// is stored in. An empty value clears the field, except for name and lead
// stage, which every contact has.
func NormalizeField(field, value string) (string, error) {
	v := strings.TrimSpace(value)
	switch field {
	case "name":
		if v == "" {
			return "", fmt.Errorf("name cannot be empty")
		}
		if len(v) > 200 {
			return "", fmt.Errorf("name is longer than 200 bytes")
		}
		return v, nil
	case "company":
		if len(v) > 200 {
			return "", fmt.Errorf("company is longer than 200 bytes")
		}
		return v, nil
	case "email":
		if v == "" {
			return "", nil
		}
		return NormalizeEmail(v)
	case "phone":
		if v == "" {
			return "", nil
		}
		return NormalizePhone(v, "")
	case "country":
		if v == "" {
			return "", nil
		}
		return NormalizeCountry(v)
	case "timezone":
		if v == "" {
			return "", nil
		}
		return NormalizeTimezone(v)
	case "language":
		if v == "" {
			return "", nil
		}
		tag, err := language.Parse(v)
		if err != nil {
			return "", fmt.Errorf("language %q is not a BCP 47 tag (like en, pt-BR)", value)
		}
		return tag.String(), nil
	case "lead_stage":
		s := LeadStage(strings.ToLower(v))
		for _, k := range LeadStages {
			if s == k {
				return string(s), nil
			}
		}
		return "", fmt.Errorf("lead stage %q is not one of lead, qualified, opportunity, customer, churned", value)
	}
	return "", fmt.Errorf("unknown field %q", field)
}

// NormalizeCountry accepts an ISO 3166-1 alpha-2 code in any case.
func NormalizeCountry(raw string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(raw))
	if len(c) == 2 && (phonenumbers.GetSupportedRegions()[c] || c == "AQ") {
		return c, nil
	}
	return "", fmt.Errorf("country %q is not an ISO 3166 two-letter code (like DE, US)", raw)
}

// NormalizeTimezone accepts an IANA time zone name.
func NormalizeTimezone(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" || strings.EqualFold(s, "local") {
		return "", fmt.Errorf("time zone %q is not an IANA name (like Europe/Berlin)", raw)
	}
	if _, ok := knownZones.Load(s); ok {
		return s, nil
	}
	if _, err := time.LoadLocation(s); err != nil {
		return "", fmt.Errorf("time zone %q is not an IANA name (like Europe/Berlin)", raw)
	}
	knownZones.Store(s, true)
	return s, nil
}

// knownZones remembers names time.LoadLocation accepted: it reads the zone
// database on every call, and ingest checks a zone per web-chat message.
var knownZones sync.Map

// NormalizePropertyName checks a custom property's name: 1–64 characters of
// letters, digits, '_', '-' or '.', not a standard field.
func NormalizePropertyName(raw string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	if s == "" || len(s) > 64 {
		return "", fmt.Errorf("property name %q must be 1 to 64 characters", raw)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return "", fmt.Errorf("property name %q may only hold letters, digits, '_', '-' and '.'", raw)
		}
	}
	if IsField(s) {
		return "", fmt.Errorf("property name %q is a standard field, not a custom property", raw)
	}
	return s, nil
}

// NormalizeTag trims a tag and folds inner whitespace; tags compare
// case-insensitively but keep the case they were created with.
func NormalizeTag(raw string) (string, error) {
	s := strings.Join(strings.Fields(raw), " ")
	if s == "" {
		return "", fmt.Errorf("tag is empty")
	}
	if len([]rune(s)) > 40 {
		return "", fmt.Errorf("tag %q is longer than 40 characters", s)
	}
	return s, nil
}

// Field reads a standard field (one of Fields) by name; "" for any other name.
func (c Contact) Field(name string) string {
	switch name {
	case "name":
		return c.Name
	case "email":
		return c.Email
	case "phone":
		return c.Phone
	case "company":
		return c.Company
	case "country":
		return c.Country
	case "timezone":
		return c.Timezone
	case "language":
		return c.Language
	case "lead_stage":
		return string(c.LeadStage)
	}
	return ""
}

// SetField writes a standard field by name (the value already normalised);
// other names change nothing.
func (c *Contact) SetField(name, v string) {
	switch name {
	case "name":
		c.Name = v
	case "email":
		c.Email = v
	case "phone":
		c.Phone = v
	case "company":
		c.Company = v
	case "country":
		c.Country = v
	case "timezone":
		c.Timezone = v
	case "language":
		c.Language = v
	case "lead_stage":
		c.LeadStage = LeadStage(v)
	}
}
