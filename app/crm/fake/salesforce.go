package fake

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"cxinbox/app/crm"
)

// Salesforce REST API, as documented: upsert by external id (PATCH
// sobjects/Contact/<field>/<value>), sObject Collections upsert (≤200),
// update and delete by record id, describe, error arrays, Sforce-Limit-Info.

var sfPath = regexp.MustCompile(`^/services/data/v\d+\.\d/(.*)$`)

// sfKnown are the Contact fields the fake has (the org's admin created the
// two custom ones).
var sfKnown = map[string]bool{"FirstName": true, "LastName": true, "Email": true, "Phone": true, "HasOptedOutOfEmail": true,
	crm.SalesforceIDField: true, crm.SalesforceStage: true}

type sfError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode,omitempty"`
	Status    string   `json:"statusCode,omitempty"`
	Fields    []string `json:"fields"`
}

func sfErrors(w http.ResponseWriter, status int, code, msg string, fields ...string) {
	if fields == nil {
		fields = []string{}
	}
	writeJSON(w, status, []sfError{{Message: msg, ErrorCode: code, Fields: fields}})
}

func (s *Server) salesforce(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/15000", s.apiCalls))
	s.mu.Unlock()
	if !s.authorized(w, r) {
		return
	}
	m := sfPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		s.mu.Lock()
		s.violation(r, "not under /services/data/vXX.X/")
		s.mu.Unlock()
		sfErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	rest := m[1]
	extPrefix := "sobjects/Contact/" + crm.SalesforceIDField + "/"
	switch {
	case r.Method == http.MethodGet && rest == "sobjects/Contact/describe":
		s.sfDescribe(w)
	case r.Method == http.MethodPatch && strings.HasPrefix(rest, extPrefix):
		s.sfUpsertOne(w, r, body, strings.TrimPrefix(rest, extPrefix))
	case r.Method == http.MethodPatch && rest == "composite/sobjects/Contact/"+crm.SalesforceIDField:
		s.sfUpsertMany(w, r, body)
	case r.Method == http.MethodPatch && strings.HasPrefix(rest, "sobjects/Contact/"):
		s.sfUpdate(w, r, body, strings.TrimPrefix(rest, "sobjects/Contact/"))
	case r.Method == http.MethodDelete && strings.HasPrefix(rest, "sobjects/Contact/"):
		s.sfDelete(w, strings.TrimPrefix(rest, "sobjects/Contact/"))
	default:
		s.mu.Lock()
		s.violation(r, "no such Salesforce resource")
		s.mu.Unlock()
		sfErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
}

func (s *Server) sfDescribe(w http.ResponseWriter) {
	var fields []map[string]any
	for _, f := range []string{"Id", "FirstName", "LastName", "Email", "Phone", "HasOptedOutOfEmail", crm.SalesforceIDField, crm.SalesforceStage} {
		fields = append(fields, map[string]any{"name": f, "externalId": f == crm.SalesforceIDField, "unique": f == crm.SalesforceIDField,
			"nillable": f != "LastName" && f != "Id", "custom": strings.HasSuffix(f, "__c")})
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": "Contact", "label": "Contact", "custom": false, "fields": fields})
}

// sfCheck validates one record's fields: the error code, message and field.
func sfCheck(f map[string]any, creating bool) (code, msg, field string) {
	for k := range f {
		if k != "attributes" && !sfKnown[k] {
			return "INVALID_FIELD", "No such column '" + k + "' on sobject of type Contact", k
		}
	}
	if e, _ := f["Email"].(string); e != "" && !validEmail(e) {
		return "INVALID_EMAIL_ADDRESS", "Email: invalid email address: " + e, "Email"
	}
	if v, ok := f["HasOptedOutOfEmail"]; ok {
		if _, isBool := v.(bool); !isBool {
			return "JSON_PARSER_ERROR", "Cannot deserialize instance of boolean from VALUE_STRING value", "HasOptedOutOfEmail"
		}
	}
	if last, _ := f["LastName"].(string); creating && strings.TrimSpace(last) == "" {
		return "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]", "LastName"
	}
	return "", "", ""
}

// sfFields turns JSON values into the stored strings.
func sfFields(f map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range f {
		if k == "attributes" {
			continue
		}
		switch x := v.(type) {
		case string:
			out[k] = x
		case bool:
			out[k] = strconv.FormatBool(x)
		case nil:
			out[k] = ""
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}

// sfUpsert applies one record keyed by the external id (s.mu held).
func (s *Server) sfUpsert(f map[string]any, ext string) (rec *Record, created bool, code, msg, field string) {
	rec = s.lookup(crm.SalesforceIDField, ext)
	if code, msg, field = sfCheck(f, rec == nil); code != "" {
		return nil, false, code, msg, field
	}
	fields := sfFields(f)
	fields[crm.SalesforceIDField] = ext
	if rec == nil {
		return s.create(fields), true, "", "", ""
	}
	s.set(rec, fields)
	return rec, false, "", "", ""
}

func (s *Server) sfUpsertOne(w http.ResponseWriter, r *http.Request, body []byte, ext string) {
	var f map[string]any
	if !s.decode(r, body, &f) {
		sfErrors(w, http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character")
		return
	}
	s.mu.Lock()
	if _, ok := f["Id"]; ok {
		s.violation(r, "the body names Id")
		s.mu.Unlock()
		sfErrors(w, http.StatusBadRequest, "INVALID_FIELD", "Unable to create/update fields: Id. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", "Id")
		return
	}
	if v, ok := f[crm.SalesforceIDField]; ok && v != ext {
		s.violation(r, "the body's %s differs from the URL's", crm.SalesforceIDField)
	}
	if _, ok := f["attributes"]; ok {
		s.violation(r, "attributes belong in collection records, not a single upsert")
	}
	rec, created, code, msg, field := s.sfUpsert(f, ext)
	var id string
	if rec != nil {
		id = rec.ID
	}
	s.mu.Unlock()
	if code != "" {
		sfErrors(w, http.StatusBadRequest, code, msg, field)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"id": id, "success": true, "errors": []any{}, "created": created})
}

func (s *Server) sfUpsertMany(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		AllOrNone *bool            `json:"allOrNone"`
		Records   []map[string]any `json:"records"`
	}
	if !s.decode(r, body, &req) {
		sfErrors(w, http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character")
		return
	}
	if len(req.Records) == 0 || len(req.Records) > 200 {
		s.mu.Lock()
		s.violation(r, "%d records: a collection takes 1 to 200", len(req.Records))
		s.mu.Unlock()
		sfErrors(w, http.StatusBadRequest, "EXCEEDED_ID_LIMIT", "Maximum number of records allowed is 200")
		return
	}
	s.mu.Lock()
	if req.AllOrNone == nil || *req.AllOrNone {
		s.violation(r, "allOrNone should be false: one bad record must not fail the others")
	}
	seen := map[string]bool{}
	results := make([]map[string]any, len(req.Records))
	for i, f := range req.Records {
		attrs, _ := f["attributes"].(map[string]any)
		ext, _ := f[crm.SalesforceIDField].(string)
		fail := func(code, msg, field string) {
			results[i] = map[string]any{"success": false, "errors": []sfError{{Status: code, Message: msg, Fields: []string{field}}}}
		}
		switch {
		case attrs == nil || attrs["type"] != "Contact":
			s.violation(r, "record %d without attributes.type Contact", i)
			fail("INVALID_TYPE", "Must specify a type in attributes", "attributes")
		case ext == "":
			s.violation(r, "record %d without %s", i, crm.SalesforceIDField)
			fail("MISSING_ARGUMENT", crm.SalesforceIDField+" not specified", crm.SalesforceIDField)
		case seen[ext]:
			fail("DUPLICATE_EXTERNAL_ID", "Duplicate external id specified: "+ext, crm.SalesforceIDField)
		default:
			seen[ext] = true
			rec, created, code, msg, field := s.sfUpsert(f, ext)
			if code != "" {
				fail(code, msg, field)
			} else {
				results[i] = map[string]any{"id": rec.ID, "success": true, "errors": []any{}, "created": created}
			}
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, results)
}

func (s *Server) sfUpdate(w http.ResponseWriter, r *http.Request, body []byte, id string) {
	var f map[string]any
	if !s.decode(r, body, &f) {
		sfErrors(w, http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character")
		return
	}
	s.mu.Lock()
	rec := s.records[id]
	if rec == nil {
		s.mu.Unlock()
		sfErrors(w, http.StatusNotFound, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: "+id)
		return
	}
	if code, msg, field := sfCheck(f, false); code != "" {
		s.mu.Unlock()
		sfErrors(w, http.StatusBadRequest, code, msg, field)
		return
	}
	if ext, _ := f[crm.SalesforceIDField].(string); ext != "" {
		if other := s.lookup(crm.SalesforceIDField, ext); other != nil && other != rec {
			oid := other.ID
			s.mu.Unlock()
			sfErrors(w, http.StatusBadRequest, "DUPLICATE_VALUE", "duplicate value found: "+crm.SalesforceIDField+" duplicates value on record with id: "+oid, crm.SalesforceIDField)
			return
		}
	}
	s.set(rec, sfFields(f))
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) sfDelete(w http.ResponseWriter, id string) {
	s.mu.Lock()
	_, ok := s.records[id]
	s.remove(id)
	s.mu.Unlock()
	if !ok {
		sfErrors(w, http.StatusNotFound, "ENTITY_IS_DELETED", "entity is deleted")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
