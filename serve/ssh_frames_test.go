package serve

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// counter is a model whose view says how many messages it has seen.
type counter struct{ msgs, views int }

func (c *counter) Init() tea.Cmd { return nil }
func (c *counter) Update(tea.Msg) (tea.Model, tea.Cmd) {
	c.msgs++
	return c, nil
}
func (c *counter) View() tea.View {
	c.views++
	return tea.NewView(fmt.Sprint(c.msgs))
}

func TestFramedDrawsInputAtOnceAndTheRestAtMostOncePerFrame(t *testing.T) {
	inner := &counter{}
	f := newFramed(inner, 100*time.Millisecond, "cxinbox · ann")
	f.View()
	type loaded struct{}

	// A burst of loads right after a frame: one deferred frame, with a tick
	// scheduled to draw it.
	var ticks []tea.Cmd
	for range 5 {
		if _, cmd := f.Update(loaded{}); cmd != nil {
			ticks = append(ticks, cmd)
		}
		if got := f.View().Content; got != "0" {
			t.Fatalf("a load redrew within the frame: %q", got)
		}
	}
	if len(ticks) != 1 || inner.views != 1 {
		t.Fatalf("%d ticks scheduled, %d views drawn", len(ticks), inner.views)
	}
	if _, ok := ticks[0]().(redrawMsg); !ok {
		t.Fatal("the scheduled command is not the redraw tick")
	}
	// A key press draws at once, with everything before it (the tick
	// arriving later changes nothing).
	f.Update(tea.KeyPressMsg{Code: 'j', Text: "j"})
	if got := f.View(); got.Content != "6" || got.WindowTitle != "cxinbox · ann" {
		t.Fatalf("key press view: %q %q", got.Content, got.WindowTitle)
	}
	f.Update(redrawMsg{})
	// What the key set off draws within an echo frame.
	if _, cmd := f.Update(loaded{}); cmd == nil {
		t.Fatal("no echo frame scheduled")
	}
	time.Sleep(echoEvery)
	f.Update(redrawMsg{})
	if got := f.View().Content; got != "7" {
		t.Fatalf("the key's own load: %q", got)
	}
	// Later, a load draws at once if the last frame is old enough, and
	// the next one waits for the tick.
	time.Sleep(echo)
	if _, cmd := f.Update(loaded{}); cmd != nil || f.View().Content != "8" {
		t.Fatal("a load after a quiet spell waited")
	}
	if _, cmd := f.Update(loaded{}); cmd == nil {
		t.Fatal("no tick scheduled")
	}
	if got := f.View().Content; got != "8" {
		t.Fatalf("a load redrew within the frame: %q", got)
	}
	time.Sleep(100 * time.Millisecond)
	f.Update(redrawMsg{})
	if got := f.View().Content; got != "9" {
		t.Fatalf("after the tick: %q", got)
	}
	views := inner.views
	f.View()
	if inner.views != views {
		t.Error("an unchanged model was drawn again")
	}
}
