package fake

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// HubSpot CRM v3, as documented: batch upsert/update (≤100 inputs,
// idProperty a unique property), merge, contact properties,
// communication preferences v4, the X-HubSpot-RateLimit-* headers.

var hsStandard = map[string]bool{"email": true, "firstname": true, "lastname": true, "phone": true, "company": true, "lifecyclestage": true}

var hsStages = map[string]bool{"": true, "subscriber": true, "lead": true, "marketingqualifiedlead": true, "salesqualifiedlead": true,
	"opportunity": true, "customer": true, "evangelist": true, "other": true}

func (s *Server) hsError(w http.ResponseWriter, status int, category, msg string) {
	writeJSON(w, status, map[string]any{"status": "error", "message": msg, "correlationId": s.correlation(), "category": category})
}

// rateHeaders writes HubSpot's rate-limit headers.
func (s *Server) rateHeaders(w http.ResponseWriter, remaining int) {
	w.Header().Set("X-HubSpot-RateLimit-Max", strconv.Itoa(s.opt.RateMax))
	w.Header().Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(max(remaining, 0)))
	w.Header().Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.Itoa(int(s.opt.RateWindow/time.Millisecond)))
}

// rate counts a call in the rolling window and reports what is left.
func (s *Server) rate() (remaining int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	cut := 0
	for cut < len(s.window) && now.Sub(s.window[cut]) >= s.opt.RateWindow {
		cut++
	}
	s.window = s.window[cut:]
	if len(s.window) >= s.opt.RateMax {
		return 0, false
	}
	s.window = append(s.window, now)
	return s.opt.RateMax - len(s.window), true
}

func (s *Server) hubspot(w http.ResponseWriter, r *http.Request, body []byte) {
	if !s.authorized(w, r) {
		return
	}
	rem, ok := s.rate()
	s.rateHeaders(w, rem)
	if !ok {
		s.hsError(w, http.StatusTooManyRequests, "RATE_LIMIT", "You have reached your ten_secondly_rolling limit.")
		return
	}
	p := r.URL.Path
	switch {
	case r.Method == http.MethodPost && p == "/crm/v3/objects/contacts/batch/upsert":
		s.hsBatch(w, r, body, true)
	case r.Method == http.MethodPost && p == "/crm/v3/objects/contacts/batch/update":
		s.hsBatch(w, r, body, false)
	case r.Method == http.MethodPost && p == "/crm/v3/objects/contacts/merge":
		s.hsMerge(w, r, body)
	case r.Method == http.MethodGet && p == "/crm/v3/objects/contacts":
		s.hsList(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/crm/v3/properties/contacts/"):
		s.hsGetProperty(w, strings.TrimPrefix(p, "/crm/v3/properties/contacts/"))
	case r.Method == http.MethodPost && p == "/crm/v3/properties/contacts":
		s.hsCreateProperty(w, r, body)
	case r.Method == http.MethodPost && p == "/communication-preferences/v4/statuses/batch/unsubscribe-all":
		s.hsUnsubscribe(w, r, body)
	default:
		s.mu.Lock()
		s.violation(r, "no such HubSpot endpoint")
		s.mu.Unlock()
		s.hsError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "Unable to route "+r.Method+" "+p)
	}
}

type hsIn struct {
	IDProperty string            `json:"idProperty"`
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	TraceID    string            `json:"objectWriteTraceId"`
}

func (s *Server) hsResult(rec *Record, isNew bool) map[string]any {
	props := map[string]string{"hs_object_id": rec.ID, "createdate": rec.Created.Format(time.RFC3339Nano), "lastmodifieddate": rec.Updated.Format(time.RFC3339Nano)}
	for k, v := range rec.Fields {
		props[k] = v
	}
	out := map[string]any{"id": rec.ID, "properties": props, "createdAt": rec.Created.Format(time.RFC3339Nano),
		"updatedAt": rec.Updated.Format(time.RFC3339Nano), "archived": false}
	out["new"] = isNew
	return out
}

// hsBatch is batch/upsert (upsert) and batch/update. The batch is
// validated whole first: an invalid input fails the request (400), as
// HubSpot does; update inputs naming no record come back as a 207 error.
func (s *Server) hsBatch(w http.ResponseWriter, r *http.Request, body []byte, upsert bool) {
	var req struct {
		Inputs []hsIn `json:"inputs"`
	}
	if !s.decode(r, body, &req) {
		s.hsError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON on line 1")
		return
	}
	if len(req.Inputs) == 0 || len(req.Inputs) > 100 {
		s.mu.Lock()
		s.violation(r, "%d inputs: HubSpot takes 1 to 100", len(req.Inputs))
		s.mu.Unlock()
		s.hsError(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Batch input limit of 100 exceeded: got %d", len(req.Inputs)))
		return
	}
	started := time.Now().UTC()
	s.mu.Lock()
	// Validate everything before changing anything.
	seen := map[string]bool{}
	var invalid []string
	for _, in := range req.Inputs {
		key := strings.ToLower(in.ID)
		if seen[key] {
			s.violation(r, "duplicate id %q in one batch", in.ID)
			s.mu.Unlock()
			s.hsError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Duplicate IDs found in batch input: ["+in.ID+"]. IDs must be unique")
			return
		}
		seen[key] = true
		if in.ID == "" {
			s.violation(r, "input without an id")
			s.mu.Unlock()
			s.hsError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input: id is required")
			return
		}
		if upsert {
			if in.IDProperty != "email" && !s.props[in.IDProperty] {
				s.violation(r, "idProperty %q is not a unique property", in.IDProperty)
				s.mu.Unlock()
				s.hsError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Property \""+in.IDProperty+"\" is not a unique identifier property")
				return
			}
		} else if in.IDProperty != "" {
			s.violation(r, "batch/update input with idProperty %q: cxinbox updates by record id", in.IDProperty)
		}
		for k, v := range in.Properties {
			switch {
			case !hsStandard[k] && !s.hasProp(k):
				invalid = append(invalid, fmt.Sprintf(`{"isValid":false,"message":"Property \"%s\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"%s"}`, k, k))
			case k == "lifecyclestage" && !hsStages[v]:
				invalid = append(invalid, fmt.Sprintf(`{"isValid":false,"message":"%s was not one of the allowed options","error":"INVALID_OPTION","name":"lifecyclestage"}`, v))
			case k == "email" && v != "" && !validEmail(v):
				invalid = append(invalid, fmt.Sprintf(`{"isValid":false,"message":"Email address %s is invalid","error":"INVALID_EMAIL","name":"email"}`, v))
			}
		}
		if upsert && in.IDProperty == "email" && !validEmail(in.ID) {
			invalid = append(invalid, fmt.Sprintf(`{"isValid":false,"message":"Email address %s is invalid","error":"INVALID_EMAIL","name":"email"}`, in.ID))
		}
	}
	if len(invalid) > 0 {
		s.mu.Unlock()
		s.hsError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Property values were not valid: ["+strings.Join(invalid, ",")+"]")
		return
	}
	// Resolve targets and check email uniqueness.
	targets := make([]*Record, len(req.Inputs))
	var missing []string
	for i, in := range req.Inputs {
		var rec *Record
		if upsert {
			rec = s.lookup(in.IDProperty, in.ID)
		} else {
			rec = s.records[in.ID]
			if rec == nil {
				missing = append(missing, in.ID)
				continue
			}
		}
		targets[i] = rec
		if e := strings.ToLower(in.Properties["email"]); e != "" {
			if other := s.lookup("email", e); other != nil && other != rec && !(upsert && in.IDProperty == "email" && strings.EqualFold(in.ID, e)) {
				id := other.ID
				s.mu.Unlock()
				s.hsError(w, http.StatusConflict, "CONFLICT", "Contact already exists. Existing ID: "+id)
				return
			}
		}
	}
	var results []map[string]any
	for i, in := range req.Inputs {
		rec := targets[i]
		if rec == nil && !upsert {
			continue
		}
		isNew := rec == nil
		if isNew {
			fields := map[string]string{}
			for k, v := range in.Properties {
				fields[k] = v
			}
			if fields[in.IDProperty] == "" {
				fields[in.IDProperty] = in.ID
			}
			rec = s.create(fields)
		} else {
			s.set(rec, in.Properties)
		}
		res := s.hsResult(rec, isNew)
		if in.TraceID != "" {
			res["objectWriteTraceId"] = in.TraceID
		}
		results = append(results, res)
	}
	// HubSpot does not promise the inputs' order.
	s.rng.Shuffle(len(results), func(i, j int) { results[i], results[j] = results[j], results[i] })
	s.mu.Unlock()
	ans := map[string]any{"status": "COMPLETE", "results": results, "startedAt": started.Format(time.RFC3339Nano), "completedAt": time.Now().UTC().Format(time.RFC3339Nano)}
	if len(missing) > 0 {
		ans["numErrors"] = 1
		ans["errors"] = []map[string]any{{"status": "error", "category": "OBJECT_NOT_FOUND",
			"message": "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.",
			"context": map[string][]string{"ids": missing}, "links": map[string]string{}}}
		writeJSON(w, http.StatusMultiStatus, ans)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) hsMerge(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Primary string `json:"primaryObjectId"`
		Merged  string `json:"objectIdToMerge"`
	}
	if !s.decode(r, body, &req) || req.Primary == "" || req.Merged == "" {
		s.hsError(w, http.StatusBadRequest, "VALIDATION_ERROR", "primaryObjectId and objectIdToMerge are required")
		return
	}
	s.mu.Lock()
	primary, merged := s.records[req.Primary], s.records[req.Merged]
	if primary == nil || merged == nil || primary == merged {
		s.mu.Unlock()
		s.hsError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "Object not found. objectId are usually numeric.")
		return
	}
	s.mergeInto(primary, merged)
	res := s.hsResult(primary, false)
	s.mu.Unlock()
	delete(res, "new")
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) hsList(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	after := r.URL.Query().Get("after")
	s.mu.Lock()
	ids := make([]string, 0, len(s.records))
	for id := range s.records {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return len(ids[i]) < len(ids[j]) || len(ids[i]) == len(ids[j]) && ids[i] < ids[j] })
	var results []map[string]any
	next := ""
	for _, id := range ids {
		if after != "" && (len(id) < len(after) || len(id) == len(after) && id <= after) {
			continue
		}
		if len(results) == limit {
			next = results[len(results)-1]["id"].(string)
			break
		}
		res := s.hsResult(s.records[id], false)
		delete(res, "new")
		results = append(results, res)
	}
	s.mu.Unlock()
	ans := map[string]any{"results": results}
	if next != "" {
		ans["paging"] = map[string]any{"next": map[string]string{"after": next}}
	}
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) hsProperty(name string, unique bool) map[string]any {
	return map[string]any{"name": name, "label": name, "type": "string", "fieldType": "text", "groupName": "contactinformation",
		"hasUniqueValue": unique, "hidden": false, "formField": true}
}

func (s *Server) hsGetProperty(w http.ResponseWriter, name string) {
	s.mu.Lock()
	unique, custom := s.props[name]
	s.mu.Unlock()
	switch {
	case custom:
		writeJSON(w, http.StatusOK, s.hsProperty(name, unique))
	case hsStandard[name]:
		writeJSON(w, http.StatusOK, s.hsProperty(name, false))
	default:
		s.hsError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "Unable to find property "+name)
	}
}

func (s *Server) hsCreateProperty(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Name, Label, Type, FieldType, GroupName string
		HasUniqueValue                          bool `json:"hasUniqueValue"`
	}
	if !s.decode(r, body, &req) || req.Name == "" || req.Label == "" || req.Type == "" || req.FieldType == "" || req.GroupName == "" {
		s.mu.Lock()
		s.violation(r, "a property needs name, label, type, fieldType and groupName")
		s.mu.Unlock()
		s.hsError(w, http.StatusBadRequest, "VALIDATION_ERROR", "name, label, type, fieldType and groupName are required")
		return
	}
	s.mu.Lock()
	if s.hasProp(req.Name) || hsStandard[req.Name] {
		s.mu.Unlock()
		s.hsError(w, http.StatusConflict, "OBJECT_ALREADY_EXISTS", "Property named '"+req.Name+"' already exists.")
		return
	}
	s.props[req.Name] = req.HasUniqueValue
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, s.hsProperty(req.Name, req.HasUniqueValue))
}

func (s *Server) hsUnsubscribe(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.URL.Query().Get("channel") != "EMAIL" {
		s.mu.Lock()
		s.violation(r, "channel=%q: want EMAIL", r.URL.Query().Get("channel"))
		s.mu.Unlock()
		s.hsError(w, http.StatusBadRequest, "VALIDATION_ERROR", "channel is required")
		return
	}
	var req struct {
		Inputs []string `json:"inputs"`
	}
	if !s.decode(r, body, &req) || len(req.Inputs) == 0 {
		s.hsError(w, http.StatusBadRequest, "VALIDATION_ERROR", "inputs are required")
		return
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	var results []map[string]any
	s.mu.Lock()
	for _, e := range req.Inputs {
		e = strings.ToLower(e)
		s.optOut[e] = true
		results = append(results, map[string]any{"subscriberIdString": e, "wideStatuses": []map[string]any{{
			"subscriberIdString": e, "wideStatusType": "PORTAL_WIDE", "status": "UNSUBSCRIBED", "channel": "EMAIL", "timestamp": now}}})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now})
}

// hasProp reports whether a custom property exists (s.mu held).
func (s *Server) hasProp(name string) bool {
	_, ok := s.props[name]
	return ok
}
