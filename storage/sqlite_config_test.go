package storage

import "testing"

// SQLite took the memory-statistics setting (it is refused once SQLite is
// initialised, so this fails if something opens a database first).
func TestSQLiteMemstatusOff(t *testing.T) {
	if !memstatusOff {
		t.Fatal("sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) was refused: SQLite was initialised before storage's init")
	}
}
