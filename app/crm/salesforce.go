package crm

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Salesforce REST API. Every contact is upserted by the Cxinbox_Id__c
// external-id field holding our contact id — one record per contact, linked
// or not: PATCH …/sobjects/Contact/Cxinbox_Id__c/<id> for one contact, the
// sObject Collections upsert (PATCH …/composite/sobjects/Contact/
// Cxinbox_Id__c, up to 200 records) for more. The REST API has no merge
// (merge() is SOAP/Apex only), so a merge updates the kept record and
// deletes the merged one — it goes to Salesforce's Recycle Bin, as merge()
// does with its victims — or, when the kept contact had no record yet,
// re-keys the merged contact's record to it.
type salesforce struct{ c *client }

func newSalesforce(c *client) *salesforce {
	s := &salesforce{c: c}
	c.authScheme = "Bearer"
	c.vendorErr = s.vendorErr
	c.pace = s.pace
	return s
}

// pace reads Sforce-Limit-Info ("api-usage=N/M"): with the org's daily cap
// spent, calls pause for LimitWait instead of collecting 403s.
func (s *salesforce) pace(h http.Header) time.Duration {
	v, ok := strings.CutPrefix(strings.TrimSpace(h.Get("Sforce-Limit-Info")), "api-usage=")
	if !ok {
		return 0
	}
	used, capacity, ok := strings.Cut(v, "/")
	n, err1 := strconv.Atoi(used)
	m, err2 := strconv.Atoi(strings.TrimSpace(strings.SplitN(capacity, ",", 2)[0]))
	if !ok || err1 != nil || err2 != nil || m <= 0 || n < m {
		return 0
	}
	return s.c.policy.LimitWait
}

func (s *salesforce) Provider() Provider { return Salesforce }
func (s *salesforce) BatchSize() int     { return SalesforceBatch }
func (s *salesforce) KeyOf(Contact) string {
	return KeyByID
}
func (s *salesforce) Describe() string { return "Salesforce at " + s.c.base + " (OAuth)" }

func (s *salesforce) path(rest string) string {
	return "/services/data/" + SalesforceVersion + rest
}

type sfErr struct {
	Message    string   `json:"message"`
	ErrorCode  string   `json:"errorCode"`
	StatusCode string   `json:"statusCode"` // inside sObject Collections results
	Fields     []string `json:"fields"`
}

func (s *salesforce) vendorErr(status int, h http.Header, body []byte) *Error {
	var list []sfErr
	if status == http.StatusMultipleChoices {
		return &Error{Provider: Salesforce, Status: status, Code: "MULTIPLE_RECORDS",
			Message: "the external id matches more than one record: " + strings.TrimSpace(string(body))}
	}
	var first sfErr
	if json.Unmarshal(body, &list) == nil && len(list) > 0 {
		first = list[0]
	}
	e := statusError(Salesforce, status, h, firstOf(first.ErrorCode, first.StatusCode), first.Message)
	switch first.ErrorCode {
	case "REQUEST_LIMIT_EXCEEDED":
		// The org's 24-hour API cap (403, never 429): wait long, not forever.
		e.Retryable, e.RetryAfter = true, s.c.policy.LimitWait
	case "INVALID_SESSION_ID":
		e.Auth = true
	case "ENTITY_IS_DELETED", "NOT_FOUND":
		e.Gone = true
	case "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW":
		e.Retryable = true
	}
	return e
}

// sfFields are the Contact fields cxinbox writes.
func sfFields(c Contact) map[string]any {
	last := c.LastName
	if last == "" {
		last = "[not provided]" // LastName is required
	}
	return map[string]any{
		"FirstName": c.FirstName, "LastName": last, "Email": c.Email, "Phone": c.Phone,
		"HasOptedOutOfEmail": c.Unsubscribed, SalesforceStage: c.LeadStage,
	}
}

type sfResult struct {
	ID      string  `json:"id"`
	Success bool    `json:"success"`
	Created bool    `json:"created"`
	Errors  []sfErr `json:"errors"`
}

func (s *salesforce) Push(ctx context.Context, cs []Contact) []Outcome {
	if len(cs) > SalesforceBatch {
		out := make([]Outcome, 0, len(cs))
		for n := 0; n < len(cs); n += SalesforceBatch {
			out = append(out, s.Push(ctx, cs[n:min(n+SalesforceBatch, len(cs))])...)
		}
		return out
	}
	out := make([]Outcome, len(cs))
	if len(cs) == 1 {
		// One contact: the single-record upsert by external id.
		var r sfResult
		status, err := s.c.call(ctx, http.MethodPatch, s.path("/sobjects/Contact/"+SalesforceIDField+"/"+url.PathEscape(strconv.FormatInt(cs[0].ID, 10))), sfFields(cs[0]), &r)
		switch {
		case err != nil:
			out[0].Err = err
		case r.ID == "":
			out[0].Err = &Error{Provider: Salesforce, Status: status, Message: "the upsert answer has no record id", Retryable: true}
		default:
			// 201 created; 200 updated (204 before API v46.0).
			out[0].CRMID, out[0].Created = r.ID, status == http.StatusCreated || r.Created
		}
		return out
	}
	records := make([]map[string]any, len(cs))
	for i, c := range cs {
		f := sfFields(c)
		f["attributes"] = map[string]string{"type": "Contact"}
		f[SalesforceIDField] = strconv.FormatInt(c.ID, 10)
		records[i] = f
	}
	var results []sfResult
	_, err := s.c.call(ctx, http.MethodPatch, s.path("/composite/sobjects/Contact/"+SalesforceIDField),
		map[string]any{"allOrNone": false, "records": records}, &results)
	for i := range out {
		switch {
		case err != nil:
			out[i].Err = err
		case i >= len(results):
			out[i].Err = &Error{Provider: Salesforce, Message: "the collection answer has no result for this contact", Retryable: true}
		case results[i].Success && results[i].ID != "":
			out[i].CRMID, out[i].Created = results[i].ID, results[i].Created
		default:
			var first sfErr
			if len(results[i].Errors) > 0 {
				first = results[i].Errors[0]
			}
			e := &Error{Provider: Salesforce, Status: http.StatusOK, Code: first.StatusCode, Message: first.Message, Record: true}
			if len(first.Fields) > 0 && !strings.Contains(e.Message, first.Fields[0]) {
				e.Message += " (" + strings.Join(first.Fields, ", ") + ")"
			}
			switch first.StatusCode {
			case "REQUEST_LIMIT_EXCEEDED":
				e.Record, e.Retryable, e.RetryAfter = false, true, s.c.policy.LimitWait
			case "UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE":
				e.Record, e.Retryable = false, true
			}
			out[i].Err = e
		}
	}
	return out
}

func (s *salesforce) Merge(ctx context.Context, kept Contact, mergedID string) (string, error) {
	switch {
	case kept.CRMID == mergedID:
		return mergedID, nil
	case kept.CRMID == "":
		// Re-key the merged contact's record to the kept contact.
		_, err := s.c.call(ctx, http.MethodPatch, s.path("/sobjects/Contact/"+url.PathEscape(mergedID)),
			map[string]any{SalesforceIDField: strconv.FormatInt(kept.ID, 10)}, nil)
		if err == nil {
			return mergedID, nil
		}
		e := AsError(Salesforce, err)
		switch {
		case e.Gone:
			return "", nil // nothing to adopt: the push creates kept's record
		case e.Code == "DUPLICATE_VALUE":
			// The kept contact has a record already (an earlier attempt
			// whose answer was lost): keep that one, drop the other.
			return "", s.delete(ctx, mergedID)
		}
		return "", err
	}
	return kept.CRMID, s.delete(ctx, mergedID)
}

// delete removes a record (to the Recycle Bin); one already gone is fine.
func (s *salesforce) delete(ctx context.Context, id string) error {
	_, err := s.c.call(ctx, http.MethodDelete, s.path("/sobjects/Contact/"+url.PathEscape(id)), nil, nil)
	if err != nil && AsError(Salesforce, err).Gone {
		return nil
	}
	return err
}

// Check reads the Contact description: the token works, and the external-id
// and lead-stage fields exist.
func (s *salesforce) Check(ctx context.Context) error {
	var d struct {
		Fields []struct {
			Name       string `json:"name"`
			ExternalID bool   `json:"externalId"`
		} `json:"fields"`
	}
	if _, err := s.c.call(ctx, http.MethodGet, s.path("/sobjects/Contact/describe"), nil, &d); err != nil {
		return err
	}
	ext, stage := false, false
	for _, f := range d.Fields {
		switch f.Name {
		case SalesforceIDField:
			ext = f.ExternalID
		case SalesforceStage:
			stage = true
		}
	}
	var missing []string
	if !ext {
		missing = append(missing, SalesforceIDField+" (Text, External ID, Unique)")
	}
	if !stage {
		missing = append(missing, SalesforceStage+" (Text)")
	}
	if len(missing) > 0 {
		return &Error{Provider: Salesforce, Code: "fields missing", Message: "create these Contact fields in Setup → Object Manager, then connect again: " + strings.Join(missing, ", ")}
	}
	return nil
}
