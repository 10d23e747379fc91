package storage

import "testing"

// SQLite took the process-wide settings (they are refused once SQLite is
// initialised, so this fails if something opens a database first).
func TestSQLiteConfigTaken(t *testing.T) {
	if !memstatusOff {
		t.Error("sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) was refused: SQLite was initialised before storage's variables")
	}
	if !lookaside {
		t.Error("sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 1200, 400) was refused: SQLite was initialised before storage's variables")
	}
}
