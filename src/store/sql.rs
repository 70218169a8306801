//! The SQL the services speak, over either engine: the embedded SQLite file or the branch's
//! PostgreSQL server. A service writes its statements once, in the subset both engines share
//! (numbered `?N` parameters, `RETURNING`, `ON CONFLICT`), binds values through [`ToSql`] and reads
//! them through [`FromSql`]; the engine underneath is chosen when the store opens.
//!
//! Values travel as SQLite's five storage classes ([`Value`]). On PostgreSQL a value is bound as the
//! type the server expects for that parameter and read back into the same five classes, so a
//! `bigint`, a `numeric` sum and an `integer` all read as [`Value::Integer`].

use super::pg::{PgRows, PgSession};
use std::cell::RefCell;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The storage class of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Null,
    Integer,
    Real,
    Text,
    Blob,
}

/// Why a statement or a read failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the query returned no rows")]
    QueryReturnedNoRows,
    #[error("column {0} ({1:?}) could not be read: {2}")]
    FromSqlConversionFailure(
        usize,
        Type,
        Box<dyn std::error::Error + Send + Sync + 'static>,
    ),
    #[error("column {0} holds {1:?}, which does not read as the type asked for")]
    InvalidColumnType(usize, Type),
    #[error("column {0} holds {1}, out of range for the type asked for")]
    IntegralValueOutOfRange(usize, i64),
    #[error("the row has no column {0}")]
    InvalidColumnIndex(usize),
    #[error("the row has no column named {0:?}")]
    InvalidColumnName(String),
    #[error("a value could not be bound: {0}")]
    ToSqlConversionFailure(Box<dyn std::error::Error + Send + Sync + 'static>),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", crate::server::detail(.0))]
    Postgres(#[from] postgres::Error),
    /// A write checked with [`Connection::execute_guarded`] changed another number of rows than its
    /// change expected: what the change read no longer holds.
    #[error("{sql} changed {changed} rows where {expected} were expected")]
    Moved {
        sql: String,
        changed: usize,
        expected: usize,
    },
    /// The server refused to prepare a statement: a statement outside what both engines share.
    #[error("{} in: {sql}", crate::server::detail(.source))]
    Prepare {
        sql: String,
        #[source]
        source: postgres::Error,
    },
}

impl Error {
    /// The database is busy with another writer (SQLite's lock), so the state change may be tried
    /// again later.
    pub fn is_busy(&self) -> bool {
        match self {
            Error::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            // lock_not_available: the branch's write lock was held past `lock_timeout`.
            Error::Postgres(e) => pg_code(e) == Some("55P03"),
            _ => false,
        }
    }

    /// The server could not be reached or the connection broke: nothing was committed by this
    /// statement's transaction, and the store reconnects before the next one.
    pub fn is_unreachable(&self) -> bool {
        match self {
            // A closed connection, a socket error, a connection exception (class 08) or the
            // server shutting down (57P01-57P03).
            Error::Postgres(e) | Error::Prepare { source: e, .. } => {
                e.is_closed()
                    || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
                    || pg_code(e).is_some_and(|c| c.starts_with("08") || c.starts_with("57P"))
            }
            _ => false,
        }
    }

    /// PostgreSQL's SQLSTATE, when the server answered with an error.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            Error::Postgres(e) | Error::Prepare { source: e, .. } => pg_code(e),
            _ => None,
        }
    }
}

fn pg_code(e: &postgres::Error) -> Option<&str> {
    e.code().map(postgres::error::SqlState::code)
}

/// A value read from a column, borrowed from the row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl ValueRef<'_> {
    pub fn data_type(&self) -> Type {
        match self {
            ValueRef::Null => Type::Null,
            ValueRef::Integer(_) => Type::Integer,
            ValueRef::Real(_) => Type::Real,
            ValueRef::Text(_) => Type::Text,
            ValueRef::Blob(_) => Type::Blob,
        }
    }

    pub fn as_i64(&self) -> FromSqlResult<i64> {
        match self {
            ValueRef::Integer(i) => Ok(*i),
            _ => Err(FromSqlError::InvalidType),
        }
    }

    pub fn as_str(&self) -> FromSqlResult<&str> {
        match self {
            ValueRef::Text(t) => Ok(t),
            _ => Err(FromSqlError::InvalidType),
        }
    }

    fn to_owned_value(self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(r) => Value::Real(r),
            ValueRef::Text(t) => Value::Text(t.to_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }
}

/// An owned value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Text(t) => ValueRef::Text(t),
            Value::Blob(b) => ValueRef::Blob(b),
        }
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Integer(i)
    }
}

impl From<String> for Value {
    fn from(t: String) -> Value {
        Value::Text(t)
    }
}

impl From<&str> for Value {
    fn from(t: &str) -> Value {
        Value::Text(t.to_owned())
    }
}

/// A value to bind: borrowed from the caller where it can be.
#[derive(Debug, Clone, PartialEq)]
pub enum ToSqlOutput<'a> {
    Borrowed(ValueRef<'a>),
    Owned(Value),
}

impl ToSqlOutput<'_> {
    pub fn value(&self) -> ValueRef<'_> {
        match self {
            ToSqlOutput::Borrowed(v) => *v,
            ToSqlOutput::Owned(v) => v.as_ref(),
        }
    }
}

impl<'a, T: Into<Value>> From<T> for ToSqlOutput<'a> {
    fn from(t: T) -> Self {
        ToSqlOutput::Owned(t.into())
    }
}

/// A Rust value that binds as a parameter.
pub trait ToSql {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>>;
}

/// Why a column did not read as the type asked for.
#[derive(Debug)]
pub enum FromSqlError {
    InvalidType,
    OutOfRange(i64),
    Other(Box<dyn std::error::Error + Send + Sync + 'static>),
}

pub type FromSqlResult<T> = std::result::Result<T, FromSqlError>;

/// A Rust value that reads from a column.
pub trait FromSql: Sized {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self>;
}

macro_rules! integer_sql {
    ($($int:ty),*) => {$(
        impl ToSql for $int {
            fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
                i64::try_from(*self)
                    .map(|i| ToSqlOutput::Borrowed(ValueRef::Integer(i)))
                    .map_err(|e| Error::ToSqlConversionFailure(Box::new(e)))
            }
        }

        impl FromSql for $int {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let i = value.as_i64()?;
                <$int>::try_from(i).map_err(|_| FromSqlError::OutOfRange(i))
            }
        }
    )*};
}

integer_sql!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl ToSql for bool {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*self))))
    }
}

impl FromSql for bool {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_i64().map(|i| i != 0)
    }
}

impl ToSql for f64 {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Real(*self)))
    }
}

impl FromSql for f64 {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Real(r) => Ok(r),
            // A whole number reads as a real, as SQLite reads it.
            #[expect(clippy::cast_precision_loss, reason = "as SQLite converts it")]
            ValueRef::Integer(i) => Ok(i as f64),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

impl ToSql for str {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(self)))
    }
}

impl ToSql for String {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(self)))
    }
}

impl FromSql for String {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_str().map(str::to_owned)
    }
}

impl ToSql for [u8] {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Blob(self)))
    }
}

impl ToSql for Vec<u8> {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Blob(self)))
    }
}

impl FromSql for Vec<u8> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(self.as_ref()))
    }
}

impl FromSql for Value {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        Ok(value.to_owned_value())
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        match self {
            Some(t) => t.to_sql(),
            None => Ok(ToSqlOutput::Borrowed(ValueRef::Null)),
        }
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Null => Ok(None),
            v => T::column_result(v).map(Some),
        }
    }
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        (**self).to_sql()
    }
}

impl<T: ToSql + ?Sized> ToSql for Box<T> {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        (**self).to_sql()
    }
}

/// The parameters of one statement: `()`, `params![…]`, or an array of values of one type.
pub trait Params {
    fn bind(&self) -> Result<Vec<ToSqlOutput<'_>>>;
}

impl Params for () {
    fn bind(&self) -> Result<Vec<ToSqlOutput<'_>>> {
        Ok(Vec::new())
    }
}

impl<T: ToSql, const N: usize> Params for [T; N] {
    fn bind(&self) -> Result<Vec<ToSqlOutput<'_>>> {
        self.iter().map(ToSql::to_sql).collect()
    }
}

impl<T: ToSql> Params for &[T] {
    fn bind(&self) -> Result<Vec<ToSqlOutput<'_>>> {
        self.iter().map(ToSql::to_sql).collect()
    }
}

impl<T: ToSql> Params for Vec<T> {
    fn bind(&self) -> Result<Vec<ToSqlOutput<'_>>> {
        self.iter().map(ToSql::to_sql).collect()
    }
}

/// The parameters of a statement, as a slice of values of different types.
#[macro_export]
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::store::sql::ToSql]
    };
    ($($param:expr),+ $(,)?) => {
        &[$(&$param as &dyn $crate::store::sql::ToSql),+] as &[&dyn $crate::store::sql::ToSql]
    };
}

pub use crate::params;

/// `Ok(None)` for a query that found no row, as rusqlite's extension of the same name does.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(t) => Ok(Some(t)),
            Err(Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// One row of a result.
pub struct Row<'r>(RowRef<'r>);

impl std::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Row")
            .field("columns", &self.column_count())
            .finish()
    }
}

enum RowRef<'r> {
    Lite(&'r rusqlite::Row<'r>),
    Pg(&'r postgres::Row),
    /// A row the server sent as text, already read into values.
    Values {
        columns: &'r [String],
        values: &'r [Value],
    },
}

/// A column of a row: by position or by name.
pub trait RowIndex {
    fn index(&self, row: &Row<'_>) -> Result<usize>;
}

impl RowIndex for usize {
    fn index(&self, row: &Row<'_>) -> Result<usize> {
        if *self < row.column_count() {
            Ok(*self)
        } else {
            Err(Error::InvalidColumnIndex(*self))
        }
    }
}

impl RowIndex for &str {
    fn index(&self, row: &Row<'_>) -> Result<usize> {
        let found = match &row.0 {
            RowRef::Lite(r) => r.as_ref().column_index(self).ok(),
            RowRef::Pg(r) => r.columns().iter().position(|c| c.name() == *self),
            RowRef::Values { columns, .. } => columns.iter().position(|c| c == self),
        };
        found.ok_or_else(|| Error::InvalidColumnName((*self).to_owned()))
    }
}

impl Row<'_> {
    pub fn column_count(&self) -> usize {
        match &self.0 {
            RowRef::Lite(r) => r.as_ref().column_count(),
            RowRef::Pg(r) => r.len(),
            RowRef::Values { values, .. } => values.len(),
        }
    }

    /// The column's value as `T`.
    pub fn get<I: RowIndex, T: FromSql>(&self, idx: I) -> Result<T> {
        let i = idx.index(self)?;
        let read = |v: ValueRef<'_>| {
            T::column_result(v).map_err(|e| match e {
                FromSqlError::InvalidType => Error::InvalidColumnType(i, v.data_type()),
                FromSqlError::OutOfRange(n) => Error::IntegralValueOutOfRange(i, n),
                FromSqlError::Other(why) => Error::FromSqlConversionFailure(i, v.data_type(), why),
            })
        };
        match &self.0 {
            RowRef::Lite(r) => read(lite_value(r.get_ref(i)?)),
            RowRef::Pg(r) => {
                let v: super::pg::PgValue = r.try_get(i)?;
                read(v.0.as_ref())
            }
            RowRef::Values { values, .. } => match values.get(i) {
                Some(v) => read(v.as_ref()),
                None => Err(Error::InvalidColumnIndex(i)),
            },
        }
    }
}

fn lite_value(v: rusqlite::types::ValueRef<'_>) -> ValueRef<'_> {
    use rusqlite::types::ValueRef as L;
    match v {
        L::Null => ValueRef::Null,
        L::Integer(i) => ValueRef::Integer(i),
        L::Real(r) => ValueRef::Real(r),
        // SQLite stores TEXT as UTF-8 this program wrote; anything else reads as a blob.
        L::Text(t) => std::str::from_utf8(t).map_or(ValueRef::Blob(t), ValueRef::Text),
        L::Blob(b) => ValueRef::Blob(b),
    }
}

/// Binds a value for SQLite without copying it.
struct LiteArg<'a>(&'a ToSqlOutput<'a>);

impl rusqlite::ToSql for LiteArg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput as O, ValueRef as L};
        Ok(O::Borrowed(match self.0.value() {
            ValueRef::Null => L::Null,
            ValueRef::Integer(i) => L::Integer(i),
            ValueRef::Real(r) => L::Real(r),
            ValueRef::Text(t) => L::Text(t.as_bytes()),
            ValueRef::Blob(b) => L::Blob(b),
        }))
    }
}

/// The rows of a query, read into values, with their columns' names.
#[derive(Debug, Default)]
pub struct Rows {
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<Vec<Value>>,
}

impl Rows {
    /// Every row, each read by `f`.
    pub fn map<T>(&self, mut f: impl FnMut(&Row<'_>) -> Result<T>) -> Result<Vec<T>> {
        self.rows
            .iter()
            .map(|values| {
                f(&Row(RowRef::Values {
                    columns: &self.columns,
                    values,
                }))
            })
            .collect()
    }
}

/// Each query with its parameters bound.
fn bound<'a>(
    queries: &[(&'a str, &'a dyn Params)],
) -> Result<Vec<(&'a str, Vec<ToSqlOutput<'a>>)>> {
    queries
        .iter()
        .map(|(sql, params)| Ok((*sql, params.bind()?)))
        .collect()
}

/// The error of a checked write (or condition) on SQLite that found other than expected.
fn moved(sql: &str, changed: usize, expected: usize) -> Error {
    Error::Moved {
        sql: sql.split_whitespace().collect::<Vec<_>>().join(" "),
        changed,
        expected,
    }
}

/// A connection to the branch's store, on either engine. Statements run inside the transaction the
/// store opened around the caller ([`super::Store::read`], [`super::Store::write`]).
#[derive(Debug)]
pub struct Connection {
    engine: Engine,
}

#[derive(Debug)]
pub(crate) enum Engine {
    Lite(rusqlite::Connection),
    Pg(Box<RefCell<PgSession>>),
}

impl Connection {
    pub(crate) fn sqlite(conn: rusqlite::Connection) -> Connection {
        Connection {
            engine: Engine::Lite(conn),
        }
    }

    pub(crate) fn postgres(session: PgSession) -> Connection {
        Connection {
            engine: Engine::Pg(Box::new(RefCell::new(session))),
        }
    }

    /// The SQLite connection underneath, when the store is the embedded file.
    pub(crate) fn lite(&self) -> Option<&rusqlite::Connection> {
        match &self.engine {
            Engine::Lite(c) => Some(c),
            Engine::Pg(_) => None,
        }
    }

    pub(crate) fn lite_mut(&mut self) -> Option<&mut rusqlite::Connection> {
        match &mut self.engine {
            Engine::Lite(c) => Some(c),
            Engine::Pg(_) => None,
        }
    }

    pub(crate) fn pg(&self) -> Option<&RefCell<PgSession>> {
        match &self.engine {
            Engine::Lite(_) => None,
            Engine::Pg(s) => Some(s),
        }
    }

    /// Runs `sql`, a statement whose answer nobody reads (no rows, no count): on the server held
    /// back to travel with the transaction's next statement or its `COMMIT` (one round trip fewer
    /// while the branch's write lock is held), on SQLite at once. A later statement of the same
    /// transaction sends it first, so it always sees it; its failure fails the transaction there.
    pub fn execute_held<P: Params>(&self, sql: &str, params: P) -> Result<()> {
        match &self.engine {
            Engine::Lite(_) => {
                self.prepare_cached(sql)?.execute(params)?;
                Ok(())
            }
            Engine::Pg(s) => s.borrow_mut().hold(sql, &params.bind()?),
        }
    }

    /// Runs `sql` as [`Connection::execute_held`] does, but on the server in the message that
    /// commits, after every other statement of the transaction (on SQLite at once).
    pub(crate) fn execute_at_commit<P: Params>(&self, sql: &str, params: P) -> Result<()> {
        match &self.engine {
            Engine::Lite(_) => self.execute_held(sql, params),
            Engine::Pg(s) => s.borrow_mut().hold_at_commit(sql, &params.bind()?),
        }
    }

    /// Sends what [`Connection::execute_at_commit`] held with the next statement instead.
    pub(crate) fn release_at_commit(&self) {
        if let Engine::Pg(s) = &self.engine {
            s.borrow_mut().release_at_commit();
        }
    }

    /// Opens a transaction with `statements` (`BEGIN …` and what goes with it). On SQLite they run
    /// at once. On the server they are held to travel with the transaction's first statement, and
    /// with `read_head` the journal's head is read with them ([`Connection::take_begun_head`]).
    pub(crate) fn begin(&self, statements: &[&str], read_head: bool) -> Result<()> {
        match &self.engine {
            Engine::Lite(c) => Ok(c.execute_batch(&statements.join("; "))?),
            Engine::Pg(s) => {
                s.borrow_mut().defer_begin(statements, read_head);
                Ok(())
            }
        }
    }

    /// Opens a transaction that reads before it takes the branch's lock: on the server `begin` is
    /// held as [`Connection::begin`] holds it, and `lock` until the first statement that is not a
    /// read sent with [`Connection::query_before_lock`]. On SQLite `begin` runs at once (its
    /// `BEGIN IMMEDIATE` is the lock, so nothing is read before it).
    pub(crate) fn begin_late(&self, begin: &str, lock: &'static str) -> Result<()> {
        match &self.engine {
            Engine::Lite(c) => Ok(c.execute_batch(begin)?),
            Engine::Pg(s) => {
                s.borrow_mut().defer_begin_late(begin, lock);
                Ok(())
            }
        }
    }

    /// Whether a state change may read before it takes the branch's lock: on a server whose schema
    /// chains the journal itself (revision 2); never on SQLite, whose writer locks at `BEGIN`.
    pub(crate) fn can_write_late(&self) -> bool {
        self.pg().is_some_and(|s| s.borrow().chains())
    }

    /// Whether the open transaction reads before it takes the branch's lock (then its journal
    /// entries are chained on the server, see `journal::append`).
    pub(crate) fn is_late(&self) -> bool {
        self.pg().is_some_and(|s| s.borrow().is_late())
    }

    /// Whether a statement since the last call found that a row its transaction read had changed
    /// since ([`Connection::execute_guarded`], [`Connection::guard`]); the change may run again.
    pub(crate) fn take_moved(&self) -> bool {
        self.pg().is_some_and(|s| s.borrow_mut().take_moved())
    }

    /// Runs `sql` (an `INSERT`, `UPDATE` or `DELETE` without `RETURNING`), which must change
    /// exactly `expected` rows: what the change read before the branch's lock must still hold
    /// when it writes. In a change that read ahead of the lock on the server it is held like
    /// [`Connection::execute_held`], inside a statement that raises LK001 (`guard`) otherwise, so
    /// the whole change is rolled back and run again; a change on the server that took the lock
    /// before it read holds it plainly (nothing can have moved). On SQLite, whose writer reads
    /// under its lock, a difference is an error.
    pub fn execute_guarded<P: Params>(&self, sql: &str, params: P, expected: usize) -> Result<()> {
        match &self.engine {
            Engine::Lite(_) => {
                let changed = self.prepare_cached(sql)?.execute(params)?;
                if changed == expected {
                    Ok(())
                } else {
                    Err(moved(sql, changed, expected))
                }
            }
            // A change that took the lock before it read has nothing to check.
            Engine::Pg(s) if !s.borrow().is_late() => s.borrow_mut().hold(sql, &params.bind()?),
            Engine::Pg(s) => s.borrow_mut().hold(
                &format!(
                    "WITH changed AS ({sql} RETURNING 1) \
                     SELECT guard((SELECT count(*) FROM changed) = {expected})"
                ),
                &params.bind()?,
            ),
        }
    }

    /// Makes this change, on the server, wait behind every other change of the same kind (`class`,
    /// `key`: e.g. the issues of one service) that reads ahead of the branch's lock, until they
    /// commit: it then reads what they wrote, and its checks do not fail for want of waiting. The
    /// checks still decide; this only keeps changes of one kind from racing each other into
    /// running again. A lock of the transaction's own (`pg_advisory_xact_lock(class, key's
    /// hash)`), sent with its first read; nothing on SQLite or in a change that took the branch's
    /// lock first (or has taken it since). No change holding the branch's lock ever waits for one
    /// of these, so they meet no deadlock.
    pub fn queue_behind(&self, class: i32, key: &str) -> Result<()> {
        match &self.engine {
            // Once the change holds the branch's lock, it may wait for nothing else.
            Engine::Pg(s) if s.borrow().lock_pending() => s.borrow_mut().hold_ahead(
                "SELECT pg_advisory_xact_lock(?1, hashtext(?2))",
                &params![class, key].bind()?,
            ),
            _ => Ok(()),
        }
    }

    /// Checks that `condition` (an SQL boolean expression) holds when the change writes, as
    /// [`Connection::execute_guarded`] checks a write's count.
    pub fn guard<P: Params>(&self, condition: &str, params: P) -> Result<()> {
        match &self.engine {
            Engine::Lite(_) => {
                let holds: bool = self.query_row(&format!("SELECT {condition}"), params, |r| {
                    r.get::<_, i64>(0).map(|v| v != 0)
                })?;
                if holds {
                    Ok(())
                } else {
                    Err(moved(condition, 0, 1))
                }
            }
            Engine::Pg(s) if !s.borrow().is_late() => Ok(()),
            Engine::Pg(s) => s
                .borrow_mut()
                .hold(&format!("SELECT guard({condition})"), &params.bind()?),
        }
    }

    /// The journal's head as the open transaction's first message read it on the server, once;
    /// `None` on SQLite or before that message went.
    pub(crate) fn take_begun_head(&self) -> Option<Option<(i64, String)>> {
        self.pg().and_then(|s| s.borrow_mut().take_begun_head())
    }

    /// Whether this connection may read the stamping jobs: always on SQLite; on the server, every
    /// PC's login but the kiosk's and the display's.
    pub(crate) fn sees_stamping_jobs(&self) -> bool {
        self.pg().is_none_or(|s| s.borrow().sees_jobs())
    }

    /// Whether a state change's commit on the server may leave its wait for the disk until after
    /// the branch's lock is released (false on SQLite, whose writer does that itself).
    pub(crate) fn flushes_after_commit(&self) -> bool {
        self.pg().is_some_and(|s| s.borrow().flushes())
    }

    /// Whether a statement since the last call failed as a conflict between transactions (a
    /// serialization failure or a deadlock on the server; SQLite's single writer has none).
    pub(crate) fn take_conflict(&self) -> bool {
        self.pg().is_some_and(|s| s.borrow_mut().take_conflict())
    }

    /// Whether the store is the branch's PostgreSQL server.
    pub fn is_server(&self) -> bool {
        matches!(self.engine, Engine::Pg(_))
    }

    /// Runs one statement; the number of rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        let args = params.bind()?;
        match &self.engine {
            Engine::Lite(c) => Ok(c
                .prepare_cached(sql)?
                .execute(rusqlite::params_from_iter(args.iter().map(LiteArg)))?),
            Engine::Pg(s) => s.borrow_mut().execute(sql, &args),
        }
    }

    /// Loads whole rows into `table` at once (the branch server's `COPY`; on SQLite one insert per
    /// row). The number of rows loaded.
    pub fn copy_in(&self, table: &str, columns: &[String], rows: &[Vec<Value>]) -> Result<u64> {
        match &self.engine {
            Engine::Pg(s) => s.borrow_mut().copy_in(table, columns, rows),
            Engine::Lite(_) => {
                let marks = (1..=columns.len())
                    .map(|i| format!("?{i}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let insert = format!(
                    "INSERT INTO {table} ({}) VALUES ({marks})",
                    columns.join(", ")
                );
                for row in rows {
                    self.execute(&insert, row.as_slice())?;
                }
                Ok(u64::try_from(rows.len()).unwrap_or(u64::MAX))
            }
        }
    }

    /// Runs several statements without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.engine {
            Engine::Lite(c) => Ok(c.execute_batch(sql)?),
            Engine::Pg(s) => s.borrow_mut().batch(sql),
        }
    }

    /// The first row of a query, read by `f`; [`Error::QueryReturnedNoRows`] when there is none.
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let args = params.bind()?;
        match &self.engine {
            Engine::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(args.iter().map(LiteArg)))?;
                match rows.next()? {
                    Some(r) => f(&Row(RowRef::Lite(r))),
                    None => Err(Error::QueryReturnedNoRows),
                }
            }
            Engine::Pg(s) => {
                let rows = s.borrow_mut().query(sql, &args)?;
                match &rows {
                    PgRows::Binary(rows) => match rows.first() {
                        Some(r) => f(&Row(RowRef::Pg(r))),
                        None => Err(Error::QueryReturnedNoRows),
                    },
                    PgRows::Text(Rows { columns, rows }) => match rows.first() {
                        Some(values) => f(&Row(RowRef::Values { columns, values })),
                        None => Err(Error::QueryReturnedNoRows),
                    },
                }
            }
        }
    }

    /// Every row of a query, each read by `f`.
    pub fn query_map<T, P, F>(&self, sql: &str, params: P, mut f: F) -> Result<Vec<Result<T>>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        let args = params.bind()?;
        let mut out = Vec::new();
        match &self.engine {
            Engine::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(args.iter().map(LiteArg)))?;
                while let Some(r) = rows.next()? {
                    out.push(f(&Row(RowRef::Lite(r))));
                }
            }
            Engine::Pg(s) => {
                let rows = s.borrow_mut().query(sql, &args)?;
                match &rows {
                    PgRows::Binary(rows) => {
                        out.extend(rows.iter().map(|r| f(&Row(RowRef::Pg(r)))));
                    }
                    PgRows::Text(Rows { columns, rows }) => out.extend(
                        rows.iter()
                            .map(|values| f(&Row(RowRef::Values { columns, values }))),
                    ),
                }
            }
        }
        Ok(out)
    }

    /// Queries whose parameters do not depend on one another's answers, run in order: on the
    /// server in one message (with whatever is held), one round trip for all; on SQLite one after
    /// another. Each one's rows.
    pub fn query_together(&self, queries: &[(&str, &dyn Params)]) -> Result<Vec<Rows>> {
        let bound = bound(queries)?;
        match &self.engine {
            Engine::Pg(s) => s.borrow_mut().query_together(&bound),
            Engine::Lite(c) => {
                let mut out = Vec::with_capacity(bound.len());
                for (sql, args) in &bound {
                    let mut stmt = c.prepare_cached(sql)?;
                    let columns: Vec<String> = stmt.column_names().map(str::to_string).collect();
                    let mut rows =
                        stmt.query(rusqlite::params_from_iter(args.iter().map(LiteArg)))?;
                    let mut read = Vec::new();
                    while let Some(r) = rows.next()? {
                        let mut values = Vec::with_capacity(columns.len());
                        for i in 0..columns.len() {
                            values.push(lite_value(r.get_ref(i)?).to_owned_value());
                        }
                        read.push(values);
                    }
                    out.push(Rows {
                        columns,
                        rows: read,
                    });
                }
                Ok(out)
            }
        }
    }

    /// Reads as [`Connection::query_together`] sends them; on the server ahead of the branch's lock
    /// when the transaction reads before it ([`Connection::begin_late`]): what they read may
    /// change before the change writes, which checks it ([`Connection::execute_guarded`]).
    pub fn query_before_lock(&self, queries: &[(&str, &dyn Params)]) -> Result<Vec<Rows>> {
        match &self.engine {
            Engine::Pg(s) => s.borrow_mut().query_before_lock(&bound(queries)?),
            Engine::Lite(_) => self.query_together(queries),
        }
    }

    /// A statement to run once or many times. Both engines keep prepared statements in a cache,
    /// so `prepare` and `prepare_cached` are the same.
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        Ok(Statement {
            conn: self,
            sql: sql.to_owned(),
        })
    }

    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        self.prepare(sql)
    }
}

/// A statement of a connection.
#[derive(Debug)]
pub struct Statement<'c> {
    conn: &'c Connection,
    sql: String,
}

impl Statement<'_> {
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        self.conn.execute(&self.sql, params)
    }

    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        self.conn.query_row(&self.sql, params, f)
    }

    /// Every row, each read by `f`.
    pub fn query_map<T, P, F>(&mut self, params: P, f: F) -> Result<std::vec::IntoIter<Result<T>>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        Ok(self.conn.query_map(&self.sql, params, f)?.into_iter())
    }

    /// Whether the query finds at least one row.
    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        self.conn
            .query_row(&self.sql, params, |_| Ok(()))
            .optional()
            .map(|found| found.is_some())
    }
}
