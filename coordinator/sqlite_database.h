// A small owning layer over SQLite: the database connection and its prepared statements as RAII
// types, every failure turned into an exception that names the file and SQLite's message.
//
// The job ledger (job_ledger.h) is the only user. One connection per thread: the coordinator
// writes through its own, `motionfarm status` reads through another (WAL lets readers run while
// the coordinator writes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace motionfarm::coordinator {

class SqliteStatement;

class SqliteDatabase {
 public:
  enum class Mode { kReadWriteCreate, kReadOnly };

  // Opens (or creates) `path`. Throws Error naming the file when it cannot be opened. Waits up to
  // `busy_timeout_ms` for another connection's lock before a statement fails.
  SqliteDatabase(const std::string& path, Mode mode, int busy_timeout_ms = 10000);
  ~SqliteDatabase();
  SqliteDatabase(SqliteDatabase&& other) noexcept;
  SqliteDatabase& operator=(SqliteDatabase&& other) noexcept;
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  // Runs one or more statements that return no rows.
  void execute(const std::string& sql);
  SqliteStatement prepare(const std::string& sql);
  int64_t last_insert_rowid() const;
  const std::string& path() const { return path_; }

  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// A prepared statement, reset and cleared for reuse by reset(). Parameters are 1-based as in
// SQLite; columns 0-based.
class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* statement, std::string path);
  ~SqliteStatement();
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& bind(int index, int64_t value);
  SqliteStatement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  SqliteStatement& bind(int index, double value);
  SqliteStatement& bind(int index, const std::string& value);
  SqliteStatement& bind(int index, const char* value) { return bind(index, std::string(value)); }
  SqliteStatement& bind_null(int index);
  // Binds `value` or NULL.
  SqliteStatement& bind(int index, const std::optional<double>& value);

  // Advances: true when a row is available, false when done. Throws Error on failure.
  bool step();
  // Runs a statement that returns no rows, then resets it.
  void run();
  void reset();

  bool is_null(int column) const;
  int64_t column_int(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;  // "" for NULL

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_;
  std::string path_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when destroyed before commit() (an exception).
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDatabase& db);
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  void commit();

 private:
  SqliteDatabase& db_;
  bool open_ = true;
};

}  // namespace motionfarm::coordinator
