package storage

/*
// sqlite3_config is SQLite's (compiled into go-sqlite3); it is variadic, so
// cgo reaches it through this wrapper.
extern int sqlite3_config(int, ...);

static int cx_memstatus_off(void) { return sqlite3_config(9, 0); } // SQLITE_CONFIG_MEMSTATUS
*/
import "C"

// memstatusOff says SQLite took the setting: it counts every allocation
// under a global mutex for sqlite3_status(), which cxinbox never reads
// (about 6–10% of ingest here). It must be set before the first connection
// initialises SQLite; afterwards the call is refused, harmlessly.
var memstatusOff = C.cx_memstatus_off() == 0
