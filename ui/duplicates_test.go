package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"cxinbox/app"
	"cxinbox/model"
)

// manyPairs is a database with n open pairs, all of one score: n SMS
// contacts, and n web-chat visitors whose pre-chat form gives one of those
// phones (and no name, so theirs is generated).
func manyPairs(t *testing.T, n int) (*app.App, *Context) {
	t.Helper()
	a, err := app.Open(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	var msgs []model.Inbound
	for i := range n {
		phone := fmt.Sprintf("+1631555%04d", i)
		at := dupNow.Add(-time.Duration(2*n-i) * time.Minute)
		msgs = append(msgs, model.Inbound{Sender: model.Identity{Channel: model.SMS, Value: phone},
			MessageID: fmt.Sprintf("sms-%d", i), Text: "hello", SentAt: at})
	}
	for i := range n {
		m := model.Inbound{Sender: model.Identity{Channel: model.WebChat, Value: fmt.Sprintf("v-%d", i)},
			MessageID: fmt.Sprintf("chat-%d", i), Text: "hello again", SentAt: dupNow.Add(-time.Duration(n-i) * time.Minute),
			StartedBy: model.StartedByVisitor, Prechat: &model.Prechat{Phone: fmt.Sprintf("+1631555%04d", i)}}
		msgs = append(msgs, m)
	}
	if _, err := a.Ingest(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	if got, err := a.CountDuplicates(context.Background()); err != nil || got != int64(n) {
		t.Fatalf("%d pairs, want %d (%v)", got, n, err)
	}
	return a, &Context{Ctx: context.Background(), App: a, Agent: "ann", Styles: DefaultStyles(), Now: func() time.Time { return dupNow }}
}

func openDuplicates(t *testing.T, c *Context, w, h int) (*duplicatesScreen, *dupStack) {
	t.Helper()
	s := newDuplicatesScreen(c)
	return s, onStack(t, s, w, h)
}

func TestDuplicatesGolden(t *testing.T) {
	_, c, _ := dupFixture(t)
	cases := []struct {
		name string
		w, h int
		keys []string
	}{
		{"best_first_at_120x40", 120, 40, nil},
		{"best_first_at_80x24", 80, 24, nil},
		{"cursor_on_third_at_80x24", 80, 24, []string{"j", "j"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, st := openDuplicates(t, c, tc.w, tc.h)
			st.press(tc.keys...)
			requireFits(t, s.View(), tc.w, tc.h)
			golden.RequireEqual(t, []byte(plainView(s)))
		})
	}
	t.Run("empty_at_80x24", func(t *testing.T) {
		_, c := contactEnv(t)
		s, _ := openDuplicates(t, c, 80, 24)
		golden.RequireEqual(t, []byte(plainView(s)))
	})
}

func TestDuplicatesBestFirstWithNamesAndReasons(t *testing.T) {
	_, c, ids := dupFixture(t)
	s, _ := openDuplicates(t, c, 120, 40)
	if len(s.rows) != ids.pairsTotal || s.total != int64(ids.pairsTotal) || s.more {
		t.Fatalf("%d rows of %d, more %v", len(s.rows), s.total, s.more)
	}
	for i := 1; i < len(s.rows); i++ {
		if s.rows[i].Score > s.rows[i-1].Score {
			t.Fatalf("row %d scores %.3f above row %d's %.3f", i, s.rows[i].Score, i-1, s.rows[i-1].Score)
		}
	}
	contactRequire(t, plainView(s), fmt.Sprintf("%d open pairs, best first", ids.pairsTotal),
		fmt.Sprintf("#%d Bob Stone", ids.bob), fmt.Sprintf("#%d Robert Stone", ids.bobChat), "same phone",
		"email differs only in dots or +tag")
}

func TestDuplicatesReadsPagesAsTheCursorNearsTheEnd(t *testing.T) {
	_, c := manyPairs(t, 3*duplicatesPage+7)
	s, st := openDuplicates(t, c, 120, 40)
	if len(s.rows) != duplicatesPage || !s.more || s.total != 3*duplicatesPage+7 {
		t.Fatalf("first load: %d rows, more %v, total %d", len(s.rows), s.more, s.total)
	}
	for range 20 {
		st.press("j")
	}
	if len(s.rows) != 2*duplicatesPage {
		t.Fatalf("at row %d: %d rows loaded", s.cursor+1, len(s.rows))
	}
	st.press("G") // the end of what is loaded, and the page after it
	if len(s.rows) != 3*duplicatesPage || s.cursor != 2*duplicatesPage-1 {
		t.Fatalf("G: %d rows, row %d", len(s.rows), s.cursor+1)
	}
	st.press("G", "G")
	if len(s.rows) != 3*duplicatesPage+7 || s.more {
		t.Fatalf("the end: %d rows, more %v", len(s.rows), s.more)
	}
	seen := map[pairKey]bool{}
	for _, r := range s.rows {
		if k := pairKeyOf(r.DuplicatePair); seen[k] {
			t.Fatalf("pair %v twice", k)
		} else {
			seen[k] = true
		}
	}
}

func TestDuplicatesNotDuplicateFromTheList(t *testing.T) {
	a, c, ids := dupFixture(t)
	s, st := openDuplicates(t, c, 120, 40)
	st.press("j")
	p := s.rows[1].DuplicatePair
	below := pairKeyOf(s.rows[2].DuplicatePair)
	st.press("n")
	if len(s.rows) != ids.pairsTotal-1 || s.index(pairKeyOf(p)) >= 0 {
		t.Fatalf("pair %v still listed", pairKeyOf(p))
	}
	if got := pairKeyOf(s.rows[s.cursor].DuplicatePair); got != below {
		t.Fatalf("cursor on %v, want the next pair %v", got, below)
	}
	if last := st.statuses[len(st.statuses)-1]; last.err || last.text != fmt.Sprintf("#%d and #%d recorded as not a duplicate", p.A, p.B) {
		t.Fatalf("status %+v", last)
	}
	cmp, err := a.Compare(context.Background(), p.A, p.B)
	if err != nil || !cmp.Dismissed {
		t.Fatalf("not recorded: %v", err)
	}
}

func TestDuplicatesReloadKeepsTheSelectedPair(t *testing.T) {
	a, c, _ := dupFixture(t)
	s, st := openDuplicates(t, c, 120, 40)
	st.press("j", "j")
	want := pairKeyOf(s.rows[2].DuplicatePair)
	top := s.rows[0].DuplicatePair
	// Another agent dismisses the best pair: the rows shift up, the cursor
	// stays on its pair.
	if err := a.NotDuplicate(context.Background(), "bob", top.A, top.B); err != nil {
		t.Fatal(err)
	}
	st.run(s.Update(dataChangedMsg{Source: "external"}))
	if got := pairKeyOf(s.rows[s.cursor].DuplicatePair); got != want || s.cursor != 1 {
		t.Fatalf("after reload on %v at row %d, want %v at row 2", got, s.cursor+1, want)
	}
}

func TestDuplicatesEnterComparesFromThatPair(t *testing.T) {
	_, c, ids := dupFixture(t)
	s, st := openDuplicates(t, c, 120, 40)
	st.press("j", "enter")
	cs, ok := st.top().(*compareScreen)
	if !ok {
		t.Fatalf("enter opened %T", st.top())
	}
	if cs.shown != pairKeyOf(s.rows[1].DuplicatePair) || len(cs.pairs) != ids.pairsTotal-1 || !cs.loaded {
		t.Fatalf("comparison at %v with %d pairs, want %v", cs.shown, len(cs.pairs), pairKeyOf(s.rows[1].DuplicatePair))
	}
	st.press("n")
	if cs.shown != pairKeyOf(s.rows[1].DuplicatePair) {
		t.Fatalf("after n the comparison shows %v; the list's next pair is %v", cs.shown, pairKeyOf(s.rows[1].DuplicatePair))
	}
	if len(s.rows) != ids.pairsTotal-1 {
		t.Fatalf("the list beneath did not reload: %d rows", len(s.rows))
	}
	st.press("esc")
	if st.top() != s {
		t.Fatalf("esc left %T on top", st.top())
	}
}
