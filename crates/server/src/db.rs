//! One SQL API over two engines: the embedded SQLite (rusqlite) and a shared PostgreSQL
//! (tokio-postgres). The store modules are written once against it, in SQLite's dialect; for
//! PostgreSQL each statement is translated once ([`to_postgres`]) and prepared once per
//! connection, and values cross by the column types PostgreSQL reports, so the same `?N`
//! parameters and `r.get(i)` reads work on both.
//!
//! The surface mirrors rusqlite's (`params!`, `query_row`, `prepare_cached`, `optional()`),
//! which is what the store code was first written against.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use postgres_types::{IsNull, Type};

/// What a storage call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite said no.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL said no (or the connection to it failed).
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    /// `query_row` found nothing; [`OptionalExtension::optional`] turns this into `None`.
    #[error("query returned no rows")]
    NoRows,
    /// A value did not fit the Rust type asked for.
    #[error("column {0}: {1}")]
    Conversion(usize, String),
    /// Anything else (pool, runtime).
    #[error("{0}")]
    Other(String),
}

/// Results of storage calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// PostgreSQL's SQLSTATE, if this came from PostgreSQL's server.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            Error::Postgres(e) => e.code().map(|c| c.code()),
            _ => None,
        }
    }
}

/// An error that may mean "run the transaction again": what [`PgPool::with`] retries on.
pub trait Retryable {
    /// Whether running the same transaction again may succeed.
    fn retryable(&self) -> bool;
}

impl Retryable for Error {
    /// A serialization failure, a deadlock, or a unique key that a concurrent transaction on
    /// another node took first (the retry sees that row and takes the "already there" branch).
    fn retryable(&self) -> bool {
        matches!(self.sqlstate(), Some("40001" | "40P01" | "23505"))
    }
}

/// Which SQL dialect a connection speaks, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

// ---------------------------------------------------------------------------------------------
// Values

/// A borrowed SQL value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// NULL.
    Null,
    /// A 64-bit integer (also booleans, as 0/1).
    Integer(i64),
    /// A double.
    Real(f64),
    /// UTF-8 text.
    Text(&'a str),
    /// Bytes.
    Blob(&'a [u8]),
}

/// An owned SQL value, for parameter lists built at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// A 64-bit integer.
    Integer(i64),
    /// A double.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s),
            Value::Blob(b) => ValueRef::Blob(b),
        }
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Integer(i)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Integer(i64::from(b))
    }
}
impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Value::Blob(b)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Something that can be a statement parameter.
pub trait ToSql {
    /// The value to bind.
    fn to_sql(&self) -> Result<ValueRef<'_>>;
}

fn int_param<T: TryInto<i64> + Copy + std::fmt::Display>(v: T) -> Result<ValueRef<'static>> {
    v.try_into()
        .map(ValueRef::Integer)
        .map_err(|_| Error::Other(format!("{v} does not fit a 64-bit SQL integer")))
}

macro_rules! int_to_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> Result<ValueRef<'_>> {
                int_param(*self)
            }
        }
    )*};
}
int_to_sql!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

impl ToSql for bool {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Integer(i64::from(*self)))
    }
}
impl ToSql for f64 {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Real(*self))
    }
}
impl ToSql for str {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Text(self))
    }
}
impl ToSql for String {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Text(self))
    }
}
impl ToSql for [u8] {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Blob(self))
    }
}
impl ToSql for Vec<u8> {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Blob(self))
    }
}
impl ToSql for Value {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        Ok(self.as_ref())
    }
}
impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        (**self).to_sql()
    }
}
impl<T: ToSql + ?Sized> ToSql for Box<T> {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        (**self).to_sql()
    }
}
impl<T: ToSql> ToSql for Option<T> {
    fn to_sql(&self) -> Result<ValueRef<'_>> {
        match self {
            Some(v) => v.to_sql(),
            None => Ok(ValueRef::Null),
        }
    }
}

/// Something a column value can be read as.
pub trait FromSql: Sized {
    /// Converts `v`; the error text says what did not fit.
    fn from_sql(v: ValueRef<'_>) -> std::result::Result<Self, String>;
}

fn int_of(v: ValueRef<'_>) -> std::result::Result<i64, String> {
    match v {
        ValueRef::Integer(i) => Ok(i),
        other => Err(format!("expected an integer, found {other:?}")),
    }
}

macro_rules! int_from_sql {
    ($($t:ty),*) => {$(
        impl FromSql for $t {
            fn from_sql(v: ValueRef<'_>) -> std::result::Result<Self, String> {
                let i = int_of(v)?;
                <$t>::try_from(i).map_err(|_| format!("{i} is out of range for {}", stringify!($t)))
            }
        }
    )*};
}
int_from_sql!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize);

impl FromSql for bool {
    fn from_sql(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        Ok(int_of(v)? != 0)
    }
}
impl FromSql for f64 {
    fn from_sql(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Real(f) => Ok(f),
            ValueRef::Integer(i) => Ok(i as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}
impl FromSql for String {
    fn from_sql(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Text(s) => Ok(s.to_owned()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl FromSql for Vec<u8> {
    fn from_sql(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            ValueRef::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}
impl FromSql for Value {
    fn from_sql(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        Ok(match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(s) => Value::Text(s.to_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        })
    }
}
impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Null => Ok(None),
            v => T::from_sql(v).map(Some),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters

/// A statement's parameter list: `params![..]`, an array, `()` or [`params_from_iter`].
pub trait Params {
    /// Calls `f` with the values to bind.
    fn bind<R>(self, f: impl FnOnce(&[ValueRef<'_>]) -> Result<R>) -> Result<R>;
}

fn collect<'a>(items: impl IntoIterator<Item = &'a dyn ToSql>) -> Result<Vec<ValueRef<'a>>> {
    items.into_iter().map(|p| p.to_sql()).collect()
}

impl Params for () {
    fn bind<R>(self, f: impl FnOnce(&[ValueRef<'_>]) -> Result<R>) -> Result<R> {
        f(&[])
    }
}
impl Params for &[&dyn ToSql] {
    fn bind<R>(self, f: impl FnOnce(&[ValueRef<'_>]) -> Result<R>) -> Result<R> {
        f(&collect(self.iter().copied())?)
    }
}
impl Params for [&dyn ToSql; 0] {
    fn bind<R>(self, f: impl FnOnce(&[ValueRef<'_>]) -> Result<R>) -> Result<R> {
        f(&[])
    }
}
macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: ToSql> Params for [T; $n] {
            fn bind<R>(self, f: impl FnOnce(&[ValueRef<'_>]) -> Result<R>) -> Result<R> {
                f(&collect(self.iter().map(|v| v as &dyn ToSql))?)
            }
        }
        impl<T: ToSql> Params for &[T; $n] {
            fn bind<R>(self, f: impl FnOnce(&[ValueRef<'_>]) -> Result<R>) -> Result<R> {
                f(&collect(self.iter().map(|v| v as &dyn ToSql))?)
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);

/// Parameters from an iterator (rusqlite's `params_from_iter`).
pub struct ParamsFromIter<I>(I);

/// Binds every item of `iter`, in order.
pub fn params_from_iter<I>(iter: I) -> ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    ParamsFromIter(iter)
}

impl<I> Params for ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    fn bind<R>(self, f: impl FnOnce(&[ValueRef<'_>]) -> Result<R>) -> Result<R> {
        let items: Vec<I::Item> = self.0.into_iter().collect();
        f(&collect(items.iter().map(|v| v as &dyn ToSql))?)
    }
}

/// A parameter list: `params![a, b, c]` (each a [`ToSql`]).
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::db::ToSql]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::db::ToSql),+] as &[&dyn $crate::db::ToSql]
    };
}
pub(crate) use params;

/// `query_row(..).optional()`: no row is `None`, not an error.
pub trait OptionalExtension<T> {
    /// `Ok(None)` for [`Error::NoRows`].
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rows

/// A result row.
pub struct Row<'a>(RowInner<'a>);

enum RowInner<'a> {
    Lite(&'a rusqlite::Row<'a>),
    Pg(&'a tokio_postgres::Row),
}

/// A column index (only positions are used here).
pub trait RowIndex {
    /// The zero-based position.
    fn index(self) -> usize;
}
impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

impl Row<'_> {
    /// Column `i` as `T`.
    pub fn get<I: RowIndex, T: FromSql>(&self, i: I) -> Result<T> {
        let i = i.index();
        let conv = |r: std::result::Result<T, String>| r.map_err(|e| Error::Conversion(i, e));
        match &self.0 {
            RowInner::Lite(r) => {
                let v = r.get_ref(i)?;
                conv(T::from_sql(lite_value(v, i)?))
            }
            RowInner::Pg(r) => pg_column(r, i, |v| conv(T::from_sql(v))),
        }
    }
}

fn lite_value(v: rusqlite::types::ValueRef<'_>, i: usize) -> Result<ValueRef<'_>> {
    use rusqlite::types::ValueRef as L;
    Ok(match v {
        L::Null => ValueRef::Null,
        L::Integer(n) => ValueRef::Integer(n),
        L::Real(f) => ValueRef::Real(f),
        L::Text(t) => {
            ValueRef::Text(std::str::from_utf8(t).map_err(|e| Error::Conversion(i, e.to_string()))?)
        }
        L::Blob(b) => ValueRef::Blob(b),
    })
}

/// Reads column `i` of a PostgreSQL row by its reported type, as the value SQLite would give.
fn pg_column<T>(
    row: &tokio_postgres::Row,
    i: usize,
    f: impl FnOnce(ValueRef<'_>) -> Result<T>,
) -> Result<T> {
    let ty = row
        .columns()
        .get(i)
        .map(|c| c.type_().clone())
        .ok_or_else(|| Error::Conversion(i, "no such column".into()))?;
    macro_rules! get {
        ($t:ty) => {
            row.try_get::<_, Option<$t>>(i)?
        };
    }
    if ty == Type::INT8 {
        f(get!(i64).map_or(ValueRef::Null, ValueRef::Integer))
    } else if ty == Type::INT4 {
        f(get!(i32).map_or(ValueRef::Null, |v| ValueRef::Integer(v.into())))
    } else if ty == Type::INT2 {
        f(get!(i16).map_or(ValueRef::Null, |v| ValueRef::Integer(v.into())))
    } else if ty == Type::BOOL {
        f(get!(bool).map_or(ValueRef::Null, |v| ValueRef::Integer(v.into())))
    } else if ty == Type::FLOAT8 {
        f(get!(f64).map_or(ValueRef::Null, ValueRef::Real))
    } else if ty == Type::FLOAT4 {
        f(get!(f32).map_or(ValueRef::Null, |v| ValueRef::Real(v.into())))
    } else if ty == Type::BYTEA {
        f(get!(&[u8]).map_or(ValueRef::Null, ValueRef::Blob))
    } else if ty == Type::NUMERIC {
        // SUM over BIGINT is NUMERIC; integers stay integers.
        match get!(PgNumeric) {
            None => f(ValueRef::Null),
            Some(n) => f(n.value()),
        }
    } else {
        f(get!(&str).map_or(ValueRef::Null, ValueRef::Text))
    }
}

/// A NUMERIC read from PostgreSQL's binary form (base-10000 digits).
struct PgNumeric(f64, bool);

impl PgNumeric {
    fn value(&self) -> ValueRef<'static> {
        if self.1 && self.0.abs() < 9.0e15 {
            ValueRef::Integer(self.0 as i64)
        } else {
            ValueRef::Real(self.0)
        }
    }
}

impl<'a> postgres_types::FromSql<'a> for PgNumeric {
    fn from_sql(
        _: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let word =
            |k: usize| -> std::result::Result<i16, Box<dyn std::error::Error + Sync + Send>> {
                raw.get(k..k + 2)
                    .map(|b| i16::from_be_bytes([b[0], b[1]]))
                    .ok_or_else(|| "short NUMERIC".into())
            };
        let ndigits = word(0)? as usize;
        let weight = word(2)?;
        let sign = word(4)? as u16;
        let dscale = word(6)?;
        let mut v = 0f64;
        for d in 0..ndigits {
            let digit = f64::from(word(8 + 2 * d)?);
            v += digit * 10000f64.powi(i32::from(weight) - d as i32);
        }
        if sign == 0x4000 {
            v = -v;
        }
        Ok(PgNumeric(v, dscale == 0))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

/// A parameter bound for PostgreSQL: converted to whatever type the server inferred for it.
#[derive(Debug)]
struct PgParam<'a>(ValueRef<'a>);

impl postgres_types::ToSql for PgParam<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            ValueRef::Null => Ok(IsNull::Yes),
            ValueRef::Integer(i) => {
                if *ty == Type::INT8 {
                    put(i, ty, out)
                } else if *ty == Type::INT4 {
                    put(i32::try_from(i)?, ty, out)
                } else if *ty == Type::INT2 {
                    put(i16::try_from(i)?, ty, out)
                } else if *ty == Type::BOOL {
                    put(i != 0, ty, out)
                } else if *ty == Type::FLOAT8 {
                    put(i as f64, ty, out)
                } else if *ty == Type::FLOAT4 {
                    put(i as f32, ty, out)
                } else {
                    text_param(&i.to_string(), ty, out)
                }
            }
            ValueRef::Real(f) => {
                if *ty == Type::FLOAT8 {
                    put(f, ty, out)
                } else if *ty == Type::FLOAT4 {
                    put(f as f32, ty, out)
                } else if *ty == Type::INT8 {
                    put(f as i64, ty, out)
                } else {
                    text_param(&f.to_string(), ty, out)
                }
            }
            ValueRef::Text(s) => {
                if *ty == Type::INT8 {
                    put(s.parse::<i64>()?, ty, out)
                } else if *ty == Type::BYTEA {
                    put(s.as_bytes(), ty, out)
                } else {
                    text_param(s, ty, out)
                }
            }
            ValueRef::Blob(b) => put(b, ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres_types::to_sql_checked!();
}

type PgResult = std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>>;

fn put<T: postgres_types::ToSql>(v: T, ty: &Type, out: &mut bytes::BytesMut) -> PgResult {
    v.to_sql(ty, out)
}

fn text_param(
    s: &str,
    ty: &Type,
    out: &mut bytes::BytesMut,
) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
    use bytes::BufMut;
    if *ty == Type::JSONB {
        // jsonb's binary form is a version byte, then the text.
        out.put_u8(1);
    }
    out.put_slice(s.as_bytes());
    Ok(IsNull::No)
}

// ---------------------------------------------------------------------------------------------
// Connections

/// A database connection: what `SqlStore::with` hands the store code.
pub struct Connection(ConnInner);

enum ConnInner {
    Lite(rusqlite::Connection),
    Pg(PgConn),
}

/// An open transaction; dropped without [`Transaction::commit`], it rolls back.
pub struct Transaction<'a>(TxInner<'a>);

enum TxInner<'a> {
    Lite(rusqlite::Transaction<'a>),
    Pg(tokio_postgres::Transaction<'a>, &'a RefCell<StmtCache>),
}

/// How `transaction_with_behavior` starts a SQLite transaction (PostgreSQL ignores it).
pub use rusqlite::TransactionBehavior;

/// A statement-running handle: a connection or a transaction.
#[derive(Clone, Copy)]
pub enum Handle<'a> {
    /// SQLite (a transaction derefs to its connection).
    Lite(&'a rusqlite::Connection),
    /// PostgreSQL, with the connection's prepared statements.
    Pg(PgClient<'a>, &'a RefCell<StmtCache>),
}

/// A PostgreSQL connection or a transaction on one.
#[derive(Clone, Copy)]
pub enum PgClient<'a> {
    /// Outside a transaction.
    Client(&'a tokio_postgres::Client),
    /// Inside one.
    Tx(&'a tokio_postgres::Transaction<'a>),
}

impl Connection {
    /// Wraps an open SQLite connection.
    pub fn sqlite(c: rusqlite::Connection) -> Self {
        Connection(ConnInner::Lite(c))
    }

    /// The SQLite connection underneath, for SQLite-only setup (pragmas).
    pub fn as_sqlite(&mut self) -> Option<&mut rusqlite::Connection> {
        match &mut self.0 {
            ConnInner::Lite(c) => Some(c),
            ConnInner::Pg(_) => None,
        }
    }

    /// Begins a transaction. On SQLite it takes the write lock at once (IMMEDIATE): when
    /// several processes share one file, a deferred transaction that reads and then writes
    /// fails with "database is locked" instead of waiting out the busy timeout. A single node
    /// has one connection behind a mutex anyway, so this costs it nothing.
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        self.transaction_with_behavior(TransactionBehavior::Immediate)
    }

    /// Begins a transaction; `b` decides when SQLite takes its write lock.
    pub fn transaction_with_behavior(&mut self, b: TransactionBehavior) -> Result<Transaction<'_>> {
        Ok(Transaction(match &mut self.0 {
            ConnInner::Lite(c) => TxInner::Lite(c.transaction_with_behavior(b)?),
            ConnInner::Pg(p) => {
                let PgConn { client, cache, .. } = p;
                TxInner::Pg(wait(client.transaction())?, cache)
            }
        }))
    }
}

impl Transaction<'_> {
    /// Commits.
    pub fn commit(self) -> Result<()> {
        match self.0 {
            TxInner::Lite(t) => Ok(t.commit()?),
            TxInner::Pg(t, _) => Ok(wait(t.commit())?),
        }
    }
}

/// Running statements: implemented by [`Connection`] and [`Transaction`].
pub trait Exec {
    /// The handle statements run on.
    fn handle(&self) -> Handle<'_>;

    /// The dialect, for the few statements written twice.
    fn dialect(&self) -> Dialect {
        match self.handle() {
            Handle::Lite(_) => Dialect::Sqlite,
            Handle::Pg(..) => Dialect::Postgres,
        }
    }

    /// Runs `sql`; returns the rows changed.
    fn execute<P: Params>(&self, sql: &str, p: P) -> Result<usize> {
        self.prepare_cached(sql)?.execute(p)
    }

    /// The first row of `sql`, through `f`; [`Error::NoRows`] when there is none.
    fn query_row<T, P: Params, F: FnOnce(&Row<'_>) -> Result<T>>(
        &self,
        sql: &str,
        p: P,
        f: F,
    ) -> Result<T> {
        self.prepare_cached(sql)?.query_row(p, f)
    }

    /// Prepares `sql` (cached like [`Exec::prepare_cached`]: both engines keep statements).
    fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        self.prepare_cached(sql)
    }

    /// Prepares `sql` through the connection's statement cache.
    fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        Ok(match self.handle() {
            Handle::Lite(c) => Statement::Lite(c.prepare_cached(sql)?),
            Handle::Pg(client, cache) => {
                let stmt = pg_prepare(client, cache, sql)?;
                Statement::Pg(client, stmt)
            }
        })
    }

    /// Runs several statements without parameters (schema changes).
    fn execute_batch(&self, sql: &str) -> Result<()> {
        match self.handle() {
            Handle::Lite(c) => Ok(c.execute_batch(sql)?),
            Handle::Pg(client, _) => {
                let sql = to_postgres(sql);
                match client {
                    PgClient::Client(c) => wait(c.batch_execute(&sql))?,
                    PgClient::Tx(t) => wait(t.batch_execute(&sql))?,
                }
                Ok(())
            }
        }
    }
}

impl Exec for Connection {
    fn handle(&self) -> Handle<'_> {
        match &self.0 {
            ConnInner::Lite(c) => Handle::Lite(c),
            ConnInner::Pg(p) => Handle::Pg(PgClient::Client(&p.client), &p.cache),
        }
    }
}

impl Exec for Transaction<'_> {
    fn handle(&self) -> Handle<'_> {
        match &self.0 {
            TxInner::Lite(t) => Handle::Lite(t),
            TxInner::Pg(t, cache) => Handle::Pg(PgClient::Tx(t), cache),
        }
    }
}

/// A prepared statement.
pub enum Statement<'a> {
    /// SQLite's, from its cache.
    Lite(rusqlite::CachedStatement<'a>),
    /// PostgreSQL's, prepared on this connection.
    Pg(PgClient<'a>, tokio_postgres::Statement),
}

impl Statement<'_> {
    /// Runs it; returns the rows changed.
    pub fn execute<P: Params>(&mut self, p: P) -> Result<usize> {
        match self {
            Statement::Lite(s) => p.bind(|v| Ok(s.execute(rusqlite::params_from_iter(lite(v)))?)),
            Statement::Pg(c, s) => p.bind(|v| {
                let args = pg_args(v);
                let refs = pg_refs(&args);
                let n = match c {
                    PgClient::Client(c) => wait(c.execute(&*s, &refs))?,
                    PgClient::Tx(t) => wait(t.execute(&*s, &refs))?,
                };
                Ok(n as usize)
            }),
        }
    }

    /// Every row, each through `f`.
    pub fn query_map<T, P: Params, F: FnMut(&Row<'_>) -> Result<T>>(
        &mut self,
        p: P,
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        match self {
            Statement::Lite(s) => p.bind(|v| {
                let mut rows = s.query(rusqlite::params_from_iter(lite(v)))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(f(&Row(RowInner::Lite(r))));
                }
                Ok(out.into_iter())
            }),
            Statement::Pg(c, s) => p.bind(|v| {
                let rows = pg_query(*c, s, v)?;
                Ok(rows
                    .iter()
                    .map(|r| f(&Row(RowInner::Pg(r))))
                    .collect::<Vec<_>>()
                    .into_iter())
            }),
        }
    }

    /// The first row through `f`; [`Error::NoRows`] when there is none.
    pub fn query_row<T, P: Params, F: FnOnce(&Row<'_>) -> Result<T>>(
        &mut self,
        p: P,
        f: F,
    ) -> Result<T> {
        match self {
            Statement::Lite(s) => p.bind(|v| {
                let mut rows = s.query(rusqlite::params_from_iter(lite(v)))?;
                match rows.next()? {
                    Some(r) => f(&Row(RowInner::Lite(r))),
                    None => Err(Error::NoRows),
                }
            }),
            Statement::Pg(c, s) => p.bind(|v| {
                let rows = pg_query(*c, s, v)?;
                match rows.first() {
                    Some(r) => f(&Row(RowInner::Pg(r))),
                    None => Err(Error::NoRows),
                }
            }),
        }
    }

    /// Whether it returns any row.
    pub fn exists<P: Params>(&mut self, p: P) -> Result<bool> {
        self.query_row(p, |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
    }
}

fn lite<'a>(v: &'a [ValueRef<'a>]) -> impl Iterator<Item = rusqlite::types::ToSqlOutput<'a>> + 'a {
    use rusqlite::types::{ToSqlOutput, ValueRef as L};
    v.iter().map(|v| {
        ToSqlOutput::Borrowed(match *v {
            ValueRef::Null => L::Null,
            ValueRef::Integer(i) => L::Integer(i),
            ValueRef::Real(f) => L::Real(f),
            ValueRef::Text(s) => L::Text(s.as_bytes()),
            ValueRef::Blob(b) => L::Blob(b),
        })
    })
}

fn pg_args<'a>(v: &[ValueRef<'a>]) -> Vec<PgParam<'a>> {
    v.iter().map(|v| PgParam(*v)).collect()
}

fn pg_refs<'a>(args: &'a [PgParam<'a>]) -> Vec<&'a (dyn postgres_types::ToSql + Sync)> {
    args.iter()
        .map(|a| a as &(dyn postgres_types::ToSql + Sync))
        .collect()
}

fn pg_query(
    c: PgClient<'_>,
    s: &tokio_postgres::Statement,
    v: &[ValueRef<'_>],
) -> Result<Vec<tokio_postgres::Row>> {
    let args = pg_args(v);
    let refs = pg_refs(&args);
    Ok(match c {
        PgClient::Client(c) => wait(c.query(s, &refs))?,
        PgClient::Tx(t) => wait(t.query(s, &refs))?,
    })
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL connections and pool

/// Statements prepared on one PostgreSQL connection, by their SQLite-dialect text.
#[derive(Default)]
pub struct StmtCache(HashMap<String, tokio_postgres::Statement>);

/// Statements beyond this many are dropped and prepared again (dynamic IN lists).
const STMT_CACHE_MAX: usize = 1024;

fn pg_prepare(
    c: PgClient<'_>,
    cache: &RefCell<StmtCache>,
    sql: &str,
) -> Result<tokio_postgres::Statement> {
    if let Some(s) = cache.borrow().0.get(sql) {
        return Ok(s.clone());
    }
    let text = to_postgres(sql);
    let stmt = match c {
        PgClient::Client(c) => wait(c.prepare(&text)),
        PgClient::Tx(t) => wait(t.prepare(&text)),
    }
    .map_err(|e| {
        // A statement PostgreSQL cannot parse is a bug in the store: say which one.
        tracing::error!(error = %e, sql = %text, "PostgreSQL refused a statement");
        Error::Other(format!("{e}: {text}"))
    })?;
    let mut cache = cache.borrow_mut();
    if cache.0.len() >= STMT_CACHE_MAX {
        cache.0.clear();
    }
    cache.0.insert(sql.to_owned(), stmt.clone());
    Ok(stmt)
}

struct PgConn {
    client: tokio_postgres::Client,
    cache: RefCell<StmtCache>,
}

/// Waits for a tokio-postgres future. The client's futures only talk to the connection task
/// (which runs on the pool's own runtime), so any thread may wait on them; a tokio worker
/// thread is first moved out of the scheduler's way.
fn wait<F: std::future::Future>(f: F) -> F::Output {
    blocking(|| futures_executor::block_on(f))
}

/// Runs blocking `f`; on a multi-threaded tokio worker it first hands the worker's other tasks
/// to another thread (`block_in_place`), elsewhere it just runs.
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// A fixed set of PostgreSQL connections shared by this node's requests.
pub struct PgPool {
    url: String,
    size: usize,
    idle: Mutex<(Vec<PgConn>, usize)>,
    freed: Condvar,
    /// Drives the connections; an Option so Drop can shut it down without blocking.
    rt: Option<tokio::runtime::Runtime>,
}

impl Drop for PgPool {
    fn drop(&mut self) {
        // A pool may be dropped on an async worker, where waiting for the runtime is refused.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// How long a request waits for a free connection before failing.
const POOL_WAIT: Duration = Duration::from_secs(30);
/// How often a transaction that lost a race (serialization, deadlock, duplicate key) is run
/// again before the error is returned.
const RETRIES: usize = 8;

impl PgPool {
    /// A pool of up to `size` connections to `url`; connects one now to fail early.
    pub fn connect(url: &str, size: usize) -> Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("pigeon-pg")
            .enable_all()
            .build()
            .map_err(|e| Error::Other(format!("starting the PostgreSQL runtime: {e}")))?;
        let pool = PgPool {
            url: url.to_owned(),
            size: size.max(1),
            idle: Mutex::new((Vec::new(), 0)),
            freed: Condvar::new(),
            rt: Some(rt),
        };
        let first = pool.open()?;
        let mut idle = pool.lock();
        idle.0.push(first);
        idle.1 = 1;
        drop(idle);
        Ok(pool)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<PgConn>, usize)> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn open(&self) -> Result<PgConn> {
        let url = self.url.clone();
        let rt = self
            .rt
            .as_ref()
            .ok_or_else(|| Error::Other("the PostgreSQL pool is shut down".into()))?;
        let task = rt.spawn(async move {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::warn!(error = %e, "PostgreSQL connection ended");
                }
            });
            Ok::<_, tokio_postgres::Error>(client)
        });
        let client = wait(task).map_err(|e| Error::Other(format!("PostgreSQL connect: {e}")))??;
        Ok(PgConn {
            client,
            cache: RefCell::new(StmtCache::default()),
        })
    }

    fn take(&self) -> Result<PgConn> {
        let deadline = std::time::Instant::now() + POOL_WAIT;
        let mut idle = self.lock();
        loop {
            while let Some(c) = idle.0.pop() {
                if !c.client.is_closed() {
                    return Ok(c);
                }
                idle.1 -= 1;
            }
            if idle.1 < self.size {
                idle.1 += 1;
                drop(idle);
                return self.open().inspect_err(|_| self.lock().1 -= 1);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(Error::Other("no free PostgreSQL connection".into()));
            }
            idle = self
                .freed
                .wait_timeout(idle, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn give_back(&self, c: PgConn) {
        let mut idle = self.lock();
        if c.client.is_closed() {
            idle.1 -= 1;
        } else {
            idle.0.push(c);
        }
        drop(idle);
        self.freed.notify_one();
    }

    /// Runs `f` on a pooled connection; a transaction that lost a race with another node runs
    /// again (so `f` must start from scratch each time, as store code does).
    pub fn with<T, E: From<Error> + Retryable + std::fmt::Display>(
        &self,
        mut f: impl FnMut(&mut Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        blocking(|| {
            let mut conn = Connection(ConnInner::Pg(self.take()?));
            let mut tries = 0;
            let out = loop {
                match f(&mut conn) {
                    Err(e) if e.retryable() && tries < RETRIES => {
                        tries += 1;
                        tracing::debug!(error = %e, tries, "retrying a transaction");
                    }
                    other => break other,
                }
            };
            if let ConnInner::Pg(c) = conn.0 {
                self.give_back(c);
            }
            out
        })
    }
}

/// Creates an empty database named `name` on the server of `url` (tests give every server
/// process its own) and returns `url` pointing at it.
pub fn create_postgres_database(url: &str, name: &str) -> Result<String> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error::Other(format!("bad database name {name:?}")));
    }
    let pool = PgPool::connect(url, 1)?;
    pool.with(|c| c.execute_batch(&format!("CREATE DATABASE {name}")))?;
    let (base, _) = url.rsplit_once('/').unwrap_or((url, ""));
    Ok(format!("{base}/{name}"))
}

// ---------------------------------------------------------------------------------------------
// Dialect translation

/// Rewrites a statement written for SQLite into PostgreSQL's dialect: `?N` → `$N`,
/// `INSERT OR IGNORE` → `ON CONFLICT DO NOTHING`, `LIKE` → `ILIKE` (SQLite's LIKE ignores
/// ASCII case), `json_extract(x, '$.a.b')` → `(x::jsonb #>> '{a,b}')`, `json_each(?N)` →
/// the elements of a JSON array, `IFNULL` → `COALESCE`. String literals are left alone.
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 32);
    let mut bare = 0usize;
    let mut ignore = false;
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' {
            let start = i;
            i += 1;
            while i < b.len() {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            out.push_str(&sql[start..i]);
            continue;
        }
        if c == b'?' {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            out.push('$');
            if start == i {
                bare += 1;
                out.push_str(&bare.to_string());
            } else {
                out.push_str(&sql[start..i]);
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let word = &sql[start..i];
            let prev_dot = start > 0 && b[start - 1] == b'.';
            if prev_dot {
                out.push_str(word);
                continue;
            }
            match word.to_ascii_uppercase().as_str() {
                "INSERT" => {
                    let rest = &sql[i..];
                    let t = rest.trim_start();
                    let skip = rest.len() - t.len();
                    if t.len() >= 9 && t[..9].eq_ignore_ascii_case("OR IGNORE") {
                        ignore = true;
                        i += skip + 9;
                    }
                    out.push_str(word);
                }
                "LIKE" => out.push_str("ILIKE"),
                "IFNULL" => out.push_str("COALESCE"),
                "JSON_EXTRACT" if sql[i..].starts_with('(') => {
                    if let Some((expr, path, end)) = json_extract_args(sql, i) {
                        out.push_str(&format!(
                            "({}::jsonb #>> '{{{}}}')",
                            to_postgres(expr),
                            path
                        ));
                        i = end;
                    } else {
                        out.push_str(word);
                    }
                }
                "JSON_GROUP_ARRAY" if sql[i..].starts_with('(') => {
                    // SQLite gives '[]' over no rows; json_agg gives NULL.
                    match matching_paren(sql, i) {
                        Some(end) => {
                            let arg = to_postgres(&sql[i + 1..end]);
                            out.push_str(&format!("COALESCE(json_agg({arg})::text, '[]')"));
                            i = end + 1;
                        }
                        None => out.push_str(word),
                    }
                }
                "JSON_EACH" if sql[i..].starts_with('(') => {
                    let close = sql[i..].find(')').map(|k| i + k);
                    match close {
                        Some(end) => {
                            let arg = to_postgres(&sql[i + 1..end]);
                            out.push_str(&format!(
                                "jsonb_array_elements_text(({arg})::jsonb) AS json_each(value)"
                            ));
                            i = end + 1;
                        }
                        None => out.push_str(word),
                    }
                }
                _ => out.push_str(word),
            }
            continue;
        }
        out.push(c as char);
        if !c.is_ascii() {
            // Copy the rest of a multi-byte character as is.
            let ch_len = sql[i..].chars().next().map_or(1, char::len_utf8);
            out.pop();
            out.push_str(&sql[i..i + ch_len]);
            i += ch_len;
            continue;
        }
        i += 1;
    }
    if ignore {
        let trimmed = out.trim_end().trim_end_matches(';').to_owned();
        let upper = trimmed.to_ascii_uppercase();
        out = match upper.rfind(" RETURNING ") {
            Some(k) => format!("{} ON CONFLICT DO NOTHING{}", &trimmed[..k], &trimmed[k..]),
            None => format!("{trimmed} ON CONFLICT DO NOTHING"),
        };
    }
    out
}

/// The index of the `)` closing the `(` at `open`.
fn matching_paren(sql: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    for (k, c) in sql.bytes().enumerate().skip(open) {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// For `json_extract(EXPR, '$.a.b')` starting at the `(` at `open`: EXPR, `a,b` and the index
/// after the closing parenthesis.
fn json_extract_args(sql: &str, open: usize) -> Option<(&str, String, usize)> {
    let b = sql.as_bytes();
    let mut depth = 0;
    let mut comma = None;
    let mut k = open;
    while k < b.len() {
        match b[k] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 && comma.is_none() => comma = Some(k),
            b'\'' => {
                k += 1;
                while k < b.len() && b[k] != b'\'' {
                    k += 1;
                }
            }
            _ => {}
        }
        k += 1;
    }
    let comma = comma?;
    let expr = sql[open + 1..comma].trim();
    let lit = sql[comma + 1..k].trim();
    let path = lit.strip_prefix("'$.")?.strip_suffix('\'')?;
    Some((expr, path.replace('.', ","), k + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_sqlite_dialect() {
        assert_eq!(
            to_postgres("INSERT OR IGNORE INTO t (a, b) VALUES (?1, ?2)"),
            "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            to_postgres("INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING a"),
            "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING a"
        );
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b LIKE ?3 AND c = 'it''s ? LIKE'"),
            "SELECT a FROM t WHERE b ILIKE $3 AND c = 'it''s ? LIKE'"
        );
        assert_eq!(
            to_postgres("SELECT 1 WHERE json_extract(m.body, '$.payload.text') = ?1"),
            "SELECT 1 WHERE (m.body::jsonb #>> '{payload,text}') = $1"
        );
        assert_eq!(
            to_postgres("SELECT x FROM t WHERE id IN (SELECT value FROM json_each(?2))"),
            "SELECT x FROM t WHERE id IN (SELECT value FROM jsonb_array_elements_text(($2)::jsonb) AS json_each(value))"
        );
        assert_eq!(
            to_postgres("SELECT IFNULL(a, 'é') FROM t"),
            "SELECT COALESCE(a, 'é') FROM t"
        );
        assert_eq!(
            to_postgres("SELECT (SELECT json_group_array(m.name) FROM m WHERE m.x = ?1)"),
            "SELECT (SELECT COALESCE(json_agg(m.name)::text, '[]') FROM m WHERE m.x = $1)"
        );
    }

    #[test]
    fn sqlite_round_trip() {
        let mut c = Connection::sqlite(rusqlite::Connection::open_in_memory().expect("open"));
        c.execute_batch("CREATE TABLE t (a INTEGER, b TEXT, c BLOB)")
            .expect("create");
        let tx = c.transaction().expect("tx");
        tx.execute(
            "INSERT INTO t VALUES (?1, ?2, ?3)",
            params![7u64, "x", vec![1u8, 2]],
        )
        .expect("insert");
        tx.commit().expect("commit");
        let (a, b, blob): (u64, String, Vec<u8>) = c
            .query_row("SELECT a, b, c FROM t", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("row");
        assert_eq!((a, b.as_str(), blob), (7, "x", vec![1, 2]));
        let none: Option<u64> = c
            .query_row("SELECT a FROM t WHERE b = ?1", ["nope"], |r| r.get(0))
            .optional()
            .expect("query");
        assert_eq!(none, None);
        let all: Vec<String> = c
            .prepare("SELECT b FROM t")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_>>()
            .expect("rows");
        assert_eq!(all, ["x"]);
    }
}
