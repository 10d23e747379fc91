package fake

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"cxinbox/app/crm"
)

// Zoho CRM, as documented for v2…v8: upsert with duplicate_check_fields
// (≤100 records), update by id (PUT), Merge Records, the fields settings,
// per-record codes in data[], "Authorization: Zoho-oauthtoken …".

var zohoPath = regexp.MustCompile(`^/crm/v[2-8]/(.*)$`)

var zohoKnown = map[string]bool{"First_Name": true, "Last_Name": true, "Email": true, "Phone": true, "Email_Opt_Out": true,
	crm.ZohoIDField: true, crm.ZohoStageField: true}

func zohoErr(w http.ResponseWriter, status int, code, msg string, details map[string]any) {
	if details == nil {
		details = map[string]any{}
	}
	writeJSON(w, status, map[string]any{"code": code, "details": details, "message": msg, "status": "error"})
}

func zohoItemErr(code, msg, apiName string, i int, extra map[string]any) map[string]any {
	d := map[string]any{"api_name": apiName, "json_path": fmt.Sprintf("$.data[%d].%s", i, apiName)}
	for k, v := range extra {
		d[k] = v
	}
	return map[string]any{"code": code, "details": d, "message": msg, "status": "error"}
}

func (s *Server) zoho(w http.ResponseWriter, r *http.Request, body []byte) {
	if !s.authorized(w, r) {
		return
	}
	m := zohoPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		s.mu.Lock()
		s.violation(r, "not under /crm/v2…v8/")
		s.mu.Unlock()
		zohoErr(w, http.StatusNotFound, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one", nil)
		return
	}
	rest := m[1]
	switch {
	case r.Method == http.MethodGet && rest == "settings/fields":
		s.zohoFields(w, r)
	case r.Method == http.MethodPost && rest == "Contacts/upsert":
		s.zohoWrite(w, r, body, true)
	case r.Method == http.MethodPut && rest == "Contacts":
		s.zohoWrite(w, r, body, false)
	case r.Method == http.MethodPost && strings.HasPrefix(rest, "Contacts/") && strings.HasSuffix(rest, "/actions/merge"):
		s.zohoMerge(w, r, body, strings.TrimSuffix(strings.TrimPrefix(rest, "Contacts/"), "/actions/merge"))
	default:
		s.mu.Lock()
		s.violation(r, "no such Zoho CRM endpoint")
		s.mu.Unlock()
		zohoErr(w, http.StatusNotFound, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one", nil)
	}
}

func (s *Server) zohoFields(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("module") != "Contacts" {
		zohoErr(w, http.StatusBadRequest, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", map[string]any{"param": "module"})
		return
	}
	var fields []map[string]any
	for _, f := range []string{"First_Name", "Last_Name", "Email", "Phone", "Email_Opt_Out", crm.ZohoIDField, crm.ZohoStageField} {
		fd := map[string]any{"api_name": f, "field_label": strings.ReplaceAll(f, "_", " "), "data_type": "text", "custom_field": strings.HasPrefix(f, "Cxinbox")}
		if f == crm.ZohoIDField {
			fd["unique"] = map[string]any{"casesensitive": "false"}
		}
		fields = append(fields, fd)
	}
	writeJSON(w, http.StatusOK, map[string]any{"fields": fields})
}

// zohoCheck validates one record (s.mu held).
func zohoCheck(f map[string]any, i int, creating bool) map[string]any {
	for k, v := range f {
		if k == "id" {
			continue
		}
		if !zohoKnown[k] {
			return zohoItemErr("INVALID_DATA", "invalid field", k, i, nil)
		}
		if k == "Email_Opt_Out" {
			if _, ok := v.(bool); !ok {
				return zohoItemErr("INVALID_DATA", "invalid data", k, i, map[string]any{"expected_data_type": "boolean"})
			}
		}
	}
	if e, _ := f["Email"].(string); e != "" && !validEmail(e) {
		return zohoItemErr("INVALID_DATA", "invalid data", "Email", i, map[string]any{"expected_data_type": "email"})
	}
	if last, _ := f["Last_Name"].(string); creating && strings.TrimSpace(last) == "" {
		return zohoItemErr("MANDATORY_NOT_FOUND", "required field not found", "Last_Name", i, nil)
	}
	return nil
}

func (s *Server) zohoSuccess(rec *Record, action, dup string) map[string]any {
	at := rec.Updated.Format(time.RFC3339)
	out := map[string]any{"code": "SUCCESS", "details": map[string]any{"Modified_Time": at, "Modified_By": map[string]string{"name": "cxinbox", "id": "5725767000000411001"},
		"Created_Time": rec.Created.Format(time.RFC3339), "id": rec.ID, "Created_By": map[string]string{"name": "cxinbox", "id": "5725767000000411001"}},
		"message": "record updated", "status": "success"}
	if action == "insert" {
		out["message"] = "record added"
	}
	if action != "" {
		out["action"] = action
	}
	if dup != "" {
		out["duplicate_field"] = dup
	} else if action != "" {
		out["duplicate_field"] = nil
	}
	return out
}

// zohoWrite is POST /Contacts/upsert (upsert) and PUT /Contacts.
func (s *Server) zohoWrite(w http.ResponseWriter, r *http.Request, body []byte, upsert bool) {
	var req struct {
		Data   []map[string]any `json:"data"`
		Checks []string         `json:"duplicate_check_fields"`
	}
	if !s.decode(r, body, &req) {
		zohoErr(w, http.StatusBadRequest, "INVALID_DATA", "body is not a valid JSON", nil)
		return
	}
	if len(req.Data) == 0 || len(req.Data) > 100 {
		s.mu.Lock()
		s.violation(r, "%d records: Zoho takes 1 to 100", len(req.Data))
		s.mu.Unlock()
		zohoErr(w, http.StatusBadRequest, "LIMIT_EXCEEDED", "the records limit exceeded", map[string]any{"limit": 100})
		return
	}
	s.mu.Lock()
	for _, c := range req.Checks {
		if c != "Email" && c != crm.ZohoIDField {
			s.violation(r, "duplicate_check_fields names %q, neither a system duplicate-check field nor a unique one", c)
			s.mu.Unlock()
			zohoErr(w, http.StatusBadRequest, "INVALID_DATA", "invalid data", map[string]any{"api_name": "duplicate_check_fields"})
			return
		}
	}
	if upsert && len(req.Checks) == 0 {
		s.violation(r, "upsert without duplicate_check_fields")
	}
	results := make([]map[string]any, len(req.Data))
	failed := 0
	for i, f := range req.Data {
		var rec *Record
		dup := ""
		if upsert {
			if _, ok := f["id"]; ok {
				s.violation(r, "upsert record %d names an id", i)
			}
			for _, c := range req.Checks {
				if v, _ := f[c].(string); v != "" {
					if rec = s.lookup(c, v); rec != nil {
						dup = c
						break
					}
				}
			}
		} else {
			id, _ := f["id"].(string)
			if rec = s.records[id]; rec == nil {
				results[i] = zohoItemErr("INVALID_DATA", "the id given seems to be invalid", "id", i, nil)
				failed++
				continue
			}
		}
		if e := zohoCheck(f, i, rec == nil); e != nil {
			results[i] = e
			failed++
			continue
		}
		fields := sfFields(f)
		delete(fields, "id")
		// A unique field may not take a value another record has.
		if v := fields[crm.ZohoIDField]; v != "" {
			if other := s.lookup(crm.ZohoIDField, v); other != nil && other != rec {
				results[i] = zohoItemErr("DUPLICATE_DATA", "duplicate data", crm.ZohoIDField, i,
					map[string]any{"duplicate_record": map[string]any{"id": other.ID, "module": map[string]string{"api_name": "Contacts", "id": "5725767000000002179"}}})
				failed++
				continue
			}
		}
		if rec == nil {
			rec = s.create(fields)
			results[i] = s.zohoSuccess(rec, "insert", "")
		} else {
			s.set(rec, fields)
			action := ""
			if upsert {
				action = "update"
			}
			results[i] = s.zohoSuccess(rec, action, dup)
		}
	}
	s.mu.Unlock()
	status := http.StatusOK
	if failed > 0 {
		status = http.StatusMultiStatus
	}
	writeJSON(w, status, map[string]any{"data": results})
}

func (s *Server) zohoMerge(w http.ResponseWriter, r *http.Request, body []byte, master string) {
	var req struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if !s.decode(r, body, &req) || len(req.Data) == 0 || len(req.Data) > 2 {
		s.mu.Lock()
		s.violation(r, "merge takes one or two child records")
		s.mu.Unlock()
		zohoErr(w, http.StatusBadRequest, "INVALID_DATA", "invalid data", map[string]any{"api_name": "data"})
		return
	}
	s.mu.Lock()
	m := s.records[master]
	if m == nil {
		s.mu.Unlock()
		zohoErr(w, http.StatusBadRequest, "INVALID_DATA", "the id given seems to be invalid", map[string]any{"api_name": "id"})
		return
	}
	for _, c := range req.Data {
		child := s.records[c.ID]
		if child == nil || child == m {
			s.mu.Unlock()
			zohoErr(w, http.StatusBadRequest, "INVALID_DATA", "the id given seems to be invalid", map[string]any{"api_name": "id"})
			return
		}
		s.mergeInto(m, child)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": []map[string]any{{"code": "SUCCESS", "details": map[string]any{"id": master},
		"message": "Records merged successfully", "status": "success"}}})
}
