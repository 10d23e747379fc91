package storage

/*
// sqlite3_config is SQLite's (compiled into go-sqlite3); it is variadic, so
// cgo reaches it through these wrappers.
extern int sqlite3_config(int, ...);

static int cx_memstatus_off(void) { return sqlite3_config(9, 0); }        // SQLITE_CONFIG_MEMSTATUS
static int cx_lookaside(void) { return sqlite3_config(13, 1200, 400); }   // SQLITE_CONFIG_LOOKASIDE
*/
import "C"

// Process-wide SQLite settings. They must be made before the first
// connection initialises SQLite (afterwards the calls are refused,
// harmlessly), hence package variables, set before any init or Open runs.
// Each was measured on the ingest writer in alternating runs.
var (
	// SQLite counts every allocation under a global mutex for
	// sqlite3_status(), which cxinbox never reads (ingest +6–10%).
	memstatusOff = C.cx_memstatus_off() == 0
	// 400 lookaside slots of 1,200 bytes per connection (SQLite's default
	// is 40): a row's small allocations come from the connection's own
	// memory instead of malloc (ingest writer +10%, ~0.5 MB a connection).
	lookaside = C.cx_lookaside() == 0
)
