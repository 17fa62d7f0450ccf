//! Multi-row INSERT statements written as text, with values in the forms the server's
//! driver stores: on SQLite a UUID is a 16-byte blob and a time is RFC 3339 text; on
//! PostgreSQL they are `uuid` and `timestamptz`.

use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One table's INSERT statements, `per_statement` rows each.
pub struct Insert {
    dialect: Dialect,
    head: String,
    per_statement: usize,
    sql: String,
    in_statement: usize,
    pub rows: u64,
    done: Vec<String>,
}

impl Insert {
    pub fn new(dialect: Dialect, table: &str, columns: &[&str], per_statement: usize) -> Self {
        Self {
            dialect,
            head: format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")),
            per_statement,
            sql: String::new(),
            in_statement: 0,
            rows: 0,
            done: Vec::new(),
        }
    }

    /// Starts a row; its values follow, then [`Row::end`].
    pub fn row(&mut self) -> Row<'_> {
        if self.in_statement == 0 {
            self.sql.push_str(&self.head);
        } else {
            self.sql.push(',');
        }
        self.sql.push('(');
        Row {
            insert: self,
            first: true,
        }
    }

    fn row_ended(&mut self) {
        self.sql.push(')');
        self.rows += 1;
        self.in_statement += 1;
        if self.in_statement == self.per_statement {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.in_statement > 0 {
            self.done.push(std::mem::take(&mut self.sql));
            self.in_statement = 0;
        }
    }

    /// The statements written so far; the table starts afresh.
    pub fn take(&mut self) -> Vec<String> {
        self.flush();
        self.rows = 0;
        std::mem::take(&mut self.done)
    }
}

/// The values of one row, in column order.
pub struct Row<'a> {
    insert: &'a mut Insert,
    first: bool,
}

impl Row<'_> {
    fn next(&mut self) -> &mut String {
        if !self.first {
            self.insert.sql.push(',');
        }
        self.first = false;
        &mut self.insert.sql
    }

    pub fn null(&mut self) -> &mut Self {
        self.next().push_str("NULL");
        self
    }

    pub fn uuid(&mut self, id: Uuid) -> &mut Self {
        let dialect = self.insert.dialect;
        let out = self.next();
        let _ = match dialect {
            Dialect::Sqlite => write!(out, "X'{}'", id.simple()),
            Dialect::Postgres => write!(out, "'{}'", id.hyphenated()),
        };
        self
    }

    pub fn text(&mut self, value: &str) -> &mut Self {
        let out = self.next();
        out.push('\'');
        for c in value.chars() {
            if c == '\'' {
                out.push('\'');
            }
            out.push(c);
        }
        out.push('\'');
        self
    }

    pub fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    pub fn time(&mut self, at: DateTime<Utc>) -> &mut Self {
        let out = self.next();
        let _ = write!(
            out,
            "'{}'",
            at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
        );
        self
    }

    pub fn opt_time(&mut self, at: Option<DateTime<Utc>>) -> &mut Self {
        match at {
            Some(at) => self.time(at),
            None => self.null(),
        }
    }

    pub fn int(&mut self, value: i64) -> &mut Self {
        let out = self.next();
        let _ = write!(out, "{value}");
        self
    }

    /// On SQLite a boolean is stored as 0 or 1.
    pub fn bool(&mut self, value: bool) -> &mut Self {
        let dialect = self.insert.dialect;
        self.next().push_str(match (dialect, value) {
            (Dialect::Sqlite, true) => "1",
            (Dialect::Sqlite, false) => "0",
            (Dialect::Postgres, true) => "TRUE",
            (Dialect::Postgres, false) => "FALSE",
        });
        self
    }

    pub fn bytes(&mut self, value: &[u8]) -> &mut Self {
        let dialect = self.insert.dialect;
        let out = self.next();
        out.push_str(match dialect {
            Dialect::Sqlite => "X'",
            Dialect::Postgres => "'\\x",
        });
        for b in value {
            let _ = write!(out, "{b:02x}");
        }
        out.push('\'');
        self
    }

    pub fn end(self) {
        self.insert.row_ended();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_grouped_into_statements_of_the_asked_size() {
        let mut insert = Insert::new(Dialect::Sqlite, "t", &["a", "b"], 2);
        for i in 0..3 {
            let mut row = insert.row();
            row.int(i).text("it's");
            row.end();
        }
        assert_eq!(
            insert.take(),
            [
                "INSERT INTO t (a, b) VALUES (0,'it''s'),(1,'it''s')",
                "INSERT INTO t (a, b) VALUES (2,'it''s')"
            ]
        );
        assert!(insert.take().is_empty());
    }

    #[test]
    fn uuids_and_bytes_take_each_databases_form() {
        let id = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_00ff);
        let mut sqlite = Insert::new(Dialect::Sqlite, "t", &["a", "b"], 10);
        let mut row = sqlite.row();
        row.uuid(id).bytes(b"{}");
        row.end();
        let mut postgres = Insert::new(Dialect::Postgres, "t", &["a", "b"], 10);
        let mut row = postgres.row();
        row.uuid(id).bytes(b"{}");
        row.end();
        assert_eq!(
            sqlite.take()[0],
            "INSERT INTO t (a, b) VALUES (X'019300000000700080000000000000ff',X'7b7d')"
        );
        assert_eq!(
            postgres.take()[0],
            "INSERT INTO t (a, b) VALUES ('01930000-0000-7000-8000-0000000000ff','\\x7b7d')"
        );
    }
}
