package crm

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HubSpot CRM v3. Contacts with an email address are upserted by email
// (HubSpot's own unique key for contacts); contacts without one by the
// cxinbox_id property, a contact property with unique values that connect
// creates. Linked contacts are updated by record id. An unsubscribe is
// carried out in HubSpot's subscription system (communication preferences
// v4, "unsubscribe from all email"), since hs_email_optout is read-only;
// HubSpot lets only the contact resubscribe, so a resubscribe is not pushed.
type hubspot struct{ c *client }

func newHubSpot(c *client) *hubspot {
	c.authScheme = "Bearer"
	c.vendorErr = hubspotError
	c.pace = hubspotPace
	return &hubspot{c: c}
}

func (h *hubspot) Provider() Provider { return HubSpot }
func (h *hubspot) BatchSize() int     { return HubSpotBatch }

func (h *hubspot) Describe() string {
	how := "OAuth"
	if h.c.auth.creds.PrivateToken != "" {
		how = "private-app token"
	}
	return "HubSpot at " + h.c.base + " (" + how + ")"
}

func (h *hubspot) KeyOf(c Contact) string {
	if c.Email != "" {
		return EmailKey(c.Email)
	}
	return KeyByID
}

// hsStage maps our lead stages onto HubSpot's lifecycle stages.
func hsStage(s string) string {
	switch s {
	case "qualified":
		return "salesqualifiedlead"
	case "opportunity", "customer", "lead":
		return s
	case "churned":
		return "other"
	}
	return "lead"
}

func hsProps(c Contact) map[string]string {
	return map[string]string{
		"firstname": c.FirstName, "lastname": c.LastName, "email": c.Email, "phone": c.Phone,
		"company": c.Company, "lifecyclestage": hsStage(c.LeadStage),
	}
}

type hsInput struct {
	IDProperty string            `json:"idProperty,omitempty"`
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	// TraceID is echoed in the input's result: how results, which come in
	// no promised order, are matched to inputs.
	TraceID string `json:"objectWriteTraceId,omitempty"`
}

type hsBatchAnswer struct {
	Status  string `json:"status"`
	Results []struct {
		ID         string            `json:"id"`
		Properties map[string]string `json:"properties"`
		New        bool              `json:"new"`
		TraceID    string            `json:"objectWriteTraceId"`
	} `json:"results"`
	NumErrors int       `json:"numErrors"`
	Errors    []hsError `json:"errors"`
}

type hsError struct {
	Status    string              `json:"status"`
	Message   string              `json:"message"`
	Category  string              `json:"category"`
	ErrorType string              `json:"errorType"`
	Context   map[string][]string `json:"context"`
}

func hubspotError(status int, h http.Header, body []byte) *Error {
	var he hsError
	json.Unmarshal(body, &he)
	e := statusError(HubSpot, status, h, firstOf(he.Category, he.ErrorType), hsReadable(he.Message))
	if status == http.StatusTooManyRequests && e.RetryAfter == 0 {
		// Retry-After is not promised: wait out the rate-limit window.
		if ms, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds")); err == nil && ms > 0 {
			e.RetryAfter = time.Duration(ms) * time.Millisecond
		}
	}
	if he.Category == "OBJECT_NOT_FOUND" {
		e.Gone = true
	}
	return e
}

// hsReadable turns "Property values were not valid: [{…,"message":"Email
// address x is invalid",…}]" into the messages inside, for a person to read.
func hsReadable(msg string) string {
	i := strings.Index(msg, "[{")
	if i < 0 || !strings.HasSuffix(msg, "]") {
		return msg
	}
	var list []struct {
		Message string `json:"message"`
	}
	if json.Unmarshal([]byte(msg[i:]), &list) != nil || len(list) == 0 {
		return msg
	}
	var out []string
	for _, l := range list {
		if l.Message != "" {
			out = append(out, l.Message)
		}
	}
	if len(out) == 0 {
		return msg
	}
	return strings.Join(out, "; ")
}

// hubspotPace spreads the calls left in the window over its length once few
// are left, and waits the window out when none are.
func hubspotPace(h http.Header) time.Duration {
	rem, err1 := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Remaining"))
	mx, err2 := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Max"))
	iv, err3 := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds"))
	if err1 != nil || err2 != nil || err3 != nil || iv <= 0 {
		return 0
	}
	window := time.Duration(iv) * time.Millisecond
	switch {
	case rem <= 0:
		return window
	case rem*10 < mx:
		return window / time.Duration(rem)
	}
	return 0
}

func (h *hubspot) Push(ctx context.Context, cs []Contact) []Outcome {
	out := make([]Outcome, len(cs))
	for _, r := range pushRounds(cs) {
		for _, part := range chunks(r.byRecord, HubSpotBatch) {
			h.update(ctx, cs, part, out)
		}
		for _, part := range chunks(r.byEmail, HubSpotBatch) {
			h.upsert(ctx, cs, part, "email", out)
		}
		for _, part := range chunks(r.byID, HubSpotBatch) {
			h.upsert(ctx, cs, part, HubSpotIDProperty, out)
		}
	}
	h.unsubscribe(ctx, cs, out)
	return out
}

// traceID names input i of a push in its result.
func traceID(i int) string { return "cx-" + strconv.Itoa(i) }

// upsert sends POST /crm/v3/objects/contacts/batch/upsert for the contacts
// at idx, keyed by idProperty.
func (h *hubspot) upsert(ctx context.Context, cs []Contact, idx []int, idProperty string, out []Outcome) {
	if len(idx) == 0 {
		return
	}
	inputs := make([]hsInput, len(idx))
	byKey := make(map[string]int, len(idx))
	for n, i := range idx {
		c := cs[i]
		p := hsProps(c)
		var id string
		if idProperty == "email" {
			id, _ = keyEmail(c.Key)
			// The first attempt's address is the key; a newer one follows
			// in an update by record id once the record is linked.
			if id != c.Email {
				p["email"] = id
				out[i].Again = true
			}
		} else {
			id = strconv.FormatInt(c.ID, 10)
			p[HubSpotIDProperty] = id
			if c.Email != "" {
				// An address it gained after its first attempt follows by
				// record id: upserting by id with an email another record
				// has would be refused as a conflict.
				delete(p, "email")
				out[i].Again = true
			}
		}
		inputs[n] = hsInput{IDProperty: idProperty, ID: id, Properties: p, TraceID: traceID(i)}
		byKey[strings.ToLower(id)] = i
	}
	var ans hsBatchAnswer
	_, err := h.c.call(ctx, http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": inputs}, &ans)
	h.apply(idx, byKey, ans, err, out, func(props map[string]string, id string) string {
		return strings.ToLower(props[idProperty])
	})
}

// update sends POST /crm/v3/objects/contacts/batch/update for linked contacts.
func (h *hubspot) update(ctx context.Context, cs []Contact, idx []int, out []Outcome) {
	if len(idx) == 0 {
		return
	}
	inputs := make([]hsInput, len(idx))
	byKey := make(map[string]int, len(idx))
	for n, i := range idx {
		inputs[n] = hsInput{ID: cs[i].CRMID, Properties: hsProps(cs[i]), TraceID: traceID(i)}
		byKey[cs[i].CRMID] = i
	}
	var ans hsBatchAnswer
	_, err := h.c.call(ctx, http.MethodPost, "/crm/v3/objects/contacts/batch/update", map[string]any{"inputs": inputs}, &ans)
	h.apply(idx, byKey, ans, err, out, func(_ map[string]string, id string) string { return id })
}

// apply maps a batch answer (200, or 207 with per-record errors whose
// context names the inputs) onto the outcomes.
func (h *hubspot) apply(idx []int, byKey map[string]int, ans hsBatchAnswer, err error, out []Outcome, keyOf func(map[string]string, string) string) {
	if err != nil {
		for _, i := range idx {
			out[i].Err = err
		}
		return
	}
	done := map[int]bool{}
	mine := map[int]bool{}
	for _, i := range idx {
		mine[i] = true
	}
	for _, r := range ans.Results {
		i, ok := -1, false
		if n, err := strconv.Atoi(strings.TrimPrefix(r.TraceID, "cx-")); err == nil && mine[n] && strings.HasPrefix(r.TraceID, "cx-") {
			i, ok = n, true
		} else {
			i, ok = byKey[keyOf(r.Properties, r.ID)]
		}
		if ok && !done[i] {
			out[i].CRMID, out[i].Created = r.ID, r.New
			done[i] = true
		}
	}
	for _, e := range ans.Errors {
		rec := &Error{Provider: HubSpot, Status: http.StatusMultiStatus, Code: e.Category, Message: e.Message, Record: true, Gone: e.Category == "OBJECT_NOT_FOUND"}
		for _, id := range e.Context["ids"] {
			if i, ok := byKey[strings.ToLower(id)]; ok && !done[i] {
				out[i].Err = rec
				done[i] = true
			}
		}
	}
	for _, i := range idx {
		if !done[i] {
			out[i].Err = &Error{Provider: HubSpot, Message: "the batch answer has no result for this contact", Retryable: true}
		}
	}
}

// unsubscribe opts the pushed, unsubscribed contacts with an email address
// out of all email (idempotent: already opted out stays opted out).
func (h *hubspot) unsubscribe(ctx context.Context, cs []Contact, out []Outcome) {
	var emails []string
	var idx []int
	for i, c := range cs {
		if c.Unsubscribed && c.Email != "" && out[i].Err == nil && !out[i].Again {
			emails = append(emails, c.Email)
			idx = append(idx, i)
		}
	}
	for n := 0; n < len(emails); n += HubSpotBatch {
		end := min(n+HubSpotBatch, len(emails))
		_, err := h.c.call(ctx, http.MethodPost, "/communication-preferences/v4/statuses/batch/unsubscribe-all?channel=EMAIL", map[string]any{"inputs": emails[n:end]}, nil)
		if err != nil {
			for _, i := range idx[n:end] {
				out[i].Err = err
			}
		}
	}
}

func (h *hubspot) Merge(ctx context.Context, kept Contact, mergedID string) (string, error) {
	if kept.CRMID == "" || kept.CRMID == mergedID {
		return mergedID, nil // the merged contact's record becomes kept's
	}
	var ans struct {
		ID string `json:"id"`
	}
	_, err := h.c.call(ctx, http.MethodPost, "/crm/v3/objects/contacts/merge",
		map[string]string{"primaryObjectId": kept.CRMID, "objectIdToMerge": mergedID}, &ans)
	if err != nil {
		if e := AsError(HubSpot, err); e.Gone {
			return kept.CRMID, nil // merged (or deleted) already
		}
		return "", err
	}
	return firstOf(ans.ID, kept.CRMID), nil
}

// Check makes sure the cxinbox_id property exists with unique values
// (creating it if missing), which also proves the token works.
func (h *hubspot) Check(ctx context.Context) error {
	var prop struct {
		Name           string `json:"name"`
		HasUniqueValue bool   `json:"hasUniqueValue"`
	}
	_, err := h.c.call(ctx, http.MethodGet, "/crm/v3/properties/contacts/"+HubSpotIDProperty, nil, &prop)
	if err == nil {
		if !prop.HasUniqueValue {
			return &Error{Provider: HubSpot, Code: "property", Message: "contact property " + HubSpotIDProperty + " exists without unique values; delete it or make it unique, then connect again"}
		}
		return nil
	}
	if e := AsError(HubSpot, err); !e.Gone {
		return err
	}
	_, err = h.c.call(ctx, http.MethodPost, "/crm/v3/properties/contacts", map[string]any{
		"name": HubSpotIDProperty, "label": "cxinbox contact ID", "type": "string", "fieldType": "text",
		"groupName": "contactinformation", "hasUniqueValue": true,
		"description": "The contact's id in cxinbox; the upsert key of contacts without an email address.",
	}, nil)
	return err
}
