using System;
using System.Collections.Generic;
using System.Globalization;
using Engram.Core;

namespace Engram.Storage.Sql
{
    /// <summary>
    /// Creates the tables of a SQL store, or brings an older table layout up to date, in the dialect's schema-change
    /// transaction (serialized between processes). A newer layout is refused with UnsupportedFormatVersion.
    /// </summary>
    internal static class SqlSchema
    {
        /// <summary>The newest table layout this build knows (see <see cref="SqlEngramStore.SchemaVersion"/>).</summary>
        public const int Version = SqlEngramStore.SchemaVersion;

        /// <summary>Makes sure the tables exist at <see cref="Version"/> and hold a configuration; <paramref name="db"/>
        /// must not be inside a transaction.</summary>
        public static void Ensure(Db db, SqlDialect d, string root)
        {
            // Tables that exist are not touched again: DDL takes table locks that would deadlock with other writers.
            if (Current(db, d, root)) return;
            db.Transaction = d.BeginSchemaChange(db.Connection);
            try
            {
                if (Current(db, d, root))
                {
                    db.Transaction.Commit();
                    return;
                }
                var schema = d.TableExists(db, "engram_meta") ? db.Scalar("SELECT value FROM engram_meta WHERE name = 'schema'") as string : null;
                int? layout = schema != null && int.TryParse(schema, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : (int?)null;
                if (layout > Version)
                    throw NewerLayout(root, layout.Value);
                if (layout is int older && older < Version)
                {
                    // An existing store of an older layout: only what changed since, in this same transaction.
                    foreach (var sql in d.UpgradeLayout(older)) db.Exec(sql);
                    db.Exec("UPDATE engram_meta SET value = @v WHERE name = 'schema'", ("v", Version.ToString(CultureInfo.InvariantCulture)));
                }
                else
                {
                    foreach (var sql in Statements(d)) db.Exec(sql);
                    foreach (var sql in d.FullTextSchema) db.Exec(sql);
                    if (schema == null) db.Exec("INSERT INTO engram_meta (name, value) VALUES ('schema', @v)", ("v", Version.ToString(CultureInfo.InvariantCulture)));
                }
                if (db.Scalar("SELECT value FROM engram_meta WHERE name = 'config'") == null)
                    db.Exec("INSERT INTO engram_meta (name, value) VALUES ('config', @v)", ("v", new StoreConfig().ToYaml()));
                db.Transaction.Commit();
            }
            catch
            {
                try { db.Transaction.Rollback(); } catch (Exception) { }
                throw;
            }
            finally
            {
                db.Transaction.Dispose();
                db.Transaction = null;
            }
        }

        public static EngramException NewerLayout(string root, int layout) =>
            new EngramException(EngramErrorIds.UnsupportedFormatVersion, EngramErrorKind.NotSupported,
                $"The store '{root}' has table layout {layout}, but this version of Engram only knows layouts up to {Version}. Update the Engram module; nothing was changed.", root);

        /// <summary>True when the tables exist at this build's layout and hold a configuration; throws for a newer layout.</summary>
        private static bool Current(Db db, SqlDialect d, string root)
        {
            if (db.Transaction == null)
            {
                try { return CurrentCore(db, root); }
                catch (Exception ex) when (d.IsMissingTable(ex)) { return false; }
            }
            // Inside a transaction a failed statement would abort it (PostgreSQL): ask the catalog first.
            return d.TableExists(db, "engram_meta") && CurrentCore(db, root);
        }

        private static bool CurrentCore(Db db, string root)
        {
            var schema = db.Scalar("SELECT value FROM engram_meta WHERE name = 'schema'") as string;
            if (schema == null) return false;
            bool known = int.TryParse(schema, NumberStyles.None, CultureInfo.InvariantCulture, out var v);
            if (known && v > Version)
                throw NewerLayout(root, v);
            if (known && v < Version) return false; // brought up to date by Ensure
            return db.Scalar("SELECT value FROM engram_meta WHERE name = 'config'") != null;
        }

        private static IEnumerable<string> Statements(SqlDialect d)
        {
            var big = d.BigIntType;
            yield return "CREATE TABLE IF NOT EXISTS engram_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)";
            yield return "CREATE TABLE IF NOT EXISTS memories (ns TEXT NOT NULL, key TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, content_hash TEXT NOT NULL, updated TEXT NOT NULL, doc TEXT NOT NULL, key_text TEXT NOT NULL, search_text TEXT NOT NULL, PRIMARY KEY (ns, key))";
            yield return "CREATE INDEX IF NOT EXISTS memories_id ON memories (id)";
            yield return $"CREATE TABLE IF NOT EXISTS _provenance (ns TEXT NOT NULL, key TEXT NOT NULL, seq {big} NOT NULL, memory_id TEXT NOT NULL, branch TEXT NOT NULL, action TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL, ts TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (ns, key, seq))";
            yield return "CREATE INDEX IF NOT EXISTS _provenance_memory ON _provenance (memory_id)";
            yield return "CREATE TABLE IF NOT EXISTS branches (ns TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (ns, name))";
            yield return "CREATE TABLE IF NOT EXISTS branch_memories (ns TEXT NOT NULL, branch TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (ns, branch, kind, key))";
            yield return $"CREATE TABLE IF NOT EXISTS derived (source_ns TEXT NOT NULL, source_key TEXT NOT NULL, ns TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, source_version INTEGER NOT NULL, seq {big} NOT NULL, branch TEXT NOT NULL)";
            yield return "CREATE INDEX IF NOT EXISTS derived_source ON derived (source_ns, source_key)";
            yield return $"CREATE TABLE IF NOT EXISTS vectors (ns TEXT NOT NULL, key TEXT NOT NULL, content_hash TEXT NOT NULL, model TEXT NOT NULL, vector {d.BlobType} NOT NULL, PRIMARY KEY (ns, key))";
        }
    }
}
