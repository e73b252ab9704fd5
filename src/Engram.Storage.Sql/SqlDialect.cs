using System;
using System.Data.Common;
using System.IO;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Engram.Storage.Sql
{
    /// <summary>What differs between the SQL backends: connecting, the write lock, types and full-text search.</summary>
    public abstract class SqlDialect
    {
        /// <summary>"sqlite" or "postgres".</summary>
        public abstract string Name { get; }

        /// <summary>The location as shown to users (never a password).</summary>
        public abstract string DisplayLocation { get; }

        /// <summary>True when the database exists (without creating it).</summary>
        public abstract bool DatabaseExists { get; }

        /// <summary>Opens a connection; <paramref name="create"/> allows creating the database file (SQLite).</summary>
        public abstract DbConnection Open(bool create);

        /// <summary>Starts a write transaction that holds the store's write lock until it ends.</summary>
        public abstract DbTransaction BeginWrite(DbConnection connection, TimeSpan lockTimeout);

        /// <summary>
        /// Non-null when the dialect sends the start of a write session with its first read, and its commit with its last
        /// changes (a round trip each saved, for a server across a network): the SQL that begins the transaction and takes
        /// the store's write lock, whose first result is the configuration row's text.
        /// </summary>
        public virtual string? DeferredWriteStart(TimeSpan lockTimeout) => null;

        /// <summary>True when <paramref name="ex"/> says the write lock was not granted within the lock timeout.</summary>
        public virtual bool IsLockTimeout(Exception ex) => false;

        /// <summary>Starts a write transaction (as <see cref="BeginWrite"/>) and reads the configuration row's text in it
        /// (null when there is none), in as few round trips as the dialect allows.</summary>
        public virtual DbTransaction BeginWriteReadingConfig(DbConnection connection, TimeSpan lockTimeout, out string? configText)
        {
            var t = BeginWrite(connection, lockTimeout);
            using (var cmd = connection.CreateCommand())
            {
                cmd.Transaction = t;
                cmd.CommandText = "SELECT value FROM engram_meta WHERE name = 'config'";
                configText = cmd.ExecuteScalar() as string;
            }
            return t;
        }

        /// <summary>Starts the transaction that creates the tables (serialized between processes).</summary>
        public abstract DbTransaction BeginSchemaChange(DbConnection connection);

        /// <summary>The column type of a binary value.</summary>
        public abstract string BlobType { get; }

        /// <summary>The column type of a 64-bit integer.</summary>
        public abstract string BigIntType { get; }

        /// <summary>Statements creating the full-text index (after the base tables).</summary>
        public abstract string[] FullTextSchema { get; }

        /// <summary>Keeps the full-text index of a memory in step (SQLite: its FTS5 table; PostgreSQL: a generated column).</summary>
        public abstract bool MaintainsFullTextInCode { get; }

        /// <summary>Statements that bring the tables of an existing store from table layout <paramref name="from"/> to
        /// <see cref="SqlEngramStore.SchemaVersion"/> (in the schema-change transaction; empty when nothing changes).</summary>
        public abstract IEnumerable<string> UpgradeLayout(int from);

        /// <summary>A query of (ns, key, score) for @q over memories of main, best first, limited to @top; <paramref name="nsFilter"/> a SQL condition on <c>m.ns</c> or "".</summary>
        public abstract string FullTextQuery(string nsFilter);

        /// <summary>The value of @q for <see cref="FullTextQuery"/>: every term must match, prefix terms by prefix.</summary>
        public abstract string FullTextArgument(Engram.Core.Search.SearchQuery query);

        /// <summary>Whether an exception means "the table does not exist" (a store not initialized yet).</summary>
        public abstract bool IsMissingTable(Exception ex);

        /// <summary>A text column as an ORDER BY term in <see cref="Core.Names.KeyOrder"/> (code-point order: the order of the
        /// UTF-8 bytes).</summary>
        public virtual string InKeyOrder(string column) => column;

        /// <summary>Whether a table exists (asked of the catalog, so it is safe inside a transaction).</summary>
        internal abstract bool TableExists(Db db, string table);

        /// <summary>Whether an exception means the database server could not be reached (name resolution, refused or
        /// dropped connection, timeout), as opposed to an answer from it.</summary>
        public virtual bool IsUnreachable(Exception ex) =>
            ex is System.Net.Sockets.SocketException || ex is TimeoutException || ex is IOException
            || (ex is DbException && ex.InnerException != null && IsUnreachable(ex.InnerException));
    }

    /// <summary>SQLite: one file, WAL mode, BEGIN IMMEDIATE for writers (one writer at a time, across processes).</summary>
    public sealed class SqliteDialect : SqlDialect
    {
        public SqliteDialect(string path)
        {
            Path = System.IO.Path.GetFullPath(path);
        }

        public string Path { get; }
        public override string Name => "sqlite";
        public override string DisplayLocation => EngramBackends.SqlitePrefix + Path;
        public override bool DatabaseExists => File.Exists(Path);
        public override string BlobType => "BLOB";
        public override string BigIntType => "INTEGER";
        public override bool MaintainsFullTextInCode => true;

        public override DbConnection Open(bool create)
        {
            if (create)
            {
                var dir = System.IO.Path.GetDirectoryName(Path);
                if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            }
            var cs = new SqliteConnectionStringBuilder
            {
                DataSource = Path,
                Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
                Pooling = true,
                DefaultTimeout = 30,
            }.ToString();
            var c = new SqliteConnection(cs);
            c.Open();
            using (var cmd = c.CreateCommand())
            {
                // WAL: readers never block the writer nor the writer readers; busy_timeout: wait for the write lock.
                cmd.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;";
                cmd.ExecuteNonQuery();
            }
            return c;
        }

        public override DbTransaction BeginWrite(DbConnection connection, TimeSpan lockTimeout)
        {
            using (var cmd = connection.CreateCommand())
            {
                cmd.CommandText = "PRAGMA busy_timeout=" + (long)lockTimeout.TotalMilliseconds + ";";
                cmd.ExecuteNonQuery();
            }
            // Microsoft.Data.Sqlite begins IMMEDIATE unless deferred: the write lock is taken now, not at the first write.
            return ((SqliteConnection)connection).BeginTransaction(deferred: false);
        }

        public override DbTransaction BeginSchemaChange(DbConnection connection) => ((SqliteConnection)connection).BeginTransaction(deferred: false);

        public override string[] FullTextSchema => new[]
        {
            // The words of each main-line memory, one row per (ns, key) with a stable integer id (the memories table has
            // none: its implicit rowid may change on VACUUM). memory_fts indexes these rows by that id (external content),
            // and the triggers keep it in step, so a write reaches the index through its rowid and never scans it.
            "CREATE TABLE IF NOT EXISTS memory_search (id INTEGER PRIMARY KEY, ns TEXT NOT NULL, key TEXT NOT NULL, key_text TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (ns, key))",
            // Pre-tokenized words (Engram's tokenizer): FTS5 only splits them on spaces.
            "CREATE VIRTUAL TABLE IF NOT EXISTS memory_fts USING fts5(ns UNINDEXED, key UNINDEXED, key_text, body, content='memory_search', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
            "CREATE TRIGGER IF NOT EXISTS memory_search_insert AFTER INSERT ON memory_search BEGIN "
                + "INSERT INTO memory_fts (rowid, ns, key, key_text, body) VALUES (new.id, new.ns, new.key, new.key_text, new.body); END",
            "CREATE TRIGGER IF NOT EXISTS memory_search_delete AFTER DELETE ON memory_search BEGIN "
                + "INSERT INTO memory_fts (memory_fts, rowid, ns, key, key_text, body) VALUES ('delete', old.id, old.ns, old.key, old.key_text, old.body); END",
            "CREATE TRIGGER IF NOT EXISTS memory_search_update AFTER UPDATE ON memory_search BEGIN "
                + "INSERT INTO memory_fts (memory_fts, rowid, ns, key, key_text, body) VALUES ('delete', old.id, old.ns, old.key, old.key_text, old.body); "
                + "INSERT INTO memory_fts (rowid, ns, key, key_text, body) VALUES (new.id, new.ns, new.key, new.key_text, new.body); END",
        };

        /// <summary>Upserts the words of one memory (@ns, @key, @kt, @t); the triggers update the index only when they changed.</summary>
        internal const string PutWords =
            "INSERT INTO memory_search (ns, key, key_text, body) VALUES (@ns, @key, @kt, @t) ON CONFLICT (ns, key) DO UPDATE SET key_text = excluded.key_text, body = excluded.body "
            + "WHERE memory_search.key_text <> excluded.key_text OR memory_search.body <> excluded.body";

        /// <summary>Removes the words of one memory (@ns, @key) and so its index entries.</summary>
        internal const string DeleteWords = "DELETE FROM memory_search WHERE ns = @ns AND key = @key";

        public override IEnumerable<string> UpgradeLayout(int from)
        {
            if (from >= 2) yield break;
            // Layout 1 kept the words inside memory_fts itself, found by ns and key, which FTS5 cannot index: every
            // write scanned the whole table. Its words are rebuilt from the memories they were made from.
            yield return "DROP TABLE IF EXISTS memory_fts";
            foreach (var sql in FullTextSchema) yield return sql;
            yield return "INSERT INTO memory_search (ns, key, key_text, body) SELECT ns, key, key_text, search_text FROM memories";
        }

        public override string FullTextArgument(Engram.Core.Search.SearchQuery query) =>
            "{key_text body} : (" + string.Join(" AND ", query.Terms.Select(t => "\"" + t.Text.Replace("\"", "\"\"") + "\"" + (t.IsPrefix ? "*" : ""))) + ")";

        public override string FullTextQuery(string nsFilter) =>
            // bm25 weights: ns, key (unindexed), key words ×3, value words ×1; bm25 is lower-is-better, so negated.
            "SELECT f.ns, f.key, -bm25(memory_fts, 0.0, 0.0, 3.0, 1.0) AS score FROM memory_fts f WHERE memory_fts MATCH @q"
            + (nsFilter.Length > 0 ? " AND " + nsFilter.Replace("m.ns", "f.ns") : "") + " ORDER BY score DESC, f.ns, f.key LIMIT @top";

        public override bool IsMissingTable(Exception ex) => ex is SqliteException s && s.Message.IndexOf("no such table", StringComparison.OrdinalIgnoreCase) >= 0;

        internal override bool TableExists(Db db, string table) =>
            db.Scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = @t", ("t", table)) != null;
    }

    /// <summary>PostgreSQL: writers serialize on the store's row (SELECT … FOR UPDATE), each change one transaction.</summary>
    public sealed class PostgresDialect : SqlDialect
    {
        private readonly string _connectionString;

        /// <summary>PostgreSQL compares text by the database's collation (often a locale's): "C" compares bytes.</summary>
        public override string InKeyOrder(string column) => column + " COLLATE \"C\"";

        public PostgresDialect(string location)
        {
            _connectionString = ToConnectionString(location);
            NpgsqlConnectionStringBuilder b;
            try { b = new NpgsqlConnectionStringBuilder(_connectionString); }
            catch (Exception ex) when (ex is ArgumentException || ex is FormatException || ex is InvalidOperationException || ex is OverflowException)
            {
                throw BadLocation(location, ex);
            }
            DisplayLocation = "postgres://" + (string.IsNullOrEmpty(b.Username) ? "" : b.Username + "@") + b.Host + (b.Port != 5432 ? ":" + b.Port : "") + "/" + b.Database
                + (string.IsNullOrEmpty(b.SearchPath) ? "" : "?search_path=" + b.SearchPath);
        }

        public override string Name => "postgres";
        public override string DisplayLocation { get; }
        public override bool DatabaseExists => true; // the server answers for it at the first query
        public override string BlobType => "BYTEA";
        public override string BigIntType => "BIGINT";
        public override bool MaintainsFullTextInCode => false;

        /// <summary>True for a key=value connection string that names a host.</summary>
        public static bool LooksLikeConnectionString(string s)
        {
            foreach (var part in s.Split(';'))
            {
                var eq = part.IndexOf('=');
                if (eq > 0 && (part.Substring(0, eq).Trim().Equals("Host", StringComparison.OrdinalIgnoreCase) || part.Substring(0, eq).Trim().Equals("Server", StringComparison.OrdinalIgnoreCase))) return true;
            }
            return false;
        }

        /// <summary>postgres://user:password@host:port/database?search_path=x → an Npgsql connection string; others as they are.</summary>
        public static string ToConnectionString(string location)
        {
            if (!(location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)))
                return location;
            Uri uri;
            try { uri = new Uri(location); }
            catch (UriFormatException ex)
            {
                throw BadLocation(location, ex);
            }
            try { return UriToConnectionString(uri); }
            catch (Exception ex) when (ex is ArgumentException || ex is FormatException || ex is InvalidOperationException || ex is OverflowException)
            {
                throw BadLocation(location, ex);
            }
        }

        /// <summary>InvalidStorePath for a location that is not a usable PostgreSQL address; never shows its password.</summary>
        private static Engram.Core.EngramException BadLocation(string location, Exception ex)
        {
            var shown = Redact(location);
            var why = ex.Message.TrimEnd('.');
            foreach (var secret in Passwords(location)) why = Engram.Core.Search.RedactedException.Scrub(why, secret);
            return new Engram.Core.EngramException(Engram.Core.EngramErrorIds.InvalidStorePath, Engram.Core.EngramErrorKind.InvalidArgument,
                $"'{shown}' is not a usable PostgreSQL address: {why}. Use postgres://user@host:port/database or a connection string such as 'Host=db1;Username=agent;Database=memories'.", shown);
        }

        private static readonly System.Text.RegularExpressions.Regex PasswordPart = new System.Text.RegularExpressions.Regex(
            @"((?:^|[;?&])\s*(?:password|pwd)\s*=\s*)([^;&]*)", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

        private static readonly System.Text.RegularExpressions.Regex UserInfoPassword = new System.Text.RegularExpressions.Regex(
            @"^(postgres(?:ql)?://[^:/@]*:)([^@]*)(@)", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

        /// <summary>The location with any password replaced by <c>***</c> (URL user info, or Password=/Pwd= of a connection string).</summary>
        public static string Redact(string location)
        {
            var s = UserInfoPassword.Replace(location, "$1***$3");
            return PasswordPart.Replace(s, "$1***");
        }

        /// <summary>The passwords a location holds, raw and URL-decoded (to scrub them from messages).</summary>
        private static IEnumerable<string> Passwords(string location)
        {
            var m = UserInfoPassword.Match(location);
            if (m.Success && m.Groups[2].Value.Length > 0)
            {
                yield return m.Groups[2].Value;
                string decoded;
                try { decoded = Uri.UnescapeDataString(m.Groups[2].Value); }
                catch (Exception) { decoded = m.Groups[2].Value; }
                yield return decoded;
            }
            foreach (System.Text.RegularExpressions.Match p in PasswordPart.Matches(location))
                if (p.Groups[2].Value.Trim().Length > 0) yield return p.Groups[2].Value.Trim();
        }

        private static readonly char[] Colon = { ':' }, Ampersand = { '&' }, EqualsSign = { '=' };

        private static string UriToConnectionString(Uri uri)
        {
            var b = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port };
            var db = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
            if (db.Length > 0) b.Database = db;
            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                var parts = uri.UserInfo.Split(Colon, 2);
                b.Username = Uri.UnescapeDataString(parts[0]);
                if (parts.Length > 1) b.Password = Uri.UnescapeDataString(parts[1]);
            }
            foreach (var kv in uri.Query.TrimStart('?').Split(Ampersand, StringSplitOptions.RemoveEmptyEntries))
            {
                var p = kv.Split(EqualsSign, 2);
                var name = Uri.UnescapeDataString(p[0]);
                var value = p.Length > 1 ? Uri.UnescapeDataString(p[1]) : "";
                if (name.Equals("search_path", StringComparison.OrdinalIgnoreCase) || name.Equals("schema", StringComparison.OrdinalIgnoreCase)) b.SearchPath = value;
                else b[name] = value;
            }
            return b.ToString();
        }

        public override DbConnection Open(bool create)
        {
            var c = new NpgsqlConnection(_connectionString);
            c.Open();
            return c;
        }

        public override DbTransaction BeginWrite(DbConnection connection, TimeSpan lockTimeout)
        {
            var t = connection.BeginTransaction(System.Data.IsolationLevel.ReadCommitted);
            using (var cmd = connection.CreateCommand())
            {
                cmd.Transaction = t;
                cmd.CommandText = "SET LOCAL lock_timeout = " + (long)lockTimeout.TotalMilliseconds + "; SELECT 1 FROM engram_meta WHERE name = 'config' FOR UPDATE;";
                cmd.ExecuteNonQuery();
            }
            return t;
        }

        public override string? DeferredWriteStart(TimeSpan lockTimeout) =>
            "BEGIN ISOLATION LEVEL READ COMMITTED;\nSET LOCAL lock_timeout = " + ((long)lockTimeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture) +
            ";\nSELECT value FROM engram_meta WHERE name = 'config' FOR UPDATE";

        public override bool IsLockTimeout(Exception ex) => ex is PostgresException p && p.SqlState == "55P03";

        /// <summary>One round trip: the lock timeout, the lock (the configuration row, FOR UPDATE) and the row's text.</summary>
        public override DbTransaction BeginWriteReadingConfig(DbConnection connection, TimeSpan lockTimeout, out string? configText)
        {
            var t = connection.BeginTransaction(System.Data.IsolationLevel.ReadCommitted);
            using (var cmd = connection.CreateCommand())
            {
                cmd.Transaction = t;
                cmd.CommandText = "SET LOCAL lock_timeout = " + (long)lockTimeout.TotalMilliseconds + "; SELECT value FROM engram_meta WHERE name = 'config' FOR UPDATE;";
                configText = cmd.ExecuteScalar() as string;
            }
            return t;
        }

        public override DbTransaction BeginSchemaChange(DbConnection connection)
        {
            var t = connection.BeginTransaction();
            using (var cmd = connection.CreateCommand())
            {
                cmd.Transaction = t;
                // Two processes creating the tables at once would collide in the catalog: one at a time.
                cmd.CommandText = "SELECT pg_advisory_xact_lock(7345210431)";
                cmd.ExecuteNonQuery();
            }
            return t;
        }

        public override string[] FullTextSchema => new[]
        {
            "ALTER TABLE memories ADD COLUMN IF NOT EXISTS search tsvector GENERATED ALWAYS AS (setweight(to_tsvector('simple', key_text), 'A') || setweight(to_tsvector('simple', search_text), 'B')) STORED",
            "CREATE INDEX IF NOT EXISTS memories_search ON memories USING GIN (search)",
        };

        public override IEnumerable<string> UpgradeLayout(int from) => Enumerable.Empty<string>(); // 1 → 2 changed SQLite's index only

        public override string FullTextArgument(Engram.Core.Search.SearchQuery query) =>
            // Terms are letters and digits only (Engram's tokenizer), quoted all the same.
            string.Join(" & ", query.Terms.Select(t => "'" + t.Text.Replace("'", "''") + "'" + (t.IsPrefix ? ":*" : "")));

        public override string FullTextQuery(string nsFilter) =>
            "SELECT m.ns, m.key, ts_rank(m.search, q) AS score FROM memories m, to_tsquery('simple', @q) q WHERE m.search @@ q"
            + (nsFilter.Length > 0 ? " AND " + nsFilter : "") + " ORDER BY score DESC, m.ns, m.key LIMIT @top";

        public override bool IsMissingTable(Exception ex) => ex is PostgresException p && p.SqlState == "42P01";

        internal override bool TableExists(Db db, string table) => db.Scalar("SELECT to_regclass(@t)::text", ("t", table)) != null;
    }
}
