package crm

import "testing"

// A Zoho INVALID_DATA means "record gone" only when it names the id field:
// "invalid data" on another field must not pass for a merge already done.
func TestZohoErrorGoneOnlyForTheIdField(t *testing.T) {
	for _, tt := range []struct {
		body string
		gone bool
	}{
		{`{"code":"INVALID_DATA","message":"the id given seems to be invalid","details":{"api_name":"id"},"status":"error"}`, true},
		{`{"data":[{"code":"INVALID_DATA","message":"the id given seems to be invalid","details":{"api_name":"id"},"status":"error"}]}`, true},
		{`{"code":"INVALID_DATA","message":"invalid data","details":{"api_name":"data"},"status":"error"}`, false},
		{`{"code":"INVALID_DATA","message":"invalid data","details":{},"status":"error"}`, false},
		{`{"code":"INTERNAL_ERROR","message":"id","status":"error"}`, false},
	} {
		if e := zohoError(400, nil, []byte(tt.body)); e.Gone != tt.gone {
			t.Errorf("%s: Gone = %v, want %v", tt.body, e.Gone, tt.gone)
		}
	}
}
