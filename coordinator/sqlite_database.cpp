#include "coordinator/sqlite_database.h"

#include <sqlite3.h>

#include <cerrno>
#include <utility>

#include "core/disk_full.h"
#include "core/error.h"

namespace motionfarm::coordinator {
namespace {

// The errno of the last failed system call on the database file and on its journal (the WAL).
int file_errno(sqlite3* db, bool journal) {
  int value = 0;
  if (!journal) {
    sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &value);
    return value;
  }
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr) {
    return 0;
  }
  file->pMethods->xFileControl(file, SQLITE_FCNTL_LAST_ERRNO, &value);
  return value;
}

// The out-of-space errno behind the connection's last failure (core/disk_full.h), or 0. SQLite
// says SQLITE_FULL for ENOSPC, but only "disk I/O error" when a write fails with EFBIG or EDQUOT;
// the errno of that write is kept by the file it failed on, the WAL as often as the database
// (sqlite3_system_errno reads the global errno later, by when it is usually gone).
int out_of_space_errno(sqlite3* db) {
  if (!db) return 0;
  if (sqlite3_errcode(db) == SQLITE_FULL) return ENOSPC;
  if (sqlite3_errcode(db) != SQLITE_IOERR) return 0;
  for (const int value : {sqlite3_system_errno(db), file_errno(db, true), file_errno(db, false)}) {
    if (core::is_out_of_space(value)) return value;
  }
  return 0;
}

[[noreturn]] void fail(sqlite3* db, const std::string& path, const std::string& what) {
  const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
  if (const int code = out_of_space_errno(db)) {
    // The failed transaction was rolled back; every one committed before is intact.
    throw DiskFullError("job ledger " + path + ": " + what + " failed (" + message +
                        "): " + core::disk_full_text(code));
  }
  throw Error("job ledger " + path + ": " + what + ": " + message);
}

}  // namespace

SqliteDatabase::SqliteDatabase(const std::string& path, Mode mode, int busy_timeout_ms)
    : path_(path) {
  const int flags =
      mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  // FULLMUTEX is not needed: each connection is used by one thread.
  const int code = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (code != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error("job ledger " + path + ": cannot open: " + message);
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms);
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close(db_); }

SqliteDatabase::SqliteDatabase(SqliteDatabase&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

SqliteDatabase& SqliteDatabase::operator=(SqliteDatabase&& other) noexcept {
  if (this != &other) {
    sqlite3_close(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

void SqliteDatabase::execute(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    if (out_of_space_errno(db_)) fail(db_, path_, "'" + sql.substr(0, 80) + "'");
    throw Error("job ledger " + path_ + ": " + text + " (in: " + sql.substr(0, 80) + ")");
  }
}

SqliteStatement SqliteDatabase::prepare(const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    fail(db_, path_, "cannot prepare '" + sql.substr(0, 80) + "'");
  }
  return SqliteStatement(db_, statement, path_);
}

int64_t SqliteDatabase::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

SqliteStatement::SqliteStatement(sqlite3* db, sqlite3_stmt* statement, std::string path)
    : db_(db), statement_(statement), path_(std::move(path)) {}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(statement_); }

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_),
      statement_(std::exchange(other.statement_, nullptr)),
      path_(std::move(other.path_)) {}

SqliteStatement& SqliteStatement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(statement_, index, value) != SQLITE_OK) fail(db_, path_, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, double value) {
  if (sqlite3_bind_double(statement_, index, value) != SQLITE_OK) fail(db_, path_, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, const std::string& value) {
  if (sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    fail(db_, path_, "bind");
  }
  return *this;
}

SqliteStatement& SqliteStatement::bind_null(int index) {
  if (sqlite3_bind_null(statement_, index) != SQLITE_OK) fail(db_, path_, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, const std::optional<double>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

bool SqliteStatement::step() {
  const int code = sqlite3_step(statement_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  fail(db_, path_, "statement '" + std::string(sqlite3_sql(statement_)).substr(0, 80) + "'");
}

void SqliteStatement::run() {
  while (step()) {
  }
  reset();
}

void SqliteStatement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

bool SqliteStatement::is_null(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

int64_t SqliteStatement::column_int(int column) const {
  return sqlite3_column_int64(statement_, column);
}

double SqliteStatement::column_double(int column) const {
  return sqlite3_column_double(statement_, column);
}

std::string SqliteStatement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  if (!text) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
}

SqliteTransaction::SqliteTransaction(SqliteDatabase& db) : db_(db) {
  db_.execute("BEGIN IMMEDIATE");
}

SqliteTransaction::~SqliteTransaction() {
  if (!open_) return;
  try {
    db_.execute("ROLLBACK");
  } catch (const std::exception&) {
    // Nothing more to do: the connection rolls back an open transaction when it closes.
  }
}

void SqliteTransaction::commit() {
  db_.execute("COMMIT");
  open_ = false;
}

}  // namespace motionfarm::coordinator
