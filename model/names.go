package model

import "hash/fnv"

// The spec names a web-chat visitor who skipped the pre-chat form with a fake
// two-word name "for the convenience of memory", like "Rich Key". The words
// are short, friendly and unlikely to be read as a real surname.
var (
	nameAdjectives = []string{
		"Rich", "Calm", "Brave", "Bright", "Swift", "Quiet", "Lucky", "Merry", "Gentle", "Bold",
		"Clever", "Eager", "Fair", "Happy", "Jolly", "Kind", "Lively", "Mellow", "Noble", "Proud",
		"Rapid", "Sunny", "Witty", "Zesty", "Amber", "Silver", "Golden", "Misty", "Rosy", "Coral",
		"Breezy", "Cosy", "Daring", "Fancy", "Grand", "Humble", "Keen", "Loyal", "Nimble", "Polite",
	}
	nameNouns = []string{
		"Key", "River", "Maple", "Falcon", "Harbor", "Meadow", "Comet", "Pebble", "Willow", "Otter",
		"Lantern", "Summit", "Canyon", "Sparrow", "Cedar", "Island", "Beacon", "Orchid", "Breeze", "Fox",
		"Garnet", "Heron", "Ivy", "Jasper", "Kite", "Lark", "Marble", "Nectar", "Oak", "Pine",
		"Quill", "Robin", "Saffron", "Tulip", "Violet", "Wren", "Acorn", "Birch", "Clover", "Dune",
	}
)

// GeneratedName picks the visitor's two-word name from their visitor id, so
// the same visitor always gets the same name.
func GeneratedName(visitorID string) string {
	h := fnv.New64a()
	h.Write([]byte(visitorID))
	n := h.Sum64()
	return nameAdjectives[n%uint64(len(nameAdjectives))] + " " + nameNouns[(n/uint64(len(nameAdjectives)))%uint64(len(nameNouns))]
}
