package crm

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Zoho CRM (API v8; the shapes are those of v2 onwards). Calls go to the
// data centre's api_domain from the token answer, with "Authorization:
// Zoho-oauthtoken …". Contacts with an email address are upserted with
// duplicate_check_fields ["Email"], contacts without one with
// ["Cxinbox_Id"] (a custom field with "Do not allow duplicate values");
// linked contacts are updated by record id (PUT /Contacts). A
// DUPLICATE_DATA answer names the record already there: the contact is
// linked to it. Merges use Zoho's Merge Records API.
type zoho struct{ c *client }

func newZoho(c *client) *zoho {
	c.authScheme = "Zoho-oauthtoken"
	c.vendorErr = zohoError
	return &zoho{c: c}
}

func (z *zoho) Provider() Provider { return Zoho }
func (z *zoho) BatchSize() int     { return ZohoBatch }
func (z *zoho) Describe() string   { return "Zoho CRM at " + z.c.base + " (OAuth)" }

func (z *zoho) KeyOf(c Contact) string {
	if c.Email != "" {
		return EmailKey(c.Email)
	}
	return KeyByID
}

func (z *zoho) path(rest string) string { return "/crm/" + ZohoVersion + rest }

type zohoAnswer struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Status  string          `json:"status"`
	Details json.RawMessage `json:"details"`
}

func zohoError(status int, h http.Header, body []byte) *Error {
	var a zohoAnswer
	json.Unmarshal(body, &a)
	if a.Code == "" { // some errors come wrapped in data[]
		var w struct {
			Data []zohoAnswer `json:"data"`
		}
		if json.Unmarshal(body, &w) == nil && len(w.Data) > 0 {
			a = w.Data[0]
		}
	}
	e := statusError(Zoho, status, h, a.Code, a.Message)
	var d struct {
		APIName string `json:"api_name"`
	}
	if a.Code == "INVALID_DATA" && json.Unmarshal(a.Details, &d) == nil && d.APIName == "id" {
		e.Gone = true // the record id names nothing (merged or deleted already)
	}
	switch a.Code {
	case "INVALID_TOKEN", "AUTHENTICATION_FAILURE":
		e.Auth = true
	case "TOO_MANY_REQUESTS":
		e.Retryable = true
	case "INTERNAL_ERROR":
		e.Retryable = true
	}
	return e
}

func zohoFields(c Contact) map[string]any {
	last := c.LastName
	if last == "" {
		last = "[not provided]" // Last_Name is mandatory
	}
	return map[string]any{
		"First_Name": c.FirstName, "Last_Name": last, "Email": c.Email, "Phone": c.Phone,
		"Email_Opt_Out": c.Unsubscribed, ZohoStageField: c.LeadStage,
	}
}

type zohoItem struct {
	Code    string `json:"code"`
	Action  string `json:"action"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details struct {
		ID              string `json:"id"`
		APIName         string `json:"api_name"`
		DuplicateRecord struct {
			ID string `json:"id"`
		} `json:"duplicate_record"`
	} `json:"details"`
}

func (z *zoho) Push(ctx context.Context, cs []Contact) []Outcome {
	out := make([]Outcome, len(cs))
	for _, r := range pushRounds(cs) { // one record per key per request
		for _, part := range chunks(r.byRecord, ZohoBatch) {
			z.send(ctx, cs, part, "", out)
		}
		for _, part := range chunks(r.byEmail, ZohoBatch) {
			z.send(ctx, cs, part, "Email", out)
		}
		for _, part := range chunks(r.byID, ZohoBatch) {
			z.send(ctx, cs, part, ZohoIDField, out)
		}
	}
	return out
}

// send updates linked contacts by id (check == "") or upserts the others
// with duplicate_check_fields [check].
func (z *zoho) send(ctx context.Context, cs []Contact, idx []int, check string, out []Outcome) {
	if len(idx) == 0 {
		return
	}
	data := make([]map[string]any, len(idx))
	for n, i := range idx {
		c := cs[i]
		f := zohoFields(c)
		switch check {
		case "":
			f["id"] = c.CRMID
		case "Email":
			if e, _ := keyEmail(c.Key); e != c.Email {
				f["Email"] = e // the first attempt's address finds the record; the new one follows
				out[i].Again = true
			}
		default:
			f[ZohoIDField] = strconv.FormatInt(c.ID, 10)
		}
		data[n] = f
	}
	var ans struct {
		Data []zohoItem `json:"data"`
	}
	var err error
	if check == "" {
		_, err = z.c.call(ctx, http.MethodPut, z.path("/Contacts"), map[string]any{"data": data}, &ans)
	} else {
		_, err = z.c.call(ctx, http.MethodPost, z.path("/Contacts/upsert"), map[string]any{"data": data, "duplicate_check_fields": []string{check}}, &ans)
	}
	for n, i := range idx {
		switch {
		case err != nil:
			out[i].Err = err
		case n >= len(ans.Data):
			out[i].Err = &Error{Provider: Zoho, Message: "the answer has no result for this contact", Retryable: true}
		default:
			it := ans.Data[n]
			switch {
			case it.Code == "SUCCESS" && it.Details.ID != "":
				out[i].CRMID, out[i].Created = it.Details.ID, it.Action == "insert"
			case it.Code == "DUPLICATE_DATA" && it.Details.DuplicateRecord.ID != "" && check != "":
				// A unique field names a record already there: link to it,
				// then update it by id.
				out[i] = Outcome{CRMID: it.Details.DuplicateRecord.ID, Again: true}
			default:
				msg := it.Message
				if it.Details.APIName != "" {
					msg += " (" + it.Details.APIName + ")"
				}
				e := &Error{Provider: Zoho, Status: http.StatusOK, Code: it.Code, Message: msg, Record: true}
				if check == "" && it.Code == "INVALID_DATA" && it.Details.APIName == "id" {
					e.Gone = true
				}
				out[i].Err = e
			}
		}
	}
}

func (z *zoho) Merge(ctx context.Context, kept Contact, mergedID string) (string, error) {
	if kept.CRMID == "" || kept.CRMID == mergedID {
		return mergedID, nil
	}
	var ans struct {
		Data []zohoItem `json:"data"`
	}
	_, err := z.c.call(ctx, http.MethodPost, z.path("/Contacts/"+kept.CRMID+"/actions/merge"),
		map[string]any{"data": []map[string]string{{"id": mergedID}}}, &ans)
	if err != nil {
		e := AsError(Zoho, err)
		if e.Gone {
			return kept.CRMID, nil // merged (or deleted) already
		}
		return "", err
	}
	if len(ans.Data) > 0 && ans.Data[0].Code != "SUCCESS" {
		it := ans.Data[0]
		if it.Code == "INVALID_DATA" && it.Details.APIName == "id" {
			return kept.CRMID, nil
		}
		return "", &Error{Provider: Zoho, Status: http.StatusOK, Code: it.Code, Message: it.Message}
	}
	return kept.CRMID, nil
}

// Check reads the Contacts layout's fields: the token works, and the id and
// lead-stage fields exist.
func (z *zoho) Check(ctx context.Context) error {
	var ans struct {
		Fields []struct {
			APIName string `json:"api_name"`
		} `json:"fields"`
	}
	if _, err := z.c.call(ctx, http.MethodGet, z.path("/settings/fields?module=Contacts"), nil, &ans); err != nil {
		return err
	}
	have := map[string]bool{}
	for _, f := range ans.Fields {
		have[f.APIName] = true
	}
	var missing []string
	if !have[ZohoIDField] {
		missing = append(missing, ZohoIDField+" (single line, \"Do not allow duplicate values\")")
	}
	if !have[ZohoStageField] {
		missing = append(missing, ZohoStageField+" (single line)")
	}
	if len(missing) > 0 {
		return &Error{Provider: Zoho, Code: "fields missing", Message: "create these Contacts fields in Setup → Modules and Fields, then connect again: " + strings.Join(missing, ", ")}
	}
	return nil
}
