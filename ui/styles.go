package ui

import (
	"image/color"

	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"cxinbox/model"
)

// Styles is every look of the UI in one place. Colours are ANSI-16 based so
// they degrade cleanly to whatever the terminal (or SSH client) supports.
type Styles struct {
	App        lipgloss.Style
	Title      lipgloss.Style
	Pane       lipgloss.Style // an unfocused pane's border
	PaneFocus  lipgloss.Style // the focused pane's border
	Header     lipgloss.Style // a section heading inside a pane
	Selected   lipgloss.Style // the selected row
	Dim        lipgloss.Style
	Bold       lipgloss.Style
	Error      lipgloss.Style
	OK         lipgloss.Style
	Warn       lipgloss.Style
	Tag        lipgloss.Style
	Generated  lipgloss.Style // a generated visitor name
	Inbound    lipgloss.Style // a customer's message header
	Outbound   lipgloss.Style // an agent's message header
	Dialog     lipgloss.Style
	StatusBar  lipgloss.Style
	KeyHint    lipgloss.Style
	Unread     lipgloss.Style
	channelFGs map[model.Channel]color.Color
	Label      lipgloss.Style   // a field's name beside its value (contact pane, forms)
	Input      textinput.Styles // one-line text fields of dialogs
	TextArea   textarea.Styles  // multi-line editors (notes, first messages)
	Marked     lipgloss.Style   // tickets picked for a batch action, and their count
	Filtered   lipgloss.Style   // the list's "filtered" marker (the filter drawer's filter is on)
	Differ     lipgloss.Style   // a value on which two compared contacts differ
	Chosen     lipgloss.Style   // the value picked in the merge form
}

// DefaultStyles returns the standard theme.
func DefaultStyles() Styles {
	border := lipgloss.RoundedBorder()
	return Styles{
		App:       lipgloss.NewStyle(),
		Title:     lipgloss.NewStyle().Bold(true).Foreground(lipgloss.BrightBlue),
		Pane:      lipgloss.NewStyle().Border(border).BorderForeground(lipgloss.BrightBlack),
		PaneFocus: lipgloss.NewStyle().Border(border).BorderForeground(lipgloss.BrightBlue),
		Header:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Blue),
		Selected:  lipgloss.NewStyle().Reverse(true),
		Dim:       lipgloss.NewStyle().Foreground(lipgloss.BrightBlack),
		Bold:      lipgloss.NewStyle().Bold(true),
		Error:     lipgloss.NewStyle().Foreground(lipgloss.BrightRed),
		OK:        lipgloss.NewStyle().Foreground(lipgloss.Green),
		Warn:      lipgloss.NewStyle().Foreground(lipgloss.Yellow),
		Tag:       lipgloss.NewStyle().Foreground(lipgloss.Black).Background(lipgloss.Cyan).Padding(0, 1),
		Generated: lipgloss.NewStyle().Italic(true).Foreground(lipgloss.Magenta),
		Inbound:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Cyan),
		Outbound:  lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Green),
		Dialog:    lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.BrightBlue).Padding(0, 1),
		StatusBar: lipgloss.NewStyle().Foreground(lipgloss.BrightWhite),
		KeyHint:   lipgloss.NewStyle().Foreground(lipgloss.BrightBlack),
		Unread:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Black).Background(lipgloss.Yellow).Padding(0, 1),
		channelFGs: map[model.Channel]color.Color{
			model.Email: lipgloss.Blue, model.SMS: lipgloss.Yellow, model.WhatsApp: lipgloss.Green,
			model.Facebook: lipgloss.BrightBlue, model.Instagram: lipgloss.Magenta, model.Telegram: lipgloss.Cyan,
			model.WebChat: lipgloss.BrightMagenta,
		},
		Label:    lipgloss.NewStyle().Foreground(lipgloss.BrightBlack),
		Input:    inputStyles(),
		TextArea: textAreaStyles(),
		Marked:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.BrightMagenta),
		Filtered: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Black).Background(lipgloss.Magenta).Padding(0, 1),
		Differ:   lipgloss.NewStyle().Foreground(lipgloss.Yellow),
		Chosen:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Green),
	}
}

// channelBadges are short fixed-width channel names for lists.
var channelBadges = map[model.Channel]string{
	model.Email: "MAIL", model.SMS: "SMS ", model.WhatsApp: "WA  ", model.Facebook: "FB  ",
	model.Instagram: "IG  ", model.Telegram: "TG  ", model.WebChat: "CHAT",
}

// Badge renders a channel's four-letter badge in its colour.
func (s Styles) Badge(ch model.Channel) string {
	b, ok := channelBadges[ch]
	if !ok {
		b = string(ch)
	}
	return lipgloss.NewStyle().Foreground(s.channelFGs[ch]).Bold(true).Render(b)
}

// inputStyles are the one-line fields' looks. The cursor does not blink: a
// blink is a redraw twice a second, for every SSH session.
func inputStyles() textinput.Styles {
	hint := lipgloss.NewStyle().Foreground(lipgloss.BrightBlack)
	return textinput.Styles{
		Focused: textinput.StyleState{Text: lipgloss.NewStyle(), Placeholder: hint, Suggestion: hint,
			Prompt: lipgloss.NewStyle().Foreground(lipgloss.BrightBlue)},
		Blurred: textinput.StyleState{Text: lipgloss.NewStyle(), Placeholder: hint, Suggestion: hint, Prompt: hint},
		Cursor:  textinput.CursorStyle{Color: lipgloss.BrightBlue, Shape: tea.CursorBlock},
	}
}

// textAreaStyles are the multi-line editors' looks: no cursor-line band, a
// thin prompt bar that lights up with focus, a steady cursor.
func textAreaStyles() textarea.Styles {
	plain, hint := lipgloss.NewStyle(), lipgloss.NewStyle().Foreground(lipgloss.BrightBlack)
	focused := textarea.StyleState{Base: plain, Text: plain, LineNumber: hint, CursorLineNumber: hint, CursorLine: plain,
		EndOfBuffer: hint, Placeholder: hint, Prompt: lipgloss.NewStyle().Foreground(lipgloss.BrightBlue)}
	blurred := focused
	blurred.Prompt = hint
	return textarea.Styles{Focused: focused, Blurred: blurred,
		Cursor: textarea.CursorStyle{Color: lipgloss.BrightBlue, Shape: tea.CursorBlock}}
}

// detailsColumn is a bordered, padded column of Contact Details; the one
// with the keyboard gets the focus colour.
func (s Styles) detailsColumn(focused bool) lipgloss.Style {
	if focused {
		return s.PaneFocus.Padding(0, 1)
	}
	return s.Pane.Padding(0, 1)
}
