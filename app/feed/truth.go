package feed

import (
	"encoding/json"
	"io"

	"cxinbox/model"
)

// Truth is who really wrote what: every simulated person with the identities
// and message ids the feed used for them. Duplicate detection is measured
// against it. Its lookups build an index on first use, so a Truth is not
// safe for concurrent use.
type Truth struct {
	Persons []Person `json:"persons"`
	index   map[string]int
}

// Person is one simulated human. ID is stable for a seed.
type Person struct {
	ID         int             `json:"id"`
	Name       string          `json:"name"`
	Country    string          `json:"country"`
	Timezone   string          `json:"timezone"`
	Identities []TruthIdentity `json:"identities"`
	MessageIDs []string        `json:"message_ids"`
}

// TruthIdentity is a value exactly as the feed sent it. Prechat marks an email
// or phone typed into a web-chat pre-chat form rather than a sender id; such a
// phone is filed under SMS. Facebook and Instagram values are "<page id>:<sender id>".
type TruthIdentity struct {
	Channel model.Channel `json:"channel"`
	Value   string        `json:"value"`
	Prechat bool          `json:"prechat,omitempty"`
}

// PersonOf returns the ID of the person an identity belongs to. The value may
// be raw or normalised; SMS and WhatsApp numbers are one phone.
func (t *Truth) PersonOf(id TruthIdentity) (int, bool) {
	if t.index == nil {
		t.index = map[string]int{}
		for _, p := range t.Persons {
			for _, i := range p.Identities {
				if k, ok := key(i.Channel, i.Value); ok {
					t.index[k] = p.ID
				}
			}
		}
	}
	k, ok := key(id.Channel, id.Value)
	if !ok {
		return 0, false
	}
	p, ok := t.index[k]
	return p, ok
}

// SamePerson reports whether two identities belong to one known person.
func (t *Truth) SamePerson(a, b TruthIdentity) bool {
	pa, ok := t.PersonOf(a)
	pb, ok2 := t.PersonOf(b)
	return ok && ok2 && pa == pb
}

// WriteTruth writes the ground truth as JSON, one person a line, without
// copying it first (it is the feed's one growing structure).
func (f *Feed) WriteTruth(w io.Writer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := io.WriteString(w, "{\"persons\":[\n"); err != nil {
		return err
	}
	for i := range f.truth.persons {
		b, err := json.Marshal(&f.truth.persons[i])
		if err != nil {
			return err
		}
		if i < len(f.truth.persons)-1 {
			b = append(b, ',')
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]}\n")
	return err
}

// ReadTruth reads what WriteTruth wrote.
func ReadTruth(r io.Reader) (*Truth, error) {
	var t Truth
	if err := json.NewDecoder(r).Decode(&t); err != nil {
		return nil, err
	}
	return &t, nil
}

// key is the identity's normalised form, with SMS and WhatsApp folded into
// one phone class so one number has one owner.
func key(ch model.Channel, raw string) (string, bool) {
	v, err := model.NormalizeIdentity(ch, raw)
	if err != nil {
		return "", false
	}
	return string(class(ch)) + ":" + v, true
}

func class(ch model.Channel) model.Channel {
	if ch == model.WhatsApp {
		return model.SMS
	}
	return ch
}

const (
	classEmail = model.Email
	classPhone = model.SMS
)

// truthLog is the feed's growing ground truth. Ownership is kept as 64-bit
// FNV hashes of normalised values (fixed, unlike maphash, so runs repeat): a
// million identities cost a few tens of MB.
type truthLog struct {
	persons []Person
	owner   map[uint64]int32
}

func (t *truthLog) add(p *person) int {
	t.persons = append(t.persons, Person{ID: len(t.persons) + 1, Name: p.name(), Country: p.loc.country, Timezone: p.tz})
	return len(t.persons) - 1
}

// reserve claims a value for person p; it fails if the value is malformed or
// already someone else's, so the caller draws another.
func (t *truthLog) reserve(ch model.Channel, raw string, p int) bool {
	k, ok := key(ch, raw)
	return ok && t.reserveKey(k, p)
}

// reserveKey is reserve for a value already normalised: it skips
// libphonenumber, the feed's most expensive call.
func (t *truthLog) reserveKey(k string, p int) bool {
	h := uint64(14695981039346656037)
	for i := range len(k) {
		h = (h ^ uint64(k[i])) * 1099511628211
	}
	if o, taken := t.owner[h]; taken {
		return int(o) == p
	}
	t.owner[h] = int32(p)
	return true
}

// use records that the feed sent id as p's; its value must be reserved for
// p or free (ok). k is its key when the caller knows it, else "". added is
// false when id was used before.
func (t *truthLog) use(p int, id TruthIdentity, k string) (added, ok bool) {
	ids := t.persons[p].Identities
	for _, i := range ids {
		if i == id {
			return false, true
		}
	}
	if k == "" {
		if k, ok = key(id.Channel, id.Value); !ok {
			return false, false
		}
	}
	if !t.reserveKey(k, p) {
		return false, false
	}
	t.persons[p].Identities = append(ids, id)
	return true, true
}
