package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// TestE2EViewBuilderInlineError runs the whole program: from the rail, the
// agent opens the view builder, fills two conditions, types a broken
// expression and tries to save. The error shows inline as it is typed, the
// save is refused, and nothing is stored.
func TestE2EViewBuilderInlineError(t *testing.T) {
	a := e2eApp(t)
	tm, s := startE2E(t, a, 120, 36)
	send := func(ks ...any) {
		for _, k := range ks {
			switch k := k.(type) {
			case tea.KeyPressMsg:
				tm.Send(k)
			case string:
				for _, r := range k {
					tm.Send(e2eKey(string(r)))
				}
			}
		}
	}
	var (
		tab      = tea.KeyPressMsg{Code: tea.KeyTab}
		shiftTab = tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
		enter    = tea.KeyPressMsg{Code: tea.KeyEnter}
		left     = tea.KeyPressMsg{Code: tea.KeyLeft}
		right    = tea.KeyPressMsg{Code: tea.KeyRight}
		up       = tea.KeyPressMsg{Code: tea.KeyUp}
	)
	send(shiftTab, "N") // the rail, then a new view
	waitText(t, s, "+ Add a Condition")
	send("Ann or Bob", tab, tab, right, right) // name; Public; match: all → any → expression
	send(tab, tab, enter, tab, tab, "ann")     // row 1: contact name contains ann
	send(tab, enter, tab, left, tab, "Bob Smith")
	send(up, up, "(1 or 2")
	const msg = "Invalid logical expression: unclosed parenthesis at 1"
	waitText(t, s, msg)
	send(tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl})
	waitText(t, s, "nothing was saved")
	tm.Quit()
	frame := ansi.Strip(tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).View().Content)
	if !strings.Contains(frame, msg) || !strings.Contains(frame, "(1 or 2") {
		t.Fatalf("final frame:\n%s", frame)
	}
	teatest.RequireEqualOutput(t, []byte(frame))
	if vs, err := a.Views(context.Background(), "ann"); err != nil || len(vs) != 0 {
		t.Fatalf("views %v, err %v: a refused save stored something", vs, err)
	}
}
