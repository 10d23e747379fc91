package ui

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"cxinbox/app"
	"cxinbox/model"
)

// openDialog opens the pane's dialog bound to k and returns it.
func openDialog[T component](t *testing.T, h *cpStack, k string) T {
	t.Helper()
	h.press(k)
	d, ok := h.top().(T)
	if !ok {
		t.Fatalf("%s opened %T", k, h.top())
	}
	return d
}

func TestTagPickerFiltersAndAdds(t *testing.T) {
	a, c, ids := cpFixture(t)
	for _, tag := range []string{"VIP", "vip-gold", "billing", "Escalated"} {
		if err := a.TagContact(context.Background(), "ann", ids[0], tag, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.TagContact(context.Background(), "ann", ids[1], "Escalated", false); err != nil {
		t.Fatal(err)
	}
	p, h := cpPane(t, c, ids[1])
	d := openDialog[*tagPicker](t, h, "t")
	if out := plainView(d); !strings.Contains(out, "billing") || strings.Contains(out, "Escalated") {
		t.Fatalf("catalogue not offered (less the contact's own tags):\n%s", out)
	}
	h.typeText("vi")
	out := plainView(d)
	if !strings.Contains(out, "VIP") || !strings.Contains(out, "vip-gold") || strings.Contains(out, "billing") ||
		!strings.Contains(out, `Create tag "vi"`) {
		t.Fatalf("filter vi:\n%s", out)
	}
	golden.RequireEqual(t, []byte(out))
	h.press("enter")
	if len(h.comps) != 1 {
		t.Fatalf("picker still open:\n%s", plainView(h.top()))
	}
	if got := h.lastStatus(); got != "tag VIP added" {
		t.Fatalf("status %q", got)
	}
	if !slices.Contains(p.d.Tags, "VIP") || !strings.Contains(plainView(p), "VIP") {
		t.Fatalf("pane tags %v", p.d.Tags)
	}
	d2, _ := a.ContactDetails(context.Background(), ids[1])
	if countActivity(d2, model.ActTagAdded) != 2 {
		t.Fatal("tag not in the timeline")
	}
}

func TestTagPickerCreatesTag(t *testing.T) {
	a, c, ids := cpFixture(t)
	if err := a.TagContact(context.Background(), "ann", ids[0], "billing", true); err != nil {
		t.Fatal(err)
	}
	p, h := cpPane(t, c, ids[1])
	d := openDialog[*tagPicker](t, h, "t")
	h.typeText("Needs callback")
	out := plainView(d)
	if !strings.Contains(out, `▸ Create tag "Needs callback"`) || strings.Contains(out, "billing") {
		t.Fatalf("create offer:\n%s", out)
	}
	golden.RequireEqual(t, []byte(out))
	h.press("enter")
	if got := h.lastStatus(); got != "tag Needs callback added" {
		t.Fatalf("status %q", got)
	}
	tags, _ := a.Tags(context.Background())
	if !slices.Contains(tags, "Needs callback") || !slices.Contains(p.d.Tags, "Needs callback") {
		t.Fatalf("catalogue %v, contact %v", tags, p.d.Tags)
	}
	// The exact name of a tag the contact has offers nothing to create.
	openDialog[*tagPicker](t, h, "t")
	h.typeText("needs callback")
	if out := plainView(h.top()); strings.Contains(out, "Create tag") || !strings.Contains(out, "already has") {
		t.Fatalf("existing tag offered again:\n%s", out)
	}
	h.press("esc")
	if len(h.comps) != 1 {
		t.Fatal("esc did not close")
	}
}

func TestNoteEditorSavesMultiLineNote(t *testing.T) {
	a, c, ids := cpFixture(t)
	p, h := cpPane(t, c, ids[1])
	d := openDialog[*noteEditor](t, h, "n")
	if d.Dirty() {
		t.Fatal("empty editor is dirty")
	}
	h.press("ctrl+s")
	if len(h.comps) != 2 || !strings.Contains(plainView(d), "the note is empty") {
		t.Fatalf("empty note not refused:\n%s", plainView(d))
	}
	h.typeText("Called about order 1234.\nWill call back on Monday.")
	if !d.Dirty() || !d.Typing() {
		t.Fatal("editor with text is not dirty")
	}
	out := plainView(d)
	golden.RequireEqual(t, []byte(out))
	h.press("ctrl+s")
	if len(h.comps) != 1 {
		t.Fatalf("editor still open:\n%s", plainView(h.top()))
	}
	if got := h.lastStatus(); got != "note added" {
		t.Fatalf("status %q", got)
	}
	det, _ := a.ContactDetails(context.Background(), ids[1])
	if len(det.Notes) != 1 || det.Notes[0].Body != "Called about order 1234.\nWill call back on Monday." || det.Notes[0].Author != "ann" {
		t.Fatalf("notes %+v", det.Notes)
	}
	if out := plainView(p); !strings.Contains(out, "Called about order 1234.") || !strings.Contains(out, "Will call back on Monday.") {
		t.Fatalf("pane lacks the note:\n%s", out)
	}
}

func TestNoteEditorEscAsksBeforeDiscarding(t *testing.T) {
	a, c, ids := cpFixture(t)
	_, h := cpPane(t, c, ids[1])
	openDialog[*noteEditor](t, h, "n")
	h.press("esc") // empty: closes at once
	if len(h.comps) != 1 {
		t.Fatal("empty editor did not close")
	}
	openDialog[*noteEditor](t, h, "n")
	h.typeText("half a thought")
	h.press("esc")
	if q, ok := h.top().(*confirm); !ok || q.question != "Discard this note?" {
		t.Fatalf("esc with text opened %T", h.top())
	}
	h.press("n") // keep writing
	if _, ok := h.top().(*noteEditor); !ok {
		t.Fatalf("top is %T", h.top())
	}
	h.press("esc", "y")
	if len(h.comps) != 1 {
		t.Fatalf("discard left %d components", len(h.comps))
	}
	if det, _ := a.ContactDetails(context.Background(), ids[1]); len(det.Notes) != 0 {
		t.Fatal("a discarded note was saved")
	}
}

func TestPropertyFormRefusesBadEmail(t *testing.T) {
	a, c, ids := cpFixture(t)
	_, h := cpPane(t, c, ids[1])
	d := openDialog[*propertyForm](t, h, "e")
	h.press("tab") // name → email
	h.press("ctrl+u")
	h.typeText("not-an-email")
	h.press("tab")
	out := plainView(d)
	if !strings.Contains(out, `email address "not-an-email" is not valid`) {
		t.Fatalf("no message beside the field:\n%s", out)
	}
	golden.RequireEqual(t, []byte(out))
	h.press("ctrl+s")
	if h.top() != d || !strings.Contains(plainView(d), "nothing was saved") {
		t.Fatalf("bad form saved or closed:\n%s", plainView(h.top()))
	}
	if d.rows[d.focus].name != "email" {
		t.Fatalf("focus on %s, want the refused field", d.rows[d.focus].name)
	}
	ct, _ := a.Contact(context.Background(), ids[1])
	if ct.Email != "ann@example.com" {
		t.Fatalf("email saved: %q", ct.Email)
	}
	for _, bad := range []struct{ field, value, want string }{
		{"phone", "12", "phone"}, {"country", "Germany", "ISO 3166"}, {"timezone", "Mars/Olympus", "IANA"},
	} {
		for d.rows[d.focus].name != bad.field {
			h.press("tab")
		}
		h.press("ctrl+u")
		h.typeText(bad.value)
		h.press("ctrl+s")
		if got := d.rows[d.focus]; got.name != "email" || d.rows[rowIndex(d, bad.field)].err == nil ||
			!strings.Contains(d.rows[rowIndex(d, bad.field)].err.Error(), bad.want) {
			t.Fatalf("%s=%q not refused: %v", bad.field, bad.value, d.rows[rowIndex(d, bad.field)].err)
		}
	}
	if det, _ := a.ContactDetails(context.Background(), ids[1]); countActivity(det, model.ActPropertyChanged) != 0 {
		t.Fatal("something was saved")
	}
}

func rowIndex(f *propertyForm, name string) int {
	for i, r := range f.rows {
		if r.name == name {
			return i
		}
	}
	return -1
}

func TestPropertyFormSavesChangedFields(t *testing.T) {
	a, c, ids := cpFixture(t)
	if err := a.SetField(context.Background(), "ann", ids[1], "plan", "silver"); err != nil {
		t.Fatal(err)
	}
	p, h := cpPane(t, c, ids[1])
	d := openDialog[*propertyForm](t, h, "e")
	for _, f := range model.Fields {
		if rowIndex(d, f) < 0 {
			t.Fatalf("form lacks %s", f)
		}
	}
	if d.Dirty() {
		t.Fatalf("untouched form has changes: %v", d.changes())
	}
	set := func(field, value string) {
		for d.rows[d.focus].name != field {
			h.press("tab")
		}
		h.press("ctrl+u")
		h.typeText(value)
	}
	set("company", "Acme GmbH")
	set("country", "de") // same as stored once normalised: no change
	for d.rows[d.focus].name != "lead_stage" {
		h.press("tab")
	}
	h.press("right")
	set("plan", "gold")
	for d.rows[d.focus].kind != rowNewName {
		h.press("tab")
	}
	h.typeText("renewal")
	h.press("tab")
	h.typeText("2027-01")
	if got := d.changes(); len(got) != 4 {
		t.Fatalf("changes %v", got)
	}
	golden.RequireEqual(t, []byte(plainView(d)))
	h.press("ctrl+s")
	if len(h.comps) != 1 {
		t.Fatalf("form still open:\n%s", plainView(h.top()))
	}
	if got := h.lastStatus(); got != "4 properties updated" {
		t.Fatalf("status %q", got)
	}
	det, _ := a.ContactDetails(context.Background(), ids[1])
	if det.Company != "Acme GmbH" || det.LeadStage != model.StageQualified || det.Country != "DE" ||
		det.Properties["plan"] != "gold" || det.Properties["renewal"] != "2027-01" {
		t.Fatalf("saved %+v %v", det.Contact, det.Properties)
	}
	if n := countActivity(det, model.ActPropertyChanged); n != 4+1 { // +1: the fixture's plan
		t.Fatalf("%d property changes in the timeline", n)
	}
	if out := plainView(p); !strings.Contains(out, "Qualified") || !strings.Contains(out, "renewal") {
		t.Fatalf("pane not reloaded:\n%s", out)
	}
}

func TestPropertyFormFocusesSelectedProperty(t *testing.T) {
	a, c, ids := cpFixture(t)
	if err := a.SetField(context.Background(), "ann", ids[1], "plan", "gold"); err != nil {
		t.Fatal(err)
	}
	p, h := cpPane(t, c, ids[1])
	for {
		if it, _ := p.selected(); it.kind == itemProperty && it.key == "plan" {
			break
		}
		h.press("j")
	}
	d := openDialog[*propertyForm](t, h, "e")
	if d.rows[d.focus].name != "plan" {
		t.Fatalf("focus on %q", d.rows[d.focus].name)
	}
	h.press("esc")
	if len(h.comps) != 1 {
		t.Fatal("unchanged form did not close on esc")
	}
}

func TestNewConversationOpensProactiveTicket(t *testing.T) {
	a, c, ids := cpFixture(t)
	_, h := cpPane(t, c, ids[0])
	d := openDialog[*startConversation](t, h, "c")
	if d.focus != composeBody {
		t.Fatal("the only identity's dialog should start in the message")
	}
	h.press("shift+tab")
	h.typeText("Your refund")
	h.press("tab")
	h.typeText("Hi Ann,\nthe refund is on its way.")
	golden.RequireEqual(t, []byte(plainView(d)))
	h.press("ctrl+s")
	if len(h.comps) != 1 {
		t.Fatalf("dialog still open:\n%s", plainView(h.top()))
	}
	if got := h.lastStatus(); !strings.HasPrefix(got, "conversation #") || !strings.HasSuffix(got, "opened on Email") {
		t.Fatalf("status %q", got)
	}
	ts, err := a.ListTickets(context.Background(), app.TicketQuery{ContactID: ids[0], Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var proactive []model.Ticket
	for _, tk := range ts {
		if tk.Proactive {
			proactive = append(proactive, tk)
		}
	}
	if len(proactive) != 1 || proactive[0].Subject != "Your refund" || proactive[0].Identity != "ann@example.com" {
		t.Fatalf("proactive tickets %+v", proactive)
	}
}

func TestNewConversationRefusesMarketingToUnsubscribed(t *testing.T) {
	a, c, ids := cpFixture(t)
	if _, err := a.AddIdentity(context.Background(), "ann", ids[0], model.WhatsApp, "+49 151 23456789"); err != nil {
		t.Fatal(err)
	}
	if err := a.Unsubscribe(context.Background(), "ann", ids[0]); err != nil {
		t.Fatal(err)
	}
	_, h := cpPane(t, c, ids[0])
	d := openDialog[*startConversation](t, h, "c")
	if d.focus != composeTo {
		t.Fatal("two identities: the dialog should start on the choice")
	}
	h.press("down")
	if d.isEmail() || strings.Contains(plainView(d), "marketing email") {
		t.Fatalf("WhatsApp offers email settings:\n%s", plainView(d))
	}
	h.press("up")
	h.press("tab", "tab") // subject, message
	h.typeText("Black Friday: 30% off everything")
	h.press("tab", "space")
	if !d.marketing || !strings.Contains(plainView(d), "[x] marketing email") {
		t.Fatalf("marketing not toggled:\n%s", plainView(d))
	}
	h.press("ctrl+s")
	if h.top() != d {
		t.Fatalf("refused dialog closed")
	}
	out := plainView(d)
	if !strings.Contains(out, "unsubscribed from marketing email") || !strings.Contains(out, "Not sent") {
		t.Fatalf("no refusal shown:\n%s", out)
	}
	golden.RequireEqual(t, []byte(out))
	if ts, _ := a.ListTickets(context.Background(), app.TicketQuery{ContactID: ids[0], Limit: 10}); len(ts) != 1 {
		t.Fatalf("%d tickets: the refused one was created", len(ts))
	}
	// As a service message it goes.
	h.press("space", "ctrl+s")
	if len(h.comps) != 1 {
		t.Fatalf("service message not sent:\n%s", plainView(h.top()))
	}
}
